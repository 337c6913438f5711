// A loopback HTTP server for tests: serves an agent's key directory and card, and on
// other paths the faults a verifier must refuse (an oversized body, no answer at all, a
// redirect to another host, a non-200 status).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Directory, type Jwk } from '../index.js'

export type DirectoryServer = {
  origin: string
  /** The well-known directory URL. */
  url: string
  /** Replaces the published keys (a rotation). */
  publish(keys: readonly Jwk.Private[]): void
  /** How many directory requests were served. */
  hits(): number
  close(): Promise<void>
}

export async function start(
  keys: readonly Jwk.Private[],
  options: { maxAge?: number } = {},
): Promise<DirectoryServer> {
  let published = Directory.from(keys)
  let hits = 0
  const hanging = new Set<() => void>()
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '/'
    if (path.startsWith(Directory.wellKnownPath)) {
      hits += 1
      response.writeHead(200, {
        'content-type': Directory.mediaType,
        'cache-control': `max-age=${options.maxAge ?? 300}`,
      })
      response.end(JSON.stringify(published))
    } else if (path === '/large') {
      response.writeHead(200, { 'content-type': Directory.mediaType })
      response.end(JSON.stringify({ keys: [], padding: 'x'.repeat(200_000) }))
    } else if (path === '/large-chunked') {
      response.writeHead(200, { 'content-type': Directory.mediaType })
      for (let i = 0; i < 50; i++) response.write(' '.repeat(10_000))
      response.end('{"keys":[]}')
    } else if (path === '/slow') {
      hanging.add(() => response.destroy())
    } else if (path === '/redirect') {
      response.writeHead(302, { location: `https://elsewhere.example${Directory.wellKnownPath}` })
      response.end()
    } else {
      response.writeHead(404)
      response.end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    url: `${origin}${Directory.wellKnownPath}`,
    publish(next) {
      published = Directory.from(next)
    },
    hits: () => hits,
    async close() {
      for (const release of hanging) release()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
