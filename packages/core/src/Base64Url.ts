// base64url without padding (RFC 4648 §5), as every Payment header value uses it
// (draft-httpauth-payment §"Credentials"). Decoding is strict: only the 64-letter
// alphabet, no padding, no whitespace, and no non-zero bits left over.
import { BaseError } from './Errors.js'

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const values = new Int16Array(128).fill(-1)
for (let i = 0; i < alphabet.length; i++) values[alphabet.charCodeAt(i)] = i

const encoder = new TextEncoder()
// `ignoreBOM`: a leading U+FEFF is kept, never silently dropped: the decoded text is exactly
// what the bytes say (a JSON text starting with it is then refused, RFC 8259 §8.1).
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
/** Only alphabet letters: what every strict input is made of. */
const strict = /^[A-Za-z0-9_-]*$/
/**
 * Node's Buffer where the runtime has one: native base64url, several times faster than
 * the portable loops below (see bench/README.md). Inputs are checked strictly before it
 * decodes them, so its leniency never shows; browsers and workers use the loops.
 */
const native = (globalThis as { Buffer?: NativeBuffer }).Buffer
type NativeBuffer = {
  from(
    input: string,
    encoding: 'base64url' | 'utf8',
  ): Uint8Array & { toString(encoding: 'base64url'): string }
  from(
    input: ArrayBufferLike,
    offset: number,
    length: number,
  ): { toString(encoding: 'base64url'): string }
}

/**
 * Encodes bytes, or the UTF-8 of a string, as base64url without padding.
 *
 * @example
 * ```ts
 * import { Base64Url } from '@paywire/core'
 * Base64Url.encode('hi?') // 'aGk_'
 * ```
 */
export function encode(input: Uint8Array | string): string {
  if (native !== undefined)
    return typeof input === 'string'
      ? native.from(input, 'utf8').toString('base64url')
      : native.from(input.buffer, input.byteOffset, input.byteLength).toString('base64url')
  const bytes = typeof input === 'string' ? encoder.encode(input) : input
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n =
      ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number)
    out +=
      alphabet.charAt(n >> 18) +
      alphabet.charAt((n >> 12) & 63) +
      alphabet.charAt((n >> 6) & 63) +
      alphabet.charAt(n & 63)
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = (bytes[i] as number) << 16
    out += alphabet.charAt(n >> 18) + alphabet.charAt((n >> 12) & 63)
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8)
    out +=
      alphabet.charAt(n >> 18) + alphabet.charAt((n >> 12) & 63) + alphabet.charAt((n >> 6) & 63)
  }
  return out
}

// @enforces core.challenge.request.no-padding
/**
 * Decodes strict base64url without padding into bytes.
 *
 * @throws {InvalidBase64UrlError} on padding, `+`, `/`, whitespace, a length of 4n+1,
 *   or non-zero trailing bits (a non-canonical encoding).
 * @example
 * ```ts
 * import { Base64Url } from '@paywire/core'
 * Base64Url.decode('aGk_') // Uint8Array [104, 105, 63]
 * ```
 */
export function decode(input: string): Uint8Array {
  const length = input.length
  if (length % 4 === 1)
    throw new InvalidBase64UrlError(`a length of ${length} is not a valid base64url length`)
  if (native !== undefined && strict.test(input) && canonicalTail(input)) {
    // A copy: small Buffers are views into a shared pool, which callers must never see.
    return new Uint8Array(native.from(input, 'base64url'))
  }
  // The portable decoder, which also names the first fault of an invalid input.
  const out = new Uint8Array(Math.floor((length * 3) / 4))
  let o = 0
  let i = 0
  for (; i + 3 < length; i += 4) {
    const n =
      (sextet(input, i) << 18) |
      (sextet(input, i + 1) << 12) |
      (sextet(input, i + 2) << 6) |
      sextet(input, i + 3)
    out[o++] = n >> 16
    out[o++] = (n >> 8) & 255
    out[o++] = n & 255
  }
  const rest = length - i
  if (rest === 2) {
    const a = sextet(input, i)
    const b = sextet(input, i + 1)
    if ((b & 15) !== 0)
      throw new InvalidBase64UrlError('non-zero trailing bits (non-canonical encoding)')
    out[o++] = (a << 2) | (b >> 4)
  } else if (rest === 3) {
    const a = sextet(input, i)
    const b = sextet(input, i + 1)
    const c = sextet(input, i + 2)
    if ((c & 3) !== 0)
      throw new InvalidBase64UrlError('non-zero trailing bits (non-canonical encoding)')
    out[o++] = (a << 2) | (b >> 4)
    out[o++] = ((b & 15) << 4) | (c >> 2)
  }
  return out
}

/**
 * Decodes strict base64url into a UTF-8 string.
 *
 * @throws {InvalidBase64UrlError} on a bad encoding or bytes that are not UTF-8.
 * @example
 * ```ts
 * import { Base64Url } from '@paywire/core'
 * Base64Url.decodeString('aGk_') // 'hi?'
 * ```
 */
export function decodeString(input: string): string {
  const bytes = decode(input)
  try {
    return decoder.decode(bytes)
  } catch (cause) {
    throw new InvalidBase64UrlError('decoded bytes are not valid UTF-8', { cause })
  }
}

/**
 * Whether a string is strict base64url without padding (non-empty, canonical).
 *
 * @example
 * ```ts
 * import { Base64Url } from '@paywire/core'
 * Base64Url.validate('aGk_') // true
 * Base64Url.validate('aGk/') // false
 * ```
 */
export function validate(input: string): boolean {
  // The same rules as `decode`, checked without decoding: the alphabet, the length, and
  // zero bits left over in the last letter.
  return input.length > 0 && input.length % 4 !== 1 && strict.test(input) && canonicalTail(input)
}

/** Whether the last letter of an alphabet-only input of a valid length leaves no bits over. */
function canonicalTail(input: string): boolean {
  const rest = input.length % 4
  if (rest === 0) return true
  const last = values[input.charCodeAt(input.length - 1)] as number
  return rest === 2 ? (last & 15) === 0 : (last & 3) === 0
}

function sextet(input: string, index: number): number {
  const code = input.charCodeAt(index)
  const value = code < 128 ? (values[code] as number) : -1
  if (value < 0) {
    const shown =
      code === 61
        ? "padding '='"
        : code < 33 || code > 126
          ? `character U+${code.toString(16).padStart(4, '0')}`
          : `'${input[index]}'`
    throw new InvalidBase64UrlError(`${shown} at offset ${index} is not in the base64url alphabet`)
  }
  return value
}

/** Raised when a value is not strict, unpadded base64url. */
export class InvalidBase64UrlError extends BaseError {
  override readonly name = 'Base64Url.InvalidBase64UrlError'
  readonly code = 'ERR_BASE64URL_INVALID'
  readonly problem = 'malformed-credential' as const
}
