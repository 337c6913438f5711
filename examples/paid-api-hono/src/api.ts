// The paid API: a weather service on Hono. `GET /` is free and lists the prices;
// `GET /weather?city=` costs one cent with the test method, or 0.01 pathUSD with Tempo
// when a chain is given. The payment middleware comes from @paywire/server/hono.
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Secret } from '@paywire/core'
import { Chain, Server as Tempo } from '@paywire/method-tempo'
import { Paywire } from '@paywire/server'
import { paywall, type Variables } from '@paywire/server/hono'
import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'
import { Hono } from 'hono'

/** What a report costs, per method: 1 cent, or 0.01 pathUSD (6 decimals). */
export const prices = { test: { amount: '1', currency: 'usd' }, tempo: { amount: '10000' } }

/** Options of {@link create}. */
export type Options = {
  /** Key the test method shares with payers; the test method is off without it. */
  testKey?: string | undefined
  /** A Tempo chain and the address paid on it; Tempo is off without them. */
  tempo?: { rpcUrl: string; chainId: number; recipient: string } | undefined
  /** The binding secret; default PAYWIRE_SECRET_KEY, else a random one. */
  secret?: string | undefined
  /** The realm payers bind credentials to; default 127.0.0.1 (this example's host). */
  realm?: string | undefined
}

/** Builds the Hono app with its paid route. */
export function create(options: Options) {
  const methods: Array<Paywire.create.Options['methods'][number]> = []
  if (options.testKey !== undefined) methods.push(TestMethod.server({ key: options.testKey }))
  if (options.tempo !== undefined)
    methods.push(
      Tempo.server({
        chain: Chain.fromRpc({ rpcUrl: options.tempo.rpcUrl, chainId: options.tempo.chainId }),
        recipient: options.tempo.recipient,
      }),
    )
  const paywire = Paywire.create({
    realm: options.realm ?? '127.0.0.1',
    secret: options.secret ?? process.env.PAYWIRE_SECRET_KEY ?? Secret.generate(),
    methods,
    // The test method moves no money: only when asked for, never in production.
    allowTestMethods: options.testKey !== undefined,
    store: MemoryStore.create(),
  })
  const weather: Paywire.Route = {
    // One price per method: each offered method gets its own challenge.
    price: (_request: Request, offer: Paywire.Offer) =>
      offer.method === 'tempo' ? prices.tempo : prices.test,
    description: 'Weather report',
  }
  const app = new Hono<{ Variables: Variables }>()
  app.get('/', (c) =>
    c.json({
      routes: { 'GET /weather?city=': 'paid' },
      methods: methods.map((method) => method.method),
      prices,
    }),
  )
  app.get('/weather', paywall(paywire, weather), (c) => {
    const payment = c.get('payment')
    return c.json({
      city: c.req.query('city') ?? 'Lisbon',
      sky: 'clear',
      celsius: 19,
      paidWith: payment.method,
    })
  })
  return app
}

/** Serves the app on 127.0.0.1 (`port` 0 picks a free one); resolves its URL and `close`. */
export function listen(app: Hono<{ Variables: Variables }>, port = 0) {
  return new Promise<{ url: string; close: () => Promise<void> }>((resolve) => {
    const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info: AddressInfo) =>
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            if ('closeAllConnections' in server) server.closeAllConnections()
            server.close(() => done())
          }),
      }),
    )
  })
}
