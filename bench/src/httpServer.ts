// Server process of scenario 5: one route, `GET /paid`, served paid (paywire with the
// testkit's test method and the memory store) or unpaid (the same handler alone), over
// the Node `http` binding or Hono. Prints `{"port":N}` once listening.
// Usage: httpServer.ts <node|hono> <paid|unpaid>
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Paywire } from '@paywire/server'
import { paywall as honoPaywall, type Variables } from '@paywire/server/hono'
import { paywall as nodePaywall } from '@paywire/server/node'
import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'
import { Hono } from 'hono'
import * as Http from './Http.js'

const [binding, mode] = process.argv.slice(2)
const body = JSON.stringify({ report: 'sunny', temperature: 21 })
const paywire = Paywire.create({
  realm: Http.realm,
  secret: Http.secretText,
  methods: [TestMethod.server({ key: Http.testKey })],
  allowTestMethods: true,
  store: MemoryStore.create({ maxEntries: 5_000_000 }),
})

let server: Server
if (binding === 'node') {
  const write = (res: import('node:http').ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(body)
  }
  const guard = nodePaywall(paywire, Http.route)
  server = createServer(
    mode === 'paid' ? (req, res) => guard(req, res, () => write(res)) : (_req, res) => write(res),
  )
  server.listen(0, '127.0.0.1')
} else {
  const app = new Hono<{ Variables: Variables }>()
  const handler = (c: { json: (value: unknown) => Response }) => c.json(JSON.parse(body))
  if (mode === 'paid') app.get('/paid', honoPaywall(paywire, Http.route), handler)
  else app.get('/paid', handler)
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server
}
server.on('listening', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`)
})
// Keep-alive connections would hold `close` open: the run is over, exit at once.
process.on('SIGTERM', () => process.exit(0))
process.on('SIGINT', () => process.exit(0))
