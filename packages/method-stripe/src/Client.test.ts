// The client half: what it asks its token provider for, what it refuses, and the reference
// provider against the local Stripe API through the SDK.
import { Challenge, Expires, Secret } from '@paywire/core'
import { StripeServer } from '@paywire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sdk, startStripe } from '../test/fixtures.js'
import * as ChargeRequest from './ChargeRequest.js'
import * as Client from './Client.js'
import * as IssuedTokens from './IssuedTokens.js'

const request = ChargeRequest.from(
  { amount: '5000', externalId: 'order_12345' },
  { networkId: StripeServer.seller.networkId, paymentMethodTypes: ['card', 'link'] },
)

function challengeFor(value: Record<string, unknown>, expires?: string) {
  return Challenge.from(
    {
      realm: 'shop.paywire.test',
      method: 'stripe',
      intent: 'charge',
      request: value,
      ...(expires === undefined ? {} : { expires }),
    },
    { secret: Secret.from(Secret.generate()) },
  )
}

let local: StripeServer.StripeServer

beforeAll(async () => {
  ;({ local } = await startStripe())
})
afterAll(() => local.close())

describe('Stripe charge client', () => {
  it('asks its provider for a token of exactly the amount, currency, seller and expiry {stripe.charge.client.check-expiry}', async () => {
    const expires = Expires.inSeconds(120)
    const challenge = challengeFor(request, expires)
    const asked: Client.TokenRequest[] = []
    const method = Client.client({
      provider: async (token) => {
        asked.push(token)
        return 'spt_provided'
      },
      externalId: () => 'client_order_789',
    })
    const { payload } = await method.createCredential({ challenge, request })
    expect(payload).toEqual({ spt: 'spt_provided', externalId: 'client_order_789' })
    expect(asked[0]).toMatchObject({
      amount: 5000,
      currency: 'usd',
      networkId: StripeServer.seller.networkId,
      expiresAt: Math.floor(Expires.parse(expires) / 1000),
    })
  })

  it('refuses an expired challenge or one without expiry before asking for a token {stripe.charge.client.check-expiry}', async () => {
    const method = Client.client({
      provider: async () => {
        throw new Error('the provider must not be asked')
      },
    })
    const past = Expires.format(Date.now() - 1_000)
    await expect(
      method.createCredential({ challenge: challengeFor(request, past), request }),
    ).rejects.toThrow(/expired at/)
    await expect(
      method.createCredential({ challenge: challengeFor(request), request }),
    ).rejects.toThrow(/no expiry/)
  })

  it('refuses a challenge without expiry, with no payment method type it pays with, or a bad token', async () => {
    const never = async () => {
      throw new Error('the provider must not be asked')
    }
    const method = Client.client({ provider: never, paymentMethodTypes: ['us_bank_account'] })
    await expect(
      method.createCredential({ challenge: challengeFor(request), request }),
    ).rejects.toThrow(Client.RequestRefusedError)
    await expect(
      method.createCredential({ challenge: challengeFor(request, Expires.inSeconds(60)), request }),
    ).rejects.toThrow(/seller takes card, link/)
    const liar = Client.client({ provider: async () => 'pm_not_a_token' })
    await expect(
      liar.createCredential({ challenge: challengeFor(request, Expires.inSeconds(60)), request }),
    ).rejects.toThrow(/not an spt_ id/)
  })

  it('issues a token from the agent account that the seller sees with those limits', async () => {
    const expires = Expires.inSeconds(300)
    const challenge = challengeFor(request, expires)
    const provider = IssuedTokens.provider({
      stripe: sdk(local, StripeServer.agent),
      paymentMethod: 'pm_card_visa',
    })
    const method = Client.client({ provider })
    const { payload } = await method.createCredential({ challenge, request })
    expect(local.token(payload.spt)).toMatchObject({
      object: 'shared_payment.granted_token',
      deactivated_reason: null,
      usage_limits: {
        currency: 'usd',
        max_amount: 5000,
        expires_at: Math.floor(Expires.parse(expires) / 1000),
      },
    })
    const again = await method.createCredential({ challenge, request })
    expect(again.payload.spt).toBe(payload.spt)
    const call = local.requests().at(-1)
    expect(call?.params.seller_details).toEqual({
      network_id: StripeServer.seller.networkId,
      external_id: 'order_12345',
    })
  })
})
