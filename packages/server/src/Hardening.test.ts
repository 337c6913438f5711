// Fail-closed paths of the server core (issue 14): a method that resolves without a
// receipt is a broken method, not a payment (finding 4); a store that hangs answers 503
// within a bounded time; a route whose static price no method accepts is refused when it is
// mounted; a process-local store behind several processes is reported at startup.
import { type Challenge, Method, Receipt, type Store } from '@paywire/core'
import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import * as Paywire from './Paywire.js'
import { authorization, challengesOf, makePaywire, methodKey } from './test/payer.js'

const price = { amount: '1000', currency: 'usd', recipient: 'acct_1' }
const origin = 'https://api.example.com'

/** The 402 of a first request and a valid test credential answering it. */
async function paid(protect: (request: Request) => Promise<Response>, path = '/paid') {
  const first = await protect(new Request(origin + path))
  expect(first.status).toBe(402)
  const challenge = challengesOf(first)[0] as Challenge.Challenge
  const header = await authorization(challenge)
  return () => protect(new Request(origin + path, { headers: { authorization: header } }))
}

describe('a method that resolves without a receipt (finding 4)', () => {
  const test = TestMethod.server({ key: methodKey })
  const returning = (value: unknown) => ({
    ...test,
    async verify(parameters: Parameters<typeof test.verify>[0]) {
      await test.verify(parameters)
      return value as Receipt.Receipt
    },
    check: test.check as NonNullable<typeof test.check>,
  })

  it.each([
    ['nothing (a missing return)', undefined],
    ['null', null],
    [
      'a receipt without reference',
      { method: 'test', status: 'success', timestamp: '2030-01-01T00:00:00Z' },
    ],
    [
      'a receipt whose status is not success',
      { ...Receipt.from({ method: 'test', reference: 'r' }), status: 'failed' },
    ],
  ])('is answered 500 and its handler never runs when verify returns %s', async (_name, value) => {
    for (const settle of ['before-handler', 'after-success'] as const) {
      const handler = vi.fn(() => new Response('paid content'))
      const protect = makePaywire({ methods: [returning(value)] }).protect(
        { price, settle },
        handler,
      )
      const response = await (await paid(protect))()
      expect(response.status, settle).toBe(500)
      expect(response.headers.get('payment-receipt')).toBeNull()
      expect(await response.text()).not.toContain('paid content')
      if (settle === 'before-handler') expect(handler).not.toHaveBeenCalled()
    }
  })

  it('is answered 500 and its handler never runs when a multi-use redeem returns no redemption', async () => {
    const broken = Method.defineServer({
      method: 'meter',
      intent: 'session',
      testOnly: true,
      requestSchema: z.looseObject({ amount: z.string(), currency: z.string() }),
      payloadSchema: z.object({ proof: z.string() }),
      request: (input: { amount: string }) => ({ amount: input.amount, currency: 'usd' }),
      async verify(): Promise<Receipt.Receipt> {
        throw new Error('never verified')
      },
      async redeem() {
        return { kind: 'serve' } as unknown as Method.Redemption
      },
    })
    const handler = vi.fn(() => new Response('metered content'))
    const protect = makePaywire({ methods: [broken] }).protect({ price }, handler)
    const first = await protect(new Request(`${origin}/metered`))
    const challenge = challengesOf(first)[0] as Challenge.Challenge
    const header = `Payment ${Buffer.from(
      JSON.stringify({ challenge, payload: { proof: 'x' } }),
    ).toString('base64url')}`
    const response = await protect(
      new Request(`${origin}/metered`, { headers: { authorization: header } }),
    )
    expect(response.status).toBe(500)
    expect(handler).not.toHaveBeenCalled()
  })
})

describe('a store that does not answer', () => {
  /** A store whose every operation hangs forever once `stuck` is set. */
  function hanging(store: Store.Store): Store.Store & { stuck: boolean } {
    const wrapped = {
      stuck: false,
      claim: (key: string, options: { ttlSeconds: number }) =>
        wrapped.stuck ? new Promise<boolean>(() => undefined) : store.claim(key, options),
      get: (key: string) => (wrapped.stuck ? new Promise<never>(() => undefined) : store.get(key)),
      put: store.put,
      compareAndSwap: store.compareAndSwap,
      delete: store.delete,
    }
    return wrapped
  }

  it('answers 503 within the store timeout: no handler, no receipt', async () => {
    const store = hanging(MemoryStore.create())
    const handler = vi.fn(() => new Response('content'))
    const protect = makePaywire({ store, storeTimeoutMs: 50 }).protect({ price }, handler)
    const send = await paid(protect)
    store.stuck = true
    const response = await send()
    expect(response.status).toBe(503)
    expect(response.headers.get('payment-receipt')).toBeNull()
    expect(handler).not.toHaveBeenCalled()
  })

  it('refuses a store timeout that is not a positive number', () => {
    expect(() => makePaywire({ storeTimeoutMs: 0 })).toThrow(Paywire.ConfigurationError)
    expect(() => makePaywire({ storeTimeoutMs: Number.NaN })).toThrow(Paywire.ConfigurationError)
  })
})

describe('startup checks', () => {
  it('refuses, when the route is mounted, a static price a method cannot turn into a valid request', () => {
    const paywire = makePaywire()
    expect(() =>
      paywire.protect({ price: { amount: '-5', currency: 'usd' } }, () => new Response('x')),
    ).toThrow(Paywire.ConfigurationError)
    expect(() =>
      paywire.protect({ price: { amount: '1.5', currency: 'usd' } }, () => new Response('x')),
    ).toThrow(Paywire.ConfigurationError)
    expect(() => paywire.protect({ price }, () => new Response('x'))).not.toThrow()
  })

  afterEach(() => {
    vi.unstubAllEnvs()
  })

  it('warns at startup when a process-local store serves a server run as several processes', () => {
    const entries: Paywire.LogEntry[] = []
    const logger = (entry: Paywire.LogEntry) => entries.push(entry)
    makePaywire({ logger })
    expect(entries).toEqual([])
    for (const [name, value] of [
      ['NODE_UNIQUE_ID', '1'],
      ['NODE_APP_INSTANCE', '0'],
      ['PAYWIRE_INSTANCES', '3'],
    ]) {
      vi.stubEnv(name as string, value as string)
      makePaywire({ logger })
      vi.unstubAllEnvs()
    }
    expect(entries).toHaveLength(3)
    for (const entry of entries)
      expect(entry).toMatchObject({
        level: 'warn',
        event: 'error',
        code: 'ERR_PAYWIRE_STORE_LOCAL',
      })
    // A shared store raises nothing.
    vi.stubEnv('PAYWIRE_INSTANCES', '3')
    const shared = { ...MemoryStore.create(), scope: 'shared' as const }
    makePaywire({ logger, store: shared })
    expect(entries).toHaveLength(3)
  })
})
