// Checks of the transport (draft-httpauth-payment §11.2 "Transport Security";
// draft-payment-intent-charge §8.5): the TLS version an https target negotiates. A
// plain-HTTP target (a local test run) claims no TLS, and these checks are n/a for it.
import { connect } from 'node:tls'
import { type Check, define, Failure } from '../Check.js'

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
]

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
