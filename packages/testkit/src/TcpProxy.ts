// A TCP proxy on 127.0.0.1 in front of a real backend, for injecting the outages a real
// server cannot produce on demand: `cut()` drops every connection and refuses new ones,
// `stall()` keeps connections open but forwards nothing (a hung backend), `restore()`
// brings the service back on the same port.
import { createConnection, createServer, type Socket } from 'node:net'

/**
 * Starts a proxy to `target`; the returned `port` is what clients connect to.
 *
 * @example
 * ```ts
 * import { TcpProxy } from '@paywire/testkit'
 * const proxy = await TcpProxy.start({ host: '127.0.0.1', port: 6379 })
 * // point a client at 127.0.0.1:${proxy.port}, then:
 * await proxy.cut() // the backend is unreachable
 * await proxy.restore() // and back
 * await proxy.close()
 * ```
 */
export async function start(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  let stalled = false
  const server = createServer((client) => {
    const upstream = createConnection(target)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => socket.destroy())
      socket.on('close', () => {
        sockets.delete(socket)
        client.destroy()
        upstream.destroy()
      })
    }
    client.on('data', (chunk) => {
      if (!stalled) upstream.write(chunk)
    })
    upstream.on('data', (chunk) => {
      if (!stalled) client.write(chunk)
    })
  })
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        const address = server.address()
        resolve(typeof address === 'object' && address !== null ? address.port : 0)
      })
    })
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      if (!server.listening) return resolve()
      server.close(() => resolve())
    })
  const port = await listen(0)
  return {
    port,
    cut: stop,
    stall() {
      stalled = true
    },
    async restore() {
      stalled = false
      if (!server.listening) await listen(port)
    },
    close: stop,
  }
}

/** A running proxy. */
export type TcpProxy = {
  /** The port the proxy listens on. */
  port: number
  /** Drops every connection and stops listening: connections are refused. */
  cut(): Promise<void>
  /** Keeps connections open but forwards nothing, in either direction. */
  stall(): void
  /** Forwards again, listening on the same port. */
  restore(): Promise<void>
  /** Stops the proxy and drops its connections. */
  close(): Promise<void>
}
