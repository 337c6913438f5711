import { Expires } from '@paywire/core'
import { describe, expect, it } from 'vitest'
import * as Policy from './Policy.js'
import type * as Quote from './Quote.js'

const now = Date.parse('2026-01-01T12:00:00Z')

function quote(overrides: Partial<Quote.Quote> = {}): Quote.Quote {
  return {
    url: 'https://api.example.com/paid',
    origin: 'https://api.example.com',
    challengeId: 'abc',
    realm: 'api.example.com',
    method: 'test',
    intent: 'charge',
    amount: '100',
    currency: 'usd',
    recipient: 'acct_1',
    expires: Expires.inSeconds(300, now),
    description: undefined,
    ...overrides,
  }
}

function refusal(policy: Policy.Policy, asked: Quote.Quote): Policy.RefusedError | undefined {
  try {
    Policy.check(Policy.from(policy), asked, now)
    return undefined
  } catch (error) {
    if (error instanceof Policy.RefusedError) return error
    throw error
  }
}

const base: Policy.Policy = { currencies: { usd: { maxAmount: '500' } } }

describe('Policy.from', () => {
  it('fills in safe defaults', () => {
    const policy = Policy.from(base)
    expect(policy).toMatchObject({
      budgets: [],
      realms: 'host',
      maxPaymentsPerRequest: 1,
      maxValiditySeconds: 3600,
      expires: 'required',
    })
  })

  it.each([
    ['a decimal cap', { currencies: { usd: { maxAmount: '1.5' } } }],
    ['an exponent cap', { currencies: { usd: { maxAmount: '1e3' } } }],
    [
      'a negative budget',
      { ...base, budgets: [{ currency: 'usd', amount: '-1', window: 'day', scope: 'total' }] },
    ],
    [
      'an unknown window',
      { ...base, budgets: [{ currency: 'usd', amount: '1', window: 'week', scope: 'total' }] },
    ],
    [
      'a budget in a currency without a cap',
      { ...base, budgets: [{ currency: 'eur', amount: '1', window: 'day', scope: 'total' }] },
    ],
    ['an origin with a path', { ...base, origins: ['https://api.example.com/x'] }],
    ['zero payments per request', { ...base, maxPaymentsPerRequest: 0 }],
    ['a non-function approval hook', { ...base, approve: 'yes' }],
  ])('refuses %s', (_, policy) => {
    expect(() => Policy.from(policy as Policy.Policy)).toThrow(Policy.InvalidPolicyError)
  })
})

describe('Policy.check', () => {
  it('passes a quote every rule accepts', () => {
    expect(refusal(base, quote())).toBeUndefined()
  })

  it('refuses an amount above the per-payment cap, comparing base units as integers {core.client.verify-amount, charge.client.verify-amount}', () => {
    const error = refusal(base, quote({ amount: '501' }))
    expect(error).toMatchObject({ rule: 'max-amount', limit: '500', code: 'ERR_PAYMENT_REFUSED' })
    expect(error?.quote?.amount).toBe('501')
    expect(refusal(base, quote({ amount: '500' }))).toBeUndefined()
    // 2^256-1 against a cap of 2^255: no float rounding makes them equal.
    const huge = { currencies: { usd: { maxAmount: (2n ** 255n).toString() } } }
    expect(refusal(huge, quote({ amount: (2n ** 256n - 1n).toString() }))?.rule).toBe('max-amount')
    expect(refusal(huge, quote({ amount: (2n ** 255n).toString() }))).toBeUndefined()
  })

  it('refuses a currency without a cap, matched exactly {core.client.verify-currency, charge.client.verify-currency}', () => {
    expect(refusal(base, quote({ currency: 'eur' }))?.rule).toBe('currency')
    expect(refusal(base, quote({ currency: 'USD' }))?.rule).toBe('currency')
    expect(refusal(base, quote({ currency: '__proto__' }))?.rule).toBe('currency')
  })

  it('refuses a recipient off the allowlist, and a missing one when a list is set {core.client.verify-recipient, charge.client.verify-recipient}', () => {
    const policy = { ...base, recipients: ['acct_1'] }
    expect(refusal(policy, quote())).toBeUndefined()
    expect(refusal(policy, quote({ recipient: 'acct_2' }))?.rule).toBe('recipient')
    expect(refusal(policy, quote({ recipient: undefined }))?.rule).toBe('recipient')
  })

  it('refuses an origin off the allowlist', () => {
    const policy = { ...base, origins: ['https://api.example.com'] }
    expect(refusal(policy, quote())).toBeUndefined()
    expect(
      refusal(
        policy,
        quote({
          url: 'https://evil.example/paid',
          origin: 'https://evil.example',
          realm: 'evil.example',
        }),
      )?.rule,
    ).toBe('origin')
  })

  it('refuses by default a realm that is not the host that sent the challenge', () => {
    expect(refusal(base, quote({ realm: 'other.example.com' }))?.rule).toBe('realm')
    expect(
      refusal({ ...base, realms: ['Example API'] }, quote({ realm: 'Example API' })),
    ).toBeUndefined()
    expect(refusal({ ...base, realms: 'any' }, quote({ realm: 'anything' }))).toBeUndefined()
  })

  it('refuses an expired challenge, without clock-skew allowance {core.client.no-expired}', () => {
    expect(refusal(base, quote({ expires: Expires.format(now - 1000) }))?.rule).toBe('expired')
    expect(refusal(base, quote({ expires: Expires.format(now + 1000) }))).toBeUndefined()
  })

  it('refuses a validity window longer than allowed, or a missing expires unless optional {core.client.verify-validity}', () => {
    expect(refusal(base, quote({ expires: Expires.format(now + 3601_000) }))?.rule).toBe('validity')
    expect(refusal(base, quote({ expires: undefined }))?.rule).toBe('validity')
    expect(refusal({ ...base, expires: 'optional' }, quote({ expires: undefined }))).toBeUndefined()
  })

  it('decides on the request, never on the description {core.challenge.description.not-verified}', () => {
    const error = refusal(base, quote({ amount: '100000', description: 'only 0.01 usd' }))
    expect(error?.rule).toBe('max-amount')
  })

  it('states the rule, the challenge and what was asked in the error', () => {
    const error = refusal(base, quote({ amount: '501' }))
    expect(error?.message).toBe(
      'payment refused (max-amount): 501 usd asked, the largest single payment allowed is 500',
    )
    const hostile = refusal(base, quote({ currency: `usd\nERROR forged ${'x'.repeat(200)}` }))
    expect(hostile?.message).not.toContain('\n')
    expect(hostile?.message.length).toBeLessThan(140)
    expect(error?.challenge).toEqual({
      id: 'abc',
      method: 'test',
      intent: 'charge',
      realm: 'api.example.com',
    })
  })
})
