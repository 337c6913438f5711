// The Node `http` binding: serves the discovery document at /openapi.json. Translation only.
import type { IncomingMessage, ServerResponse } from 'node:http'
import * as Discovery from '../Discovery.js'

/**
 * Middleware (and request listener) that answers `GET` and `HEAD /openapi.json` with the
 * document and passes every other request to `next` (404 when there is none).
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { discovery } from '@paywire/discovery/node'
 * declare const document: import('@paywire/discovery').Discovery.Document
 * const serve = discovery(document)
 * createServer((req, res) => serve(req, res, () => res.end('other routes')))
 * ```
 */
export function discovery(document: Discovery.Document): Middleware {
  const body = JSON.stringify(Discovery.parse(document))
  return (req, res, next) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname
    if (pathname === Discovery.path && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { ...Discovery.headers, 'content-length': Buffer.byteLength(body) })
      res.end(req.method === 'HEAD' ? undefined : body)
      return
    }
    if (next !== undefined) return next()
    res.writeHead(404).end()
  }
}

/**
 * A Node middleware: `next` is called for requests it does not answer.
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import type { Middleware } from '@paywire/discovery/node'
 * declare const serve: Middleware
 * createServer((req, res) => serve(req, res))
 * ```
 */
export type Middleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: ((error?: unknown) => void) | undefined,
) => void
