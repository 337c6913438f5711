// The paying client against a real @paywire/server (the Node `http` binding) over HTTP on
// 127.0.0.1: the whole 402 flow with real challenges, binding, single use and receipts.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Secret } from '@paywire/core'
import { Paywire } from '@paywire/server'
import { listener } from '@paywire/server/node'
import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { Client, Policy } from './index.js'

const realm = 'paywire.test'
const key = Secret.generate()
const price = { amount: '100', currency: 'usd', recipient: 'acct_1' }
const bearerToken = 'mF_9.B5f-4.1JqM'

/** The test method under a second name, so a server can offer two methods. */
function otherServer() {
  const base = TestMethod.server({ key })
  return {
    ...base,
    method: 'other',
    verify: async (parameters: Parameters<typeof base.verify>[0]) => ({
      ...(await base.verify(parameters)),
      method: 'other',
    }),
  }
}

type Events = { verified: number; settled: number; failed: number }
const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

async function start() {
  const events: Events = { verified: 0, settled: 0, failed: 0 }
  const paywire = Paywire.create({
    realm,
    secret: Secret.generate(),
    methods: [TestMethod.server({ key }), otherServer()],
    store: MemoryStore.create(),
    allowTestMethods: true,
    hooks: {
      onVerified: () => void events.verified++,
      onSettled: () => void events.settled++,
      onFailed: () => void events.failed++,
      authorize: ({ route }) => !route.includes('/denied'),
    },
  })
  const json = (request: Request) =>
    Response.json({ paid: true, path: new URL(request.url).pathname })
  const routes: Record<string, ReturnType<typeof listener>> = {
    '/paid': listener(paywire, { price }, json),
    '/denied': listener(paywire, { price, methods: ['test'] }, json),
    // An API that authenticates its callers with a Bearer token and also charges: it keeps
    // Authorization for itself and has the credential sent in Payment-Authorization.
    '/bearer': listener(
      paywire,
      { price, methods: ['test'], credentialField: 'Payment-Authorization' },
      (request) =>
        request.headers.get('authorization') === `Bearer ${bearerToken}`
          ? Response.json({ paid: true, user: 'alice' }, { headers: { 'cache-control': 'public' } })
          : new Response('unauthenticated', { status: 401 }),
    ),
    '/paid-body': listener(
      paywire,
      { price, methods: ['test'] },
      async (request) => new Response(await request.text()),
    ),
  }
  const server = createServer((req, res) => {
    const route = routes[new URL(req.url ?? '/', 'http://x').pathname]
    if (route) route(req, res)
    else res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return { origin, events, url: (path: string) => `${origin}${path}` }
}

function client(
  origin: string,
  options: Partial<Client.create.Options> = {},
  policy: Partial<Policy.Policy> = {},
) {
  return Client.create({
    methods: [TestMethod.client({ key })],
    policy: {
      currencies: { usd: { maxAmount: '1000' } },
      budgets: [{ currency: 'usd', amount: '1000', window: 'day', scope: 'total' }],
      realms: [realm],
      ...policy,
    },
    store: MemoryStore.create(),
    insecureOrigins: [origin],
    ...options,
  })
}

async function refusal(promise: Promise<unknown>): Promise<Policy.RefusedError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  if (!(error instanceof Policy.RefusedError)) throw new Error(`expected a refusal, got ${error}`)
  return error
}

describe('Client against @paywire/server', () => {
  it('pays a route and gets the resource with its receipt {core.credential.echo, core.challenge.opaque.unchanged}', async () => {
    const server = await start()
    const payer = client(server.origin)
    const result = await payer.fetch(server.url('/paid?tier=basic'))
    expect(result.response.status).toBe(200)
    expect(await result.response.json()).toEqual({ paid: true, path: '/paid' })
    expect(result.response.headers.get('cache-control')).toContain('private')
    expect(result.receipt).toMatchObject({ status: 'success', method: 'test' })
    expect(result.payment).toMatchObject({
      status: 'settled',
      amount: '100',
      currency: 'usd',
      recipient: 'acct_1',
      realm,
    })
    expect(server.events).toEqual({ verified: 1, settled: 1, failed: 0 })
  })

  it('pays a route that also needs Authorization: Bearer, sending the credential in Payment-Authorization {core.header.payment-authorization-field, core.server.credential-field, core.cache.credential-elsewhere}', async () => {
    const server = await start()
    const payer = client(server.origin)
    const result = await payer.fetch(server.url('/bearer'), {
      headers: { authorization: `Bearer ${bearerToken}` },
    })
    expect(result.response.status).toBe(200)
    expect(await result.response.json()).toEqual({ paid: true, user: 'alice' })
    expect(result.receipt).toMatchObject({ status: 'success', method: 'test' })
    expect(result.payment).toMatchObject({ status: 'settled', amount: '100' })
    const cacheControl = result.response.headers.get('cache-control') ?? ''
    expect(cacheControl).toContain('private')
    expect(cacheControl).not.toContain('public')
    expect(server.events).toEqual({ verified: 1, settled: 1, failed: 0 })
  })

  it('states its preferences in Accept-Payment and pays the challenge it prefers {core.accept-payment.send, core.client.select-one}', async () => {
    const server = await start()
    const payer = client(server.origin, {
      methods: [TestMethod.client({ key }), { ...TestMethod.client({ key }), method: 'other' }],
      accept: [
        { method: 'other', intent: 'charge', q: 1 },
        { method: 'test', intent: 'charge', q: 0.5 },
      ],
    })
    const result = await payer.fetch(server.url('/paid'))
    expect(result.response.status).toBe(200)
    expect(result.payment).toMatchObject({ method: 'other', status: 'settled' })
  })

  it('pays exactly 10 of 100 parallel requests against a budget for 10, and records 10', async () => {
    const server = await start()
    const payer = client(server.origin)
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, () => payer.fetch(server.url('/paid'))),
    )
    const paid = results.filter((result) => result.status === 'fulfilled')
    expect(paid).toHaveLength(10)
    for (const result of paid) expect(result.value.response.status).toBe(200)
    for (const result of results.filter((item) => item.status === 'rejected'))
      expect(result.reason).toMatchObject({ rule: 'budget', remaining: '0' })
    expect(server.events.settled).toBe(10)
    const ledger = await payer.ledger.list()
    expect(ledger).toHaveLength(10)
    expect(ledger.every((entry) => entry.status === 'settled')).toBe(true)
    expect(await payer.ledger.totals()).toEqual({ usd: '1000' })
  })

  it('makes one payment only when the server refuses it with a fresh 402', async () => {
    const server = await start()
    const payer = client(server.origin, {
      methods: [TestMethod.client({ key: Secret.generate() })],
    })
    const result = await payer.fetch(server.url('/paid'))
    expect(result.response.status).toBe(402)
    expect(result.response.headers.get('www-authenticate')).toMatch(/^Payment /)
    expect(result.payments).toHaveLength(1)
    expect(result.payment).toMatchObject({ status: 'unconfirmed', httpStatus: 402 })
    expect(server.events).toMatchObject({ failed: 1, settled: 0 })
  })

  it('replays a digest-bound request body on the paid retry {core.challenge.digest.client-match}', async () => {
    const server = await start()
    const body = JSON.stringify({ prompt: 'hello', n: 1 })
    const result = await client(server.origin).fetch(server.url('/paid-body'), {
      method: 'POST',
      body,
    })
    expect(result.response.status).toBe(200)
    expect(await result.response.text()).toBe(body)
    expect(result.payment?.status).toBe('settled')
  })

  it('refuses a challenge that is expired by its own clock and sends nothing {core.client.no-expired}', async () => {
    const server = await start()
    const ahead = client(server.origin, { now: () => Date.now() + 10 * 60_000 })
    expect((await refusal(ahead.fetch(server.url('/paid')))).rule).toBe('expired')
    expect(server.events).toEqual({ verified: 0, settled: 0, failed: 0 })
    expect(await ahead.ledger.list()).toEqual([])
  })

  it('refuses what the policy forbids, pays nothing and keeps its budget {core.client.verify-amount, core.client.verify-recipient}', async () => {
    const server = await start()
    for (const policy of [
      { currencies: { usd: { maxAmount: '99' } }, budgets: [] },
      { recipients: ['acct_2'] },
    ]) {
      const payer = client(server.origin, {}, policy)
      await refusal(payer.fetch(server.url('/paid')))
      expect(await payer.ledger.list()).toEqual([])
    }
    expect(server.events.verified).toBe(0)
  })

  it('in dry-run mode tells what it would pay for a real challenge', async () => {
    const server = await start()
    const result = await client(server.origin, { mode: 'dry-run' }).fetch(server.url('/paid'))
    expect(result.response.status).toBe(402)
    expect(result.dryRun?.quote).toMatchObject({
      amount: '100',
      currency: 'usd',
      recipient: 'acct_1',
      realm,
    })
    expect(result.dryRun?.refusal).toBeUndefined()
    expect(server.events.verified).toBe(0)
  })

  it('records a payment the server took but denied access for (403) as unconfirmed', async () => {
    const server = await start()
    const payer = client(server.origin)
    const result = await payer.fetch(server.url('/denied'))
    expect(result.response.status).toBe(403)
    expect(result.payment).toMatchObject({ status: 'unconfirmed', httpStatus: 403 })
    expect((await payer.standings({ currency: 'usd', origin: server.origin }))[0]?.spent).toBe(
      '100',
    )
  })

  it('does not carry a credential to the server after a redirect from another origin', async () => {
    const server = await start()
    const front = createServer((_, res) =>
      res.writeHead(307, { location: server.url('/paid') }).end(),
    )
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve))
    closers.push(() => new Promise<void>((resolve) => front.close(() => resolve())))
    const frontOrigin = `http://127.0.0.1:${(front.address() as AddressInfo).port}`
    const payer = client(server.origin, { insecureOrigins: [frontOrigin, server.origin] })
    expect((await refusal(payer.fetch(`${frontOrigin}/start`))).rule).toBe('cross-origin')
    expect(server.events.verified + server.events.failed).toBe(0)
  })
})
