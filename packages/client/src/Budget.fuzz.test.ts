// Property: however parallel reservations interleave, a budget is never overspent, and a
// refused amount never fits in what is left at the end (remaining only shrinks).
import { Expires } from '@paywire/core'
import { MemoryStore } from '@paywire/store-memory'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Budget from './Budget.js'
import * as Policy from './Policy.js'
import type * as Quote from './Quote.js'

const now = Date.parse('2026-01-01T12:00:00Z')

function quote(amount: bigint, origin: string): Quote.Quote {
  return {
    url: `${origin}/paid`,
    origin,
    challengeId: 'c',
    realm: new URL(origin).host,
    method: 'test',
    intent: 'charge',
    amount: amount.toString(),
    currency: 'usd',
    recipient: undefined,
    expires: Expires.inSeconds(60, now),
    description: undefined,
  }
}

describe('Budget under parallel reservations', () => {
  it('never spends beyond the budget and refuses only what no longer fits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt({ min: 0n, max: 2n ** 80n }),
        fc.array(
          fc.record({
            amount: fc.bigInt({ min: 0n, max: 2n ** 70n }),
            origin: fc.constantFrom('https://a.example', 'https://b.example'),
          }),
          { maxLength: 30 },
        ),
        async (limit, requests) => {
          const store = MemoryStore.create()
          const budgets = Policy.from({
            currencies: { usd: { maxAmount: (2n ** 80n).toString() } },
            budgets: [
              { currency: 'usd', amount: limit.toString(), window: 'hour', scope: 'total' },
            ],
          }).budgets
          const results = await Promise.allSettled(
            requests.map((request) =>
              Budget.reserve(store, { budgets, quote: quote(request.amount, request.origin), now }),
            ),
          )
          let spent = 0n
          results.forEach((result, index) => {
            if (result.status === 'fulfilled') spent += requests[index]?.amount ?? 0n
            else expect(result.reason).toBeInstanceOf(Policy.RefusedError)
          })
          expect(spent <= limit).toBe(true)
          results.forEach((result, index) => {
            if (result.status === 'rejected')
              expect((requests[index]?.amount ?? 0n) > limit - spent).toBe(true)
          })
        },
      ),
    )
  })
})
