// The Fastify binding: serves the discovery document at /openapi.json. Translation only.
import type { FastifyInstance } from 'fastify'
import * as Discovery from '../Discovery.js'

/**
 * A Fastify plugin adding `GET /openapi.json` (Fastify answers `HEAD` for it too).
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { discovery } from '@paywire/discovery/fastify'
 * declare const document: import('@paywire/discovery').Discovery.Document
 * const app = Fastify()
 * await app.register(discovery(document))
 * ```
 */
export function discovery(document: Discovery.Document): (app: FastifyInstance) => Promise<void> {
  const body = JSON.stringify(Discovery.parse(document))
  return async (app) => {
    app.get(Discovery.path, async (_request, reply) => reply.headers(Discovery.headers).send(body))
  }
}
