import { describe, expect, it } from 'vitest'
import * as Connect from './Connect.js'

const context = { amount: 5000, connectedAccounts: ['acct_a', 'acct_b'] }

describe('Connect.toParams', () => {
  it('turns a checked settlement into PaymentIntent parameters and a Stripe-Account {stripe.charge.connect.optional}', () => {
    expect(
      Connect.toParams(
        {
          stripeAccount: 'acct_a',
          applicationFeeAmount: 0,
          onBehalfOf: 'acct_a',
          transferData: { destination: 'acct_b', amount: 5000 },
          transferGroup: 'order_1',
        },
        context,
      ),
    ).toEqual({
      stripeAccount: 'acct_a',
      params: {
        application_fee_amount: 0,
        on_behalf_of: 'acct_a',
        transfer_data: { destination: 'acct_b', amount: 5000 },
        transfer_group: 'order_1',
      },
    })
  })

  it.each([
    ['an unknown Stripe-Account', { stripeAccount: 'acct_x' }],
    ['an unknown on_behalf_of', { onBehalfOf: 'acct_x' }],
    ['an unknown destination', { transferData: { destination: 'acct_x' } }],
  ])('refuses %s {stripe.charge.connect.authorized-accounts}', (_, settlement) => {
    expect(() => Connect.toParams(settlement, context)).toThrow(Connect.InvalidSettlementError)
  })

  it.each([
    ['a fee above the amount', { applicationFeeAmount: 5001 }],
    ['a negative fee', { applicationFeeAmount: -1 }],
    ['a fractional fee', { applicationFeeAmount: 1.5 }],
  ])('refuses %s {stripe.charge.connect.fee-bounds}', (_, settlement) => {
    expect(() => Connect.toParams(settlement, context)).toThrow(/applicationFeeAmount/)
  })

  it.each([
    ['a transfer above the amount', { transferData: { destination: 'acct_b', amount: 5001 } }],
    ['a negative transfer', { transferData: { destination: 'acct_b', amount: -5 } }],
  ])('refuses %s {stripe.charge.connect.transfer-amount-bounds}', (_, settlement) => {
    expect(() => Connect.toParams(settlement, context)).toThrow(/transferData.amount/)
  })

  it('refuses transfer data without a destination {stripe.charge.connect.transfer-destination}', () => {
    expect(() => Connect.toParams({ transferData: { destination: '' } }, context)).toThrow(
      /needs a destination/,
    )
  })
})
