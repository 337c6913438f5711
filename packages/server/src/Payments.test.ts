// Reconciliation (docs/security.md "The after-success model"): payments left unfinished by
// a crash are listed, swept after the unclaimed window (released when held, closed when
// nothing was taken, reported when the method cannot refund) and resolved by hand.
import { type Challenge, type Method, Receipt, type Store } from '@paywire/core'
import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'
import { describe, expect, it } from 'vitest'
import * as Payments from './Payments.js'
import * as Paywire from './Paywire.js'
import { authorization, challengesOf, methodKey, realm, secret } from './test/payer.js'

const price = { amount: '1000', currency: 'usd' }
const url = 'https://api.example.com/paid'
const hour = 3_600_000

type TestServer = ReturnType<typeof TestMethod.server>

/** A server whose handler never answers (the process died in it), on a shared store and clock. */
function crashing(method: TestServer, settle: Paywire.SettleMode, clock: { now: number }) {
  const store = MemoryStore.create({ now: () => clock.now })
  const paywire = Paywire.create({
    realm,
    secret,
    methods: [method],
    store,
    allowTestMethods: true,
    now: () => clock.now,
  })
  const reached = deferred()
  const protect = paywire.protect({ price, settle }, () => {
    reached.resolve()
    return new Promise<Response>(() => {})
  })
  const payments = Payments.create({ store, methods: [method], now: () => clock.now })
  return { protect: Object.assign(protect, { reached: reached.promise }), payments, store }
}

/** Pays, and resolves once the handler runs (and never returns). */
async function crashWhilePaying(
  protect: ((request: Request) => Promise<Response>) & { reached: Promise<void> },
) {
  const first = await protect(new Request(url))
  const challenge = challengesOf(first)[0] as Challenge.Challenge
  const header = await authorization(challenge)
  void protect(new Request(url, { headers: { authorization: header } }))
  await protect.reached
  return { challenge, header }
}

function deferred() {
  let resolve: () => void = () => {}
  const promise = new Promise<void>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

function holding(calls: string[]): TestServer {
  const test = TestMethod.server({ key: methodKey })
  return {
    ...test,
    async hold(parameters) {
      await test.check?.(parameters)
      return { authorization: 'auth_1' }
    },
    async lookup(parameters) {
      calls.push(`lookup ${JSON.stringify(parameters.hold)}`)
      return { status: 'held', reference: 'auth_1' } satisfies Method.Lookup
    },
    async release(parameters) {
      calls.push(`release ${JSON.stringify(parameters.hold)}`)
    },
  }
}

describe('Payments', () => {
  it('lists a payment left running by a crash, and sweeps it only after the window {core.concurrency.atomic-delivery}', async () => {
    const clock = { now: Date.now() }
    const { protect, payments } = crashing(
      TestMethod.server({ key: methodKey }),
      'before-handler',
      clock,
    )
    const { challenge } = await crashWhilePaying(protect)
    const [listed] = await payments.list({ unfinished: true })
    expect(listed).toMatchObject({
      challengeId: challenge.id,
      phase: 'running',
      mode: 'before-handler',
      method: 'test',
      amount: '1000',
      currency: 'usd',
      unclaimed: false,
    })
    expect(listed?.reference).toMatch(/^test_/)
    expect(await payments.sweep()).toEqual([])
    clock.now += 2 * hour
    // Taken before the handler, never answered, and the test method cannot refund: reported.
    const outcomes = await payments.sweep()
    expect(outcomes).toEqual([
      { challengeId: challenge.id, action: 'reported', detail: 'refund-manual' },
    ])
    const resolved = await payments.resolve(challenge.id, 'refunded')
    expect(resolved).toMatchObject({ phase: 'refunded', note: 'refunded-by-operator' })
    expect(await payments.list({ unfinished: true })).toEqual([])
    await expect(payments.resolve(challenge.id, 'void')).rejects.toBeInstanceOf(
      Payments.FinishedError,
    )
  })

  it('releases a hold left by a crash in an after-success handler, after the window {core.concurrency.atomic-delivery}', async () => {
    const clock = { now: Date.now() }
    const calls: string[] = []
    const { protect, payments } = crashing(holding(calls), 'after-success', clock)
    const { challenge, header } = await crashWhilePaying(protect)
    clock.now += 2 * hour
    expect(await payments.sweep()).toEqual([{ challengeId: challenge.id, action: 'released' }])
    expect(calls).toEqual([
      `lookup ${JSON.stringify({ authorization: 'auth_1' })}`,
      `release ${JSON.stringify({ authorization: 'auth_1' })}`,
    ])
    expect((await payments.get(challenge.id))?.phase).toBe('voided')
    const again = await protect(new Request(url, { headers: { authorization: header } }))
    expect(again.status).toBe(402)
  })

  it('closes an after-success payment whose handler died before anything was taken {core.concurrency.atomic-delivery}', async () => {
    const clock = { now: Date.now() }
    const { protect, payments } = crashing(
      TestMethod.server({ key: methodKey }),
      'after-success',
      clock,
    )
    const { challenge } = await crashWhilePaying(protect)
    clock.now += 2 * hour
    expect(await payments.sweep()).toEqual([{ challengeId: challenge.id, action: 'closed' }])
  })

  it('will not touch a payment a request holds, and says so', async () => {
    const clock = { now: Date.now() }
    let answer: (response: Response) => void = () => {}
    const store = MemoryStore.create({ now: () => clock.now })
    const method = TestMethod.server({ key: methodKey, outcome: () => 'pending' })
    const reached = deferred()
    const handler = Paywire.create({
      realm,
      secret,
      methods: [method],
      store,
      allowTestMethods: true,
      now: () => clock.now,
    }).protect(
      { price, settle: 'after-success' },
      () =>
        new Promise<Response>((resolve) => {
          answer = resolve
          reached.resolve()
        }),
    )
    const protect = Object.assign(handler, { reached: reached.promise })
    const payments = Payments.create({ store, methods: [method], now: () => clock.now })
    const { challenge } = await crashWhilePaying(protect)
    await expect(payments.resolve(challenge.id, 'void')).rejects.toBeInstanceOf(Payments.BusyError)
    answer(new Response('late'))
    await expect(payments.resolve('no-such-challenge', 'void')).rejects.toBeInstanceOf(
      Payments.NotFoundError,
    )
  })

  it('refuses a store that cannot scan its keys', () => {
    const store = MemoryStore.create()
    const { scan: _, ...plain } = store
    expect(() =>
      Payments.create({
        store: plain as Store.Store,
        methods: [TestMethod.server({ key: methodKey })],
      }),
    ).toThrow(Payments.UnsupportedStoreError)
  })

  it('keeps the receipt reference of a delivered payment for the operator', async () => {
    const store = MemoryStore.create()
    const method = TestMethod.server({ key: methodKey })
    const protect = Paywire.create({
      realm,
      secret,
      methods: [method],
      store,
      allowTestMethods: true,
    }).protect({ price }, () => new Response('ok'))
    const first = await protect(new Request(url))
    const challenge = challengesOf(first)[0] as Challenge.Challenge
    const paid = await protect(
      new Request(url, { headers: { authorization: await authorization(challenge) } }),
    )
    const receipt = Receipt.deserialize(paid.headers.get('payment-receipt') ?? '')
    const payments = Payments.create({ store, methods: [method] })
    expect(await payments.get(challenge.id)).toMatchObject({
      phase: 'delivered',
      reference: receipt.reference,
      unclaimed: false,
    })
  })
})

describe('a retry of the same credential after a crash', () => {
  /** A server on a shared store and clock whose handler hangs (its process died in it) the first time. */
  function server(method: TestServer, settle: Paywire.SettleMode, clock: { now: number }) {
    const store = MemoryStore.create({ now: () => clock.now })
    const runs = { count: 0 }
    const reached = deferred()
    const protect = Paywire.create({
      realm,
      secret,
      methods: [method],
      store,
      allowTestMethods: true,
      now: () => clock.now,
    }).protect({ price, settle }, () => {
      runs.count++
      if (runs.count > 1) return new Response('served')
      reached.resolve()
      return new Promise<Response>(() => {})
    })
    const payments = Payments.create({ store, methods: [method], now: () => clock.now })
    return { protect: Object.assign(protect, { reached: reached.promise }), payments, runs }
  }

  for (const [settle, swept] of [
    ['before-handler', { action: 'reported', detail: 'refund-manual' }],
    ['after-success', { action: 'closed' }],
  ] as const)
    it(`${settle}: a copy while the handler runs gets 503 and Retry-After until the lease ends; then 409, and the handler is never run again {core.concurrency.atomic-delivery}`, async () => {
      const clock = { now: Date.now() }
      const { protect, payments, runs } = server(
        TestMethod.server({ key: methodKey }),
        settle,
        clock,
      )
      const { challenge, header } = await crashWhilePaying(protect)
      const send = () => protect(new Request(url, { headers: { authorization: header } }))
      const copy = await send()
      expect(copy.status).toBe(503)
      expect(copy.headers.get('retry-after')).toBe('120')
      expect(copy.headers.get('www-authenticate')).toBeNull()
      clock.now += 60_000
      expect((await send()).headers.get('retry-after')).toBe('60')
      clock.now += 61_000
      for (let attempt = 0; attempt < 10; attempt++) {
        const retry = await send()
        expect(retry.status).toBe(409)
        expect(retry.headers.get('www-authenticate')).toBeNull()
        expect(retry.headers.get('payment-receipt')).toBeNull()
        expect(await retry.text()).not.toContain('served')
      }
      expect(runs.count).toBe(1)
      clock.now += 2 * hour
      expect(await payments.sweep()).toEqual([{ challengeId: challenge.id, ...swept }])
    })

  it('a payment interrupted before the handler is resumed by the retry once the lease ends: served once, paid once {core.concurrency.single-settlement}', async () => {
    const clock = { now: Date.now() }
    const test = TestMethod.server({ key: methodKey })
    const attempts: Array<{ id: string | undefined; resumed: boolean | undefined }> = []
    const hung = deferred()
    const method: TestServer = {
      ...test,
      async verify(parameters) {
        const { attempt } = parameters.context
        attempts.push({ id: attempt?.id, resumed: attempt?.resumed })
        await parameters.context.record?.(`ref_${attempt?.id}`)
        // The first attempt dies here (the process was killed after the call went out).
        if (attempts.length === 1) {
          hung.resolve()
          return new Promise<Receipt.Receipt>(() => {})
        }
        return test.verify(parameters)
      },
    }
    const store = MemoryStore.create({ now: () => clock.now })
    let runs = 0
    const protect = Paywire.create({
      realm,
      secret,
      methods: [method],
      store,
      allowTestMethods: true,
      now: () => clock.now,
    }).protect({ price }, () => {
      runs++
      return new Response('served')
    })
    const first = await protect(new Request(url))
    const challenge = challengesOf(first)[0] as Challenge.Challenge
    const header = await authorization(challenge)
    const send = () => protect(new Request(url, { headers: { authorization: header } }))
    void send()
    await hung.promise
    const payments = Payments.create({ store, methods: [method], now: () => clock.now })
    const recorded = await payments.get(challenge.id)
    expect(recorded).toMatchObject({ phase: 'pending', reference: `ref_${attempts[0]?.id}` })
    expect((await send()).status).toBe(503)
    clock.now += 121_000
    const retry = await send()
    expect(retry.status).toBe(200)
    expect(await retry.text()).toBe('served')
    expect(retry.headers.get('payment-receipt')).not.toBeNull()
    expect(runs).toBe(1)
    // The same attempt, resumed: what the first call did can be found under its keys.
    expect(attempts).toEqual([
      { id: attempts[0]?.id, resumed: false },
      { id: attempts[0]?.id, resumed: true },
    ])
    expect((await payments.get(challenge.id))?.phase).toBe('delivered')
    expect((await send()).status).toBe(402)
  })
})
