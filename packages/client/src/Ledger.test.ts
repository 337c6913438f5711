import { Receipt } from '@paywire/core'
import { MemoryStore } from '@paywire/store-memory'
import { describe, expect, it } from 'vitest'
import * as Ledger from './Ledger.js'

function entry(overrides: Partial<Ledger.Entry> = {}): Ledger.Entry {
  return {
    id: crypto.randomUUID(),
    at: '2026-01-01T12:00:00.000Z',
    url: 'https://a.example/paid',
    origin: 'https://a.example',
    challengeId: 'abc',
    realm: 'a.example',
    method: 'test',
    intent: 'charge',
    amount: '100',
    currency: 'usd',
    status: 'sent',
    ...overrides,
  }
}

describe('Ledger', () => {
  it('records an entry and its outcome with the receipt', async () => {
    const ledger = Ledger.from(MemoryStore.create())
    const paid = entry({ recipient: 'acct_1' })
    await ledger.record(paid)
    const receipt = Receipt.from({
      method: 'test',
      reference: 'ref_1',
      timestamp: '2026-01-01T12:00:01Z',
    })
    const settled = await ledger.settle(paid.id, { status: 'settled', httpStatus: 200, receipt })
    expect(settled).toEqual({ ...paid, status: 'settled', httpStatus: 200, receipt })
    expect(await ledger.get(paid.id)).toEqual(settled)
  })

  it('lists entries across days, oldest first, filtered by time, origin, currency and status', async () => {
    const ledger = Ledger.from(MemoryStore.create())
    const a = entry({ at: '2026-01-02T00:00:00.000Z' })
    const b = entry({
      at: '2026-01-01T23:59:59.999Z',
      origin: 'https://b.example',
      currency: 'eur',
    })
    const c = entry({ at: '2026-01-03T08:00:00.000Z', status: 'unconfirmed' })
    for (const item of [a, b, c]) await ledger.record(item)
    expect((await ledger.list()).map((item) => item.id)).toEqual([b.id, a.id, c.id])
    expect(
      (await ledger.list({ since: Date.parse('2026-01-02T00:00:00Z') })).map((item) => item.id),
    ).toEqual([a.id, c.id])
    expect(
      (await ledger.list({ until: new Date('2026-01-02T00:00:00Z') })).map((item) => item.id),
    ).toEqual([b.id])
    expect((await ledger.list({ origin: 'https://b.example' })).map((item) => item.id)).toEqual([
      b.id,
    ])
    expect((await ledger.list({ status: 'unconfirmed' })).map((item) => item.id)).toEqual([c.id])
    expect(await ledger.totals()).toEqual({ usd: '200', eur: '100' })
    expect(await ledger.totals({ currency: 'eur' })).toEqual({ eur: '100' })
  })

  it('sums amounts as integers beyond 2^53', async () => {
    const ledger = Ledger.from(MemoryStore.create())
    const big = (2n ** 60n).toString()
    await ledger.record(entry({ amount: big }))
    await ledger.record(entry({ amount: '1' }))
    expect(await ledger.totals()).toEqual({ usd: (2n ** 60n + 1n).toString() })
  })

  it('keeps ledgers with different prefixes apart in one store', async () => {
    const store = MemoryStore.create()
    await Ledger.from(store, { prefix: 'agent-a:' }).record(entry())
    expect(await Ledger.from(store, { prefix: 'agent-b:' }).list()).toEqual([])
    expect(await Ledger.from(store, { prefix: 'agent-a:' }).list()).toHaveLength(1)
  })

  it('refuses an entry that does not follow the schema, and a record it cannot read', async () => {
    const store = MemoryStore.create()
    const ledger = Ledger.from(store)
    await expect(ledger.record(entry({ amount: '1e3' }))).rejects.toBeInstanceOf(
      Ledger.CorruptLedgerError,
    )
    await store.put('paywire:client:ledger:days', 'not a list')
    await expect(ledger.list()).rejects.toBeInstanceOf(Ledger.CorruptLedgerError)
  })

  it('settles a payment only on a 2xx with a valid receipt for the method paid', () => {
    const receipt = Receipt.serialize(Receipt.from({ method: 'test', reference: 'r' }))
    const paid = { method: 'test' }
    const answer = (status: number, header?: string) =>
      Ledger.outcome(
        paid,
        new Response(null, { status, headers: header ? { 'payment-receipt': header } : {} }),
      )
    expect(answer(200, receipt)).toMatchObject({
      status: 'settled',
      httpStatus: 200,
      receipt: { reference: 'r' },
    })
    expect(answer(402, receipt)).toMatchObject({
      status: 'unconfirmed',
      note: 'server answered 402',
    })
    expect(answer(200)).toMatchObject({
      status: 'unconfirmed',
      note: 'no Payment-Receipt on the response',
    })
    expect(answer(200, 'not-a-receipt')).toMatchObject({ status: 'unconfirmed' })
    expect(
      Ledger.outcome(
        { method: 'other' },
        new Response(null, { headers: { 'payment-receipt': receipt } }),
      ),
    ).toMatchObject({
      status: 'unconfirmed',
      note: 'receipt names method "test"',
    })
  })

  it('splits a day of 10,000 payments into bounded index pages and still lists them all, in order', async () => {
    const store = MemoryStore.create()
    const ledger = Ledger.from(store)
    const start = Date.parse('2026-01-01T00:00:00Z')
    const ids: string[] = []
    for (let index = 0; index < 10_000; index++) {
      const paid = entry({ at: new Date(start + index * 1_000).toISOString(), amount: '0' })
      ids.push(paid.id)
      await ledger.record(paid)
    }
    const pages: unknown[] = []
    for (let page = 0; ; page++) {
      const key = `paywire:client:ledger:day:2026-01-01${page === 0 ? '' : `:${page}`}`
      const stored = await store.get(key)
      if (stored === undefined) break
      pages.push(stored.value)
    }
    expect(pages).toHaveLength(Math.ceil(10_000 / 256))
    for (const page of pages) expect((page as string[]).length).toBeLessThanOrEqual(256)
    expect(Math.max(...pages.map((page) => JSON.stringify(page).length))).toBeLessThan(10_000)
    expect((await ledger.list()).map((item) => item.id)).toEqual(ids)
    expect(await ledger.totals()).toEqual({ usd: '0' })
  })

  it('records payments in parallel across a page boundary, each listed once', async () => {
    const ledger = Ledger.from(MemoryStore.create())
    const paid = Array.from({ length: 300 }, (_, index) =>
      entry({ at: new Date(Date.parse('2026-01-01T12:00:00Z') + index).toISOString() }),
    )
    await Promise.all(paid.map((item) => ledger.record(item)))
    const listed = (await ledger.list()).map((item) => item.id)
    expect(listed).toEqual(paid.map((item) => item.id))
    expect(await ledger.totals()).toEqual({ usd: '30000' })
  })

  it('reads a day index written as one list (before pages), and goes on after it', async () => {
    const store = MemoryStore.create()
    const ledger = Ledger.from(store)
    const older = Array.from({ length: 300 }, (_, index) =>
      entry({ at: `2026-01-01T12:00:00.${String(index).padStart(3, '0')}Z` }),
    )
    for (const item of older)
      await store.put(`paywire:client:ledger:entry:${item.id}`, JSON.parse(JSON.stringify(item)))
    await store.put('paywire:client:ledger:days', ['2026-01-01'])
    await store.put(
      'paywire:client:ledger:day:2026-01-01',
      older.map((item) => item.id),
    )
    const newer = entry({ at: '2026-01-01T13:00:00.000Z' })
    await ledger.record(newer)
    expect(await store.get('paywire:client:ledger:day:2026-01-01:1')).toMatchObject({
      value: [newer.id],
    })
    expect((await ledger.list()).map((item) => item.id)).toEqual([
      ...older.map((item) => item.id),
      newer.id,
    ])
  })

  it('refuses a day index page it cannot read', async () => {
    const store = MemoryStore.create()
    const ledger = Ledger.from(store)
    for (let index = 0; index < 257; index++) await ledger.record(entry())
    await store.put('paywire:client:ledger:day:2026-01-01:1', { ids: 'lots' })
    await expect(ledger.list()).rejects.toBeInstanceOf(Ledger.CorruptLedgerError)
    await expect(ledger.record(entry())).rejects.toBeInstanceOf(Ledger.CorruptLedgerError)
  })
})
