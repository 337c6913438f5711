// The Hono binding: middleware over the fetch core. Translation only.
import type { MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { ConfigurationError, type Payment, type Paywire, type Route } from '../Paywire.js'

/** The context variables the middleware sets: `c.get('payment')`. */
export type Variables = { payment: Payment }

/**
 * Hono middleware that lets only paid requests through to the next handler, and adds
 * the receipt to its response (2xx only). Supports every route option, `settle:
 * 'after-success'` included. Mount it before anything that reads the body (validators,
 * `c.req.json()`): a body read first makes it log a `ConfigurationError` and throw an
 * `HTTPException` (500, problem body) carrying it to `app.onError`.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { paywall, type Variables } from '@paywire/server/hono'
 * declare const paywire: import('@paywire/server').Paywire.Paywire
 * const app = new Hono<{ Variables: Variables }>()
 * app.get('/paid', paywall(paywire, { price: { amount: '1000' } }), (c) =>
 *   c.json({ reference: c.get('payment').receipt?.reference }),
 * )
 * ```
 */
export function paywall(
  paywire: Paywire,
  route: Route,
): MiddlewareHandler<{ Variables: Variables }> {
  paywire.checkRoute(route)
  return async (c, next) => {
    if (c.req.raw.bodyUsed) {
      // A body read before paywire (a validator or `c.req.json()` ran first): the digest
      // cannot be checked. Logged, then thrown to Hono's error handling with the problem.
      const error = new ConfigurationError(
        'the request body was read before paywire: mount paywall before anything that reads the body',
      )
      throw new HTTPException(500, {
        res: paywire.fail(c.req.raw, error),
        message: error.message,
        cause: error,
      })
    }
    const result = await paywire.charge(c.req.raw, route)
    if (result.kind === 'response') return result.response
    c.req.raw = result.request
    c.set('payment', result.payment)
    await next()
    const completed = await result.complete(c.res)
    // Assigning over an existing response makes Hono copy its headers onto the new one,
    // which would undo `Cache-Control: private`: clear it first.
    c.res = undefined
    c.res = completed
  }
}
