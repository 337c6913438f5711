// The HTTP signature algorithms (RFC 9421 §3.3) this package verifies with, and the one it
// signs with (ed25519, §3.3.6). Web Bot Auth forbids the shared-secret `hmac-sha256`
// (draft-ietf-webbotauth-httpsig-protocol-01 §"Shared Secrets Considered Harmful").

import { ed25519 } from '@noble/curves/ed25519.js'
import { p256 } from '@noble/curves/nist.js'
import { AgentError } from './internal/AgentError.js'
import * as Jwk from './Jwk.js'

/** The algorithms this package verifies with, by their registered names. */
export const names = ['ed25519', 'ecdsa-p256-sha256', 'rsa-pss-sha512', 'rsa-v1_5-sha256'] as const

/** A supported HTTP signature algorithm. */
export type Name = (typeof names)[number]

/** The smallest RSA modulus accepted, in bits. */
export const minRsaBits = 2048

/**
 * The algorithm to verify a signature with (RFC 9421 §3.2 step 6): from the key's kind
 * and its `alg` member, and the signature's `alg` parameter; every source that names one
 * must agree.
 *
 * @throws {UnsupportedAlgorithmError} when the algorithms disagree, one is not supported,
 *   or none can be determined (an RSA key without `alg` in a signature without `alg`).
 * @example
 * ```ts
 * import { Algorithm } from '@paywire/agent-identity'
 * Algorithm.resolve({ kty: 'OKP', crv: 'Ed25519', x: '...' }, undefined) // 'ed25519'
 * ```
 */
export function resolve(key: Jwk.Public, declared: string | undefined): Name {
  const fromKind: Name | undefined =
    key.kty === 'OKP' ? 'ed25519' : key.kty === 'EC' ? 'ecdsa-p256-sha256' : undefined
  const candidates = [fromKind, key.alg, declared].filter((name) => name !== undefined)
  const [first] = candidates
  if (first === undefined)
    throw new UnsupportedAlgorithmError(
      'the algorithm of an RSA key must be named by the key or the signature (`alg`)',
    )
  if (first === 'hmac-sha256')
    throw new UnsupportedAlgorithmError('shared-secret hmac-sha256 signatures are refused')
  if (!isName(first))
    throw new UnsupportedAlgorithmError(
      `signature algorithm ${JSON.stringify(first)} is not supported`,
    )
  for (const other of candidates)
    if (other !== first)
      throw new UnsupportedAlgorithmError(
        `algorithm ${JSON.stringify(other)} does not match ${JSON.stringify(first)} for this key`,
      )
  if ((first === 'rsa-pss-sha512' || first === 'rsa-v1_5-sha256') !== (key.kty === 'RSA'))
    throw new UnsupportedAlgorithmError(`a ${key.kty} key cannot verify ${first}`)
  return first
}

/** Whether `value` names a supported algorithm. */
export function isName(value: string): value is Name {
  return (names as readonly string[]).includes(value)
}

/**
 * Verifies `signature` over `message` (the signature base's bytes) with a public key.
 * Resolves `false` for a wrong signature; never throws for one.
 *
 * @example
 * ```ts
 * import { Algorithm, Jwk } from '@paywire/agent-identity'
 * const key = Jwk.generate()
 * const message = new TextEncoder().encode('"@authority": example.com')
 * await Algorithm.verify('ed25519', Jwk.toPublic(key), Algorithm.sign(key, message), message) // true
 * ```
 */
export async function verify(
  algorithm: Name,
  key: Jwk.Public,
  signature: Uint8Array,
  message: Uint8Array,
): Promise<boolean> {
  switch (algorithm) {
    case 'ed25519':
      if (key.kty !== 'OKP' || signature.length !== 64) return false
      // Strict RFC 8032 verification: no non-canonical encodings (ZIP-215 off).
      return ed25519.verify(signature, message, decodeKey(key.x, 32), { zip215: false })
    case 'ecdsa-p256-sha256':
      if (key.kty !== 'EC' || signature.length !== 64) return false
      return p256.verify(signature, message, ecPoint(key), { lowS: false, prehash: true })
    case 'rsa-pss-sha512':
    case 'rsa-v1_5-sha256':
      if (key.kty !== 'RSA') return false
      return verifyRsa(algorithm, key, signature, message)
  }
}

/**
 * Signs `message` with an Ed25519 private key: the 64-byte `R || S` (RFC 9421 §3.3.6).
 *
 * @example
 * ```ts
 * import { Algorithm, Jwk } from '@paywire/agent-identity'
 * const signature = Algorithm.sign(Jwk.generate(), new TextEncoder().encode('base'))
 * ```
 */
export function sign(key: Jwk.Private, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, decodeKey(key.d, 32))
}

function decodeKey(value: string, length: number): Uint8Array {
  const bytes = Jwk.decode(value, 'key')
  if (bytes.length !== length)
    throw new UnsupportedAlgorithmError(`key member is ${bytes.length} bytes, not ${length}`)
  return bytes
}

function ecPoint(key: Jwk.Public & { kty: 'EC' }): Uint8Array {
  const point = new Uint8Array(65)
  point[0] = 4
  point.set(decodeKey(key.x, 32), 1)
  point.set(decodeKey(key.y, 32), 33)
  return point
}

async function verifyRsa(
  algorithm: 'rsa-pss-sha512' | 'rsa-v1_5-sha256',
  key: Jwk.Public & { kty: 'RSA' },
  signature: Uint8Array,
  message: Uint8Array,
): Promise<boolean> {
  const bits = Jwk.decode(key.n, 'n').length * 8
  if (bits < minRsaBits)
    throw new UnsupportedAlgorithmError(`RSA keys below ${minRsaBits} bits are refused`)
  const pss = algorithm === 'rsa-pss-sha512'
  const params = pss
    ? { name: 'RSA-PSS', hash: 'SHA-512' }
    : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
  const publicKey = await crypto.subtle.importKey(
    'jwk',
    { kty: 'RSA', n: key.n, e: key.e },
    params,
    false,
    ['verify'],
  )
  const verifyParams = pss ? { name: 'RSA-PSS', saltLength: 64 } : { name: 'RSASSA-PKCS1-v1_5' }
  return crypto.subtle.verify(
    verifyParams,
    publicKey,
    new Uint8Array(signature),
    new Uint8Array(message),
  )
}

/**
 * Raised when a signature's algorithm is not one this package verifies with, is not
 * determined, or disagrees with the key.
 *
 * @example
 * ```ts
 * import { Algorithm } from '@paywire/agent-identity'
 * try { Algorithm.resolve({ kty: 'OKP', crv: 'Ed25519', x: 'a' }, 'hmac-sha256') } catch (error) {
 *   if (error instanceof Algorithm.UnsupportedAlgorithmError) console.log(error.code)
 * }
 * ```
 */
export class UnsupportedAlgorithmError extends AgentError {
  override readonly name = 'Algorithm.UnsupportedAlgorithmError'
  readonly code = 'ERR_AGENT_ALGORITHM'
  readonly slug = 'invalid-signature'
}
