// The Node binding's reading of the transport: what counts as TLS.
import { IncomingMessage } from 'node:http'
import { Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { makePaywire } from '../test/payer.js'
import { toRequest } from './node.js'

/** A request as Node would hand it over a socket that negotiated `protocol` (or none). */
function incoming(protocol: string | null, encrypted = true): IncomingMessage {
  const socket = Object.assign(new Socket(), { encrypted, getProtocol: () => protocol })
  const req = new IncomingMessage(socket)
  req.method = 'GET'
  req.url = '/paid'
  req.headers = { host: 'api.example.com' }
  req.rawHeaders = ['Host', 'api.example.com']
  return req
}

describe('node binding transport', () => {
  it('treats TLS 1.2 and 1.3 as HTTPS, and older protocols as plain HTTP {core.tls.version, charge.tls}', () => {
    expect(toRequest(incoming('TLSv1.3')).url).toBe('https://api.example.com/paid')
    expect(toRequest(incoming('TLSv1.2')).url).toBe('https://api.example.com/paid')
    for (const old of ['TLSv1.1', 'TLSv1', 'SSLv3', null])
      expect(toRequest(incoming(old)).url).toBe('http://api.example.com/paid')
    expect(toRequest(incoming(null, false)).url).toBe('http://api.example.com/paid')
  })

  it('issues no challenge over TLS older than 1.2 {core.tls.version, core.tls.server-no-plaintext}', async () => {
    const paywire = makePaywire()
    const handler = paywire.protect({ price: { amount: '1000' } }, () => new Response('paid'))
    const modern = await handler(toRequest(incoming('TLSv1.3')))
    expect(modern.status).toBe(402)
    const old = await handler(toRequest(incoming('TLSv1.1')))
    expect(old.status).toBe(403)
    expect(old.headers.get('www-authenticate')).toBeNull()
  })

  it('never assumes a loopback host for a request that names none', () => {
    const req = incoming(null, false)
    req.headers = {}
    req.rawHeaders = []
    expect(new URL(toRequest(req).url).hostname).toBe('host.invalid')
  })
})
