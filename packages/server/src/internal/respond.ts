// The responses paywire itself writes (draft-httpauth-payment §"Status Codes", §"Error
// Handling", §"Caching"): 402 with one `WWW-Authenticate` line per challenge,
// `Cache-Control: no-store` and an RFC 9457 body; other refusals without a challenge;
// receipts only on 2xx, with `Cache-Control: private`.
import { Challenge, Problem, Receipt } from '@paywire/core'
import type { Result } from '../Paywire.js'

const challengeLines = new WeakMap<Response, readonly string[]>()

// @enforces core.402.challenge-required, core.cache.no-store
/** @internal 402 with fresh challenges and a problem body. */
export function paymentRequired(
  challenges: readonly Challenge.Challenge[],
  problem: Problem.Problem,
  retryAfter?: number | undefined,
): Response {
  const lines = challenges.map((challenge) => Challenge.serialize(challenge))
  const headers = new Headers({
    'cache-control': 'no-store',
    'content-type': Problem.contentType,
  })
  if (retryAfter !== undefined) headers.set('retry-after', String(retryAfter))
  // Headers joins appended values with ", " (a valid challenge list per RFC 9110 §11.6.1);
  // bindings that write to a socket read the separate lines back with `headerLines`.
  for (const line of lines) headers.append('www-authenticate', line)
  const first = challenges[0]
  const body = { ...problem, status: 402, ...(first ? { challengeId: first.id } : {}) }
  const response = new Response(JSON.stringify(body), { status: 402, headers })
  challengeLines.set(response, lines)
  return response
}

/** @internal A refusal without a challenge (400, 403, 409, 413, 422, 500, 503). */
export function refusal(
  status: number,
  problem: Problem.Problem,
  options: { retryAfter?: number | undefined } = {},
): Response {
  const headers = new Headers({
    'cache-control': 'no-store',
    'content-type': Problem.contentType,
  })
  if (options.retryAfter !== undefined) headers.set('retry-after', String(options.retryAfter))
  return new Response(JSON.stringify({ ...problem, status }), { status, headers })
}

/** @internal A problem body for a status the Payment registry has no type for. */
export function plainProblem(status: number, title: string, detail: string): Problem.Problem {
  return { type: 'about:blank', title, status, detail }
}

// @enforces core.status.success
/**
 * @internal Wraps a handler's response with a receipt: `Payment-Receipt` and a
 * `Cache-Control` that includes `private`. The body is passed through (streams stay streams).
 */
export function withReceipt(
  response: Response,
  receipt: Receipt.Receipt,
  body: BodyInit | null = response.body,
): Response {
  const headers = new Headers(response.headers)
  for (const [name, value] of Object.entries(receiptHeaders(receipt, headers.get('cache-control'))))
    headers.set(name, value)
  return new Response(body, { status: response.status, statusText: response.statusText, headers })
}

/** @internal The headers a receipt-bearing response carries. */
export function receiptHeaders(
  receipt: Receipt.Receipt,
  cacheControl: string | null | undefined,
): Record<string, string> {
  return {
    [Receipt.headerName]: Receipt.serialize(receipt),
    'cache-control': privateCacheControl(cacheControl),
  }
}

// @enforces core.cache.receipt-private
/**
 * @internal A `Cache-Control` value that keeps the handler's directives but can never be
 * stored by a shared cache: `private` added, `public` and `s-maxage` removed.
 */
export function privateCacheControl(existing: string | null | undefined): string {
  const kept = (existing ?? '')
    .split(',')
    .map((directive) => directive.trim())
    .filter((directive) => {
      const name = directive.split('=')[0]?.trim().toLowerCase() ?? ''
      return name !== '' && name !== 'public' && name !== 's-maxage' && name !== 'private'
    })
  return ['private', ...kept].join(', ')
}

/**
 * @internal Every header of a response as separate field lines: one line per challenge
 * for a 402 paywire built, one per cookie for `Set-Cookie`.
 */
export function headerLines(response: Response): Array<[string, string]> {
  const lines: Array<[string, string]> = []
  const challenges = challengeLines.get(response)
  let cookies = false
  for (const [name, value] of response.headers) {
    if (name === 'www-authenticate' && challenges !== undefined)
      for (const line of challenges) lines.push([name, line])
    else if (name === 'set-cookie') {
      // Some runtimes yield each cookie, others one joined value: read them once, apart.
      if (!cookies) for (const cookie of response.headers.getSetCookie()) lines.push([name, cookie])
      cookies = true
    } else lines.push([name, value])
  }
  return lines
}

/** @internal Whether a status is a success (2xx): the only responses that carry receipts. */
export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300
}

// @enforces core.cache.credential-elsewhere
/**
 * @internal A result whose every response can never be stored by a shared cache: the
 * answer to a request whose credential came in `Payment-Authorization`
 * (draft-httpauth-payment-01 §"Caching"). A response already `no-store` or `private` is
 * kept as is; any other gets `private` added (see {@link privateCacheControl}).
 */
export function keepPrivate(result: Result): Result {
  if (result.kind === 'response') return { ...result, response: privateResponse(result.response) }
  const { complete, receiptHeaders: headersFor } = result
  return {
    ...result,
    complete: async (response) => privateResponse(await complete(response)),
    receiptHeaders(status, cacheControl) {
      const headers = headersFor(status, cacheControl)
      if (headers['cache-control'] !== undefined || isPrivate(cacheControl)) return headers
      return { ...headers, 'cache-control': privateCacheControl(cacheControl) }
    },
  }
}

function privateResponse(response: Response): Response {
  const cacheControl = response.headers.get('cache-control')
  if (isPrivate(cacheControl)) return response
  const headers = new Headers(response.headers)
  headers.set('cache-control', privateCacheControl(cacheControl))
  const copy = new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  })
  const lines = challengeLines.get(response)
  if (lines !== undefined) challengeLines.set(copy, lines)
  return copy
}

function isPrivate(cacheControl: string | null | undefined): boolean {
  return (cacheControl ?? '').split(',').some((directive) => {
    // `private="field"` (qualified) keeps only those fields from shared caches: not enough.
    const name = directive.trim().toLowerCase()
    return name === 'private' || name === 'no-store'
  })
}
