// The Express 5 binding: the Node middleware, plus the payment in `res.locals.payment`.
// Translation only; the decisions are the fetch core's.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Paywire, Route } from '../Paywire.js'
import * as Node from './node.js'

/**
 * Express middleware that lets only paid requests through. Mount it on the route, before
 * any body parser, or keep the raw bytes in `req.rawBody` when a parser runs first
 * (`express.json({ verify: (req, _res, buf) => { req.rawBody = buf } })`): the challenge's
 * digest covers the exact bytes. Without either, the request fails closed: the
 * `ConfigurationError` is logged (the `logger` given to `Paywire.create`) and passed to
 * `next(error)`, so Express's error handling answers (500) and shows it. The
 * body paywire read is left in `req.body` as a Buffer. The payment is in
 * `res.locals.payment` and, typed, from {@link payment}; the receipt is added to 2xx
 * responses only.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { payment, paywall } from '@paywire/server/express'
 * declare const paywire: import('@paywire/server').Paywire.Paywire
 * const app = express()
 * app.get('/paid', paywall(paywire, { price: { amount: '1000' } }), (req, res) => {
 *   res.json({ paidBy: payment(req)?.source })
 * })
 * ```
 */
export function paywall(
  paywire: Paywire,
  route: Route,
): (
  req: IncomingMessage,
  res: ServerResponse & { locals?: Record<string, unknown> },
  next: (error?: unknown) => void,
) => void {
  const middleware = Node.paywall(paywire, route, { misconfigured: 'next' })
  return (req, res, next) =>
    middleware(req, res, (error) => {
      if (error === undefined && res.locals !== undefined) res.locals.payment = Node.payment(req)
      next(error)
    })
}

export { payment } from './node.js'
