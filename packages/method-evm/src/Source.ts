// The payer identifier of an EVM credential's `source` (draft-evm-charge-00 §5.1): a
// `did:pkh:eip155:<chainId>:<address>` DID.
import * as Errors from './Errors.js'

/** A parsed payer DID. */
export type Source = { chainId: number; address: string }

const pattern = /^did:pkh:eip155:([1-9][0-9]{0,15}):(0x[0-9a-fA-F]{40})$/

/**
 * Formats the DID of an account on a chain.
 *
 * @example
 * ```ts
 * import { Source } from '@paywire/method-evm'
 * Source.format({ chainId: 1329, address: '0x1234567890AbcdEF1234567890aBcdef12345678' })
 * ```
 */
export function format(source: Source): string {
  return `did:pkh:eip155:${source.chainId}:${source.address}`
}

/**
 * Parses a `did:pkh:eip155` DID.
 *
 * @throws {Errors.SourceMismatchError} when the value is not such a DID.
 * @example
 * ```ts
 * import { Source } from '@paywire/method-evm'
 * Source.parse('did:pkh:eip155:1329:0x1234567890abcdef1234567890abcdef12345678').chainId // 1329
 * ```
 */
export function parse(value: string): Source {
  const match = pattern.exec(value)
  if (match?.[1] === undefined || match[2] === undefined)
    throw new Errors.SourceMismatchError('source is not a did:pkh:eip155:<chainId>:<address> DID')
  return { chainId: Number(match[1]), address: match[2] }
}
