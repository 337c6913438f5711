// Server process of the HTTP scenarios: one route, `GET /paid`, served unpaid (the handler
// alone), paid with paywire (the testkit's test method, or the tempo session method on a
// local node) or paid with mppx (the same test method through mppx's custom-method API),
// over the Node `http` binding or Hono. Prints `{"port":N}` once listening.
// Usage: httpServer.ts '<Http.Server as JSON>'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Paywire } from '@paywire/server'
import type { Variables } from '@paywire/server/hono'
import { Hono, type MiddlewareHandler } from 'hono'
import * as Http from './Http.js'

// Each library is imported only by the processes that serve with it (start-up time).
const config = JSON.parse(process.argv[2] as string) as Http.Server

type NodeGuard = (req: IncomingMessage, res: ServerResponse, next: () => void) => void

const write = (res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(Http.body)
}
const json = (c: { json: (value: unknown) => Response }) => c.json(JSON.parse(Http.body))

/** The paid route's guard for the Node binding, or the Hono middleware. */
async function guards(): Promise<{ node?: NodeGuard; hono?: MiddlewareHandler }> {
  if (config.library === 'unpaid') return {}
  if (config.library === 'mppx') {
    const MppxTestMethod = await import('./MppxTestMethod.js')
    const { Mppx } = await import('mppx/server')
    const { payment } = await import('mppx/hono')
    const mppx = MppxTestMethod.server()
    const listener = Mppx.toNodeListener(mppx.test.charge(MppxTestMethod.route))
    return {
      node: (req, res, next) =>
        void listener(req, res).then((result) => result.status !== 402 && next()),
      hono: payment(mppx.test.charge, MppxTestMethod.route),
    }
  }
  const paywire =
    config.library === 'session' ? await sessionServer(config.session) : await chargeServer()
  const route =
    config.library === 'session'
      ? { price: { amount: config.session.price, suggestedDeposit: '1000000000' } }
      : Http.route
  const { paywall: nodePaywall } = await import('@paywire/server/node')
  const { paywall: honoPaywall } = await import('@paywire/server/hono')
  return { node: nodePaywall(paywire, route), hono: honoPaywall(paywire, route) }
}

async function chargeServer(): Promise<Paywire.Paywire> {
  const { Paywire } = await import('@paywire/server')
  const { TestMethod } = await import('@paywire/testkit')
  const store =
    config.library !== 'session' && config.store?.kind === 'redis'
      ? (await import('@paywire/store-redis')).RedisStore.create({
          url: config.store.url,
          prefix: config.store.prefix,
        })
      : (await import('@paywire/store-memory')).MemoryStore.create({ maxEntries: 5_000_000 })
  return Paywire.create({
    realm: Http.realm,
    secret: Http.secretText,
    methods: [TestMethod.server({ key: Http.testKey })],
    allowTestMethods: true,
    store,
  })
}

/**
 * paywire's session method on the local node: vouchers verified against the channel read
 * from the chain, charged per request. The per-channel voucher rate limit is lifted: one
 * channel per connection pays every request with a fresh voucher, far above the default.
 */
async function sessionServer(session: Http.Session): Promise<Paywire.Paywire> {
  const { Paywire } = await import('@paywire/server')
  const { MemoryStore } = await import('@paywire/store-memory')
  const { EscrowChain, Server, Sessions } = await import('@paywire/method-tempo-session')
  const { createPublicClient, createWalletClient, defineChain, http } = await import('viem')
  const { privateKeyToAccount } = await import('viem/accounts')
  const chain = defineChain({
    id: session.chainId,
    name: 'Tempo (local)',
    nativeCurrency: { name: 'USD', symbol: 'USD', decimals: 18 },
    rpcUrls: { default: { http: [session.rpcUrl] } },
  })
  const payee = privateKeyToAccount(session.payeeKey)
  const store = MemoryStore.create({ maxEntries: 5_000_000 })
  const sessions = Sessions.create({
    store,
    chain: EscrowChain.fromViem({
      publicClient: createPublicClient({ chain, transport: http(session.rpcUrl) }),
      walletClient: createWalletClient({ account: payee, chain, transport: http(session.rpcUrl) }),
      escrow: session.escrow,
    }),
    payee: payee.address,
    currency: session.currency,
    voucherRate: { perSecond: 1_000_000, burst: 1_000_000 },
  })
  const method = Server.server({
    sessions,
    chainId: session.chainId,
    escrow: session.escrow,
    currency: session.currency,
    recipient: payee.address,
  })
  return Paywire.create({ realm: Http.realm, secret: Http.secretText, methods: [method], store })
}

const { node, hono } = await guards()
let server: import('node:http').Server
if (config.binding === 'node') {
  server = createServer(
    node === undefined ? (_req, res) => write(res) : (req, res) => node(req, res, () => write(res)),
  )
  server.listen(0, '127.0.0.1')
} else {
  const app = new Hono<{ Variables: Variables }>()
  if (hono === undefined) app.get('/paid', json)
  else app.get('/paid', hono, json)
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as import('node:http').Server
}
server.on('listening', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`)
})
// Keep-alive connections would hold `close` open: the run is over, exit at once.
process.on('SIGTERM', () => process.exit(0))
process.on('SIGINT', () => process.exit(0))
