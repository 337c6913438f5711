// The payer identifier of a credential's `source` (draft-tempo-charge-00 §"Credential
// Structure"): a `did:pkh:eip155:<chainId>:<address>` DID naming the paying account.
import { Errors } from '@paywire/core'

/** A parsed payer DID. */
export type Source = { chainId: number; address: string }

const pattern = /^did:pkh:eip155:([1-9][0-9]{0,15}):(0x[0-9a-fA-F]{40})$/

/**
 * Formats the DID of an account on a chain.
 *
 * @example
 * ```ts
 * import { Source } from '@paywire/method-tempo'
 * Source.format({ chainId: 4217, address: '0x1234567890abcdef1234567890abcdef12345678' })
 * // 'did:pkh:eip155:4217:0x1234567890abcdef1234567890abcdef12345678'
 * ```
 */
export function format(source: Source): string {
  return `did:pkh:eip155:${source.chainId}:${source.address}`
}

/**
 * Parses a `did:pkh:eip155` DID.
 *
 * @throws {InvalidSourceError} when the value is not such a DID.
 * @example
 * ```ts
 * import { Source } from '@paywire/method-tempo'
 * const { chainId, address } = Source.parse('did:pkh:eip155:4217:0x1234567890abcdef1234567890abcdef12345678')
 * ```
 */
export function parse(value: string): Source {
  const match = pattern.exec(value)
  if (match === null || match[1] === undefined || match[2] === undefined)
    throw new InvalidSourceError('source is not a did:pkh:eip155:<chainId>:<address> DID')
  return { chainId: Number(match[1]), address: match[2] }
}

/** The credential's `source` is not a `did:pkh:eip155` DID. */
export class InvalidSourceError extends Errors.BaseError {
  override readonly name = 'Source.InvalidSourceError'
  readonly code = 'ERR_TEMPO_SOURCE_INVALID'
  readonly problem = 'verification-failed' as const
}
