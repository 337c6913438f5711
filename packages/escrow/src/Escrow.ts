// paywire's escrow contract for Tempo session payment channels: the artifacts of
// contracts/Escrow.sol and the constants a client or server needs to use it
// (draft-tempo-session §"Channel Escrow Contract" and §"Voucher Signing Format", v1).
export { abi } from './abi.js'
export { bytecode, deployedBytecode } from './bytecode.js'

/**
 * Seconds between a payer's `requestClose` and the earliest `withdraw`: 15 minutes, the
 * contract's `CLOSE_GRACE_PERIOD`.
 *
 * @example
 * ```ts
 * import { Escrow } from '@paywire/escrow'
 * Escrow.closeGracePeriod // 900n
 * ```
 */
export const closeGracePeriod = 900n

/**
 * The secp256k1 half-order: the contract refuses voucher signatures whose `s` is above it.
 *
 * @example
 * ```ts
 * import { Escrow } from '@paywire/escrow'
 * const isLowS = (s: bigint) => s <= Escrow.halfOrder
 * ```
 */
export const halfOrder = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n

/**
 * The EIP-712 domain name of v1 vouchers.
 *
 * @example
 * ```ts
 * import { Escrow } from '@paywire/escrow'
 * Escrow.domainName // 'Tempo Stream Channel'
 * ```
 */
export const domainName = 'Tempo Stream Channel'

/**
 * The EIP-712 domain version of v1 vouchers.
 *
 * @example
 * ```ts
 * import { Escrow } from '@paywire/escrow'
 * Escrow.domainVersion // '1'
 * ```
 */
export const domainVersion = '1'

/**
 * The EIP-712 types of a v1 voucher, exactly as the draft fixes them (the
 * `EIP712Domain` type is implicit and not listed).
 *
 * @example
 * ```ts
 * import { Escrow } from '@paywire/escrow'
 * import { privateKeyToAccount } from 'viem/accounts'
 * const account = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
 * const signature = await account.signTypedData({
 *   domain: Escrow.domain({ chainId: 4217, verifyingContract: '0x9d136eEa063eDE5418A6BC7bEafF009bBb6CFa70' }),
 *   types: Escrow.voucherTypes,
 *   primaryType: 'Voucher',
 *   message: { channelId: `0x${'ab'.repeat(32)}`, cumulativeAmount: 250000n },
 * })
 * ```
 */
export const voucherTypes = {
  Voucher: [
    { name: 'channelId', type: 'bytes32' },
    { name: 'cumulativeAmount', type: 'uint128' },
  ],
} as const

/**
 * The EIP-712 domain of vouchers for the escrow deployed at `verifyingContract` on
 * `chainId`. Vouchers signed for one deployment or chain do not verify on another.
 *
 * @example
 * ```ts
 * import { Escrow } from '@paywire/escrow'
 * Escrow.domain({ chainId: 4217, verifyingContract: '0x9d136eEa063eDE5418A6BC7bEafF009bBb6CFa70' })
 * // { name: 'Tempo Stream Channel', version: '1', chainId: 4217, verifyingContract: '0x9d13...' }
 * ```
 */
export function domain(parameters: domain.Parameters): domain.ReturnType {
  return {
    name: domainName,
    version: domainVersion,
    chainId: parameters.chainId,
    verifyingContract: parameters.verifyingContract,
  }
}

export declare namespace domain {
  type Parameters = {
    /** The chain the escrow is deployed on (a number, as in the challenge's `chainId`). */
    chainId: number
    /** The escrow contract's address (the challenge's `escrowContract`). */
    verifyingContract: `0x${string}`
  }
  type ReturnType = {
    name: typeof domainName
    version: typeof domainVersion
    chainId: number
    verifyingContract: `0x${string}`
  }
}
