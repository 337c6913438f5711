// Discovery.fetch reads a document a remote party serves: it is data, fetched within bounds
// (issue 14): https only (plain http for loopback development hosts unless refused), no
// redirect to another origin, a bounded body and a bounded time. Served here by real local
// HTTP servers.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { FreePort } from '@paywire/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import * as Discovery from './Discovery.js'

const document = {
  openapi: '3.1.0',
  info: { title: 'Example API', version: '1.0.0' },
  'x-service-info': { categories: ['compute'] },
  paths: { '/a': { get: { responses: { '200': { description: 'ok' } } } } },
}

const closers: Array<() => Promise<void>> = []
afterAll(() => Promise.all(closers.map((close) => close())))

/** A local HTTP server answering every request with `answer`. */
async function serve(answer: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(answer)
  const { url, close } = await FreePort.listen(server)
  closers.push(async () => {
    server.closeAllConnections()
    await close()
  })
  return url
}

const json = (res: ServerResponse, body: string) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end(body)

describe('Discovery.fetch', () => {
  it('reads a document from a loopback origin over plain http', async () => {
    const origin = await serve((_req, res) => json(res, JSON.stringify(document)))
    await expect(Discovery.fetch(origin)).resolves.toMatchObject({ info: document.info })
  })

  it('refuses plain http to any other host, and loopback too with plaintext: refuse, without connecting', async () => {
    let requests = 0
    const origin = await serve((_req, res) => {
      requests++
      json(res, JSON.stringify(document))
    })
    await expect(Discovery.fetch('http://api.example.com')).rejects.toThrow(/https/)
    await expect(Discovery.fetch(origin, { plaintext: 'refuse' })).rejects.toThrow(
      Discovery.InvalidDocumentError,
    )
    expect(requests).toBe(0)
  })

  it('refuses a redirect to another origin, and follows a few to its own', async () => {
    const elsewhere = await serve((_req, res) => json(res, JSON.stringify(document)))
    let hops = 0
    const origin = await serve((req, res) => {
      if (req.url === '/openapi.json')
        return res.writeHead(302, { location: '/v2/openapi.json' }).end()
      if (req.url === '/v2/openapi.json') return json(res, JSON.stringify(document))
      hops++
      res
        .writeHead(302, { location: req.url === '/loop' ? '/loop' : `${elsewhere}/openapi.json` })
        .end()
    })
    await expect(Discovery.fetch(origin)).resolves.toMatchObject({ info: document.info })
    const away = await serve((_req, res) =>
      res.writeHead(301, { location: `${elsewhere}/openapi.json` }).end(),
    )
    await expect(Discovery.fetch(away)).rejects.toThrow(/redirect/)
    const looping = await serve((req, res) =>
      res.writeHead(302, { location: `/x${req.url}` }).end(),
    )
    await expect(Discovery.fetch(looping)).rejects.toThrow(/redirect/)
    expect(hops).toBe(0)
  })

  it('refuses a body above maxBytes, announced or streamed, without reading it all', async () => {
    const big = JSON.stringify({ ...document, padding: 'x'.repeat(100_000) })
    const announced = await serve((_req, res) => json(res, big))
    await expect(Discovery.fetch(announced, { maxBytes: 10_000 })).rejects.toThrow(/10000 bytes/)
    let written = 0
    const streamed = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = 'x'.repeat(16_384)
      const write = () => {
        while (written < 50_000_000 && res.write(chunk)) written += chunk.length
        if (written < 50_000_000) res.once('drain', write)
        else res.end()
      }
      write()
    })
    await expect(Discovery.fetch(streamed, { maxBytes: 100_000 })).rejects.toThrow(/bytes/)
    expect(written).toBeLessThan(50_000_000)
  })

  it('gives up after timeoutMs on a server that never answers', async () => {
    const silent = await serve(() => undefined)
    await expect(Discovery.fetch(silent, { timeoutMs: 200 })).rejects.toThrow(/time/)
  })
})
