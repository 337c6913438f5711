// The Express binding: serves the discovery document at /openapi.json. Translation only.
import type { RequestHandler } from 'express'
import * as Discovery from '../Discovery.js'

/**
 * Express middleware answering `GET /openapi.json` (and `HEAD`) with the document; other
 * requests go on to the next handler.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { discovery } from '@paywire/discovery/express'
 * declare const document: import('@paywire/discovery').Discovery.Document
 * const app = express()
 * app.use(discovery(document))
 * ```
 */
export function discovery(document: Discovery.Document): RequestHandler {
  const body = JSON.stringify(Discovery.parse(document))
  return (req, res, next) => {
    if (req.path !== Discovery.path || (req.method !== 'GET' && req.method !== 'HEAD'))
      return next()
    res.status(200).set(Discovery.headers).send(body)
  }
}
