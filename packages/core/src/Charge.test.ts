import { describe, expect, it } from 'vitest'
import * as Charge from './Charge.js'
import * as Session from './Session.js'

describe('Charge.requestSchema', () => {
  it('accepts the shared fields and keeps methodDetails {core.charge.request.fields}', () => {
    const request = {
      amount: '5000',
      currency: 'usd',
      description: 'Premium API access',
      externalId: 'order_12345',
      methodDetails: { networkId: 'profile_1', paymentMethodTypes: ['card', 'link'] },
    }
    expect(Charge.requestSchema.parse(request)).toEqual(request)
  })

  it.each([
    ['a missing amount', { currency: 'usd' }],
    ['a missing currency', { amount: '1' }],
    ['an empty currency', { amount: '1', currency: '' }],
    ['a numeric amount', { amount: 1000, currency: 'usd' }],
    ['a decimal amount', { amount: '10.5', currency: 'usd' }],
    ['an amount with an exponent', { amount: '1e3', currency: 'usd' }],
    ['a negative amount', { amount: '-1', currency: 'usd' }],
    ['a duplicated expiry', { amount: '1', currency: 'usd', expires: '2025-01-15T12:05:00Z' }],
  ])('refuses %s {charge.request.amount-string}', (_, request) => {
    expect(Charge.requestSchema.safeParse(request).success).toBe(false)
  })
})

describe('Session.requestSchema', () => {
  it('accepts a per-unit price with unit type and suggested deposit', () => {
    const request = {
      amount: '25',
      unitType: 'llm_token',
      suggestedDeposit: '10000000',
      currency: '0x20c0000000000000000000000000000000000000',
      recipient: '0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00',
      methodDetails: { escrowContract: '0x1', chainId: 4217 },
    }
    expect(Session.requestSchema.parse(request)).toEqual(request)
  })

  it('requires a recipient', () => {
    expect(Session.requestSchema.safeParse({ amount: '25', currency: '0x1' }).success).toBe(false)
  })
})
