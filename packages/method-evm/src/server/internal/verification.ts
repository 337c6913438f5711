// What every credential type's verification shares: the parameters it works from, the
// shape of a prepared payment (checked, not yet settled), the payer-source check and the
// atomic replay claim (draft-evm-charge-00 §8).
import type { Method } from '@paywire/core'
import type { Hex } from 'viem'
import * as Address from '../../Address.js'
import type * as Chain from '../../Chain.js'
import type * as ChargeRequest from '../../ChargeRequest.js'
import * as Errors from '../../Errors.js'
import type * as Confirmation from '../../internal/confirmation.js'
import * as Source from '../../Source.js'
import type * as Sponsor from '../Sponsor.js'

/** @internal The server's settings a verification needs. */
export type Settings = {
  chain: Chain.Chain
  sponsor: Sponsor.Sponsor | undefined
  permit2Address: string | undefined
  eip3009: { currency: string; name: string; version: string } | undefined
  confirmations: Confirmation.Options
  claimTtlSeconds: number
  unboundTransactions: 'refuse' | 'fresh'
}

/** @internal One credential being verified. */
export type Parameters = {
  request: ChargeRequest.ChargeRequest
  challenge: { id: string; realm: string }
  source: string | undefined
  context: Method.Context
  settings: Settings
  /** Seconds since the epoch, from the server's clock. */
  now: bigint
}

/** @internal A payment that passed every check that moves nothing. */
export type Prepared = {
  /** Simulates the settlement on the pending state (for `check`). */
  simulate(): Promise<void>
  /** Claims the replay token, settles, confirms; resolves the transaction hash. */
  settle(): Promise<Hex>
}

/**
 * @internal The payer named by `source`, checked against the challenge's chain and, when
 * given, the account that pays.
 */
export function payerOf(
  source: string | undefined,
  chainId: number,
  payer?: string,
): string | undefined {
  if (source === undefined) return payer
  const parsed = Source.parse(source)
  if (parsed.chainId !== chainId)
    throw new Errors.SourceMismatchError(
      `source is on chain ${parsed.chainId}, the challenge on ${chainId}`,
    )
  if (payer !== undefined && !Address.same(parsed.address, payer))
    throw new Errors.SourceMismatchError('the payment is not made by the source account')
  return parsed.address
}

/** @internal Claims a replay token once, for this server's store. */
export async function claim(parameters: Parameters, key: string): Promise<void> {
  const claimed = await parameters.context.claim(
    `evm:${parameters.settings.chain.chainId}:${key}`,
    {
      ttlSeconds: parameters.settings.claimTtlSeconds,
    },
  )
  if (!claimed)
    throw new Errors.AlreadyUsedError(
      `this payment (${key.split(':')[0]}) already paid a challenge`,
    )
}

/** @internal The claim key of a transaction hash (shared by transaction and hash credentials). */
export function transactionKey(hash: string): string {
  return `tx:${hash.toLowerCase()}`
}
