// A loopback HTTP server for the session tests, routing by path to node listeners the test
// mounts once the port, and so the realm (`127.0.0.1:<port>`), is known.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { FreePort } from '@paywire/testkit'

/** A node listener, as `listener(paywire, route, handler)` from `@paywire/server/node` builds. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** Listens on a free port; paths without a handler in `handlers` get `fallbackStatus` (404). */
export async function listen(options: { fallbackStatus?: number } = {}) {
  const handlers: Record<string, Handler> = {}
  const server = createServer((req, res) => {
    const handler = handlers[new URL(req.url ?? '/', 'http://localhost').pathname]
    if (handler === undefined) res.writeHead(options.fallbackStatus ?? 404).end()
    else handler(req, res)
  })
  const { port, url, close } = await FreePort.listen(server)
  return {
    handlers,
    port,
    /** The server's base URL (no trailing slash). */
    baseUrl: url,
    close,
  }
}
