import { Expires } from '@paywire/core'
import { MemoryStore } from '@paywire/store-memory'
import { describe, expect, it } from 'vitest'
import * as Budget from './Budget.js'
import * as Policy from './Policy.js'
import type * as Quote from './Quote.js'

const start = Date.parse('2026-01-01T12:00:00Z')

function quote(overrides: Partial<Quote.Quote> = {}): Quote.Quote {
  return {
    url: 'https://a.example/paid',
    origin: 'https://a.example',
    challengeId: 'abc',
    realm: 'a.example',
    method: 'test',
    intent: 'charge',
    amount: '100',
    currency: 'usd',
    recipient: undefined,
    expires: Expires.inSeconds(300, start),
    description: undefined,
    ...overrides,
  }
}

function budgets(...list: Policy.Budget[]): readonly Policy.Budget[] {
  return Policy.from({ currencies: { usd: { maxAmount: '1000' } }, budgets: list }).budgets
}

async function refusalOf(promise: Promise<unknown>): Promise<Policy.RefusedError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  if (!(error instanceof Policy.RefusedError)) throw new Error(`expected a refusal, got ${error}`)
  return error
}

describe('Budget', () => {
  it('reserves within the budget and refuses what would exceed it, stating what remains', async () => {
    const store = MemoryStore.create()
    const hour = budgets({ currency: 'usd', amount: '250', window: 'hour', scope: 'total' })
    await Budget.reserve(store, { budgets: hour, quote: quote(), now: start })
    const second = await Budget.reserve(store, { budgets: hour, quote: quote(), now: start })
    expect(second.budgets[0]).toMatchObject({ spent: '200', remaining: '50' })
    const error = await refusalOf(
      Budget.reserve(store, { budgets: hour, quote: quote(), now: start }),
    )
    expect(error).toMatchObject({ rule: 'budget', remaining: '50' })
    expect(error.budget).toMatchObject({ spent: '200', remaining: '50' })
    expect(error.message).toBe(
      'payment refused (budget): 100 usd asked, 50 left of 250 in the total budget over the last hour',
    )
  })

  it('leaves the record untouched when it refuses', async () => {
    const store = MemoryStore.create()
    const minute = budgets({ currency: 'usd', amount: '100', window: 'minute', scope: 'total' })
    await Budget.reserve(store, { budgets: minute, quote: quote(), now: start })
    const before = await store.get('paywire:client:budget:usd')
    await refusalOf(Budget.reserve(store, { budgets: minute, quote: quote(), now: start }))
    expect(await store.get('paywire:client:budget:usd')).toEqual(before)
  })

  it('frees the amount once it leaves the rolling window', async () => {
    const store = MemoryStore.create()
    const minute = budgets({ currency: 'usd', amount: '100', window: 'minute', scope: 'total' })
    await Budget.reserve(store, { budgets: minute, quote: quote(), now: start })
    await refusalOf(Budget.reserve(store, { budgets: minute, quote: quote(), now: start + 59_999 }))
    await Budget.reserve(store, { budgets: minute, quote: quote(), now: start + 60_000 })
  })

  it('enforces every window at once: a day budget still binds after the minute resets', async () => {
    const store = MemoryStore.create()
    const both = budgets(
      { currency: 'usd', amount: '100', window: 'minute', scope: 'total' },
      { currency: 'usd', amount: '200', window: 'day', scope: 'total' },
    )
    await Budget.reserve(store, { budgets: both, quote: quote(), now: start })
    await Budget.reserve(store, { budgets: both, quote: quote(), now: start + 60_000 })
    const error = await refusalOf(
      Budget.reserve(store, { budgets: both, quote: quote(), now: start + 120_000 }),
    )
    expect(error.budget?.budget.window).toBe('day')
  })

  it('keeps per-origin budgets apart and the total budget shared', async () => {
    const store = MemoryStore.create()
    const mixed = budgets(
      { currency: 'usd', amount: '100', window: 'hour', scope: 'origin' },
      { currency: 'usd', amount: '250', window: 'hour', scope: 'total' },
    )
    const a = quote()
    const b = quote({ url: 'https://b.example/x', origin: 'https://b.example' })
    const c = quote({ url: 'https://c.example/x', origin: 'https://c.example' })
    await Budget.reserve(store, { budgets: mixed, quote: a, now: start })
    expect(
      (await refusalOf(Budget.reserve(store, { budgets: mixed, quote: a, now: start }))).budget
        ?.budget.scope,
    ).toBe('origin')
    await Budget.reserve(store, { budgets: mixed, quote: b, now: start })
    const error = await refusalOf(
      Budget.reserve(store, { budgets: mixed, quote: quote({ ...c, amount: '60' }), now: start }),
    )
    expect(error).toMatchObject({ remaining: '50' })
    expect(error.budget?.budget.scope).toBe('total')
  })

  it('releases a reservation so the amount counts no more, and keeps a committed one', async () => {
    const store = MemoryStore.create()
    const hour = budgets({ currency: 'usd', amount: '100', window: 'hour', scope: 'total' })
    const first = await Budget.reserve(store, { budgets: hour, quote: quote(), now: start })
    await Budget.release(store, first.reservation as Budget.Reservation)
    const second = await Budget.reserve(store, { budgets: hour, quote: quote(), now: start })
    await Budget.commit(store, second.reservation as Budget.Reservation)
    await refusalOf(Budget.reserve(store, { budgets: hour, quote: quote(), now: start }))
    const standing = await Budget.standings(store, {
      budgets: hour,
      currency: 'usd',
      origin: 'https://a.example',
      now: start,
    })
    expect(standing[0]).toMatchObject({ spent: '100', remaining: '0' })
  })

  it('reserves nothing for a currency no budget covers', async () => {
    const store = MemoryStore.create()
    const result = await Budget.reserve(store, { budgets: [], quote: quote(), now: start })
    expect(result).toEqual({ reservation: undefined, budgets: [] })
    expect(await store.get('paywire:client:budget:usd')).toBeUndefined()
  })

  it('lets exactly as many of 100 parallel reservations through as the budget covers', async () => {
    const store = MemoryStore.create()
    const day = budgets({ currency: 'usd', amount: '1000', window: 'day', scope: 'total' })
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, () =>
        Budget.reserve(store, { budgets: day, quote: quote(), now: start }),
      ),
    )
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(10)
    const refused = results.filter((result) => result.status === 'rejected')
    expect(refused).toHaveLength(90)
    for (const result of refused)
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(Policy.RefusedError)
  })

  it('checks without reserving (dry run)', async () => {
    const store = MemoryStore.create()
    const hour = budgets({ currency: 'usd', amount: '100', window: 'hour', scope: 'total' })
    expect(
      (await Budget.check(store, { budgets: hour, quote: quote(), now: start }))[0],
    ).toMatchObject({ remaining: '0' })
    expect(await store.get('paywire:client:budget:usd')).toBeUndefined()
    await refusalOf(
      Budget.check(store, { budgets: hour, quote: quote({ amount: '101' }), now: start }),
    )
  })

  it('fails closed on a budget record it cannot read', async () => {
    const store = MemoryStore.create()
    await store.put('paywire:client:budget:usd', { entries: 'lots' })
    const hour = budgets({ currency: 'usd', amount: '100', window: 'hour', scope: 'total' })
    await expect(
      Budget.reserve(store, { budgets: hour, quote: quote(), now: start }),
    ).rejects.toBeInstanceOf(Budget.CorruptBudgetError)
  })

  it('writes nothing for a zero amount, yet checks the budgets and reports them', async () => {
    const store = MemoryStore.create()
    const hour = budgets({ currency: 'usd', amount: '100', window: 'hour', scope: 'total' })
    await Budget.reserve(store, { budgets: hour, quote: quote({ amount: '60' }), now: start })
    const before = await store.get('paywire:client:budget:usd')
    const zero = await Budget.reserve(store, {
      budgets: hour,
      quote: quote({ amount: '0' }),
      now: start + 1,
    })
    expect(zero.reservation).toBeUndefined()
    expect(zero.budgets[0]).toMatchObject({ spent: '60', remaining: '40' })
    expect(await store.get('paywire:client:budget:usd')).toEqual(before)
    // A budget already overspent (its amount lowered since) still refuses, even for 0.
    const lowered = budgets({ currency: 'usd', amount: '50', window: 'hour', scope: 'total' })
    const error = await refusalOf(
      Budget.reserve(store, { budgets: lowered, quote: quote({ amount: '0' }), now: start + 2 }),
    )
    expect(error).toMatchObject({ rule: 'budget', remaining: '-10' })
  })

  it('keeps the record bounded by time, not by the number of payments: 10,000 payments', async () => {
    const store = MemoryStore.create()
    const day = budgets(
      { currency: 'usd', amount: '1000000', window: 'minute', scope: 'total' },
      { currency: 'usd', amount: '1000000', window: 'day', scope: 'origin' },
    )
    const origins = ['https://a.example', 'https://b.example']
    for (let index = 0; index < 10_000; index++) {
      const origin = origins[index % 2] as string
      const { reservation } = await Budget.reserve(store, {
        budgets: day,
        quote: quote({ url: `${origin}/paid`, origin, amount: index % 3 === 0 ? '0' : '7' }),
        now: start + index * 10,
      })
      if (reservation !== undefined) await Budget.commit(store, reservation)
    }
    const record = (await store.get('paywire:client:budget:usd'))?.value as {
      entries: { state: string }[]
    }
    // 100 seconds of payments, two origins: one sum per origin and second.
    expect(record.entries.length).toBeLessThanOrEqual(2 * 100)
    expect(record.entries.every((entry) => entry.state === 'spent')).toBe(true)
    expect(JSON.stringify(record).length).toBeLessThan(200 * 130) // about 125 bytes a sum
    const paid = (origin: string) =>
      Budget.standings(store, { budgets: day, currency: 'usd', origin, now: start + 100_000 })
    // 6,666 payments of 7 were nonzero, half of them to each origin (3,333 each).
    expect((await paid(origins[0] as string))[1]).toMatchObject({ spent: String(3_333 * 7) })
    expect((await paid(origins[1] as string))[1]).toMatchObject({ spent: String(3_333 * 7) })
  })

  it("holds a payment made earlier in a second until the window has passed that second's latest payment", async () => {
    const store = MemoryStore.create()
    const minute = budgets({ currency: 'usd', amount: '100', window: 'minute', scope: 'total' })
    for (const at of [start + 200, start + 700]) {
      const { reservation } = await Budget.reserve(store, {
        budgets: minute,
        quote: quote({ amount: '50' }),
        now: at,
      })
      await Budget.commit(store, reservation as Budget.Reservation)
    }
    const spentAt = async (now: number) =>
      (await Budget.standings(store, { budgets: minute, currency: 'usd', origin: 'x', now }))[0]
        ?.spent
    expect(await spentAt(start + 60_200)).toBe('100')
    expect(await spentAt(start + 60_699)).toBe('100')
    expect(await spentAt(start + 60_700)).toBe('0')
  })

  it('counts a committed amount once: a second commit or a late release changes nothing', async () => {
    const store = MemoryStore.create()
    const hour = budgets({ currency: 'usd', amount: '100', window: 'hour', scope: 'total' })
    const { reservation } = await Budget.reserve(store, {
      budgets: hour,
      quote: quote(),
      now: start,
    })
    await Budget.commit(store, reservation as Budget.Reservation)
    await Budget.commit(store, reservation as Budget.Reservation)
    await Budget.release(store, reservation as Budget.Reservation)
    const standing = await Budget.standings(store, {
      budgets: hour,
      currency: 'usd',
      origin: 'https://a.example',
      now: start,
    })
    expect(standing[0]).toMatchObject({ spent: '100', remaining: '0' })
  })

  it('reads a record of single spent entries (as written before sums) and adds to it', async () => {
    const store = MemoryStore.create()
    const entry = (id: string, at: number, amount: string) => ({
      id,
      origin: 'https://a.example',
      amount,
      at,
      state: 'spent',
    })
    await store.put('paywire:client:budget:usd', {
      entries: [entry('a', start, '10'), entry('b', start + 500, '20')],
    })
    const hour = budgets({ currency: 'usd', amount: '100', window: 'hour', scope: 'total' })
    const { budgets: after, reservation } = await Budget.reserve(store, {
      budgets: hour,
      quote: quote({ amount: '5' }),
      now: start + 999,
    })
    expect(after[0]).toMatchObject({ spent: '35', remaining: '65' })
    await Budget.commit(store, reservation as Budget.Reservation)
    const record = (await store.get('paywire:client:budget:usd'))?.value as {
      entries: { amount: string; at: number; state: string }[]
    }
    expect(record.entries.map(({ amount, at, state }) => ({ amount, at, state }))).toEqual([
      { amount: '15', at: start + 999, state: 'spent' },
      { amount: '20', at: start + 500, state: 'spent' },
    ])
    const standing = await Budget.standings(store, {
      budgets: hour,
      currency: 'usd',
      origin: 'https://a.example',
      now: start + 3_600_500,
    })
    expect(standing[0]).toMatchObject({ spent: '15' })
  })
})
