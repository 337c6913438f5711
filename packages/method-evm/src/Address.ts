// Addresses of the EVM charge (draft-evm-charge-00 §4.1): `0x` and 20 bytes of hex, EIP-55
// mixed case when paywire writes them, compared by their 20-byte value, never as strings.
import { getAddress } from 'viem'
import { z } from 'zod'

/**
 * A 20-byte hex address with `0x` (any letter case is read).
 *
 * @example
 * ```ts
 * import { Address } from '@paywire/method-evm'
 * Address.schema.safeParse('0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00').success // true
 * ```
 */
export const schema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 20-byte hex address with 0x prefix')

/**
 * Whether two addresses are the same 20-byte value.
 *
 * @example
 * ```ts
 * import { Address } from '@paywire/method-evm'
 * Address.same('0x742d35cc6634c0532925a3b844bc9e7595f8fe00', '0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00') // true
 * ```
 */
export function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase()
}

/**
 * The EIP-55 form of an address.
 *
 * @example
 * ```ts
 * import { Address } from '@paywire/method-evm'
 * Address.checksum('0x742d35cc6634c0532925a3b844bc9e7595f8fe00') // '0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00'
 * ```
 */
export function checksum(address: string): `0x${string}` {
  return getAddress(address)
}
