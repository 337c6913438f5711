// The spending policy flags: their forms, and how they combine with the config file.
import { describe, expect, it } from 'vitest'
import * as Spending from './Spending.js'
import * as Usage from './Usage.js'

describe('Spending.from', () => {
  it('reads per-currency caps and budgets with their defaults', () => {
    const policy = Spending.from(
      {
        'max-amount': ['1000:usd', '5:0x20c0000000000000000000000000000000000000'],
        budget: ['5000:usd', '2000:usd/hour/origin'],
      },
      {},
    )
    expect(policy.currencies).toEqual({
      usd: { maxAmount: '1000' },
      '0x20c0000000000000000000000000000000000000': { maxAmount: '5' },
    })
    expect(policy.budgets).toEqual([
      { currency: 'usd', amount: '5000', window: 'day', scope: 'total' },
      { currency: 'usd', amount: '2000', window: 'hour', scope: 'origin' },
    ])
  })

  it('adds flags to the config, a flag cap replacing the config cap of its currency', () => {
    const policy = Spending.from(
      { 'max-amount': ['10:usd'], 'allow-origin': ['https://b.example'] },
      {
        policy: {
          currencies: { usd: { maxAmount: '1000' }, eur: { maxAmount: '7' } },
          origins: ['https://a.example'],
        },
      },
    )
    expect(policy.currencies).toEqual({ usd: { maxAmount: '10' }, eur: { maxAmount: '7' } })
    expect(policy.origins).toEqual(['https://a.example', 'https://b.example'])
  })

  it('refuses malformed flags with the expected form', () => {
    expect(() => Spending.from({ 'max-amount': ['1000'] }, {})).toThrow(
      /--max-amount takes <amount>:<currency>/,
    )
    expect(() => Spending.from({ 'max-amount': ['1.5:usd'] }, {})).toThrow(Usage.UsageError)
    expect(() => Spending.from({ 'max-amount': ['1:usd'], budget: ['5:usd/week'] }, {})).toThrow(
      /--budget takes/,
    )
    expect(() => Spending.from({ budget: ['5:usd'] }, {})).toThrow(
      /every --budget currency needs a --max-amount/,
    )
    expect(() => Spending.from({ 'allow-origin': ['example.com'] }, {})).toThrow(/policy.origins/)
  })
})
