import { describe, expect, it } from 'vitest'
import * as SessionChannel from './SessionChannel.js'
import * as SessionLedger from './SessionLedger.js'
import type * as Store from './Store.js'

const channelId = `0x${'C0'.repeat(32)}` as const
const voucher = (amount: bigint): SessionChannel.Voucher => ({
  cumulativeAmount: amount,
  signature: `0x${amount.toString(16).padStart(130, '0')}`,
})

/**
 * A map-backed store that yields between every read and write, so concurrent updates
 * interleave and race, and that can fail ("crash") on a chosen write.
 */
function racyStore(options: { failWrite?: number } = {}): Store.Store & { writes: number } {
  const data = new Map<string, Store.Entry>()
  let version = 0
  let attempts = 0
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve))
  return {
    writes: 0,
    async claim() {
      return true
    },
    async get(key) {
      await tick()
      const entry = data.get(key)
      return entry && { value: structuredClone(entry.value), version: entry.version }
    },
    async put(key, value) {
      data.set(key, { value: structuredClone(value), version: String(++version) })
    },
    async compareAndSwap(key, expected, value) {
      await tick()
      attempts++
      if (attempts === options.failWrite) throw new Error('the server crashed while writing')
      if ((data.get(key)?.version ?? null) !== expected) return false
      data.set(key, { value: structuredClone(value), version: String(++version) })
      this.writes++
      return true
    },
    async delete(key) {
      data.delete(key)
    },
  }
}

async function openChannel(store: Store.Store, deposit: bigint, amount: bigint) {
  return SessionLedger.apply(store, channelId, {
    type: 'open',
    deposit,
    voucher: voucher(amount),
  })
}

describe('SessionLedger', () => {
  it('keys channels by lower-case id and reads an unknown channel as none {tempo.session.accounting.lowercase-key}', async () => {
    const store = racyStore()
    expect(SessionLedger.key(channelId)).toBe(`paywire:session:channel:0x${'c0'.repeat(32)}`)
    expect((await SessionLedger.read(store, channelId)).status).toBe('none')
    await openChannel(store, 1_000n, 100n)
    const upper = await SessionLedger.read(
      store,
      channelId.toUpperCase().replace('0X', '0x') as SessionChannel.Hex,
    )
    expect(upper).toMatchObject({ status: 'open', acceptedCumulative: 100n })
  })

  it('accounts 100 parallel charges on one channel exactly {tempo.session.concurrency.serialized, tempo.session.concurrency.atomic-vouchers}', async () => {
    const store = racyStore()
    await openChannel(store, 10_000n, 2_500n)
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        SessionLedger.apply(store, channelId, { type: 'charge', units: 1n, price: 30n }),
      ),
    )
    const allowed = results.reduce(
      (sum, { decision }) => sum + (decision.type === 'charge' ? decision.allowed : 0n),
      0n,
    )
    const state = await SessionLedger.read(store, channelId)
    // 2,500 authorized at 30 per request pays for exactly 83 requests.
    expect(allowed).toBe(83n)
    expect(state.spent).toBe(83n * 30n)
    expect(state.units).toBe(83n)
    expect(state.spent <= state.acceptedCumulative).toBe(true)
  })

  it('keeps vouchers and charges linear when they race', async () => {
    const store = racyStore()
    await openChannel(store, 100_000n, 0n)
    const work = Array.from({ length: 50 }, (_, index) => [
      SessionLedger.apply(store, channelId, {
        type: 'voucher',
        voucher: voucher(BigInt(index + 1) * 100n),
      }).catch((error: { code: string }) => error.code),
      SessionLedger.apply(store, channelId, { type: 'charge', units: 1n, price: 50n }),
    ]).flat()
    const outcomes = await Promise.all(work)
    const state = await SessionLedger.read(store, channelId)
    const allowed = outcomes.reduce<bigint>(
      (sum, outcome) =>
        typeof outcome === 'object' && outcome.decision.type === 'charge'
          ? sum + outcome.decision.allowed
          : sum,
      0n,
    )
    expect(state.spent).toBe(allowed * 50n)
    expect(state.spent <= state.acceptedCumulative).toBe(true)
    // Vouchers that lost the race to a higher one were refused, never applied out of order.
    for (const outcome of outcomes)
      if (typeof outcome === 'string') expect(outcome).toBe('ERR_SESSION_VOUCHER_NOT_INCREASING')
  })

  it('writes nothing for an idempotent voucher {tempo.session.voucher.idempotent-equal}', async () => {
    const store = racyStore()
    await openChannel(store, 1_000n, 100n)
    const writes = store.writes
    const { decision } = await SessionLedger.apply(store, channelId, {
      type: 'voucher',
      voucher: voucher(100n),
    })
    expect(decision).toMatchObject({ idempotent: true })
    expect(store.writes).toBe(writes)
  })

  it('decides nothing when the write fails: no service without a persisted charge {tempo.session.request.charge-before-delivery, tempo.session.voucher.persist-before-service}', async () => {
    // The voucher's write fails: the voucher is not accepted.
    const first = racyStore({ failWrite: 2 })
    await openChannel(first, 1_000n, 100n)
    await expect(
      SessionLedger.apply(first, channelId, { type: 'voucher', voucher: voucher(200n) }),
    ).rejects.toThrow('crashed')
    expect(await SessionLedger.read(first, channelId)).toMatchObject({ acceptedCumulative: 100n })
    // The charge's write fails: the caller gets no decision, so serves nothing, and
    // nothing is charged.
    const second = racyStore({ failWrite: 3 })
    await openChannel(second, 1_000n, 100n)
    await SessionLedger.apply(second, channelId, { type: 'voucher', voucher: voucher(200n) })
    await expect(
      SessionLedger.apply(second, channelId, { type: 'charge', units: 1n, price: 10n }),
    ).rejects.toThrow('crashed')
    expect(await SessionLedger.read(second, channelId)).toMatchObject({
      acceptedCumulative: 200n,
      spent: 0n,
    })
  })

  it('refuses a corrupt stored state instead of guessing', async () => {
    const store = racyStore()
    await store.compareAndSwap(SessionLedger.key(channelId), null, { version: 1 })
    await expect(SessionLedger.read(store, channelId)).rejects.toBeInstanceOf(
      SessionChannel.InvalidStateError,
    )
  })
})
