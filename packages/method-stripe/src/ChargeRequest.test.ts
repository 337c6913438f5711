import { describe, expect, it } from 'vitest'
import * as ChargePayload from './ChargePayload.js'
import * as ChargeRequest from './ChargeRequest.js'

const methodDetails = {
  networkId: 'profile_1MqDcVKA5fEO2tZvKQm9g8Yj',
  paymentMethodTypes: ['card', 'link'],
}

describe('ChargeRequest', () => {
  it('accepts the draft example with its required method details {stripe.charge.request.fields, stripe.charge.request.method-details}', () => {
    const request = {
      amount: '5000',
      currency: 'usd',
      description: 'Premium API access for 1 month',
      externalId: 'order_12345',
      methodDetails,
    }
    expect(ChargeRequest.schema.parse(request)).toEqual(request)
  })

  it.each([
    ['a numeric amount', { amount: 5000 }],
    ['a zero amount', { amount: '0' }],
    ['a decimal amount', { amount: '50.00' }],
    ['an upper-case currency', { currency: 'USD' }],
    ['no network id', { methodDetails: { paymentMethodTypes: ['card'] } }],
    ['no payment method types', { methodDetails: { networkId: 'profile_1' } }],
    [
      'an empty list of payment method types',
      { methodDetails: { networkId: 'profile_1', paymentMethodTypes: [] } },
    ],
    ['an expires member', { expires: '2030-01-01T00:00:00Z' }],
  ])(
    'refuses %s {stripe.charge.request.fields, stripe.charge.request.method-details}',
    (_, change) => {
      const request = { amount: '5000', currency: 'usd', methodDetails, ...change }
      expect(ChargeRequest.schema.safeParse(request).success).toBe(false)
    },
  )

  it('builds requests from a price and the seller settings, metadata included {stripe.charge.request.method-details}', () => {
    expect(
      ChargeRequest.from(
        { amount: '250', currency: 'eur', metadata: { plan: 'pro' } },
        { networkId: 'profile_1' },
      ),
    ).toEqual({
      amount: '250',
      currency: 'eur',
      methodDetails: {
        networkId: 'profile_1',
        paymentMethodTypes: ['card'],
        metadata: { plan: 'pro' },
      },
    })
  })
})

describe('ChargePayload', () => {
  it('requires an spt, keeps externalId and drops anything else {stripe.charge.payload.fields, stripe.charge.connect.not-from-client}', () => {
    expect(
      ChargePayload.schema.parse({
        spt: 'spt_1N4Zv32eZvKYlo2CPhVPkJlW',
        externalId: 'client_order_789',
        application_fee_amount: 0,
      }),
    ).toEqual({ spt: 'spt_1N4Zv32eZvKYlo2CPhVPkJlW', externalId: 'client_order_789' })
    expect(ChargePayload.schema.safeParse({ externalId: 'x' }).success).toBe(false)
    expect(ChargePayload.schema.safeParse({ spt: 'pm_123' }).success).toBe(false)
  })
})
