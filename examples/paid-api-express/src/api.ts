// The paid API: a weather service on Express 5. `GET /` is free and lists the prices;
// `GET /weather?city=` costs one cent with the test method, or 0.01 pathUSD with Tempo
// when a chain is given; `POST /forecast` is priced by the number of days asked for, and
// its challenge is bound to the request body. The middleware is @paywire/server/express.

import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Secret } from '@paywire/core'
import { Chain, Server as Tempo } from '@paywire/method-tempo'
import { Paywire } from '@paywire/server'
import { payment, paywall } from '@paywire/server/express'
import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'
import express from 'express'

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

/** Builds the Express app with its paid routes. */
export function create(options: Options): express.Express {
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
  const app = express()
  app.get('/', (_req, res) => {
    res.json({
      routes: { 'GET /weather?city=': 'paid', 'POST /forecast {"days":n}': 'paid per day' },
      methods: methods.map((method) => method.method),
      prices,
    })
  })
  app.get(
    '/weather',
    paywall(paywire, {
      // One price per method: each offered method gets its own challenge.
      price: (_request: Request, offer: Paywire.Offer) =>
        offer.method === 'tempo' ? prices.tempo : prices.test,
      description: 'Weather report',
    }),
    (req, res) => {
      res.json({ city: req.query.city ?? 'Lisbon', sky: 'clear', paidWith: payment(req)?.method })
    },
  )
  // The paywall reads the body itself (its digest is bound into the challenge) and leaves
  // the raw bytes in req.body: parse them after it, never before.
  app.post(
    '/forecast',
    paywall(paywire, {
      price: async (request: Request, offer: Paywire.Offer) => {
        const days = daysOf(await request.text())
        return offer.method === 'tempo'
          ? { amount: String(days * Number(prices.tempo.amount)) }
          : { amount: String(days * Number(prices.test.amount)), currency: 'usd' }
      },
      description: 'Forecast, priced per day',
    }),
    (req, res) => {
      const days = daysOf(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '')
      res.json({ days: Array.from({ length: days }, () => 'sun'), paidWith: payment(req)?.method })
    },
  )
  return app
}

/** Serves the app on 127.0.0.1 (`port` 0 picks a free one); resolves its URL and `close`. */
export async function listen(app: express.Express, port = 0) {
  const server = createServer(app).listen(port, '127.0.0.1')
  await once(server, 'listening')
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections()
        server.close(() => done())
      }),
  }
}

/** Days asked for in a JSON body `{ "days": n }`: 1 to 7, default 1. */
function daysOf(body: string): number {
  try {
    const days = Number((JSON.parse(body) as { days?: unknown }).days)
    return Number.isInteger(days) && days >= 1 && days <= 7 ? days : 1
  } catch {
    return 1
  }
}
