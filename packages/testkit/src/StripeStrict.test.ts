// The local Stripe API is at least as strict as Stripe on what paywire relies on
// (docs/stripe-local.md, "Strictness"): API versions, idempotency keys (length, a
// concurrent request in flight, a 500 saved mid-request), the shared payment token's
// parameter shape per version, `seller_details[external_id]`, and `max_amount` as a running
// capture limit; and the calls a server reconciling payments makes (manual capture,
// cancel, refunds, search by metadata).
import Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as StripeServer from './StripeServer.js'

const preview = '2026-02-25.preview'
const nested = '2026-04-22.preview'
let local: StripeServer.StripeServer
let seller: Stripe
let clock = Date.now()

beforeAll(async () => {
  local = await StripeServer.start({ now: () => clock })
  seller = new Stripe(StripeServer.seller.secretKey, {
    ...local.sdk,
    maxNetworkRetries: 0,
    telemetry: false,
  })
})
afterAll(() => local.close())

const inTenMinutes = () => Math.floor(clock / 1000) + 600

async function grant(
  limits: { max_amount?: number } = {},
  seller_details: Record<string, string> | undefined = undefined,
): Promise<string> {
  const token = (await seller.rawRequest(
    'POST',
    '/v1/test_helpers/shared_payment/granted_tokens',
    {
      payment_method: 'pm_card_visa',
      usage_limits: { currency: 'usd', max_amount: 5000, expires_at: inTenMinutes(), ...limits },
      ...(seller_details === undefined ? {} : { seller_details }),
    },
    { apiVersion: preview },
  )) as unknown as { id: string }
  return token.id
}

function charge(
  token: string,
  extra: Record<string, unknown> = {},
  options: Stripe.RequestOptions = {},
): Promise<Stripe.Response<Stripe.PaymentIntent>> {
  return seller.paymentIntents.create(
    {
      amount: 5000,
      currency: 'usd',
      confirm: true,
      shared_payment_granted_token: token,
      ...extra,
    } as Stripe.PaymentIntentCreateParams,
    { apiVersion: preview, ...options },
  )
}

const raw = (
  path: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
) =>
  fetch(`${local.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${StripeServer.seller.secretKey}`,
      'content-type': 'application/x-www-form-urlencoded',
      ...init.headers,
    },
    body: init.body ?? null,
  })

describe('the local Stripe API is as strict as Stripe', () => {
  it.each([
    '2026-02-30.preview',
    '2099-01-01.preview',
    '1999-01-01',
    '2026-02-25.banana',
    '2026-02-25.Preview',
    'latest',
  ])('refuses the unknown Stripe-Version %s with 400', async (version) => {
    const response = await raw('/v1/payment_intents/pi_missing', {
      headers: { 'stripe-version': version },
    })
    expect(response.status).toBe(400)
    const body = (await response.json()) as { error: { type: string; message: string } }
    expect(body.error.type).toBe('invalid_request_error')
    expect(body.error.message).toMatch(/API version/)
  })

  it.each([
    '2026-02-25.preview',
    '2026-04-22.preview',
    '2025-09-30.clover',
    '2026-04-22.dahlia',
    '2024-06-20',
  ])('accepts the released Stripe-Version %s', async (version) => {
    const response = await raw('/v1/payment_intents/pi_missing', {
      headers: { 'stripe-version': version },
    })
    expect(response.status).toBe(404)
  })

  it('refuses an idempotency key longer than 255 characters and accepts one of 255', async () => {
    const token = await grant({ max_amount: 10_000 })
    await expect(charge(token, {}, { idempotencyKey: 'k'.repeat(256) })).rejects.toMatchObject({
      statusCode: 400,
      type: 'StripeInvalidRequestError',
    })
    expect(local.paymentIntents().filter((intent) => intent.token === token)).toHaveLength(0)
    expect((await charge(token, {}, { idempotencyKey: 'k'.repeat(255) })).status).toBe('succeeded')
  })

  it('answers 409 to every request with a key while the first with that key is in flight', async () => {
    const token = await grant()
    local.script(token, { pause: true })
    const key = `concurrent_${token}`
    const attempts = Array.from({ length: 20 }, () =>
      charge(token, {}, { idempotencyKey: key }).then(
        (intent) => ({ status: 200, id: intent.id }),
        (error: Stripe.errors.StripeError) => ({ status: error.statusCode, code: error.code }),
      ),
    )
    await until(() => local.requests().filter((call) => call.idempotencyKey === key).length === 20)
    local.resume(token)
    const answers = await Promise.all(attempts)
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1)
    const conflicts = answers.filter((answer) => answer.status === 409)
    expect(conflicts).toHaveLength(19)
    expect(
      conflicts.every((answer) => 'code' in answer && answer.code === 'idempotency_key_in_use'),
    ).toBe(true)
    expect(local.paymentIntents().filter((intent) => intent.token === token)).toHaveLength(1)
  })

  it('saves a 500 that happened mid-request and replays it for that key; the PaymentIntent exists', async () => {
    const token = await grant()
    local.script(token, { faults: ['server_error_saved'] })
    const key = `saved_${token}`
    await expect(
      charge(token, { metadata: { challenge_id: 'c_saved' } }, { idempotencyKey: key }),
    ).rejects.toMatchObject({
      statusCode: 500,
    })
    const replay = await raw('/v1/payment_intents', {
      method: 'POST',
      headers: { 'idempotency-key': key, 'stripe-version': preview },
      body: new URLSearchParams({
        amount: '5000',
        currency: 'usd',
        confirm: 'true',
        shared_payment_granted_token: token,
        'metadata[challenge_id]': 'c_saved',
      }).toString(),
    })
    expect(replay.status).toBe(500)
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    const search = () =>
      seller.paymentIntents.search(
        { query: "metadata['challenge_id']:'c_saved'" },
        { apiVersion: preview },
      )
    // Search is not read-after-write: the PaymentIntent shows after a minute.
    expect((await search()).data).toEqual([])
    clock += 61_000
    const found = await seller.paymentIntents.search(
      { query: "metadata['challenge_id']:'c_saved'" },
      { apiVersion: preview },
    )
    expect(found.data.map((intent) => intent.status)).toEqual(['succeeded'])
  })

  it('takes the token at the top level before 2026-04-22 and only in payment_method_data from then on', async () => {
    const token = await grant({ max_amount: 20_000 })
    const nestedParams = {
      amount: 5000,
      currency: 'usd',
      confirm: true,
      payment_method_data: { shared_payment_granted_token: token },
    } as unknown as Stripe.PaymentIntentCreateParams
    await expect(
      seller.paymentIntents.create(nestedParams, { apiVersion: preview }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'parameter_unknown' })
    await expect(charge(token, {}, { apiVersion: nested })).rejects.toMatchObject({
      statusCode: 400,
      code: 'parameter_unknown',
      param: 'shared_payment_granted_token',
    })
    expect((await seller.paymentIntents.create(nestedParams, { apiVersion: nested })).status).toBe(
      'succeeded',
    )
    expect((await charge(token)).status).toBe('succeeded')
  })

  it('uses a token scoped with seller_details[external_id] only for that seller', async () => {
    const token = await grant({ max_amount: 10_000 }, { external_id: 'acct_local_connected' })
    await expect(charge(token)).rejects.toMatchObject({
      statusCode: 400,
      param: 'shared_payment_granted_token',
    })
    expect(local.paymentIntents().filter((intent) => intent.token === token)).toHaveLength(0)
    const intent = await charge(token, {}, { stripeAccount: 'acct_local_connected' })
    expect(intent.status).toBe('succeeded')
  })

  it('treats max_amount as a running limit over captures, held amounts included', async () => {
    const token = await grant({ max_amount: 12_000 })
    expect((await charge(token)).status).toBe('succeeded')
    const held = await charge(token, { capture_method: 'manual' })
    expect(held.status).toBe('requires_capture')
    await expect(charge(token, { amount: 2001 })).rejects.toMatchObject({
      statusCode: 400,
      code: 'amount_too_large',
    })
    await seller.paymentIntents.cancel(held.id, {}, { apiVersion: preview })
    expect((await charge(token, { amount: 7000 })).status).toBe('succeeded')
    expect(local.token(token)).toMatchObject({
      deactivated_reason: 'consumed',
      usage_details: { amount_captured: { value: 12_000 } },
    })
    await expect(charge(token, { amount: 1 })).rejects.toMatchObject({
      code: 'token_already_used',
    })
  })

  it('captures a held PaymentIntent once, cancels one, and refunds a captured one', async () => {
    const token = await grant({ max_amount: 20_000 })
    const held = await charge(token, { capture_method: 'manual' })
    const captured = await seller.paymentIntents.capture(
      held.id,
      {},
      { apiVersion: preview, idempotencyKey: `capture_${held.id}` },
    )
    expect(captured.status).toBe('succeeded')
    const again = await seller.paymentIntents.capture(
      held.id,
      {},
      { apiVersion: preview, idempotencyKey: `capture_${held.id}` },
    )
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true')
    await expect(
      seller.paymentIntents.capture(held.id, {}, { apiVersion: preview }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' })
    const refund = await seller.refunds.create(
      { payment_intent: held.id },
      { apiVersion: preview, idempotencyKey: `refund_${held.id}` },
    )
    expect(refund).toMatchObject({ object: 'refund', status: 'succeeded', amount: 5000 })
    await expect(
      seller.refunds.create({ payment_intent: held.id }, { apiVersion: preview }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'charge_already_refunded' })
    expect(local.refunds().map((entry) => entry.paymentIntent)).toContain(held.id)
    const other = await charge(token, { capture_method: 'manual' })
    const canceled = await seller.paymentIntents.cancel(other.id, {}, { apiVersion: preview })
    expect(canceled.status).toBe('canceled')
    await expect(
      seller.paymentIntents.capture(other.id, {}, { apiVersion: preview }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' })
  })

  it('finishes a processing PaymentIntent when told (test control)', async () => {
    const token = await grant()
    local.script(token, { outcome: 'processing' })
    const intent = await charge(token)
    expect(intent.status).toBe('processing')
    local.finish(intent.id, 'succeeded')
    const later = await seller.paymentIntents.retrieve(intent.id, {}, { apiVersion: preview })
    expect(later.status).toBe('succeeded')
  })
})

async function until(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 10_000 && !condition(); turn++)
    await new Promise((resolve) => setTimeout(resolve, 1))
  expect(condition()).toBe(true)
}
