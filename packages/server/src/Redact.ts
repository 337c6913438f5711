// Redaction for logs and traces: Payment credentials are bearer tokens and receipts are
// sensitive (draft-httpauth-payment §"Credential Handling", §"Credential Storage").
// paywire never logs them; these helpers keep users' own logging just as careful.

// @enforces core.storage.sensitive-headers, core.credential.sensitive, core.storage.credential-headers
/** Header names whose values are never written out in full. */
export const sensitiveHeaders = [
  'authorization',
  // Carries the credential when a challenge selects it (draft-httpauth-payment-01).
  'payment-authorization',
  'proxy-authorization',
  'payment-receipt',
  'cookie',
  'set-cookie',
] as const

/** What a redacted value is replaced with. */
export const marker = '[redacted]'

/**
 * Copies headers into a plain object with sensitive values redacted. For
 * `Authorization` and `Payment-Authorization`, the scheme stays readable
 * (`Payment [redacted]`).
 *
 * @example
 * ```ts
 * import { Redact } from '@paywire/server'
 * Redact.headers(new Headers({ authorization: 'Payment eyJ...', accept: 'application/json' }))
 * // { authorization: 'Payment [redacted]', accept: 'application/json' }
 * ```
 */
export function headers(
  input: Headers | Record<string, string | string[] | undefined>,
): Record<string, string> {
  const entries: Array<[string, string]> =
    input instanceof Headers
      ? [...input.entries()]
      : Object.entries(input).flatMap(([name, value]) =>
          value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value]],
        )
  const redacted: Record<string, string> = {}
  for (const [name, value] of entries) {
    const lower = name.toLowerCase()
    redacted[lower] = (sensitiveHeaders as readonly string[]).includes(lower)
      ? lower.endsWith('authorization')
        ? authorization(value)
        : marker
      : value
  }
  return redacted
}

/**
 * Redacts an `Authorization` value, keeping only its scheme(s).
 *
 * @example
 * ```ts
 * import { Redact } from '@paywire/server'
 * Redact.authorization('Payment eyJjaGFsbGVuZ2UiOnsi...') // 'Payment [redacted]'
 * ```
 */
export function authorization(value: string): string {
  const scheme = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}(?= )/.exec(value.trimStart())?.[0]
  return scheme === undefined ? marker : `${scheme} ${marker}`
}

/**
 * Replaces every Payment credential or receipt token found inside free text (an error
 * message, a URL, a serialized request) with the marker.
 *
 * @example
 * ```ts
 * import { Redact } from '@paywire/server'
 * Redact.text('failed: Authorization: Payment eyJhbGciOi...') // 'failed: Authorization: Payment [redacted]'
 * ```
 */
export function text(value: string): string {
  return value
    .replace(/(\bPayment\s+)[A-Za-z0-9_-]{8,}={0,2}/gi, `$1${marker}`)
    .replace(/(payment-receipt\s*[:=]\s*)[A-Za-z0-9_-]{8,}/gi, `$1${marker}`)
}
