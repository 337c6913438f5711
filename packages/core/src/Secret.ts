// The server secret that binds challenge ids (draft-httpauth-payment §"Challenge-Binding
// Secret Management"): at least 32 bytes, never a well-known placeholder, never logged.
import { BaseError } from './Errors.js'

/** Fewest bytes a binding secret may have. */
export const minBytes = 32

/** Placeholders that appear in examples and must never protect real money. */
const placeholders = [
  'changeme',
  'secret',
  'password',
  'test',
  'example',
  'your-secret-key',
  'paywire',
]

/** A binding secret, as bytes. */
export type Secret = Uint8Array

/**
 * Reads a binding secret from a string (its UTF-8 bytes) or bytes, refusing short,
 * constant or placeholder values.
 *
 * @throws {InvalidSecretError} (the message never contains the secret).
 * @example
 * ```ts
 * import { Secret } from '@paywire/core'
 * const secret = Secret.from(process.env.PAYWIRE_SECRET_KEY ?? Secret.generate())
 * ```
 */
export function from(input: string | Uint8Array): Secret {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : Uint8Array.from(input)
  if (bytes.length < minBytes)
    throw new InvalidSecretError(
      `secret has ${bytes.length} bytes; at least ${minBytes} are required`,
    )
  if (bytes.every((byte) => byte === bytes[0]))
    throw new InvalidSecretError(
      'secret is one byte repeated; use a random value (Secret.generate())',
    )
  if (typeof input === 'string') {
    const lowered = input.toLowerCase()
    if (placeholders.some((word) => lowered.replaceAll(word, '').length === 0))
      throw new InvalidSecretError(
        'secret is a well-known placeholder; use a random value (Secret.generate())',
      )
  }
  return bytes
}

/**
 * Generates a random secret (32 bytes from the platform's CSPRNG), as base64url text
 * suitable for an environment variable.
 *
 * @example
 * ```ts
 * import { Secret } from '@paywire/core'
 * const text = Secret.generate() // 43 characters
 * ```
 */
export function generate(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

/** Raised when a binding secret is unfit. A configuration error: it maps to no problem type. */
export class InvalidSecretError extends BaseError {
  override readonly name = 'Secret.InvalidSecretError'
  readonly code = 'ERR_SECRET_INVALID'
  readonly problem = undefined
}
