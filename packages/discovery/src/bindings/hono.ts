// The Hono binding: serves the discovery document at /openapi.json. Translation only.
import type { MiddlewareHandler } from 'hono'
import * as Discovery from '../Discovery.js'

/**
 * Hono middleware answering `GET /openapi.json` (and `HEAD`) with the document; other
 * requests go on to the next handler.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { discovery } from '@paywire/discovery/hono'
 * declare const document: import('@paywire/discovery').Discovery.Document
 * const app = new Hono()
 * app.use(discovery(document))
 * ```
 */
export function discovery(document: Discovery.Document): MiddlewareHandler {
  const checked = Discovery.parse(document)
  return async (c, next) => {
    if (c.req.path !== Discovery.path || (c.req.method !== 'GET' && c.req.method !== 'HEAD'))
      return next()
    return Discovery.response(checked, { head: c.req.method === 'HEAD' })
  }
}
