// The local Stripe API, driven through the official `stripe` SDK as a seller and an agent
// would drive Stripe itself.
import Stripe from 'stripe'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import * as StripeServer from './StripeServer.js'

const preview = '2026-02-25.preview'
let clock = Date.now()
let local: StripeServer.StripeServer
let seller: Stripe
let agent: Stripe

beforeAll(async () => {
  local = await StripeServer.start({ now: () => clock })
  const options = { ...local.sdk, maxNetworkRetries: 0, telemetry: false }
  seller = new Stripe(StripeServer.seller.secretKey, options)
  agent = new Stripe(StripeServer.agent.secretKey, options)
})
afterAll(() => local.close())
beforeEach(() => {
  clock = Date.now()
})

const inTenMinutes = () => Math.floor(clock / 1000) + 600

type Granted = {
  id: string
  deactivated_reason: string | null
  usage_limits: { max_amount: number }
}

async function grant(limits: { currency?: string; max_amount?: number; expires_at?: number } = {}) {
  return (await seller.rawRequest(
    'POST',
    '/v1/test_helpers/shared_payment/granted_tokens',
    {
      payment_method: 'pm_card_visa',
      usage_limits: { currency: 'usd', max_amount: 5000, expires_at: inTenMinutes(), ...limits },
    },
    { apiVersion: preview },
  )) as unknown as Granted
}

function charge(
  token: string,
  extra: Record<string, unknown> = {},
  options: Stripe.RequestOptions = {},
): Promise<Stripe.Response<Stripe.PaymentIntent>> {
  const params = {
    amount: 5000,
    currency: 'usd',
    confirm: true,
    shared_payment_granted_token: token,
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    ...extra,
  } as Stripe.PaymentIntentCreateParams
  return seller.paymentIntents.create(params, { apiVersion: preview, ...options })
}

const created = (token: string) => local.paymentIntents().filter((intent) => intent.token === token)

describe('StripeServer', () => {
  it('charges a granted token through the SDK and records the call', async () => {
    const token = await grant()
    const intent = await charge(token.id, { metadata: { challenge_id: 'ch_1' } })
    expect(intent).toMatchObject({ object: 'payment_intent', status: 'succeeded', amount: 5000 })
    expect(intent.id).toMatch(/^pi_/)
    const call = local.requests().at(-1)
    expect(call).toMatchObject({
      method: 'POST',
      path: '/v1/payment_intents',
      apiVersion: preview,
      auth: 'bearer',
      status: 200,
      replayed: false,
    })
    expect(call?.params).toMatchObject({
      amount: '5000',
      confirm: 'true',
      metadata: { challenge_id: 'ch_1' },
      automatic_payment_methods: { enabled: 'true', allow_redirects: 'never' },
    })
    expect(call?.idempotencyKey).toMatch(/^stripe-node-retry-/)
    const retrieved = await seller.paymentIntents.retrieve(intent.id, {}, { apiVersion: preview })
    expect(retrieved.status).toBe('succeeded')
    expect(local.token(token.id)).toMatchObject({
      deactivated_reason: 'consumed',
      usage_details: { amount_captured: { value: 5000, currency: 'usd' } },
    })
  })

  it('takes the token as payment_method_data[shared_payment_granted_token] from 2026-04-22 on', async () => {
    const token = await grant()
    const intent = await seller.paymentIntents.create(
      {
        amount: 5000,
        currency: 'usd',
        confirm: true,
        payment_method_data: { shared_payment_granted_token: token.id },
      } as unknown as Stripe.PaymentIntentCreateParams,
      { apiVersion: '2026-04-22.preview' },
    )
    expect(intent.status).toBe('succeeded')
    expect(created(token.id)).toHaveLength(1)
  })

  it('refuses the token parameter on a non-preview API version', async () => {
    const token = await grant()
    await expect(charge(token.id, {}, { apiVersion: '2025-09-30.clover' })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
      code: 'parameter_unknown',
      param: 'shared_payment_granted_token',
    })
  })

  it('creates then confirms a PaymentIntent in two calls', async () => {
    const token = await grant()
    const intent = await charge(token.id, { confirm: false })
    expect(intent.status).toBe('requires_confirmation')
    const confirmed = await seller.paymentIntents.confirm(intent.id, {}, { apiVersion: preview })
    expect(confirmed.status).toBe('succeeded')
  })

  it('authenticates Bearer and Basic keys and refuses others with 401', async () => {
    const basic = await fetch(`${local.url}/v1/payment_intents/pi_missing`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${StripeServer.seller.secretKey}:`).toString('base64')}`,
      },
    })
    expect(basic.status).toBe(404)
    expect(local.requests().at(-1)?.auth).toBe('basic')
    const stranger = new Stripe('sk_test_unknown', { ...local.sdk, maxNetworkRetries: 0 })
    await expect(stranger.paymentIntents.retrieve('pi_x')).rejects.toMatchObject({
      type: 'StripeAuthenticationError',
      statusCode: 401,
    })
    const anonymous = await fetch(`${local.url}/v1/payment_intents/pi_x`)
    expect(anonymous.status).toBe(401)
    expect((await anonymous.json()).error.type).toBe('invalid_request_error')
  })

  it('replays an idempotent retry and refuses the key with other parameters', async () => {
    const token = await grant()
    const key = `key_${token.id}`
    const first = await charge(token.id, {}, { idempotencyKey: key })
    const again = await charge(token.id, {}, { idempotencyKey: key })
    expect(again.id).toBe(first.id)
    expect(local.requests().at(-1)?.replayed).toBe(true)
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true')
    expect(created(token.id)).toHaveLength(1)
    await expect(charge(token.id, { amount: 4000 }, { idempotencyKey: key })).rejects.toMatchObject(
      {
        type: 'StripeIdempotencyError',
        statusCode: 400,
        rawType: 'idempotency_error',
      },
    )
  })

  it('keeps a token single-use', async () => {
    const token = await grant()
    await charge(token.id)
    await expect(charge(token.id)).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
      code: 'token_already_used',
      param: 'shared_payment_granted_token',
    })
  })

  it('enforces the usage limits: currency, max amount, expiry, revocation', async () => {
    const euro = await grant({ currency: 'eur' })
    await expect(charge(euro.id)).rejects.toMatchObject({
      statusCode: 400,
      code: 'payment_method_unexpected_state',
    })
    const small = await grant({ max_amount: 4999 })
    await expect(charge(small.id)).rejects.toMatchObject({
      statusCode: 400,
      code: 'amount_too_large',
      param: 'amount',
    })
    const soon = await grant({ expires_at: Math.floor(clock / 1000) + 5 })
    clock += 10_000
    await expect(charge(soon.id)).rejects.toMatchObject({ statusCode: 400 })
    expect(local.token(soon.id)?.deactivated_reason).toBe('expired')
    const revoked = await grant()
    const view = (await seller.rawRequest(
      'POST',
      `/v1/test_helpers/shared_payment/granted_tokens/${revoked.id}/revoke`,
      {},
      { apiVersion: preview },
    )) as unknown as Granted
    expect(view.deactivated_reason).toBe('revoked')
    await expect(charge(revoked.id)).rejects.toMatchObject({ statusCode: 400 })
  })

  it('answers scripted outcomes: declined, requires_action, processing, already used', async () => {
    const declined = await grant()
    local.script(declined.id, { outcome: 'declined', declineCode: 'insufficient_funds' })
    const decline = await charge(declined.id).catch((error: Stripe.errors.StripeError) => error)
    expect(decline).toMatchObject({
      type: 'StripeCardError',
      statusCode: 402,
      code: 'card_declined',
      decline_code: 'insufficient_funds',
    })
    expect((decline as Stripe.errors.StripeError).payment_intent?.status).toBe(
      'requires_payment_method',
    )
    const action = await grant()
    local.script(action.id, { outcome: 'requires_action' })
    expect((await charge(action.id)).status).toBe('requires_action')
    const pending = await grant()
    local.script(pending.id, { outcome: 'processing' })
    expect((await charge(pending.id)).status).toBe('processing')
    const used = await grant()
    local.script(used.id, { outcome: 'already_used' })
    await expect(charge(used.id)).rejects.toMatchObject({ code: 'token_already_used' })
  })

  it('injects 429 and 500 before the request runs, so a retry charges once', async () => {
    const limited = await grant()
    local.script(limited.id, { faults: ['rate_limit'] })
    await expect(
      charge(limited.id, {}, { idempotencyKey: `a_${limited.id}` }),
    ).rejects.toMatchObject({
      type: 'StripeRateLimitError',
      statusCode: 429,
    })
    expect(created(limited.id)).toHaveLength(0)
    expect((await charge(limited.id, {}, { idempotencyKey: `a_${limited.id}` })).status).toBe(
      'succeeded',
    )
    const failing = await grant()
    local.script(failing.id, { faults: ['server_error'] })
    const intent = await charge(failing.id, {}, { maxNetworkRetries: 1 })
    expect(intent.status).toBe('succeeded')
    const statuses = local
      .requests()
      .filter((request) => request.params.shared_payment_granted_token === failing.id)
      .map((request) => request.status)
    expect(statuses).toEqual([500, 200])
    expect(created(failing.id)).toHaveLength(1)
  })

  it('runs a timed-out request, so the retry with the same key gets the saved answer', async () => {
    const token = await grant()
    local.script(token.id, { faults: ['timeout'] })
    const intent = await charge(token.id, {}, { maxNetworkRetries: 1, timeout: 300 })
    expect(intent.status).toBe('succeeded')
    expect(intent.lastResponse.headers['idempotent-replayed']).toBe('true')
    expect(created(token.id)).toHaveLength(1)
  })

  it('lets an agent issue a token that the seller charges, scoped to the seller', async () => {
    const issued = (await agent.rawRequest(
      'POST',
      '/v1/shared_payment/issued_tokens',
      {
        payment_method: 'pm_card_visa',
        usage_limits: { currency: 'usd', max_amount: 5000, expires_at: inTenMinutes() },
        seller_details: { network_id: StripeServer.seller.networkId },
      },
      { apiVersion: preview },
    )) as unknown as { id: string; object: string }
    expect(issued).toMatchObject({ object: 'shared_payment.issued_token' })
    const view = await seller.rawRequest(
      'GET',
      `/v1/shared_payment/granted_tokens/${issued.id}`,
      undefined,
      {
        apiVersion: preview,
      },
    )
    expect(view).toMatchObject({ id: issued.id, object: 'shared_payment.granted_token' })
    expect((await charge(issued.id)).status).toBe('succeeded')
    const elsewhere = (await agent.rawRequest(
      'POST',
      '/v1/shared_payment/issued_tokens',
      {
        payment_method: 'pm_card_visa',
        usage_limits: { currency: 'usd', max_amount: 5000, expires_at: inTenMinutes() },
        seller_details: { network_id: 'profile_someone_else' },
      },
      { apiVersion: preview },
    )) as unknown as { id: string }
    await expect(charge(elsewhere.id)).rejects.toMatchObject({
      statusCode: 400,
      code: 'resource_missing',
    })
  })

  it('acts on a connected account with Stripe-Account and refuses unknown accounts', async () => {
    const token = await grant()
    const intent = await charge(
      token.id,
      { application_fee_amount: 100, transfer_group: 'order_1' },
      { stripeAccount: 'acct_local_connected' },
    )
    expect(local.paymentIntents().find((entry) => entry.id === intent.id)?.account).toBe(
      'acct_local_connected',
    )
    expect(local.requests().at(-1)?.stripeAccount).toBe('acct_local_connected')
    await expect(charge(token.id, {}, { stripeAccount: 'acct_stranger' })).rejects.toMatchObject({
      statusCode: 403,
    })
    const other = await grant()
    await expect(charge(other.id, { application_fee_amount: 6000 })).rejects.toMatchObject({
      statusCode: 400,
      param: 'application_fee_amount',
    })
  })
})
