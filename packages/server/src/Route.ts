// The route a challenge is bound to: request method, path and query, as the WHATWG URL
// parser serializes them. A challenge carries it in `opaque` (bound by the HMAC), so a
// credential bought for `GET /a` or `?tier=basic` is refused on `/b` or `?tier=pro`
// (draft-httpauth-payment §"Challenge Binding").

/**
 * The canonical route of a request: `METHOD /path?query`. The path and query are taken
 * exactly as the URL parser serializes them (no decoding, no reordering), so two
 * requests share a route only when a client sends the same target.
 *
 * @example
 * ```ts
 * import { Route } from '@paywire/server'
 * Route.key(new Request('https://api.example.com/paid?tier=pro')) // 'GET /paid?tier=pro'
 * ```
 */
export function key(request: Pick<Request, 'method' | 'url'>): string {
  const url = new URL(request.url)
  return `${request.method.toUpperCase()} ${url.pathname}${url.search}`
}

/**
 * Whether an HTTP method is not idempotent by RFC 9110 or is one the core draft names
 * for `Idempotency-Key` (POST, PUT, PATCH, DELETE).
 *
 * @example
 * ```ts
 * import { Route } from '@paywire/server'
 * Route.acceptsIdempotencyKey('POST') // true
 * Route.acceptsIdempotencyKey('GET') // false
 * ```
 */
export function acceptsIdempotencyKey(method: string): boolean {
  return ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method.toUpperCase())
}
