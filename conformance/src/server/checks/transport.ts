// Checks of the transport (draft-httpauth-payment §11.2 "Transport Security";
// draft-payment-intent-charge §8.5): the TLS version an https target negotiates, and no
// challenge over plain HTTP. A plain-HTTP target on loopback (a local test run) claims no
// TLS: the TLS checks are n/a for it, and it must still refuse to issue challenges to a
// request naming a public host over plain HTTP.
import { connect } from 'node:tls'
import { type Check, define, expectResponse, Failure } from '../Check.js'
import type * as Exchange from '../Exchange.js'

/** The public host a plain-HTTP probe of a loopback target names in `Host`. */
export const publicHost = 'paywire-conformance.example'

/** The checks of the transport. */
export const checks: Check[] = [
  define({
    id: 'server.tls.version',
    title: 'an https target negotiates TLS 1.2 or later',
    level: 'MUST',
    requirements: ['core.tls.version', 'core.tls.use', 'charge.tls'],
    needs: ['transport:https'],
    tags: ['transport'],
    async run(context) {
      const protocol = await negotiated(new URL(context.url), context.config.timeoutMs)
      if (protocol !== 'TLSv1.2' && protocol !== 'TLSv1.3')
        throw new Failure(`the target negotiated ${protocol ?? 'no TLS version'}`)
      return { message: `negotiated ${protocol}` }
    },
  }),
  define({
    id: 'server.tls.prefer-1-3',
    title: 'an https target negotiates TLS 1.3 when the client offers it',
    level: 'SHOULD',
    requirements: ['core.tls.recommended-1-3'],
    needs: ['transport:https'],
    tags: ['transport'],
    async run(context) {
      const protocol = await negotiated(new URL(context.url), context.config.timeoutMs)
      if (protocol !== 'TLSv1.3')
        throw new Failure(`the target negotiated ${protocol ?? 'nothing'}`)
      return { message: `negotiated ${protocol}` }
    },
  }),
  define({
    id: 'server.tls.no-plaintext',
    title: 'no Payment challenge is issued over plain HTTP (beyond a loopback development host)',
    level: 'MUST',
    requirements: ['core.tls.server-no-plaintext'],
    needs: [],
    tags: ['transport'],
    async run(context) {
      const target = new URL(context.url)
      const path = context.routes.paid.path
      let probe: Exchange.Exchange
      let where: string
      if (target.protocol === 'https:') {
        // The same host on the plain-HTTP port: no listener, a redirect or a refusal all pass.
        const plain = new URL(path, `http://${target.hostname}`)
        where = plain.href
        probe = await context.send({ method: 'GET', url: plain.href })
        if (probe.response === undefined)
          return { message: `nothing answers plain HTTP at ${where} (${probe.error})` }
      } else if (loopback(target.hostname)) {
        where = `${new URL(path, target).href} with Host: ${publicHost}`
        probe = await context.send(
          { method: 'GET', url: new URL(path, target).href, headers: { host: publicHost } },
          { verbatim: true },
        )
      } else {
        where = new URL(path, target).href
        probe = await context.send({ method: 'GET', url: where })
      }
      expectResponse(probe)
      if (
        probe.response.status === 402 &&
        /(^|,)\s*payment\s/i.test(probe.headers.get('www-authenticate') ?? '')
      )
        throw new Failure(`a Payment challenge was issued over plain HTTP (${where})`, probe)
      return { message: `plain HTTP (${where}) got ${probe.response.status} and no challenge` }
    },
  }),
]

/** Whether a host name is a loopback one (where plain HTTP serves development and tests). */
function loopback(hostname: string): boolean {
  const host = hostname.toLowerCase()
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  )
}

/** The TLS version the target negotiates with a client offering 1.2 and 1.3. */
function negotiated(url: URL, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    // Only the handshake is inspected and nothing is sent: certificates are not judged here.
    const socket = connect({
      host: url.hostname,
      port: Number(url.port || 443),
      servername: url.hostname,
      minVersion: 'TLSv1',
      rejectUnauthorized: false,
    })
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('TLS handshake timed out')))
    socket.once('secureConnect', () => {
      const protocol = socket.getProtocol()
      socket.end()
      resolve(protocol)
    })
    socket.once('error', (error) => reject(new Failure(`TLS handshake failed: ${error.message}`)))
  })
}
