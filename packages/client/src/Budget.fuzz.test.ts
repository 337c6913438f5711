// Properties: however parallel reservations interleave, a budget is never overspent, and a
// refused amount never fits in what is left at the end (remaining only shrinks). Over time,
// the rolling sums agree with a naive model that keeps every payment: exactly for payments
// timed to the whole second, and within a second (never less) for any timing.
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

type Payment = { origin: string; amount: bigint; at: number }

/**
 * The naive model of the documented rule: every payment kept; one counts while `now` is
 * less than `window` after the latest payment to its origin in its UTC second (`held`), or
 * after itself (exact).
 */
function modelSpent(
  payments: Payment[],
  now: number,
  budget: Policy.Budget,
  origin: string,
  rule: 'held' | 'exact',
): bigint {
  const window = Policy.windows[budget.window]
  const second = (at: number) => Math.floor(at / 1000)
  let spent = 0n
  for (const payment of payments) {
    if (budget.scope === 'origin' && payment.origin !== origin) continue
    const until =
      rule === 'exact'
        ? payment.at
        : Math.max(
            ...payments
              .filter((other) => other.origin === payment.origin)
              .filter((other) => second(other.at) === second(payment.at))
              .map((other) => other.at),
          )
    if (now - until < window) spent += payment.amount
  }
  return spent
}

const origins = ['https://a.example', 'https://b.example'] as const

function rollingBudgets(limits: { minute: bigint; hour: bigint }) {
  return Policy.from({
    currencies: { usd: { maxAmount: '1000' } },
    budgets: [
      { currency: 'usd', amount: limits.minute.toString(), window: 'minute', scope: 'total' },
      { currency: 'usd', amount: limits.hour.toString(), window: 'hour', scope: 'origin' },
    ],
  }).budgets
}

/** Payments over time: each step waits `wait` ms, then pays, commits or releases. */
function steps(wait: fc.Arbitrary<number>) {
  return fc.array(
    fc.record({
      wait,
      origin: fc.constantFrom(...origins),
      amount: fc.bigInt({ min: 0n, max: 20n }),
      outcome: fc.constantFrom('commit', 'release'),
    }),
    { maxLength: 60 },
  )
}

async function agreesWithModel(
  limits: { minute: bigint; hour: bigint },
  list: { wait: number; origin: string; amount: bigint; outcome: string }[],
  rule: 'held' | 'exact',
) {
  const store = MemoryStore.create()
  const budgets = rollingBudgets(limits)
  const committed: Payment[] = []
  let at = now
  for (const step of list) {
    at += step.wait
    const expected = budgets.map(
      (budget) => modelSpent(committed, at, budget, step.origin, rule) + step.amount,
    )
    const fits = budgets.every((budget, index) => (expected[index] ?? 0n) <= BigInt(budget.amount))
    const result = await Budget.reserve(store, {
      budgets,
      quote: quote(step.amount, step.origin),
      now: at,
    }).catch((error: unknown) => error)
    if (!fits) {
      expect(result).toBeInstanceOf(Policy.RefusedError)
      continue
    }
    const { reservation, budgets: standings } = result as Budget.reserve.ReturnType
    expect(standings.map((standing) => BigInt(standing.spent))).toEqual(expected)
    if (reservation === undefined) continue
    if (step.outcome === 'release') await Budget.release(store, reservation)
    else {
      await Budget.commit(store, reservation)
      committed.push({ origin: step.origin, amount: step.amount, at })
    }
  }
  // Now, and at each window edge still ahead: a millisecond before, at and after it.
  const edges = committed.flatMap((payment) =>
    Object.values(Policy.windows).flatMap((window) =>
      [-1, 0, 1].map((shift) => payment.at + window + shift),
    ),
  )
  for (const query of [at, ...edges.filter((edge) => edge >= at)])
    for (const origin of origins) {
      const standings = await Budget.standings(store, {
        budgets,
        currency: 'usd',
        origin,
        now: query,
      })
      expect(standings.map((standing) => BigInt(standing.spent))).toEqual(
        budgets.map((budget) => modelSpent(committed, query, budget, origin, rule)),
      )
    }
  // One sum per origin and second, at most.
  const record = (await store.get('paywire:client:budget:usd'))?.value as
    | { entries: { origin: string; at: number; state: string }[] }
    | undefined
  const slots = (record?.entries ?? [])
    .filter((entry) => entry.state === 'spent')
    .map((entry) => `${entry.origin} ${Math.floor(entry.at / 1000)}`)
  expect(new Set(slots).size).toBe(slots.length)
}

const limits = fc.record({
  minute: fc.bigInt({ min: 0n, max: 300n }),
  hour: fc.bigInt({ min: 0n, max: 1_500n }),
})

describe('Budget over time', () => {
  it('is exact for payments timed to the whole second, at every window edge', async () => {
    // Waits of whole seconds, often landing right on a minute or an hour after a payment.
    const wait = fc.oneof(
      fc.integer({ min: 0, max: 2 }).map((seconds) => seconds * 1000),
      fc.integer({ min: 0, max: 90 }).map((seconds) => seconds * 1000),
      fc.constantFrom(59_000, 60_000, 61_000, 3_540_000, 3_600_000),
    )
    await fc.assert(
      fc.asyncProperty(limits, steps(wait), (limit, list) => agreesWithModel(limit, list, 'exact')),
    )
  })

  it("holds a payment at most until its second's latest payment leaves the window", async () => {
    const wait = fc.oneof(
      fc.integer({ min: 0, max: 400 }),
      fc.integer({ min: 0, max: 1_500 }),
      fc.integer({ min: 0, max: 90_000 }),
      fc.constantFrom(59_999, 60_000, 60_001, 3_599_999, 3_600_000),
    )
    await fc.assert(
      fc.asyncProperty(limits, steps(wait), (limit, list) => agreesWithModel(limit, list, 'held')),
    )
  })

  it('never counts less than the exact rolling sum, nor more than it over a second longer', () => {
    const payment = fc.record({
      origin: fc.constantFrom(...origins),
      amount: fc.bigInt({ min: 1n, max: 60n }),
      at: fc.integer({ min: 0, max: 180_000 }),
    })
    fc.assert(
      fc.property(
        fc.array(payment, { maxLength: 40 }),
        fc.integer({ min: 0, max: 300_000 }),
        (payments, later) => {
          const budget = rollingBudgets({ minute: 1n, hour: 1n })[0] as Policy.Budget
          const at = now + later
          const moved = payments.map((payment) => ({ ...payment, at: now + payment.at }))
          const held = modelSpent(moved, at, budget, 'x', 'held')
          expect(held >= modelSpent(moved, at, budget, 'x', 'exact')).toBe(true)
          expect(held <= modelSpent(moved, at - 999, budget, 'x', 'exact')).toBe(true)
        },
      ),
    )
  })
})
