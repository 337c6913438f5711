// What the pull and push checks of the Tempo charge share: the parameters of one
// verification, the `source` check, and the error for a mode or configuration the
// challenge does not allow.
import { Errors, type Method } from '@paywire/core'
import type * as Binding from '../Binding.js'
import type * as Chain from '../Chain.js'
import type * as ChargeRequest from '../ChargeRequest.js'
import type * as FeePayer from '../FeePayer.js'
import * as Settlement from '../Settlement.js'
import * as Source from '../Source.js'
import * as Transfer from '../Transfer.js'

/** @internal The server options the checks read. */
export type ServerOptions = {
  chain: Chain.Chain
  feePayer?: FeePayer.FeePayer | undefined
  claimTtlSeconds?: number | undefined
}

/** @internal One credential being verified. */
export type Verification = {
  request: ChargeRequest.ChargeRequest
  challenge: Binding.ChallengeRef
  context: Method.Context
  options: ServerOptions
  source: string | undefined
}

/** @internal The credential's `source` names the chain and the account that paid. */
export function assertSource(source: string, sender: string, chainId: number): void {
  const parsed = Source.parse(source)
  if (parsed.chainId !== chainId)
    throw new Settlement.SenderMismatchError(
      `source is on chain ${parsed.chainId}, the challenge on ${chainId}`,
    )
  if (!Transfer.sameAddress(parsed.address, sender))
    throw new Settlement.SenderMismatchError('the transaction was not signed by the source account')
}

/** The credential uses a mode, or the server a configuration, the challenge does not allow. */
export class ModeRefusedError extends Errors.BaseError {
  override readonly name = 'Server.ModeRefusedError'
  readonly code = 'ERR_TEMPO_MODE_REFUSED'
  readonly problem = 'verification-failed' as const
}
