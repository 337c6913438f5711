import { describe, expect, it } from 'vitest'
import * as Charge from './Charge.js'
import * as Session from './Session.js'

describe('Charge.requestSchema', () => {
  it('accepts the shared fields and keeps methodDetails {charge.request.fields}', () => {
    const request = {
      amount: '5000',
      currency: 'usd',
      recipient: 'acct_123',
      description: 'Premium API access',
      externalId: 'order_12345',
      methodDetails: { networkId: 'profile_1', paymentMethodTypes: ['card', 'link'] },
    }
    expect(Charge.requestSchema.parse(request)).toEqual(request)
  })

  it.each([
    ['a missing amount', { currency: 'usd' }, 'amount'],
    ['a missing currency', { amount: '1' }, 'currency'],
    ['an empty currency', { amount: '1', currency: '' }, 'currency'],
    ['a numeric currency', { amount: '1', currency: 840 }, 'currency'],
    [
      'a recipient that is not a string',
      { amount: '1', currency: 'usd', recipient: 42 },
      'recipient',
    ],
    [
      'a description that is not a string',
      { amount: '1', currency: 'usd', description: ['x'] },
      'description',
    ],
    [
      'an externalId that is not a string',
      { amount: '1', currency: 'usd', externalId: 7 },
      'externalId',
    ],
    [
      'methodDetails that are not an object',
      { amount: '1', currency: 'usd', methodDetails: 'x' },
      'methodDetails',
    ],
  ])('refuses %s {charge.request.fields}', (_, request, field) => {
    const result = Charge.requestSchema.safeParse(request)
    expect(result.success).toBe(false)
    expect(result.error?.issues.map((issue) => issue.path[0])).toContain(field)
  })

  it.each([
    ['a numeric amount', 1000],
    ['a decimal amount', '10.5'],
    ['an amount with an exponent', '1e3'],
    ['a negative amount', '-1'],
    ['an amount with a leading zero', '0100'],
    ['an amount with spaces', ' 100'],
  ])('refuses %s {charge.request.amount-string}', (_, amount) => {
    const result = Charge.requestSchema.safeParse({ amount, currency: 'usd' })
    expect(result.success).toBe(false)
    expect(result.error?.issues.map((issue) => issue.path[0])).toEqual(['amount'])
  })

  it('reads amounts beyond 2^53 exactly, as the base-unit string they are {charge.request.amount-string}', () => {
    const amount = '123456789012345678901234567890'
    expect(Charge.requestSchema.parse({ amount, currency: 'sat' }).amount).toBe(amount)
  })

  it('refuses a request that repeats the expiry of the challenge {charge.request.no-expires}', () => {
    const result = Charge.requestSchema.safeParse({
      amount: '1',
      currency: 'usd',
      expires: '2025-01-15T12:05:00Z',
    })
    expect(result.success).toBe(false)
    expect(result.error?.issues.map((issue) => issue.path[0])).toEqual(['expires'])
  })

  it('reads the shared fields whatever an unknown method puts in methodDetails {charge.client.display-shared}', () => {
    const request = Charge.requestSchema.parse({
      amount: '100000',
      currency: 'sat',
      recipient: 'node-7',
      description: 'One report',
      methodDetails: { invoice: 'lnbc1000n1...', nested: { deep: [1, { x: null }] }, version: 3 },
      futureTopLevel: { kept: true },
    })
    expect({
      amount: request.amount,
      currency: request.currency,
      recipient: request.recipient,
    }).toEqual({
      amount: '100000',
      currency: 'sat',
      recipient: 'node-7',
    })
    expect(request.description).toBe('One report')
    expect(request.futureTopLevel).toEqual({ kept: true })
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
