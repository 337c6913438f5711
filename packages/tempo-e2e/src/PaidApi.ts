// A paid API on 127.0.0.1 built from @paywire/server with the Tempo charge and the
// testkit's test method side by side, and a paying @paywire/client for it: the two
// paywire ends the end-to-end and interop tests put on the wire.
import { createServer } from 'node:http'
import { Client, type Policy } from '@paywire/client'
import { type Method, Secret } from '@paywire/core'
import { type Chain, Client as TempoClient, Server as TempoServer } from '@paywire/method-tempo'
import { Paywire } from '@paywire/server'
import { listener } from '@paywire/server/node'
import { MemoryStore } from '@paywire/store-memory'
import { FreePort, TestMethod } from '@paywire/testkit'
import type { Hex } from 'viem'

/** The key the test method's two halves share. */
export const testKey = 'paywire-e2e-test-method-key-0123456789'

/** pathUSD, the currency every route charges in. */
export const pathUsd = TempoServer.pathUsd

/** Prices of the routes, in base units of pathUSD (the test method charges the same in `usd`). */
export const prices = { paid: '250000', sponsored: '400000', memo: '300000' } as const

/** The Bearer token `/paid-bearer` (and the mppx peer with `requiresAuth`) authenticates. */
export const bearerToken = 'mF_9.B5f-4.1JqM'

/** The memo `/paid-memo` asks for. */
export const memo = `0x${'00'.repeat(24)}0000c0ffee000001`

/** A running paid API. */
export type PaidApi = {
  /** `http://127.0.0.1:<port>`. */
  origin: string
  /** The realm, `127.0.0.1:<port>` (what a client's default realm rule expects). */
  realm: string
  url(path: string): string
  close(): Promise<void>
}

/**
 * Serves `GET /paid` (Tempo charge, pull and push, the payer paying its fees; and the test
 * method), `GET /paid-sponsored` (Tempo charge, pull only, fees paid by `tempo.feePayer`),
 * `GET /paid-memo` (Tempo charge asking for {@link memo}), `GET /proof` (a zero-amount
 * Tempo charge, answered with a proof) and `GET /paid-bearer` (Tempo charge whose
 * credential goes in Payment-Authorization, served only with `Authorization: Bearer`
 * {@link bearerToken}).
 */
export async function serve(options: { tempo: TempoServer.server.Options }): Promise<PaidApi> {
  let handlers: Record<string, ReturnType<typeof listener>> = {}
  const server = createServer((req, res) => {
    const handler = handlers[new URL(req.url ?? '/', 'http://localhost').pathname]
    if (handler === undefined) res.writeHead(404).end()
    else handler(req, res)
  })
  const { port, url, close } = await FreePort.listen(server)
  const realm = `127.0.0.1:${port}`
  const tempo = TempoServer.server(options.tempo)
  const paywire = Paywire.create({
    realm,
    secret: Secret.generate(),
    methods: [tempo, TestMethod.server({ key: testKey })],
    store: MemoryStore.create(),
    allowTestMethods: true,
  })
  const served = (request: Request, payment: Paywire.Payment) =>
    Response.json({
      paid: true,
      path: new URL(request.url).pathname,
      method: payment.method,
      reference: payment.receipt?.reference,
    })
  handlers = {
    '/paid': listener(
      paywire,
      {
        price: (_: Request, offer: Paywire.Offer) =>
          offer.method === 'tempo'
            ? { amount: prices.paid, feePayer: false }
            : { amount: prices.paid, currency: 'usd', recipient: 'acct_e2e' },
      },
      served,
    ),
    '/paid-sponsored': listener(
      paywire,
      { price: { amount: prices.sponsored, feePayer: true }, methods: ['tempo'] },
      served,
    ),
    '/paid-memo': listener(
      paywire,
      { price: { amount: prices.memo, memo, feePayer: false }, methods: ['tempo'] },
      served,
    ),
    '/proof': listener(paywire, { price: { amount: '0' }, methods: ['tempo'] }, served),
    // An API with its own Bearer authentication: the credential goes in
    // Payment-Authorization (draft-httpauth-payment-01), Authorization stays the app's.
    '/paid-bearer': listener(
      paywire,
      {
        price: { amount: prices.paid, feePayer: false },
        methods: ['tempo'],
        credentialField: 'Payment-Authorization',
      },
      (request, payment) =>
        request.headers.get('authorization') === `Bearer ${bearerToken}`
          ? served(request, payment)
          : new Response('unauthenticated', { status: 401 }),
    ),
  }
  return { origin: url, realm, url: (path) => `${url}${path}`, close }
}

/** Authorization headers a client sent, in order (captured to replay them). */
export type Sent = string[]

/**
 * A paying client for `origin`: the Tempo charge (and, with `testMethod`, the test method),
 * ranked by `accept`. Every Authorization header it sends is pushed to `sent`.
 */
export function payer(options: {
  origin: string
  chain: Chain.Chain
  privateKey: Hex
  mode?: 'pull' | 'push' | undefined
  testMethod?: boolean | undefined
  accept?: Client.create.Options['accept']
  sent?: Sent | undefined
  realms?: Policy.Policy['realms']
  /** Whether the Tempo client adds the attribution memo where a challenge names none (default). */
  attribution?: boolean | undefined
}): Client.Client {
  const methods: Method.Client[] = [
    TempoClient.client({
      chain: options.chain,
      privateKey: options.privateKey,
      mode: options.mode,
      attribution: options.attribution,
    }),
  ]
  if (options.testMethod === true) methods.push(TestMethod.client({ key: testKey }))
  return Client.create({
    methods,
    policy: {
      currencies: { [pathUsd]: { maxAmount: '1000000' }, usd: { maxAmount: '1000000' } },
      realms: options.realms,
    },
    store: MemoryStore.create(),
    insecureOrigins: [options.origin],
    accept: options.accept,
    fetch: (input, init) => {
      const authorization = new Headers(init.headers).get('authorization')
      if (authorization !== null) options.sent?.push(authorization)
      return fetch(input, init)
    },
  })
}
