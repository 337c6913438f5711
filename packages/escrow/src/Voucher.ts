// v1 session vouchers off chain (draft-tempo-session §"Voucher Signing Format",
// §"Voucher Verification", §"Signature Malleability"): the EIP-712 digest and the
// signature check a server runs before accepting a voucher, the same check the escrow
// contract runs in settle and close, so that a voucher the server accepts is one the
// contract will pay.
import { Errors } from '@paywire/core'
import { type Address, type Hex, hashTypedData, recoverAddress, serializeSignature } from 'viem'
import { domain, halfOrder, voucherTypes } from './Escrow.js'

/** The largest voucher amount: cumulativeAmount is a uint128. */
export const maxAmount = 2n ** 128n - 1n

const secp256k1Order = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

/**
 * The EIP-712 digest a voucher's signer signs (what the contract's `getVoucherDigest` returns).
 *
 * @throws {InvalidVoucherError} for a malformed channel id or an amount outside uint128.
 * @example
 * ```ts
 * import { Voucher } from '@paywire/escrow'
 * const digest = Voucher.digest({
 *   chainId: 4217,
 *   escrow: '0x9d136eEa063eDE5418A6BC7bEafF009bBb6CFa70',
 *   channelId: `0x${'ab'.repeat(32)}`,
 *   cumulativeAmount: 250000n,
 * })
 * ```
 */
export function digest(parameters: digest.Parameters): Hex {
  const { chainId, escrow, channelId, cumulativeAmount } = parameters
  if (!/^0x[0-9a-fA-F]{64}$/.test(channelId))
    throw new InvalidVoucherError('channelId must be 0x and 64 hex digits')
  if (cumulativeAmount < 0n || cumulativeAmount > maxAmount)
    throw new InvalidVoucherError('cumulativeAmount must fit in a uint128')
  return hashTypedData({
    domain: domain({ chainId, verifyingContract: escrow }),
    types: voucherTypes,
    primaryType: 'Voucher',
    message: { channelId: channelId.toLowerCase() as Hex, cumulativeAmount },
  })
}

export declare namespace digest {
  type Parameters = {
    /** The chain of the escrow (the challenge's `chainId`). */
    chainId: number
    /** The escrow contract (the challenge's `escrowContract`). */
    escrow: Address
    channelId: Hex
    cumulativeAmount: bigint
  }
}

/**
 * Recovers the signer of a voucher, refusing what the contract refuses: signatures that
 * are not 65 bytes (`r‖s‖v`, v 27 or 28) or 64 bytes (EIP-2098), high-s signatures, and
 * signatures that recover no address. The format is checked before any ECDSA work.
 *
 * @throws {InvalidSignatureError}
 * @throws {InvalidVoucherError}
 * @example
 * ```ts
 * import { Voucher } from '@paywire/escrow'
 * declare const signature: `0x${string}`
 * const signer = await Voucher.recover({
 *   chainId: 4217,
 *   escrow: '0x9d136eEa063eDE5418A6BC7bEafF009bBb6CFa70',
 *   channelId: `0x${'ab'.repeat(32)}`,
 *   cumulativeAmount: 250000n,
 *   signature,
 * })
 * ```
 */
export async function recover(parameters: recover.Parameters): Promise<Address> {
  const { r, s, yParity } = parse(parameters.signature)
  const hash = digest(parameters)
  try {
    return await recoverAddress({ hash, signature: serializeSignature({ r, s, yParity }) })
  } catch (cause) {
    throw new InvalidSignatureError('the voucher signature recovers no signer', { cause })
  }
}

export declare namespace recover {
  type Parameters = digest.Parameters & { signature: Hex }
}

/**
 * Checks that a voucher is signed, canonically, by `signer`: the channel's authorized
 * signer as read from the chain, or its payer when none is set (see {@link expectedSigner}).
 * Never take the signer from the credential.
 *
 * @throws {InvalidSignatureError}
 * @throws {SignerMismatchError}
 * @example
 * ```ts
 * import { Voucher } from '@paywire/escrow'
 * declare const channel: { payer: `0x${string}`; authorizedSigner: `0x${string}` }
 * declare const signature: `0x${string}`
 * await Voucher.verify({
 *   chainId: 4217,
 *   escrow: '0x9d136eEa063eDE5418A6BC7bEafF009bBb6CFa70',
 *   channelId: `0x${'ab'.repeat(32)}`,
 *   cumulativeAmount: 250000n,
 *   signature,
 *   signer: Voucher.expectedSigner(channel),
 * })
 * ```
 */
export async function verify(parameters: verify.Parameters): Promise<void> {
  const recovered = await recover(parameters)
  if (recovered.toLowerCase() !== parameters.signer.toLowerCase())
    throw new SignerMismatchError('the voucher is not signed by the channel signer')
}

export declare namespace verify {
  type Parameters = recover.Parameters & {
    /** The expected signer, from on-chain channel state. */
    signer: Address
  }
}

/**
 * The address that must sign a channel's vouchers: its authorized signer, or its payer
 * when the authorized signer is the zero address.
 *
 * @example
 * ```ts
 * import { Voucher } from '@paywire/escrow'
 * Voucher.expectedSigner({
 *   payer: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
 *   authorizedSigner: '0x0000000000000000000000000000000000000000',
 * }) // '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
 * ```
 */
export function expectedSigner(channel: { payer: Address; authorizedSigner: Address }): Address {
  return /^0x0{40}$/.test(channel.authorizedSigner) ? channel.payer : channel.authorizedSigner
}

/** Splits a 65- or 64-byte signature, refusing any non-canonical form. */
function parse(signature: Hex): { r: Hex; s: Hex; yParity: number } {
  if (!/^0x(?:[0-9a-fA-F]{128}|[0-9a-fA-F]{130})$/.test(signature))
    throw new InvalidSignatureError(
      'a voucher signature is 65 bytes (r, s, v) or 64 bytes (EIP-2098)',
    )
  const r = BigInt(`0x${signature.slice(2, 66)}`)
  let s = BigInt(`0x${signature.slice(66, 130)}`)
  let yParity: number
  if (signature.length === 132) {
    const v = Number.parseInt(signature.slice(130, 132), 16)
    if (v !== 27 && v !== 28) throw new InvalidSignatureError(`v must be 27 or 28, found ${v}`)
    yParity = v - 27
  } else {
    yParity = Number(s >> 255n)
    s &= (1n << 255n) - 1n
  }
  if (s > halfOrder)
    throw new InvalidSignatureError('the signature has a high s value (non-canonical)')
  if (r === 0n || s === 0n || r >= secp256k1Order)
    throw new InvalidSignatureError('the signature has an r or s value out of range')
  const hex32 = (value: bigint): Hex => `0x${value.toString(16).padStart(64, '0')}`
  return { r: hex32(r), s: hex32(s), yParity }
}

/** A voucher signature that is malformed, non-canonical or recovers no signer. */
export class InvalidSignatureError extends Errors.BaseError {
  override readonly name = 'Voucher.InvalidSignatureError'
  readonly code = 'ERR_SESSION_INVALID_SIGNATURE'
  readonly problem = 'session/invalid-signature' as const
}

/** A voucher signed by someone other than the channel's signer. */
export class SignerMismatchError extends Errors.BaseError {
  override readonly name = 'Voucher.SignerMismatchError'
  readonly code = 'ERR_SESSION_SIGNER_MISMATCH'
  readonly problem = 'session/signer-mismatch' as const
}

/** A voucher whose channel id or amount cannot be a v1 voucher's. */
export class InvalidVoucherError extends Errors.BaseError {
  override readonly name = 'Voucher.InvalidVoucherError'
  readonly code = 'ERR_SESSION_VOUCHER_INVALID'
  readonly problem = 'malformed-credential' as const
}
