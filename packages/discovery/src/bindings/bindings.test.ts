// Every binding over real HTTP: a paid API (through @paywire/server's binding for the
// same framework) that also serves its discovery document, read back by a client.
import { createServer } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import { Challenge } from '@paywire/core'
import { Paywire } from '@paywire/server'
import * as ServerExpress from '@paywire/server/express'
import * as ServerFastify from '@paywire/server/fastify'
import * as ServerHono from '@paywire/server/hono'
import * as ServerNode from '@paywire/server/node'
import { MemoryStore } from '@paywire/store-memory'
import { FreePort, TestMethod } from '@paywire/testkit'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import * as Discovery from '../Discovery.js'
import * as ExpressBinding from './express.js'
import * as FastifyBinding from './fastify.js'
import * as HonoBinding from './hono.js'
import * as NodeBinding from './node.js'

const methods = [TestMethod.server({ key: 'shared-test-key' })]
const route: Paywire.Route = {
  price: { amount: '250', currency: 'usd' },
  description: 'One forecast',
}

const paywire = () =>
  Paywire.create({
    realm: 'api.example.com',
    secret: 'a-test-secret-that-is-at-least-32-bytes-long',
    methods,
    allowTestMethods: true,
    store: MemoryStore.create(),
  })

const document = () =>
  Discovery.document({
    info: { title: 'Weather API', version: '1.0.0' },
    serviceInfo: { categories: ['data'], docs: { homepage: 'https://api.example.com/docs' } },
    methods,
    operations: [
      { method: 'GET', path: '/forecast', summary: 'Tomorrow', route },
      { method: 'GET', path: '/health', summary: 'Liveness' },
    ],
  })

type App = { url: string; close(): Promise<void> }
type Start = (served: Discovery.Document, server: Paywire.Paywire) => Promise<App>

const ok = (res: { end(body: string): unknown }) => res.end('{"forecast":"sunny"}')

const bindings: Array<[string, Start]> = [
  [
    'node',
    async (served, server) => {
      const serve = NodeBinding.discovery(served)
      const guard = ServerNode.paywall(server, route)
      return FreePort.listen(
        createServer((req, res) =>
          serve(req, res, () => {
            if (req.url === '/forecast') guard(req, res, () => ok(res))
            else res.writeHead(404).end()
          }),
        ),
      )
    },
  ],
  [
    'express',
    async (served, server) => {
      const app = express()
      app.use(ExpressBinding.discovery(served))
      app.get('/forecast', ServerExpress.paywall(server, route), (_req, res) => ok(res))
      return FreePort.listen(createServer(app))
    },
  ],
  [
    'fastify',
    async (served, server) => {
      const app = Fastify()
      await app.register(FastifyBinding.discovery(served))
      app.get('/forecast', { ...ServerFastify.paywall(server, route) }, async () => ({
        forecast: 'sunny',
      }))
      await app.ready()
      return FreePort.listen(app.server)
    },
  ],
  [
    'hono',
    async (served, server) => {
      const app = new Hono()
      app.use(HonoBinding.discovery(served))
      app.get('/forecast', ServerHono.paywall(server, route), (c) => c.json({ forecast: 'sunny' }))
      return FreePort.listen(createServer(getRequestListener(app.fetch)))
    },
  ],
]

describe.each(bindings)('discovery served by %s', (_, start) => {
  let app: App | undefined
  afterEach(async () => app?.close())

  it('serves the document at /openapi.json as cacheable, cross-origin JSON {discovery.location, discovery.location.content-type, discovery.cache-control, discovery.cache-max-age, discovery.cors}', async () => {
    app = await start(await document(), paywire())
    const response = await fetch(`${app.url}/openapi.json`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(response.headers.get('cache-control')).toBe('max-age=300')
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    const head = await fetch(`${app.url}/openapi.json`, { method: 'HEAD' })
    expect(head.status).toBe(200)
  })

  it('publishes offers that the runtime 402 challenge agrees with {discovery.openapi.publish, discovery.payment-info.required, discovery.response-402, discovery.fields}', async () => {
    app = await start(await document(), paywire())
    const read = await Discovery.fetch(app.url)
    expect(read.info).toMatchObject({ title: 'Weather API', version: '1.0.0' })
    const [entry, ...others] = Discovery.payable(read)
    expect(others).toEqual([])
    expect(entry).toEqual({
      method: 'GET',
      path: '/forecast',
      offers: [
        {
          intent: 'charge',
          method: 'test',
          amount: '250',
          currency: 'usd',
          description: 'One forecast',
        },
      ],
    })
    expect(read.paths['/forecast']?.get?.responses).toHaveProperty('402')
    const challenged = await fetch(`${app.url}/forecast`)
    expect(challenged.status).toBe(402)
    const [challenge] = Challenge.deserializeList(challenged.headers.get('www-authenticate') ?? '')
    expect(challenge).toMatchObject({ method: 'test', intent: 'charge' })
    expect(Challenge.decodeRequest(challenge as Challenge.Challenge)).toMatchObject({
      amount: '250',
      currency: 'usd',
    })
    // Other routes still reach their handlers.
    expect((await fetch(`${app.url}/nowhere`)).status).toBe(404)
  })
})
