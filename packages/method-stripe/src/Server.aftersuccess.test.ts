// The Stripe method under the after-success model (docs/security.md "The after-success
// model"): the card is authorised (manual capture) before the handler and captured after a
// 2xx; the handler runs at most once per challenge whatever the card does; a timeout,
// a `processing` payment or a 500 Stripe saved mid-request never leave the payer charged
// and unserved: the retry of the same credential completes. Counted on the local API.
import { Payments } from '@paywire/server'
import { MemoryStore } from '@paywire/store-memory'
import type { StripeServer } from '@paywire/testkit'
import type Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  authorization,
  challenge,
  grant,
  makePaywire,
  pay,
  price,
  problem,
  problemOf,
  sdk,
  startStripe,
  stripeServer,
} from '../test/fixtures.js'
import * as StripeApi from './StripeApi.js'

let local: StripeServer.StripeServer
let clock: { now: number }
let stripe: Stripe

beforeAll(async () => {
  ;({ local, clock } = await startStripe())
  stripe = sdk(local)
})
afterAll(() => local.close())

const intentsOf = (spt: string) => local.paymentIntents().filter((intent) => intent.token === spt)
const url = 'https://shop.paywire.test/paid'

function protectedRoute(
  options: Parameters<typeof stripeServer>[1] = {},
  settle: 'after-success' | 'before-handler' = 'after-success',
  answer: () => Response = () => new Response('paid content'),
) {
  const runs = { count: 0, statuses: [] as string[] }
  const paywire = makePaywire(stripeServer(stripe, options), { now: () => clock.now })
  const protect = paywire.protect({ price, settle }, () => {
    runs.count++
    return answer()
  })
  return { protect, runs }
}

const send = (protect: (request: Request) => Promise<Response>, header: string) =>
  protect(new Request(url, { headers: { authorization: header } }))

describe('after-success with Stripe: the handler never runs for free', () => {
  it('10 presentations with a declining card run the handler 0 times (pre-check on) {core.side-effects.unpaid, stripe.charge.settle.succeeded-only}', async () => {
    const { protect, runs } = protectedRoute()
    const spt = await grant(stripe, {}, clock.now)
    local.script(spt, { outcome: 'declined', declineCode: 'insufficient_funds' })
    const header = authorization(await challenge(protect), { spt })
    for (let attempt = 0; attempt < 10; attempt++)
      expect((await send(protect, header)).status).toBe(402)
    expect(runs.count).toBe(0)
  })

  it('10 presentations with a made-up token run the handler 0 times (pre-check off) {core.side-effects.unpaid, stripe.charge.settle.succeeded-only}', async () => {
    const { protect, runs } = protectedRoute({ precheck: false })
    const header = authorization(await challenge(protect), { spt: 'spt_madeup12345' })
    for (let attempt = 0; attempt < 10; attempt++)
      expect((await send(protect, header)).status).toBe(402)
    expect(runs.count).toBe(0)
  })

  it('holds the card before the handler and captures after a 2xx; cancels after a failure {core.side-effects.unpaid, stripe.charge.settle.succeeded-only}', async () => {
    const seen: string[] = []
    const spt = await grant(stripe, {}, clock.now)
    const { protect } = protectedRoute({}, 'after-success', () => {
      seen.push(...intentsOf(spt).map((intent) => intent.status))
      return new Response('paid content')
    })
    const paid = await pay(protect, await challenge(protect), { spt })
    expect(paid.status).toBe(200)
    expect(seen).toEqual(['requires_capture'])
    expect(intentsOf(spt).map((intent) => intent.status)).toEqual(['succeeded'])
    expect(intentsOf(spt)[0]?.params).toMatchObject({ capture_method: 'manual' })
    const captures = local.requests().filter((call) => call.path.endsWith('/capture'))
    expect(captures).toHaveLength(1)

    const failing = await grant(stripe, {}, clock.now)
    const broken = protectedRoute({}, 'after-success', () => new Response('no', { status: 500 }))
    const header = authorization(await challenge(broken.protect), { spt: failing })
    expect((await send(broken.protect, header)).status).toBe(500)
    expect(intentsOf(failing).map((intent) => intent.status)).toEqual(['canceled'])
    for (let attempt = 0; attempt < 9; attempt++)
      expect((await send(broken.protect, header)).status).toBe(402)
    expect(broken.runs.count).toBe(1)
    expect(intentsOf(failing)).toHaveLength(1)
  })

  it('a capture refused after the handler withholds the response and never reruns it in 10 tries {core.side-effects.unpaid, stripe.charge.settle.succeeded-only}', async () => {
    const spt = await grant(stripe, {}, clock.now)
    const { protect, runs } = protectedRoute({}, 'after-success', () => {
      // The authorisation is voided while the handler runs (it expired, the issuer
      // reversed it): the capture afterwards is refused.
      for (const intent of intentsOf(spt))
        void stripe.paymentIntents.cancel(intent.id, {}, { apiVersion: StripeApi.version })
      return new Response('paid content')
    })
    const header = authorization(await challenge(protect), { spt })
    const answers: number[] = []
    for (let attempt = 0; attempt < 10; attempt++) {
      const response = await send(protect, header)
      expect(await response.text()).not.toContain('paid content')
      answers.push(response.status)
    }
    expect(runs.count).toBe(1)
    expect(answers[0]).toBe(402)
  })
})

describe('after-success with Stripe: never charged and unserved', () => {
  it('a timeout while holding answers 503; the retry of the same credential is served, one PaymentIntent {stripe.charge.settle.idempotency-key}', async () => {
    const { protect, runs } = protectedRoute({ maxNetworkRetries: 0, timeout: 250 })
    const spt = await grant(stripe, {}, clock.now)
    local.script(spt, { faults: ['timeout'] })
    const header = authorization(await challenge(protect), { spt })
    const first = await send(protect, header)
    expect(first.status).toBe(503)
    expect(first.headers.get('www-authenticate')).toBeNull()
    const second = await send(protect, header)
    expect(second.status).toBe(200)
    expect(second.headers.get('payment-receipt')).not.toBeNull()
    expect(runs.count).toBe(1)
    expect(intentsOf(spt).map((intent) => intent.status)).toEqual(['succeeded'])
  })

  it('before-handler: a timeout answers 503 and the retry is served once, with or without the pre-check {stripe.charge.settle.idempotency-key}', async () => {
    for (const precheck of [true, false]) {
      const { protect, runs } = protectedRoute(
        { maxNetworkRetries: 0, timeout: 250, precheck },
        'before-handler',
      )
      const spt = await grant(stripe, {}, clock.now)
      local.script(spt, { faults: ['timeout'] })
      const header = authorization(await challenge(protect), { spt })
      expect((await send(protect, header)).status).toBe(503)
      expect((await send(protect, header)).status).toBe(200)
      expect((await send(protect, header)).status).toBe(402)
      expect(runs.count).toBe(1)
      expect(intentsOf(spt)).toHaveLength(1)
    }
  })

  it('a processing PaymentIntent is refused as the draft says (402) but kept: once it succeeds the retry of the same credential is served {stripe.charge.settle.succeeded-only}', async () => {
    const { protect, runs } = protectedRoute({}, 'before-handler')
    const spt = await grant(stripe, {}, clock.now)
    local.script(spt, { outcome: 'processing' })
    const header = authorization(await challenge(protect), { spt })
    const first = await send(protect, header)
    expect(first.status).toBe(402)
    expect((await problemOf(first)).detail).toMatch(/processing/)
    expect(runs.count).toBe(0)
    const [intent] = intentsOf(spt)
    local.finish(intent?.id ?? '', 'succeeded')
    const second = await send(protect, header)
    expect(second.status).toBe(200)
    expect(runs.count).toBe(1)
    expect(intentsOf(spt)).toHaveLength(1)
  })

  it('a 500 Stripe saved mid-request is not a dead end: the retry finds the PaymentIntent by its challenge id {stripe.charge.settle.idempotency-key}', async () => {
    const { protect, runs } = protectedRoute({}, 'before-handler')
    const spt = await grant(stripe, {}, clock.now)
    local.script(spt, { faults: ['server_error_saved'] })
    const header = authorization(await challenge(protect), { spt })
    expect((await send(protect, header)).status).toBe(503)
    // Stripe replays the saved 500 for the key; search shows the PaymentIntent a minute on.
    expect((await send(protect, header)).status).toBe(503)
    clock.now += 61_000
    const third = await send(protect, header)
    expect(third.status).toBe(200)
    expect(runs.count).toBe(1)
    expect(intentsOf(spt)).toHaveLength(1)
    const creates = local
      .requests()
      .filter((call) => call.params.shared_payment_granted_token === spt)
    expect(creates.map((call) => [call.status, call.replayed])).toEqual([
      [500, false],
      [500, true],
      [500, true],
    ])
  })
})

describe('reconciliation of Stripe payments never claimed', () => {
  it('refunds a processing payment that succeeded after its payer went away, once {stripe.charge.settle.idempotency-key, core.concurrency.single-settlement}', async () => {
    const store = MemoryStore.create()
    const method = stripeServer(stripe)
    const protect = makePaywire(method, { now: () => clock.now, store }).protect(
      { price },
      () => new Response('paid content'),
    )
    const spt = await grant(stripe, {}, clock.now)
    local.script(spt, { outcome: 'processing' })
    const issued = await challenge(protect)
    expect((await pay(protect, issued, { spt })).status).toBe(402)
    const [intent] = intentsOf(spt)
    local.finish(intent?.id ?? '', 'succeeded')
    const payments = Payments.create({
      store,
      methods: [method],
      now: () => clock.now + 2 * 3_600_000,
    })
    expect(
      (await payments.list({ unfinished: true })).map((payment) => payment.challengeId),
    ).toEqual([issued.id])
    // Found by the challenge id in its metadata (search shows it a minute on).
    clock.now += 61_000
    const [outcome] = await payments.sweep()
    expect(outcome).toMatchObject({ challengeId: issued.id, action: 'refunded' })
    expect(local.refunds().filter((refund) => refund.paymentIntent === intent?.id)).toHaveLength(1)
    expect(await payments.sweep()).toEqual([])
    expect((await pay(protect, issued, { spt })).status).toBe(402)
  })
})

describe('a token is bound to the first challenge that presents it', () => {
  it('presenting it twice on another challenge is refused both times without calling Stripe {stripe.charge.verify.spt-unused}', async () => {
    const { protect } = protectedRoute({}, 'before-handler')
    const spt = await grant(stripe, { max_amount: 10_000 }, clock.now)
    expect((await pay(protect, await challenge(protect), { spt })).status).toBe(200)
    const other = authorization(await challenge(protect), { spt })
    const before = local.requests().length
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await send(protect, other)
      expect(response.status).toBe(402)
      expect((await problemOf(response)).type).toBe(problem('verification-failed'))
    }
    expect(local.requests().slice(before)).toHaveLength(0)
    expect(intentsOf(spt)).toHaveLength(1)
  })
})
