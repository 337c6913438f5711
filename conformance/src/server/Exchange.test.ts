// Evidence never carries credential or receipt material, and keeps what a reader needs.
import { createServer } from 'node:http'
import { describe, expect, it } from 'vitest'
import * as Exchange from './Exchange.js'

describe('Exchange', () => {
  it('redacts Authorization to its scheme and length, and receipts to their length', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, {
        'payment-receipt': 'eyJzdGF0dXMiOiJzdWNjZXNzIn0',
        'cache-control': 'private',
      })
      res.end('x'.repeat(5000))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address() as { port: number }
    const token = 'eyJjaGFsbGVuZ2UiOnsiaWQiOiJhYmMifX0'
    const exchange = await Exchange.send(
      {
        method: 'GET',
        url: `http://127.0.0.1:${address.port}/paid`,
        headers: { Authorization: `Payment ${token}` },
      },
      { timeoutMs: 5000 },
    )
    server.close()
    const text = JSON.stringify(exchange.evidence)
    expect(text).not.toContain(token)
    expect(text).not.toContain('eyJzdGF0dXMiOiJzdWNjZXNzIn0')
    expect(exchange.evidence.request.headers.authorization).toBe(
      `Payment [redacted: ${token.length} characters]`,
    )
    expect(exchange.evidence.response?.headers['payment-receipt']).toBe('[redacted: 27 characters]')
    expect(exchange.evidence.response?.headers['cache-control']).toBe('private')
    expect(exchange.evidence.response?.body.length).toBeLessThan(2100)
    expect(exchange.body).toHaveLength(5000)
  })

  it('records why no response arrived', async () => {
    const exchange = await Exchange.send(
      { method: 'GET', url: 'http://127.0.0.1:1/' },
      { timeoutMs: 2000 },
    )
    expect(exchange.response).toBeUndefined()
    expect(exchange.evidence.error).toMatch(/fetch failed|ECONNREFUSED/)
  })

  it('redacts a non-Payment Authorization and cookies entirely', () => {
    expect(Exchange.redactRequestHeaders({ authorization: 'secret-token', Cookie: 'a=b' })).toEqual(
      {
        authorization: '[redacted: 12 characters]',
        cookie: '[redacted: 3 characters]',
      },
    )
  })

  it('sends Host as given with fetchVerbatim (the platform fetch replaces it)', async () => {
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end(req.headers.host)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address() as { port: number }
    const request = {
      method: 'GET',
      url: `http://127.0.0.1:${address.port}/paid`,
      headers: { host: 'api.example.com' },
    }
    const verbatim = await Exchange.send(request, {
      timeoutMs: 5000,
      fetch: Exchange.fetchVerbatim,
    })
    const platform = await Exchange.send(request, { timeoutMs: 5000 })
    server.close()
    expect(verbatim.response?.status).toBe(200)
    expect(verbatim.body).toBe('api.example.com')
    expect(platform.body).toBe(`127.0.0.1:${address.port}`)
  })
})
