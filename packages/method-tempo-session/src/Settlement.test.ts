// Scheduled settlement on a real local Tempo node (one node for this file): by amount after
// a charge, by age on `settleDue()`, never above what was served, shared by server instances
// over one store, and finishing closes a stopped server left behind; the payee's gains are
// read on chain.
import { type SessionChannel, SessionLedger, type Store } from '@paywire/core'
import { Escrow } from '@paywire/escrow'
import { MemoryStore } from '@paywire/store-memory'
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Fixture, setUp, token } from '../test/fixtures.js'
import * as EscrowChain from './EscrowChain.js'
import * as Sessions from './Sessions.js'
import * as Settlement from './Settlement.js'

const price = 10n
let fixture: Fixture

beforeAll(async () => {
  fixture = await setUp()
}, 60_000)

afterAll(() => fixture?.node.stop())

/** A session server for the fixture's payee, with a schedule and a clock. */
function server(options: {
  store: Store.Store
  settle?: Settlement.Schedule
  now?: () => number
  chain?: EscrowChain.EscrowChain
  errors?: unknown[]
}) {
  return Sessions.create({
    store: options.store,
    chain: options.chain ?? fixture.chain,
    payee: fixture.payee.account.address,
    currency: token,
    settle: options.settle,
    now: options.now,
    onSettleError: (error) => options.errors?.push(error),
  })
}

/** Opens a channel and serves `requests` requests, each paid by a voucher for its price. */
async function serve(sessions: Sessions.Sessions, requests: number, channelId?: Hex) {
  const id = channelId ?? (await fixture.openOnChain(100_000n))
  if (channelId === undefined)
    await sessions.open({ channelId: id, ...(await fixture.sign(id, 0n)), price })
  for (let request = 0; request < requests; request++) {
    const { spent } = await sessions.read(id)
    await sessions.voucher({ channelId: id, ...(await fixture.sign(id, spent + price)) })
    expect((await sessions.charge({ channelId: id, units: 1n, price })).allowed).toBe(1n)
  }
  return id
}

/** Waits until the chain has settled `amount` on the channel. */
async function settledOnChain(channelId: Hex, amount: bigint) {
  const deadline = Date.now() + 10_000
  for (;;) {
    const { settled } = await fixture.chain.getChannel(channelId)
    if (settled === amount) return
    if (Date.now() > deadline) throw new Error(`settled ${settled}, expected ${amount}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The `Settled` events of a channel, in order. */
async function settlements(channelId: Hex) {
  const events = await fixture.node.client.getContractEvents({
    address: fixture.escrow,
    abi: Escrow.abi,
    eventName: 'Settled',
    args: { channelId },
    fromBlock: 0n,
  })
  return events.map((event) => event.args.cumulativeAmount)
}

describe('Settlement.due', () => {
  const state = (overrides: Partial<SessionChannel.State>): SessionChannel.State => ({
    status: 'open',
    channelId: `0x${'ab'.repeat(32)}`,
    deposit: 1_000n,
    settled: 100n,
    acceptedCumulative: 400n,
    spent: 400n,
    units: 40n,
    minVoucherDelta: 0n,
    closeRequestedAt: 0n,
    requiredCumulative: undefined,
    highest: { cumulativeAmount: 400n, signature: '0x01' },
    earned: { cumulativeAmount: 400n, signature: '0x01' },
    closing: undefined,
    finalized: false,
    ...overrides,
  })

  it('makes a channel due by its unsettled amount or by the age of its last settlement {tempo.session.settlement.timing}', () => {
    const now = 1_000_000
    expect(
      Settlement.due({ state: state({}), settledAt: now, schedule: { everyAmount: 300n }, now }),
    ).toBe('amount')
    expect(
      Settlement.due({ state: state({}), settledAt: now, schedule: { everyAmount: 301n }, now }),
    ).toBeUndefined()
    expect(
      Settlement.due({
        state: state({}),
        settledAt: now - 5_000,
        schedule: { everyMs: 5_000 },
        now,
      }),
    ).toBe('age')
    expect(
      Settlement.due({
        state: state({}),
        settledAt: now - 4_999,
        schedule: { everyMs: 5_000 },
        now,
      }),
    ).toBeUndefined()
    expect(Settlement.due({ state: state({}), settledAt: now, schedule: {}, now })).toBe('any')
  })

  it('never makes due a channel whose only vouchers exceed what was served {tempo.session.close.capture-spent}', () => {
    // 400 authorized, 250 served: the 400 voucher would capture 150 not served.
    const ahead = state({ spent: 250n, earned: { cumulativeAmount: 100n, signature: '0x02' } })
    const schedule = { everyAmount: 1n, everyMs: 0 }
    expect(Settlement.due({ state: ahead, settledAt: 0, schedule, now: 1 })).toBeUndefined()
  })

  it('makes a recorded close due whatever the schedule, and nothing once finalized', () => {
    const closing = { cumulativeAmount: 400n, signature: '0x01' as const }
    const schedule = { everyAmount: 10_000n }
    expect(
      Settlement.due({
        state: state({ status: 'closed', closing }),
        settledAt: 0,
        schedule,
        now: 0,
      }),
    ).toBe('close')
    expect(
      Settlement.due({
        state: state({ status: 'closed', finalized: true }),
        settledAt: 0,
        schedule,
        now: 0,
      }),
    ).toBeUndefined()
  })
})

describe('scheduled settlement on chain', () => {
  it('settles in the background once the unsettled amount reaches everyAmount, capturing only what was served {tempo.session.settlement.timing, tempo.session.close.capture-spent}', async () => {
    const errors: unknown[] = []
    const sessions = server({ store: MemoryStore.create(), settle: { everyAmount: 50n }, errors })
    const before = await fixture.balances()
    const channelId = await serve(sessions, 4)
    // 40 served: below the threshold, nothing settled.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect((await fixture.chain.getChannel(channelId)).settled).toBe(0n)
    // The fifth request reaches 50: settled on chain, in the background.
    await serve(sessions, 1, channelId)
    await settledOnChain(channelId, 50n)
    // The payer authorizes 200 ahead and 3 more units are served: the 250 voucher exceeds
    // what was served (80), so it is not settled; the 50 already settled stays.
    await sessions.voucher({ channelId, ...(await fixture.sign(channelId, 250n)) })
    for (let unit = 0; unit < 3; unit++) await sessions.charge({ channelId, units: 1n, price })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect((await fixture.chain.getChannel(channelId)).settled).toBe(50n)
    expect(await sessions.read(channelId)).toMatchObject({ spent: 80n, settled: 50n })
    expect((await fixture.balances()).payee - before.payee).toBe(50n)
    expect(await settlements(channelId)).toEqual([50n])
    expect(errors).toEqual([])
  })

  it('settles on settleDue once the last settlement is everyMs old, and lists the channels {tempo.session.settlement.timing}', async () => {
    let clock = 1_000_000
    const store = MemoryStore.create()
    const sessions = server({ store, settle: { everyMs: 30_000 }, now: () => clock })
    const channelId = await serve(sessions, 3)
    expect((await sessions.channels()).map(({ state }) => state.channelId)).toEqual([channelId])
    expect(await sessions.channels()).toMatchObject([{ settledAt: 1_000_000 }])
    clock += 29_999
    expect(await sessions.settleDue()).toEqual({ settled: [], closed: [], failed: [] })
    clock += 1
    const due = await sessions.settleDue()
    expect(due.settled).toMatchObject([{ channelId, reason: 'age' }])
    expect(due.failed).toEqual([])
    expect((await fixture.chain.getChannel(channelId)).settled).toBe(30n)
    expect(await sessions.channels()).toMatchObject([{ settledAt: 1_030_000 }])
    // Nothing new served: due again by age, but nothing to settle.
    clock += 60_000
    expect((await sessions.settleDue()).settled).toEqual([])
    await serve(sessions, 2, channelId)
    expect((await sessions.settleDue()).settled).toMatchObject([{ channelId, reason: 'age' }])
    expect(await settlements(channelId)).toEqual([30n, 50n])
    // Closed: out of the index on the next run.
    await sessions.close({ channelId, ...(await fixture.sign(channelId, 50n)) })
    expect(await sessions.channels()).toEqual([])
  })

  it('indexes a channel recorded before the index existed on its next voucher', async () => {
    const store = MemoryStore.create()
    const channelId = await fixture.openOnChain(1_000n)
    // Recorded straight into the ledger, as a server of an earlier version did.
    await SessionLedger.apply(store, channelId, {
      type: 'open',
      deposit: 1_000n,
      voucher: await fixture.sign(channelId, 0n),
    })
    const sessions = server({ store })
    expect(await sessions.channels()).toEqual([])
    await serve(sessions, 2, channelId)
    expect((await sessions.channels()).map(({ state }) => state.channelId)).toEqual([channelId])
    expect((await sessions.settleDue()).settled).toMatchObject([{ channelId, reason: 'any' }])
    expect(await settlements(channelId)).toEqual([20n])
  })

  it('lets server instances sharing a store settle together, each channel once per amount, with no transaction sent twice {tempo.session.settlement.timing, tempo.session.concurrency.serialized}', async () => {
    const store = MemoryStore.create()
    // Three instances, each with its own chain client (as three processes would have).
    const instances = [0, 1, 2].map(() =>
      server({
        store,
        settle: { everyMs: 0 },
        chain: EscrowChain.fromViem({
          publicClient: fixture.node.client,
          walletClient: fixture.payee,
          escrow: fixture.escrow,
          pollingInterval: 50,
        }),
      }),
    )
    const [first] = instances as [Sessions.Sessions]
    const channels: Hex[] = []
    for (let channel = 0; channel < 4; channel++) channels.push(await serve(first, channel + 2))
    const payee = fixture.payee.account.address
    const nonce = () =>
      fixture.node.client.getTransactionCount({ address: payee, blockTag: 'pending' })
    const before = { balance: (await fixture.balances()).payee, nonce: await nonce() }
    // All three run at once, twice; a channel another instance holds is left to it.
    const runs = await Promise.all(
      [...instances, ...instances].map((sessions) => sessions.settleDue()),
    )
    const settled = runs.flatMap((run) => run.settled.map((entry) => entry.channelId))
    const failed = runs.flatMap((run) => run.failed)
    expect(failed).toEqual([])
    expect([...settled].sort()).toEqual([...channels].sort())
    for (const [index, channelId] of channels.entries())
      expect(await settlements(channelId)).toEqual([BigInt(index + 2) * price])
    // One transaction per channel: nothing reverted, nothing sent twice.
    expect((await nonce()) - before.nonce).toBe(channels.length)
    expect((await fixture.balances()).payee - before.balance).toBe((2n + 3n + 4n + 5n) * price)
    // Another round finds nothing to do.
    const again = await Promise.all(instances.map((sessions) => sessions.settleDue()))
    expect(again.flatMap((run) => run.settled)).toEqual([])
  })

  it('refuses an on-demand settlement while another instance holds the channel, and takes over a lease whose transaction was mined {tempo.session.crash.transactional}', async () => {
    const store = MemoryStore.create()
    let release: () => void = () => undefined
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const slow: EscrowChain.EscrowChain = {
      ...fixture.chain,
      settle: async (...args) => {
        await held
        return fixture.chain.settle(...args)
      },
    }
    const a = server({ store, chain: slow })
    const b = server({ store })
    const channelId = await serve(a, 3)
    const pending = a.settle(channelId)
    await new Promise((resolve) => setTimeout(resolve, 100))
    await expect(b.settle(channelId)).rejects.toBeInstanceOf(Settlement.InProgressError)
    release()
    expect(await pending).toMatch(/^0x[0-9a-f]{64}$/)
    // The lease's amount is settled on chain: the next settlement takes it over at once.
    await serve(b, 1, channelId)
    expect(await b.settle(channelId)).toMatch(/^0x[0-9a-f]{64}$/)
    expect(await settlements(channelId)).toEqual([30n, 40n])
  })

  it('lets a settlement mined while the payer closes end in the close, capturing exactly what was served {tempo.session.close.capture-spent}', async () => {
    const store = MemoryStore.create()
    let resume: () => void = () => undefined
    const closed = new Promise<void>((resolve) => {
      resume = resolve
    })
    const slow: EscrowChain.EscrowChain = {
      ...fixture.chain,
      // Mined at once; the server records it only after the close went through.
      settle: async (...args) => {
        const hash = await fixture.chain.settle(...args)
        await closed
        return hash
      },
    }
    const before = await fixture.balances()
    const channelId = await serve(server({ store }), 4)
    const settling = server({ store, chain: slow }).settle(channelId)
    await settledOnChain(channelId, 40n)
    await serve(server({ store }), 2, channelId)
    const close = await server({ store }).close({
      channelId,
      ...(await fixture.sign(channelId, 60n)),
    })
    expect(close.capture).toBe(60n)
    resume()
    expect(await settling).toMatch(/^0x[0-9a-f]{64}$/)
    expect(await server({ store }).read(channelId)).toMatchObject({ finalized: true, settled: 60n })
    const after = await fixture.balances()
    expect(after.payee - before.payee).toBe(60n)
    expect(before.payer - after.payer).toBe(60n)
  })

  it('finishes, after a restart, a close the stopped server recorded but never sent {tempo.session.crash.transactional, tempo.session.close.prompt}', async () => {
    const store = MemoryStore.create()
    const stopped: EscrowChain.EscrowChain = {
      ...fixture.chain,
      close: async () => {
        throw new Error('the server stopped')
      },
    }
    const before = await fixture.balances()
    const channelId = await serve(server({ store, chain: stopped }), 6)
    await expect(
      server({ store, chain: stopped }).close({
        channelId,
        ...(await fixture.sign(channelId, 60n)),
      }),
    ).rejects.toThrow('stopped')
    expect(await server({ store }).read(channelId)).toMatchObject({
      status: 'closed',
      finalized: false,
    })
    // Restarted: the timer's run sends the recorded close.
    const restarted = server({ store, settle: { everyAmount: 1_000_000n } })
    const { closed } = await restarted.settleDue()
    expect(closed).toMatchObject([{ channelId }])
    expect(await fixture.chain.getChannel(channelId)).toMatchObject({
      finalized: true,
      settled: 60n,
    })
    expect(await restarted.read(channelId)).toMatchObject({ status: 'closed', finalized: true })
    expect(await restarted.channels()).toEqual([])
    const after = await fixture.balances()
    expect(after.payee - before.payee).toBe(60n)
    expect(before.payer - after.payer).toBe(60n)
  })
})

describe('a retried close', () => {
  it('is answered from the chain with the close transaction when the close was mined but not recorded {tempo.session.crash.transactional, tempo.session.idempotency.client-retry}', async () => {
    const store = MemoryStore.create()
    const lost: EscrowChain.EscrowChain = {
      ...fixture.chain,
      // Mined, then the server stops before it records the finalization.
      close: async (...args) => {
        await fixture.chain.close(...args)
        throw new Error('the server stopped')
      },
    }
    const before = await fixture.balances()
    const channelId = await serve(server({ store }), 7)
    const close = { channelId, ...(await fixture.sign(channelId, 70n)) }
    await expect(server({ store, chain: lost }).close(close)).rejects.toThrow('stopped')
    expect(await server({ store }).read(channelId)).toMatchObject({
      status: 'closed',
      finalized: false,
    })
    const closedOnChain = await fixture.chain.closeTransaction(channelId)
    expect(closedOnChain?.sender.toLowerCase()).toBe(fixture.payee.account.address.toLowerCase())

    const restarted = server({ store })
    const retried = await restarted.close(close)
    expect(retried).toMatchObject({ txHash: closedOnChain?.txHash, capture: 70n })
    expect(retried.state).toMatchObject({
      status: 'closed',
      finalized: true,
      spent: 70n,
      settled: 70n,
    })
    // Again, with the finalization recorded: the same answer.
    expect(await restarted.close(close)).toMatchObject({
      txHash: closedOnChain?.txHash,
      capture: 70n,
    })
    // Even with the channel's record lost from the store: the chain tells the capture.
    await store.delete(`paywire:session:channel:${channelId.toLowerCase()}`)
    expect(await restarted.close(close)).toMatchObject({
      txHash: closedOnChain?.txHash,
      capture: 70n,
      state: { status: 'closed', spent: 70n, settled: 70n },
    })
    // A close voucher signed by someone else is still refused.
    await expect(
      restarted.close({ channelId, ...(await fixture.sign(channelId, 70n, fixture.stranger)) }),
    ).rejects.toThrow()
    const after = await fixture.balances()
    expect(after.payee - before.payee).toBe(70n)
    expect(before.payer - after.payer).toBe(70n)
  })
})
