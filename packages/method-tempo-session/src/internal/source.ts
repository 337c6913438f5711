// The payer a credential names (`source`, a did:pkh DID) against the channel's payer on
// chain (draft-tempo-session §"Credential Structure": `source` identifies the payer): a
// credential that names another account, or another chain, is refused. Absent, nothing is
// compared (the draft makes `source` optional; the voucher's signer is checked on chain).
import { Errors } from '@paywire/core'
import { Source } from '@paywire/method-tempo'

/** @internal Refuses a `source` that is not `payer` on `chainId`. */
export function assertPayer(source: string | undefined, payer: string, chainId: number): void {
  if (source === undefined) return
  let parsed: Source.Source
  try {
    parsed = Source.parse(source)
  } catch (cause) {
    throw new SourceMismatchError('the credential source is not a did:pkh:eip155 DID', { cause })
  }
  if (parsed.chainId !== chainId)
    throw new SourceMismatchError(
      `the credential source is on chain ${parsed.chainId}, the channel on ${chainId}`,
    )
  if (parsed.address.toLowerCase() !== payer.toLowerCase())
    throw new SourceMismatchError("the credential source is not the channel's payer")
}

/** The credential's `source` names another account (or chain) than the channel's payer. */
export class SourceMismatchError extends Errors.BaseError {
  override readonly name = 'Sessions.SourceMismatchError'
  readonly code = 'ERR_SESSION_SOURCE_MISMATCH'
  readonly problem = 'verification-failed' as const
}
