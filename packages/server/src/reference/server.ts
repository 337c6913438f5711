// The reference paid API (issues 3 and 4): a small server for probing paywire and for the
// conformance suite. GET /free is free; GET /paid is charged with every enabled method
// and bound to its query (`?tier=pro` costs more); POST /paid-body is bound to its body
// by digest; with Tempo enabled, GET /paid-sponsored is a Tempo charge whose fees the
// server pays. GET /effects (free) counts the runs of the paid handlers, so a conformance
// run can prove that unpaid requests have no side effect. One log line per request,
// never with credentials.
import { createServer, type Server } from 'node:http'
import type { Method, Store } from '@paywire/core'
import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'
import { listener } from '../bindings/node.js'
import * as Paywire from '../Paywire.js'
import * as Tempo from './tempo.js'

/** Prices of the reference routes, in base units. */
export const prices = { basic: '1000', pro: '5000', body: '2500', sponsored: '2000' } as const

/** The key the reference server's test method shares with clients (it moves no money). */
export const defaultTestKey = 'paywire-reference-test-method-key'

/**
 * Starts the reference server on 127.0.0.1.
 *
 * @example
 * ```ts
 * import { start } from './server.js'
 * const server = await start({ port: 0, secret: 'a-very-long-random-secret-of-32-bytes-or-more' })
 * await server.close()
 * ```
 */
export async function start(options: start.Options): Promise<start.ReturnType> {
  const methods: Method.Server<unknown>[] = []
  let tempo: Tempo.Tempo | undefined
  const names = options.methods ?? (options.tempo === undefined ? ['test'] : ['test', 'tempo'])
  for (const name of names) {
    if (name === 'test')
      methods.push(
        TestMethod.server({ key: options.testKey ?? defaultTestKey }) as Method.Server<unknown>,
      )
    else if (name === 'tempo') {
      if (options.tempo === undefined)
        throw new Paywire.ConfigurationError('method "tempo" needs a Tempo node (--tempo-rpc)')
      tempo = await Tempo.connect(options.tempo)
      methods.push(tempo.method as Method.Server<unknown>)
    } else throw new Paywire.ConfigurationError(`unknown method "${name}"`)
  }
  const store: Store.Store = MemoryStore.create()
  const paywire = Paywire.create({
    // The host it listens on, which clients accept as a realm by default.
    realm: options.realm ?? '127.0.0.1',
    secret: options.secret,
    methods,
    store,
    allowTestMethods: true,
    expiresIn: options.expiresIn,
    skewSeconds: options.skewSeconds,
    logger: options.logger,
  })
  // The side effect a payment buys: each paid handler run counts once.
  let handlerRuns = 0
  const paid = listener(
    paywire,
    {
      price: (request: Request, offer: Paywire.Offer) =>
        price(
          offer,
          new URL(request.url).searchParams.get('tier') === 'pro' ? prices.pro : prices.basic,
        ),
      description: 'Reference paid resource',
    },
    (request, payment) => {
      handlerRuns++
      return Response.json({
        paid: true,
        tier: new URL(request.url).searchParams.get('tier') ?? 'basic',
        amount: payment.request.amount,
        reference: payment.receipt?.reference,
      })
    },
  )
  const paidBody = listener(
    paywire,
    { price: (_: Request, offer: Paywire.Offer) => price(offer, prices.body) },
    async (request) => {
      handlerRuns++
      return Response.json({ paid: true, received: await request.text() })
    },
  )
  const paidSponsored =
    tempo === undefined
      ? undefined
      : listener(
          paywire,
          {
            price: { amount: prices.sponsored, feePayer: true },
            methods: ['tempo'],
            description: 'Reference paid resource, fees paid by the server',
          },
          (_, payment) => {
            handlerRuns++
            return Response.json({
              paid: true,
              sponsored: true,
              amount: payment.request.amount,
              reference: payment.receipt?.reference,
            })
          },
        )
  const server = createServer((req, res) => {
    const started = Date.now()
    res.once('finish', () =>
      options.log?.(
        `${new Date().toISOString()} ${req.method} ${safePath(req.url)} ${res.statusCode} ${Date.now() - started}ms`,
      ),
    )
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    const route = `${req.method} ${path}`
    if (route === 'GET /free') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"free":true}')
    } else if (route === 'GET /effects') {
      res
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(JSON.stringify({ count: handlerRuns }))
    } else if (route === 'GET /paid') paid(req, res)
    else if (route === 'POST /paid-body') paidBody(req, res)
    else if (route === 'GET /paid-sponsored' && paidSponsored !== undefined) paidSponsored(req, res)
    else if (['/free', '/paid', '/paid-body', '/effects'].includes(path)) res.writeHead(405).end()
    else if (path === '/paid-sponsored' && paidSponsored !== undefined) res.writeHead(405).end()
    else res.writeHead(404).end()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : options.port
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    tempo: tempo?.description,
    close: () => close(server, store),
  }
}

export declare namespace start {
  type Options = {
    port: number
    /** Binding secret; default PAYWIRE_SECRET_KEY. */
    secret?: string | undefined
    realm?: string | undefined
    expiresIn?: number | undefined
    /** Clock skew tolerated past `expires`, in seconds (default 30). */
    skewSeconds?: number | undefined
    methods?: readonly string[] | undefined
    testKey?: string | undefined
    /** The Tempo node to settle on; enables the `tempo` method (on by default when given). */
    tempo?: Tempo.connect.Options | undefined
    /** One line per request. */
    log?: ((line: string) => void) | undefined
    logger?: Paywire.create.Options['logger']
  }
  type ReturnType = {
    url: string
    server: Server
    /** The Tempo setup (chain, recipient, fee payer) when `tempo` is enabled. */
    tempo: Tempo.Description | undefined
    close(): Promise<void>
  }
}

/** The price a paid route gives each method: the test method in `usd`, Tempo in pathUSD. */
function price(offer: Paywire.Offer, amount: string): unknown {
  if (offer.method === 'tempo') return { amount, feePayer: false }
  return { amount, currency: 'usd', recipient: 'reference' }
}

function safePath(url: string | undefined): string {
  // Only path and query are logged; they carry no credential (those travel in headers).
  return (url ?? '/').replace(/[^\x21-\x7e]/g, '?').slice(0, 200)
}

async function close(server: Server, store: Store.Store): Promise<void> {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await store.close?.()
}
