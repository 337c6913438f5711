// `-v`: each hop's request and response headers on stderr, curl style (`> ` sent, `< `
// received). Credentials never appear: Authorization, Payment-Authorization and
// Proxy-Authorization keep only their scheme, cookies are hidden, and URLs lose their user info.

/** Headers whose values are secret: shown as `<scheme> [redacted]` or `[redacted]`. */
const secret = new Set([
  'authorization',
  'payment-authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
])

/**
 * A header value as `-v` shows it: credentials redacted.
 *
 * @example
 * ```ts
 * import { Transcript } from '@paywire/cli'
 * Transcript.redact('authorization', 'Payment eyJjaGFsbGVuZ2Ui...') // 'Payment [redacted]'
 * ```
 */
export function redact(name: string, value: string): string {
  const lower = name.toLowerCase()
  if (!secret.has(lower)) return value
  if (lower.endsWith('authorization')) {
    const scheme = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(?=\s)/.exec(value)?.[0]
    return scheme === undefined ? '[redacted]' : `${scheme} [redacted]`
  }
  return '[redacted]'
}

/**
 * The `> ` lines of a request about to be sent.
 *
 * @example
 * ```ts
 * import { Transcript } from '@paywire/cli'
 * const lines = Transcript.request('GET', new URL('http://127.0.0.1:8402/paid'), new Headers({ authorization: 'Payment abc' }))
 * // ['> GET /paid HTTP/1.1', '> Host: 127.0.0.1:8402', '> authorization: Payment [redacted]', '>']
 * ```
 */
export function request(method: string, url: URL, headers: Headers): string[] {
  const lines = [`> ${method} ${url.pathname}${url.search} HTTP/1.1`, `> Host: ${url.host}`]
  for (const [name, value] of headers) lines.push(`> ${name}: ${redact(name, value)}`)
  lines.push('>')
  return lines
}

/**
 * The `< ` lines of a response received.
 *
 * @example
 * ```ts
 * import { Transcript } from '@paywire/cli'
 * const lines = Transcript.response(new Response(null, { status: 402 }))
 * // ['< HTTP/1.1 402 ', '<']
 * ```
 */
export function response(received: Response): string[] {
  return [...statusAndHeaders(received).map((line) => `< ${line}`.trimEnd()), '<']
}

/**
 * The status line and headers of a response, as `-i` prints them (secrets redacted).
 *
 * @example
 * ```ts
 * import { Transcript } from '@paywire/cli'
 * Transcript.statusAndHeaders(new Response('ok', { status: 200, statusText: 'OK' })) // ['HTTP/1.1 200 OK', 'content-type: text/plain;charset=UTF-8']
 * ```
 */
export function statusAndHeaders(received: Response): string[] {
  const lines = [`HTTP/1.1 ${received.status} ${received.statusText}`]
  for (const [name, value] of received.headers) lines.push(`${name}: ${redact(name, value)}`)
  return lines
}
