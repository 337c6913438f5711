// The server half through @paywire/server's fetch core, against the local Stripe API
// driven by the official SDK: every outcome the draft names, retries that never charge
// twice, and the challenge binding.
import { Challenge, Json } from '@paywire/core'
import { StripeServer } from '@paywire/testkit'
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
import * as Settlement from './Settlement.js'
import * as StripeApi from './StripeApi.js'

let local: StripeServer.StripeServer
let clock: { now: number }
let stripe: Stripe

beforeAll(async () => {
  ;({ local, clock } = await startStripe())
  stripe = sdk(local)
})
afterAll(() => local.close())

function handler(options: Parameters<typeof stripeServer>[1] = {}) {
  const paywire = makePaywire(stripeServer(stripe, options), { now: () => clock.now })
  return paywire.protect({ price }, () => new Response('paid content'))
}

const intentsOf = (spt: string) => local.paymentIntents().filter((intent) => intent.token === spt)
const callsSince = (count: number) => local.requests().slice(count)

describe('Stripe charge server', () => {
  it('issues a JCS request with the seller network and payment method types and no Connect parameters {stripe.charge.intent.lowercase, stripe.charge.request.jcs, stripe.charge.request.fields, stripe.charge.request.method-details, stripe.charge.connect.not-in-challenge}', async () => {
    const protect = handler({
      connect: {
        connectedAccounts: ['acct_local_connected'],
        settle: () => ({ applicationFeeAmount: 100 }),
      },
    })
    const issued = await challenge(protect)
    expect(issued.intent).toBe('charge')
    const decoded = Challenge.decodeRequest(issued)
    expect(Challenge.encodeRequest(decoded)).toBe(issued.request)
    expect(Json.canonicalize(decoded)).toBe(Buffer.from(issued.request, 'base64url').toString())
    expect(decoded).toEqual({
      amount: '5000',
      currency: 'usd',
      methodDetails: {
        networkId: StripeServer.seller.networkId,
        paymentMethodTypes: ['card', 'link'],
      },
    })
    expect(JSON.stringify(decoded)).not.toMatch(
      /application_fee|transfer|on_behalf_of|stripeAccount/,
    )
  })

  it('charges the token once with confirm=true and answers the receipt {stripe.charge.settle.succeeded-only, stripe.charge.receipt.on-success, stripe.charge.settle.no-wait, stripe.charge.verify.precheck}', async () => {
    const protect = handler()
    const issued = await challenge(protect)
    const spt = await grant(stripe, {}, clock.now)
    const before = local.requests().length
    const response = await pay(protect, issued, { spt, externalId: 'client_order_789' })
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('paid content')
    const receipt = JSON.parse(
      Buffer.from(response.headers.get('payment-receipt') ?? '', 'base64url').toString(),
    )
    const [intent] = intentsOf(spt)
    expect(receipt).toMatchObject({
      method: 'stripe',
      status: 'success',
      reference: intent?.id,
      externalId: 'client_order_789',
    })
    const calls = callsSince(before)
    expect(calls.map((call) => `${call.method} ${call.path}`)).toEqual([
      `GET /v1/shared_payment/granted_tokens/${spt}`,
      'POST /v1/payment_intents',
    ])
    const create = calls[1]
    expect(create?.apiVersion).toBe(StripeApi.version)
    expect(create?.idempotencyKey).toBe(Settlement.idempotencyKey(issued.id))
    expect(create?.params).toEqual({
      amount: '5000',
      currency: 'usd',
      shared_payment_granted_token: spt,
      confirm: 'true',
      automatic_payment_methods: { enabled: 'true', allow_redirects: 'never' },
      metadata: { challenge_id: issued.id, paywire_attempt: expect.stringMatching(/^[\w-]{22}$/) },
    })
  })

  it.each([
    [
      'declined',
      { outcome: 'declined', declineCode: 'insufficient_funds' },
      /declined.*insufficient_funds/,
    ],
    [
      'requires_action',
      { outcome: 'requires_action' },
      /requires customer action/,
      'payment-action-required',
    ],
    ['processing (not paid)', { outcome: 'processing' }, /processing, not succeeded/],
  ] as const)(
    'refuses a %s PaymentIntent with 402 (verification-failed, or -01 payment-action-required), a fresh challenge and no receipt {stripe.charge.settle.succeeded-only, stripe.charge.receipt.not-on-error, core.problem.types-01}',
    async (_, script, detail, type: string = 'verification-failed') => {
      const protect = handler()
      const issued = await challenge(protect)
      const spt = await grant(stripe, {}, clock.now)
      local.script(spt, script)
      const response = await pay(protect, issued, { spt })
      expect(response.status).toBe(402)
      expect(response.headers.get('payment-receipt')).toBeNull()
      expect(response.headers.get('www-authenticate')).toMatch(/^Payment /)
      const body = await problemOf(response)
      expect(body.type).toBe(problem(type))
      expect(body.detail).toMatch(detail)
      expect(body.detail).not.toContain(spt)
      expect(intentsOf(spt)).toHaveLength(1)
    },
  )

  it('refuses a token already presented for another challenge without calling Stripe {stripe.charge.verify.spt-unused}', async () => {
    const protect = handler()
    const spt = await grant(stripe, {}, clock.now)
    expect((await pay(protect, await challenge(protect), { spt })).status).toBe(200)
    const before = local.requests().length
    const again = await pay(protect, await challenge(protect), { spt })
    expect(again.status).toBe(402)
    expect((await problemOf(again)).detail).toMatch(/already presented for another challenge/)
    expect(callsSince(before)).toHaveLength(0)
    expect(intentsOf(spt)).toHaveLength(1)
  })

  it('refuses a token Stripe reports used, on a server that never saw it {stripe.charge.verify.spt-unused}', async () => {
    const spt = await grant(stripe, {}, clock.now)
    local.script(spt, { outcome: 'already_used' })
    for (const precheck of [true, false]) {
      const protect = handler({ precheck })
      const response = await pay(protect, await challenge(protect), { spt })
      expect(response.status).toBe(402)
      const body = await problemOf(response)
      expect(body.type).toBe(problem('verification-failed'))
      expect(body.detail).toMatch(/already used/)
    }
  })

  it('refuses revoked and expired tokens and amounts above the token limit before any PaymentIntent {stripe.charge.verify.precheck}', async () => {
    const protect = handler()
    const revoked = await grant(stripe, {}, clock.now)
    await stripe.rawRequest(
      'POST',
      `/v1/test_helpers/shared_payment/granted_tokens/${revoked}/revoke`,
      {},
      { apiVersion: StripeApi.version },
    )
    const expiring = await grant(
      stripe,
      { expires_at: Math.floor(clock.now / 1000) + 2 },
      clock.now,
    )
    const small = await grant(stripe, { max_amount: 4999 }, clock.now)
    const euro = await grant(stripe, { currency: 'eur' }, clock.now)
    const cases = [
      [revoked, 'verification-failed', /revoked/],
      [small, 'payment-insufficient', /allows 4999 usd/],
      [euro, 'verification-failed', /limited to eur/],
    ] as const
    for (const [spt, slug, detail] of cases) {
      const response = await pay(protect, await challenge(protect), { spt })
      const body = await problemOf(response)
      expect([response.status, body.type]).toEqual([402, problem(slug)])
      expect(body.detail).toMatch(detail)
      expect(intentsOf(spt)).toHaveLength(0)
    }
    const issued = await challenge(protect)
    clock.now += 3_000
    const response = await pay(protect, issued, { spt: expiring })
    expect((await problemOf(response)).type).toBe(problem('payment-expired'))
    expect(intentsOf(expiring)).toHaveLength(0)
  })

  it('refuses a token Stripe does not know, with or without the pre-check', async () => {
    for (const precheck of [true, false]) {
      const protect = handler({ precheck })
      const response = await pay(protect, await challenge(protect), { spt: 'spt_unknown123' })
      const body = await problemOf(response)
      expect([response.status, body.type]).toEqual([402, problem('verification-failed')])
      expect(body.detail).toMatch(
        precheck
          ? /no such shared payment token/
          : /refused the shared payment token \(resource_missing\)/,
      )
      expect(body.detail).not.toContain('spt_unknown123')
    }
  })

  it('maps Stripe refusals of revoked, expired and over-limit tokens without the pre-check {stripe.charge.verify.spt-unused}', async () => {
    const protect = handler({ precheck: false })
    const revoked = await grant(stripe, {}, clock.now)
    await stripe.rawRequest(
      'POST',
      `/v1/test_helpers/shared_payment/granted_tokens/${revoked}/revoke`,
      {},
      { apiVersion: StripeApi.version },
    )
    const small = await grant(stripe, { max_amount: 100 }, clock.now)
    for (const [spt, slug] of [
      [revoked, 'verification-failed'],
      [small, 'payment-insufficient'],
    ] as const) {
      const response = await pay(protect, await challenge(protect), { spt })
      expect((await problemOf(response)).type).toBe(problem(slug))
      expect(response.headers.get('payment-receipt')).toBeNull()
    }
  })

  it('answers 429 with 503 (outcome unknown, no new challenge), then charges once when the same credential is retried {stripe.charge.settle.idempotency-key}', async () => {
    const protect = handler()
    const issued = await challenge(protect)
    const spt = await grant(stripe, {}, clock.now)
    local.script(spt, { faults: ['rate_limit'] })
    const header = authorization(issued, { spt })
    const send = () =>
      protect(new Request('https://shop.paywire.test/paid', { headers: { authorization: header } }))
    const first = await send()
    expect(first.status).toBe(503)
    expect(first.headers.get('www-authenticate')).toBeNull()
    expect(first.headers.get('retry-after')).not.toBeNull()
    expect(intentsOf(spt)).toHaveLength(0)
    const second = await send()
    expect(second.status).toBe(200)
    expect(intentsOf(spt)).toHaveLength(1)
  })

  it('rides out a Stripe 500 with the SDK retry under the same key {stripe.charge.settle.idempotency-key}', async () => {
    const protect = handler({ maxNetworkRetries: 1 })
    const issued = await challenge(protect)
    const spt = await grant(stripe, {}, clock.now)
    local.script(spt, { faults: ['server_error'] })
    const response = await pay(protect, issued, { spt })
    expect(response.status).toBe(200)
    const creates = local
      .requests()
      .filter((call) => call.params.shared_payment_granted_token === spt)
    expect(creates.map((call) => [call.status, call.idempotencyKey])).toEqual([
      [500, Settlement.idempotencyKey(issued.id)],
      [200, Settlement.idempotencyKey(issued.id)],
    ])
    expect(intentsOf(spt)).toHaveLength(1)
  })

  it('after a timeout, a retry of the same credential gets the same PaymentIntent: one charge {stripe.charge.settle.idempotency-key}', async () => {
    const protect = handler({ maxNetworkRetries: 0, timeout: 250 })
    const issued = await challenge(protect)
    const spt = await grant(stripe, {}, clock.now)
    local.script(spt, { faults: ['timeout'] })
    const header = authorization(issued, { spt })
    const send = () =>
      protect(new Request('https://shop.paywire.test/paid', { headers: { authorization: header } }))
    const first = await send()
    expect(first.status).toBe(503)
    expect((await problemOf(first)).detail).toMatch(/retry with the same credential/)
    const second = await send()
    expect(second.status).toBe(200)
    const reference = JSON.parse(
      Buffer.from(second.headers.get('payment-receipt') ?? '', 'base64url').toString(),
    ).reference
    expect(intentsOf(spt).map((intent) => intent.id)).toEqual([reference])
    expect(local.requests().at(-1)?.replayed).toBe(true)
  })

  it('refuses another token for a challenge Stripe already saw, instead of charging twice {stripe.charge.settle.idempotency-key}', async () => {
    const protect = handler()
    const issued = await challenge(protect)
    const declined = await grant(stripe, {}, clock.now)
    local.script(declined, { outcome: 'declined' })
    expect((await pay(protect, issued, { spt: declined })).status).toBe(402)
    const other = await grant(stripe, {}, clock.now)
    const response = await pay(protect, issued, { spt: other })
    expect((await problemOf(response)).detail).toMatch(/already submitted to Stripe/)
    expect(intentsOf(other)).toHaveLength(0)
  })

  it.each([
    ['amount', { amount: '1' }],
    ['currency', { currency: 'eur' }],
    ['network', { methodDetails: { networkId: 'profile_attacker', paymentMethodTypes: ['card'] } }],
  ])(
    'refuses a credential whose echoed %s was changed, before touching Stripe {stripe.charge.binding.exact, stripe.charge.verify.challenge-id}',
    async (_, change) => {
      const protect = handler()
      const issued = await challenge(protect)
      const spt = await grant(stripe, {}, clock.now)
      const tampered = {
        ...issued,
        request: Challenge.encodeRequest({ ...Challenge.decodeRequest(issued), ...change }),
      }
      const before = local.requests().length
      const response = await pay(protect, tampered, { spt })
      expect(response.status).toBe(402)
      expect((await problemOf(response)).type).toBe(problem('invalid-challenge'))
      expect(callsSince(before)).toHaveLength(0)
    },
  )

  it('refuses an expired challenge and a replayed credential before touching Stripe {stripe.charge.verify.not-expired, stripe.charge.verify.order, stripe.charge.replay.single-use-challenge, stripe.charge.replay.local-cache}', async () => {
    const protect = handler()
    const issued = await challenge(protect)
    const spt = await grant(stripe, {}, clock.now)
    clock.now += 10 * 60_000
    const before = local.requests().length
    const late = await pay(protect, issued, { spt })
    // draft-httpauth-payment-01: an expired challenge is payment-expired.
    expect([late.status, (await problemOf(late)).type]).toEqual([402, problem('payment-expired')])
    expect(callsSince(before)).toHaveLength(0)
    const fresh = await challenge(protect)
    const spt2 = await grant(stripe, {}, clock.now)
    expect((await pay(protect, fresh, { spt: spt2 })).status).toBe(200)
    const replayed = await pay(protect, fresh, { spt: spt2 })
    expect((await problemOf(replayed)).type).toBe(problem('invalid-challenge'))
    expect(intentsOf(spt2)).toHaveLength(1)
  })

  it('refuses a payload without an spt as invalid-payload (draft -01) {stripe.charge.verify.extract-spt, stripe.charge.payload.fields, core.problem.types-01}', async () => {
    const protect = handler()
    const response = await pay(protect, await challenge(protect), { token: 'spt_123' })
    expect((await problemOf(response)).type).toBe(problem('invalid-payload'))
  })

  it('settles under Connect with the server policy only, never the client payload {stripe.charge.connect.optional, stripe.charge.connect.server-side, stripe.charge.connect.not-from-client}', async () => {
    const protect = handler({
      connect: {
        connectedAccounts: ['acct_local_connected'],
        settle: ({ challenge: paid }) => ({
          stripeAccount: 'acct_local_connected',
          applicationFeeAmount: 150,
          transferGroup: `order_${paid.id.slice(0, 8)}`,
        }),
      },
    })
    const spt = await grant(stripe, {}, clock.now)
    const response = await pay(protect, await challenge(protect), {
      spt,
      transfer_data: { destination: 'acct_attacker' },
      application_fee_amount: 0,
    })
    expect(response.status).toBe(200)
    const [intent] = intentsOf(spt)
    expect(intent?.account).toBe('acct_local_connected')
    expect(intent?.params).toMatchObject({ application_fee_amount: '150' })
    expect(intent?.params.transfer_data).toBeUndefined()
    expect(local.requests().at(-1)?.stripeAccount).toBe('acct_local_connected')
  })

  it('answers 500 and charges nothing when Stripe refuses the server key', async () => {
    const wrongKey = sdk(local, { ...StripeServer.seller, secretKey: 'sk_test_revoked' })
    const paywire = makePaywire(stripeServer(wrongKey), { now: () => clock.now })
    const protect = paywire.protect({ price }, () => new Response('paid content'))
    const spt = await grant(stripe, {}, clock.now)
    const response = await pay(protect, await challenge(protect), { spt })
    expect(response.status).toBe(500)
    expect(response.headers.get('payment-receipt')).toBeNull()
    expect(intentsOf(spt)).toHaveLength(0)
  })

  it.each([
    ['an unauthorized connected account', { stripeAccount: 'acct_stranger' }],
    ['a destination outside the allowed accounts', { transferData: { destination: 'acct_x' } }],
    ['a fee above the amount', { applicationFeeAmount: 5001 }],
    [
      'a negative transfer amount',
      { transferData: { destination: 'acct_local_connected', amount: -1 } },
    ],
    ['transfer data without a destination', { transferData: { destination: '' } }],
  ])(
    'refuses %s in the Connect policy with a server error and no PaymentIntent {stripe.charge.connect.authorized-accounts, stripe.charge.connect.transfer-destination, stripe.charge.connect.fee-bounds, stripe.charge.connect.transfer-amount-bounds}',
    async (_, settlement) => {
      const protect = handler({
        connect: { connectedAccounts: ['acct_local_connected'], settle: () => settlement },
      })
      const spt = await grant(stripe, {}, clock.now)
      const response = await pay(protect, await challenge(protect), { spt })
      expect(response.status).toBe(500)
      expect(response.headers.get('payment-receipt')).toBeNull()
      expect(intentsOf(spt)).toHaveLength(0)
    },
  )
})
