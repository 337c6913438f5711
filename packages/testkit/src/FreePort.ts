// Local ports for tests that run real servers: listen on 127.0.0.1 port 0 and let the
// operating system choose, so parallel test files never collide.
import type { Server } from 'node:http'
import { createServer } from 'node:net'

/**
 * Starts a Node server on 127.0.0.1 with a port the system picks; resolves its base URL
 * and a `close` that also ends idle keep-alive connections.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { FreePort } from '@paywire/testkit'
 * const { url, close } = await FreePort.listen(createServer((req, res) => res.end('ok')))
 * await fetch(url)
 * await close()
 * ```
 */
export function listen(server: Server): Promise<listen.ReturnType> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      if (address === null || typeof address === 'string') {
        reject(new Error('server has no TCP address'))
        return
      }
      resolve({
        port: address.port,
        url: `http://127.0.0.1:${address.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
  })
}

export declare namespace listen {
  type ReturnType = { port: number; url: string; close(): Promise<void> }
}

/**
 * A port that was free on 127.0.0.1 a moment ago (for processes you spawn, which must
 * be told a port). Prefer {@link listen} for servers in the test's own process.
 *
 * @example
 * ```ts
 * import { FreePort } from '@paywire/testkit'
 * const port = await FreePort.get()
 * ```
 */
export function get(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = address !== null && typeof address === 'object' ? address.port : 0
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))))
    })
  })
}
