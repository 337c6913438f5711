// Streamable HTTP over TLS on loopback: a self-signed certificate made with openssl for
// this run, a server that speaks HTTPS, and a fetch for the SDK client that trusts it.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export type Certificate = { key: string; cert: string }

/** A self-signed certificate for `localhost` and 127.0.0.1. */
export function certificate(): Certificate {
  const dir = mkdtempSync(join(tmpdir(), 'paywire-mcp-tls-'))
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { encoding: 'utf8' },
  )
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`)
  return {
    key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
  }
}

/** A fetch over node:https that trusts `ca` (the whole body is read before it resolves). */
export function fetchTrusting(ca: string): typeof fetch {
  return ((input: string | URL | Request, init: RequestInit = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : input)
      const headers = Object.fromEntries(new Headers(init.headers).entries())
      const outgoing = request(url, { method: init.method ?? 'GET', headers, ca }, (incoming) => {
        const chunks: Buffer[] = []
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
        incoming.on('end', () => {
          const responseHeaders = new Headers()
          for (const [name, value] of Object.entries(incoming.headers))
            if (value !== undefined)
              responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value)
          const status = incoming.statusCode ?? 500
          const body = status === 204 || status === 304 ? null : Buffer.concat(chunks)
          resolve(new Response(body, { status, headers: responseHeaders }))
        })
        incoming.on('error', reject)
      })
      outgoing.on('error', reject)
      init.signal?.addEventListener('abort', () => outgoing.destroy(new Error('aborted')))
      if (typeof init.body === 'string') outgoing.write(init.body)
      outgoing.end()
    })) as typeof fetch
}
