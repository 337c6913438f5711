// v1 session vouchers off chain (draft-tempo-session §"Voucher Signing Format",
// §"Voucher Verification", §"Signature Malleability"): the EIP-712 digest and the
// signature check a server runs before accepting a voucher, the same check the escrow
// contract runs in settle and close, so that a voucher the server accepts is one the
// contract will pay.
//
// The check is on the hot path of every paid session request, so it avoids viem's
// general-purpose (and slower) code: the digest is Keccak-256 of precomputed parts
// (@noble/hashes) and the recovery is @noble/curves' synchronous one (the versions viem
// itself uses). Once a signer's public key has been recovered from one of its vouchers,
// later vouchers are checked against that key (see `matchesKnownKey`): the same verdict
// as recovering again and comparing the addresses, at a fraction of the cost.

import { invert, mod } from '@noble/curves/abstract/modular'
import { secp256k1 } from '@noble/curves/secp256k1'
import { keccak_256 } from '@noble/hashes/sha3'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils'
import { Errors } from '@paywire/core'
import { type Address, getAddress, type Hex, hashDomain, hashTypedData } from 'viem'
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
  return `0x${bytesToHex(digestBytes(parameters))}`
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
  const signature = parse(parameters.signature)
  const hash = digestBytes(parameters)
  return getAddress(`0x${addressOf(recoverKey(signature, hash))}`)
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
  const signature = parse(parameters.signature)
  const hash = digestBytes(parameters)
  const signer = parameters.signer.toLowerCase()
  const known = knownKeys.get(signer)
  if (known !== undefined && matchesKnownKey(signature, hash, known)) {
    knownKeys.delete(signer) // most recently used last: the first to go is the least used
    knownKeys.set(signer, known)
    return
  }
  // First voucher of this signer, or one the known key does not match: recover, as always.
  const key = recoverKey(signature, hash)
  if (`0x${addressOf(key)}` !== signer)
    throw new SignerMismatchError('the voucher is not signed by the channel signer')
  if (known === undefined) remember(knownKeys, signer, precomputed(key))
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

type Parsed = { r: bigint; s: bigint; yParity: 0 | 1 }
type Point = InstanceType<typeof secp256k1.ProjectivePoint>

const G = secp256k1.ProjectivePoint.BASE
const n = secp256k1.CURVE.n

/**
 * At most this many entries in each cache below, the oldest evicted first (a known key is
 * moved to the end whenever it is used); a known key with its tables takes some 48 kB.
 */
const cacheSize = 256

/** Domain separators by `chainId:escrow` (exactly as given: viem validated that spelling). */
const domainSeparators = new Map<string, Uint8Array>()

/**
 * Public keys of signers (lowercase address → point with multiplication tables), each
 * recovered from a voucher signature whose recovered address was that signer.
 */
const knownKeys = new Map<string, Point>()

const voucherTypeHash = keccak_256('Voucher(bytes32 channelId,uint128 cumulativeAmount)')

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string)
  cache.set(key, value)
}

/** The digest of {@link digest}, as bytes: keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(voucher)). */
function digestBytes(parameters: digest.Parameters): Uint8Array {
  const { chainId, escrow, channelId, cumulativeAmount } = parameters
  if (!/^0x[0-9a-fA-F]{64}$/.test(channelId))
    throw new InvalidVoucherError('channelId must be 0x and 64 hex digits')
  if (cumulativeAmount < 0n || cumulativeAmount > maxAmount)
    throw new InvalidVoucherError('cumulativeAmount must fit in a uint128')
  const domainKey = `${chainId}:${escrow}`
  let separator = domainSeparators.get(domainKey)
  let expected: Hex | undefined
  if (separator === undefined) {
    // First voucher of this escrow: viem validates the domain (and throws what it throws)
    // and hashes it; our digest is checked against viem's whole typed-data hash below.
    const voucherDomain = domain({ chainId, verifyingContract: escrow })
    expected = hashTypedData({
      domain: voucherDomain,
      types: voucherTypes,
      primaryType: 'Voucher',
      message: { channelId: channelId.toLowerCase() as Hex, cumulativeAmount },
    })
    separator = hexToBytes(
      hashDomain({
        domain: voucherDomain as never,
        types: {
          EIP712Domain: [
            { name: 'name', type: 'string' },
            { name: 'version', type: 'string' },
            { name: 'chainId', type: 'uint256' },
            { name: 'verifyingContract', type: 'address' },
          ],
        },
      }).slice(2),
    )
  }
  const struct = new Uint8Array(96)
  struct.set(voucherTypeHash, 0)
  struct.set(hexToBytes(channelId.slice(2)), 32)
  struct.set(hexToBytes(cumulativeAmount.toString(16).padStart(64, '0')), 64)
  const message = new Uint8Array(66)
  message[0] = 0x19
  message[1] = 0x01
  message.set(separator, 2)
  message.set(keccak_256(struct), 34)
  const hash = keccak_256(message)
  if (expected !== undefined) {
    if (`0x${bytesToHex(hash)}` !== expected)
      throw new Error('internal error: voucher digest differs from viem hashTypedData')
    remember(domainSeparators, domainKey, separator)
  }
  return hash
}

/** The public key a signature recovers for `hash`, or InvalidSignatureError. */
function recoverKey({ r, s, yParity }: Parsed, hash: Uint8Array): Point {
  try {
    return new secp256k1.Signature(r, s).addRecoveryBit(yParity).recoverPublicKey(hash)
  } catch (cause) {
    throw new InvalidSignatureError('the voucher signature recovers no signer', { cause })
  }
}

/** The Ethereum address of a public key: lowercase hex, without 0x. */
function addressOf(key: Point): string {
  return bytesToHex(keccak_256(key.toRawBytes(false).subarray(1)).subarray(12))
}

/** The key with its multiplication tables built once (they speed up `matchesKnownKey`). */
function precomputed(key: Point): Point {
  const point = secp256k1.ProjectivePoint.fromAffine(key.toAffine())
  return secp256k1.utils.precompute(4, point)
}

/**
 * Whether recovering `signature` over `hash` would give exactly `key`, computed without
 * recovering. Recovery takes R = the curve point with x = r and y of parity yParity, and
 * returns Q = r⁻¹(s·R − z·G). For Q = key this holds exactly when s·R = z·G + r·key,
 * i.e. R = u1·G + u2·key with u1 = z/s, u2 = r/s: so compute that point and compare its x
 * with r (exactly, not mod n) and its y parity with yParity. This is the ECDSA verification
 * equation plus the parity check that plain ECDSA verification leaves out (without it, a
 * signature with the other v would pass here though it recovers another key). The key was
 * recovered from an earlier voucher and its address was the signer's, so a match gives the
 * verdict recovery would give; a mismatch falls back to recovery.
 */
function matchesKnownKey({ r, s, yParity }: Parsed, hash: Uint8Array, key: Point): boolean {
  const z = mod(BigInt(`0x${bytesToHex(hash)}`), n)
  const sInverse = invert(s, n)
  const u1 = mod(z * sInverse, n)
  const u2 = mod(r * sInverse, n) // never 0: r and s are in [1, n)
  // `multiply`, not `multiplyUnsafe`: in @noble/curves 1.9.1 the latter gives wrong results
  // for full-size scalars on a point with multiplication tables (they are built for the
  // halves of the endomorphism split, which `multiply` does).
  const R = (u1 === 0n ? secp256k1.ProjectivePoint.ZERO : G.multiply(u1)).add(key.multiply(u2))
  if (R.equals(secp256k1.ProjectivePoint.ZERO)) return false
  const { x, y } = R.toAffine()
  return x === r && Number(y & 1n) === yParity
}

/** Splits a 65- or 64-byte signature, refusing any non-canonical form. */
function parse(signature: Hex): Parsed {
  if (!/^0x(?:[0-9a-fA-F]{128}|[0-9a-fA-F]{130})$/.test(signature))
    throw new InvalidSignatureError(
      'a voucher signature is 65 bytes (r, s, v) or 64 bytes (EIP-2098)',
    )
  const r = BigInt(`0x${signature.slice(2, 66)}`)
  let s = BigInt(`0x${signature.slice(66, 130)}`)
  let yParity: 0 | 1
  if (signature.length === 132) {
    const v = Number.parseInt(signature.slice(130, 132), 16)
    if (v !== 27 && v !== 28) throw new InvalidSignatureError(`v must be 27 or 28, found ${v}`)
    yParity = v === 27 ? 0 : 1
  } else {
    yParity = s >> 255n === 1n ? 1 : 0
    s &= (1n << 255n) - 1n
  }
  if (s > halfOrder)
    throw new InvalidSignatureError('the signature has a high s value (non-canonical)')
  if (r === 0n || s === 0n || r >= secp256k1Order)
    throw new InvalidSignatureError('the signature has an r or s value out of range')
  return { r, s, yParity }
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
