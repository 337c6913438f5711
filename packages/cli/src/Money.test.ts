// Amounts in the currency's units, for every method the CLI pays with: Tempo (TIP-20
// tokens, 6 decimals), Stripe and the test method (ISO 4217 minor units).
import type { Quote } from '@paywire/client'
import { describe, expect, it } from 'vitest'
import * as Money from './Money.js'
import * as Spending from './Spending.js'
import * as Usage from './Usage.js'

const pathUsd = '0x20c0000000000000000000000000000000000000'

describe('Money.format', () => {
  it('shows Tempo amounts in pathUSD, other TIP-20 tokens with 6 decimals', () => {
    expect(Money.format('1000', pathUsd, 'tempo')).toBe('0.001 pathUSD')
    expect(Money.format('10000', pathUsd, 'tempo')).toBe('0.01 pathUSD')
    expect(Money.format('100000000', pathUsd)).toBe('100.00 pathUSD')
    expect(Money.format('1234567', '0x20C0000000000000000000000000000000000001', 'tempo')).toBe(
      '1.234567 0x20C0…0001',
    )
  })

  it('shows Stripe and test-method amounts in the ISO currency units', () => {
    expect(Money.format('250', 'usd', 'stripe')).toBe('2.50 USD')
    expect(Money.format('1000', 'usd', 'test')).toBe('10.00 USD')
    expect(Money.format('5', 'eur', 'stripe')).toBe('0.05 EUR')
    expect(Money.format('500', 'jpy', 'stripe')).toBe('500 JPY')
    expect(Money.format('1234', 'kwd', 'stripe')).toBe('1.234 KWD')
  })

  it('keeps base units for a token whose decimals it cannot know, and never shows a negative', () => {
    const token = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
    expect(Money.format('1000', token, 'evm')).toBe('1000 base units of 0x5FbD…0aa3')
    expect(Money.format('-1000', 'usd', 'test')).toBe('0.00 USD')
    expect(Money.format(-5n, pathUsd, 'tempo')).toBe('0.00 pathUSD')
  })
})

describe('Money.currencyOf', () => {
  it('maps a known symbol to its token, keeps ISO codes and addresses', () => {
    expect(Money.currencyOf('pathUSD', '--max-amount')).toBe(pathUsd)
    expect(Money.currencyOf('pathusd', '--max-amount')).toBe(pathUsd)
    expect(Money.currencyOf('usd', '--max-amount')).toBe('usd')
    expect(Money.currencyOf(pathUsd, '--max-amount')).toBe(pathUsd)
  })

  it('refuses what no challenge can name', () => {
    for (const text of ['dollars', 'US-D', '0x123', 'pathUSD2'])
      expect(() => Money.currencyOf(text, '--budget')).toThrow(Usage.UsageError)
  })

  it('makes `--max-amount 1000:pathUSD` cap the pathUSD a Tempo challenge names', () => {
    const policy = Spending.from(
      { 'max-amount': ['1000:pathUSD'], budget: ['5000:pathUSD/day'] },
      {},
    )
    expect(policy.currencies).toEqual({ [pathUsd]: { maxAmount: '1000' } })
    expect(policy.budgets[0]).toMatchObject({ currency: pathUsd, amount: '5000' })
  })
})

describe('Spending.describe', () => {
  it('describes a Tempo quote in pathUSD', () => {
    const quote = {
      url: 'http://127.0.0.1:8402/paid',
      method: 'tempo',
      intent: 'charge',
      amount: '10000',
      currency: pathUsd,
      recipient: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    } as Quote.Quote
    expect(Spending.describe(quote)).toBe(
      '0.01 pathUSD to 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 for http://127.0.0.1:8402/paid (tempo/charge)',
    )
  })
})
