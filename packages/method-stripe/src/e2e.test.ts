// End to end over HTTP: @paywire/server (Node binding) offers stripe beside the test
// method in one 402; @paywire/client picks by its Accept-Payment preferences, obtains a
// shared payment token from the agent's Stripe account (reference provider), and pays.
import { createServer } from 'node:http'
import { Client } from '@paywire/client'
import { Challenge } from '@paywire/core'
import { listener } from '@paywire/server/node'
import { MemoryStore } from '@paywire/store-memory'
import { FreePort, StripeServer, TestMethod } from '@paywire/testkit'
import type Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makePaywire, price, sdk, startStripe, stripeServer, testKey } from '../test/fixtures.js'
import * as StripeClient from './Client.js'
import * as IssuedTokens from './IssuedTokens.js'

let local: StripeServer.StripeServer
let seller: Stripe
let agent: Stripe
let app: FreePort.listen.ReturnType

beforeAll(async () => {
  ;({ local } = await startStripe())
  seller = sdk(local)
  agent = sdk(local, StripeServer.agent)
  const paywire = makePaywire(stripeServer(seller), { realm: '127.0.0.1' })
  app = await FreePort.listen(
    createServer(listener(paywire, { price }, () => Response.json({ paid: true }))),
  )
})
afterAll(async () => {
  await app.close()
  await local.close()
})

function payer(options: Partial<Client.create.Options> = {}) {
  return Client.create({
    methods: [
      StripeClient.client({
        provider: IssuedTokens.provider({ stripe: agent, paymentMethod: 'pm_card_visa' }),
        paymentMethodTypes: ['card'],
      }),
      TestMethod.client({ key: testKey }),
    ],
    policy: { currencies: { usd: { maxAmount: '5000' } } },
    store: MemoryStore.create(),
    insecureOrigins: [app.url],
    ...options,
  })
}

const issuedTokens = () =>
  local.requests().filter((call) => call.path === '/v1/shared_payment/issued_tokens')

describe('stripe beside the test method, over HTTP', () => {
  it('offers both methods in one 402', async () => {
    const response = await fetch(`${app.url}/paid`)
    expect(response.status).toBe(402)
    const offered = Challenge.deserializeList(response.headers.get('www-authenticate') ?? '')
    expect(offered.map((challenge) => challenge.method)).toEqual(['stripe', 'test'])
  })

  it('pays with stripe when the client prefers it, through an issued token scoped to the challenge {stripe.charge.receipt.on-success}', async () => {
    const before = local.paymentIntents().length
    const { response, receipt, payment } = await payer({
      accept: [
        { method: 'stripe', intent: 'charge', q: 1 },
        { method: 'test', intent: 'charge', q: 0.5 },
      ],
    }).fetch(`${app.url}/paid`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ paid: true })
    expect(payment).toMatchObject({ method: 'stripe', amount: '5000', currency: 'usd' })
    const intents = local.paymentIntents().slice(before)
    expect(intents).toHaveLength(1)
    expect(receipt).toMatchObject({ method: 'stripe', reference: intents[0]?.id })
    const issued = issuedTokens().at(-1)
    expect(issued?.params).toMatchObject({
      payment_method: 'pm_card_visa',
      usage_limits: { currency: 'usd', max_amount: '5000' },
      seller_details: { network_id: StripeServer.seller.networkId },
    })
    const limits = issued?.params.usage_limits as { expires_at: string } | undefined
    const expiresAt = Number(limits?.expires_at)
    expect(expiresAt * 1000).toBeGreaterThan(Date.now())
    expect(expiresAt * 1000).toBeLessThanOrEqual(Date.now() + 300_000)
  })

  it('pays with the test method when the client prefers that, and asks Stripe nothing', async () => {
    const before = local.requests().length
    const { response, payment } = await payer({
      accept: [
        { method: 'stripe', intent: 'charge', q: 0.2 },
        { method: 'test', intent: 'charge', q: 1 },
      ],
    }).fetch(`${app.url}/paid`)
    expect(response.status).toBe(200)
    expect(payment?.method).toBe('test')
    expect(local.requests().length).toBe(before)
  })

  it('refuses a challenge above its cap or in another currency before any token is issued {stripe.charge.client.check-amount, stripe.charge.client.check-currency}', async () => {
    const before = issuedTokens().length
    const stripeOnly = [{ method: 'stripe', intent: 'charge', q: 1 }] as const
    await expect(
      payer({ accept: stripeOnly, policy: { currencies: { usd: { maxAmount: '4999' } } } }).fetch(
        `${app.url}/paid`,
      ),
    ).rejects.toMatchObject({ rule: 'max-amount' })
    await expect(
      payer({ accept: stripeOnly, policy: { currencies: { eur: { maxAmount: '9999' } } } }).fetch(
        `${app.url}/paid`,
      ),
    ).rejects.toMatchObject({ rule: 'currency' })
    expect(issuedTokens().length).toBe(before)
  })

  it('never sends a token over plain HTTP to an origin not allowed for it {stripe.charge.https.spt-over-https}', async () => {
    const before = issuedTokens().length
    await expect(
      payer({ accept: [{ method: 'stripe', intent: 'charge', q: 1 }], insecureOrigins: [] }).fetch(
        `${app.url}/paid`,
      ),
    ).rejects.toMatchObject({ rule: 'transport' })
    expect(issuedTokens().length).toBe(before)
  })
})
