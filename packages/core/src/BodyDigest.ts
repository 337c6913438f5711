// Binding a challenge to the request body: the `digest` parameter carries an RFC 9530
// content digest (`sha-256=:<base64>:`), recomputed and compared by the server
// (draft-httpauth-payment §"Request Body Digest Binding").
import * as ConstantTime from './ConstantTime.js'
import { BaseError } from './Errors.js'
import * as Hashing from './internal/hashing.js'

/**
 * Digest algorithms paywire computes and verifies (RFC 9530 registry names): node:crypto
 * on Node, @noble/hashes elsewhere, with the same output.
 */
export const algorithms: Readonly<
  Record<'sha-256' | 'sha-512', (bytes: Uint8Array) => Uint8Array>
> = { 'sha-256': Hashing.selected.sha256, 'sha-512': Hashing.selected.sha512 }

/** A supported digest algorithm. */
export type Algorithm = keyof typeof algorithms

/** One member of a digest field: algorithm name and digest bytes. */
export type Entry = { algorithm: string; digest: Uint8Array }

const encoder = new TextEncoder()

/**
 * Computes the digest field value of a body.
 *
 * @example
 * ```ts
 * import { BodyDigest } from '@paywire/core'
 * BodyDigest.compute('{"hello": "world"}') // 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:'
 * ```
 */
export function compute(body: Uint8Array | string, algorithm: Algorithm = 'sha-256'): string {
  const bytes = typeof body === 'string' ? encoder.encode(body) : body
  return `${algorithm}=:${toBase64(algorithms[algorithm](bytes))}:`
}

/**
 * Parses a digest field value (an RFC 8941 dictionary of byte sequences, without
 * parameters), e.g. `sha-256=:...:, sha-512=:...:`.
 *
 * @throws {InvalidDigestError}
 * @example
 * ```ts
 * import { BodyDigest } from '@paywire/core'
 * BodyDigest.parse('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:')[0]?.algorithm // 'sha-256'
 * ```
 */
export function parse(value: string): Entry[] {
  if (value.length > 4096) throw new InvalidDigestError('digest value exceeds 4096 characters')
  const entries: Entry[] = []
  for (const member of value.split(',')) {
    const match = /^[ \t]*([a-z][a-z0-9_.*-]*)=:([A-Za-z0-9+/]*={0,2}):[ \t]*$/.exec(member)
    if (!match)
      throw new InvalidDigestError('digest must be a list of `algorithm=:base64:` members')
    const [, algorithm, encoded] = match as unknown as [string, string, string]
    if (entries.some((entry) => entry.algorithm === algorithm))
      throw new InvalidDigestError(`digest names ${algorithm} twice`)
    entries.push({ algorithm, digest: fromBase64(encoded) })
  }
  return entries
}

/**
 * Whether a body matches a digest value. At least one supported algorithm must be
 * present, and every supported algorithm present must match (compared in constant time).
 *
 * @throws {InvalidDigestError} if the value cannot be parsed.
 * @example
 * ```ts
 * import { BodyDigest } from '@paywire/core'
 * BodyDigest.verify(BodyDigest.compute('a'), 'a') // true
 * BodyDigest.verify(BodyDigest.compute('a'), 'b') // false
 * ```
 */
export function verify(value: string, body: Uint8Array | string): boolean {
  const bytes = typeof body === 'string' ? encoder.encode(body) : body
  let checked = 0
  for (const { algorithm, digest } of parse(value)) {
    if (!Object.hasOwn(algorithms, algorithm)) continue
    checked++
    if (!ConstantTime.equalBytes(algorithms[algorithm as Algorithm](bytes), digest)) return false
  }
  return checked > 0
}

function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

function fromBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new InvalidDigestError('digest bytes are not padded base64')
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/** Raised when a digest value cannot be parsed. */
export class InvalidDigestError extends BaseError {
  override readonly name = 'BodyDigest.InvalidDigestError'
  readonly code = 'ERR_DIGEST_INVALID'
  readonly problem = 'malformed-credential' as const
}
