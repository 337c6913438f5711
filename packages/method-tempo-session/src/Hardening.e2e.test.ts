// Session hardening on a real local Tempo node with paywire's escrow (issue 14): a
// credential's `source` names the channel's payer or is refused; a channel below the
// server's minimum deposit is refused, its open never broadcast; and a channel whose payer
// asked the chain for a forced close is settled before the grace period ends, found by
// `settleDue` without the payer sending anything (the node's time travel checks the payee
// keeps what was served once the payer withdraws).
import { Escrow } from '@paywire/escrow'
import { Source } from '@paywire/method-tempo'
import { MemoryStore } from '@paywire/store-memory'
import { generatePrivateKey } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Fixture, setUp, token } from '../test/fixtures.js'
import * as Payer from './Payer.js'

const price = 10n
let fixture: Fixture

beforeAll(async () => {
  fixture = await setUp()
}, 60_000)
afterAll(() => fixture?.node.stop())

const did = (address: string, chainId = fixture.node.chainId) => Source.format({ chainId, address })

/** A payer of its own (a fresh key holding the token and fee token), to sign open transactions. */
async function newPayer(): Promise<Payer.Payer> {
  const opener = Payer.create({
    privateKey: generatePrivateKey(),
    client: fixture.node.client,
    chainId: fixture.node.chainId,
    escrow: fixture.escrow,
    currency: token,
    store: MemoryStore.create(),
    maxDeposit: 10_000n,
  })
  await fixture.node.fund({ to: opener.address, amount: 10_000n, token })
  await fixture.node.fund({ to: opener.address, amount: 1_000_000n })
  return opener
}

describe("a credential's source is the channel's payer", () => {
  it('refuses an open, a voucher and a close whose source names someone else, and accepts the payer', async () => {
    const sessions = fixture.sessions()
    const payer = fixture.payer.account.address
    const stranger = fixture.stranger.account.address
    const channelId = await fixture.openOnChain(10_000n)
    const open = { channelId, ...(await fixture.sign(channelId, 0n)), price }
    for (const source of [did(stranger), did(payer, 4217), 'did:example:payer'])
      await expect(sessions.open({ ...open, source })).rejects.toMatchObject({
        code: 'ERR_SESSION_SOURCE_MISMATCH',
        problem: 'verification-failed',
      })
    expect((await sessions.read(channelId)).status).toBe('none')
    await sessions.open({ ...open, source: did(payer) })
    const voucher = { channelId, ...(await fixture.sign(channelId, 100n)) }
    await expect(sessions.voucher({ ...voucher, source: did(stranger) })).rejects.toMatchObject({
      code: 'ERR_SESSION_SOURCE_MISMATCH',
    })
    expect((await sessions.read(channelId)).acceptedCumulative).toBe(0n)
    await sessions.voucher({ ...voucher, source: did(payer) })
    expect((await sessions.read(channelId)).acceptedCumulative).toBe(100n)
    await expect(
      sessions.close({ channelId, ...(await fixture.sign(channelId, 0n)), source: did(stranger) }),
    ).rejects.toMatchObject({ code: 'ERR_SESSION_SOURCE_MISMATCH' })
    expect((await fixture.chain.getChannel(channelId)).finalized).toBe(false)
  })

  it('refuses an open transaction signed by another account than its source, before broadcasting it', async () => {
    const sessions = fixture.sessions()
    const opener = await newPayer()
    const opened = await opener.open({ payee: fixture.payee.account.address, deposit: 1_000n })
    await expect(
      sessions.open({ ...opened, price, source: did(fixture.payer.account.address) }),
    ).rejects.toMatchObject({ code: 'ERR_SESSION_SOURCE_MISMATCH' })
    expect((await fixture.chain.getChannel(opened.channelId)).deposit).toBe(0n)
    await sessions.open({ ...opened, price, source: did(opener.address) })
    expect((await fixture.chain.getChannel(opened.channelId)).deposit).toBe(1_000n)
  })
})

describe('a minimum deposit', () => {
  it('refuses a channel below minDeposit, and an open transaction below it before broadcasting', async () => {
    const sessions = fixture.sessions(MemoryStore.create(), { minDeposit: 5_000n })
    const small = await fixture.openOnChain(4_999n)
    await expect(
      sessions.open({ channelId: small, ...(await fixture.sign(small, 0n)), price }),
    ).rejects.toMatchObject({ code: 'ERR_SESSION_INSUFFICIENT_BALANCE', requiredTopUp: 1n })
    const opener = await newPayer()
    const opened = await opener.open({ payee: fixture.payee.account.address, deposit: 1_000n })
    await expect(sessions.open({ ...opened, price })).rejects.toMatchObject({
      code: 'ERR_SESSION_INSUFFICIENT_BALANCE',
    })
    expect((await fixture.chain.getChannel(opened.channelId)).deposit).toBe(0n)
    const enough = await fixture.openOnChain(5_000n)
    await expect(
      sessions.open({ channelId: enough, ...(await fixture.sign(enough, 0n)), price }),
    ).resolves.toMatchObject({ status: 'open', deposit: 5_000n })
  })
})

describe('a forced close', () => {
  /** Moves the node's clock forward and mines a block. */
  async function travel(seconds: number) {
    await fixture.node.client.request({
      method: 'evm_increaseTime' as never,
      params: [seconds] as never,
    })
    await fixture.node.client.request({ method: 'evm_mine' as never, params: [] as never })
  }

  it('is settled by settleDue before the grace period ends, whatever the schedule: the payee keeps what was served after the payer withdraws {tempo.session.settlement.timing}', async () => {
    // A schedule that would not settle for an hour.
    const sessions = fixture.sessions(MemoryStore.create(), { settle: { everyMs: 3_600_000 } })
    const channelId = await fixture.openOnChain(1_000n)
    await sessions.open({ channelId, ...(await fixture.sign(channelId, 0n)), price })
    for (let request = 1n; request <= 3n; request++) {
      await sessions.voucher({ channelId, ...(await fixture.sign(channelId, request * price)) })
      await sessions.charge({ channelId, units: 1n, price })
    }
    expect((await sessions.settleDue()).settled).toEqual([])
    const before = await fixture.balances()
    await fixture.mined(
      fixture.payer.writeContract({
        address: fixture.escrow,
        abi: Escrow.abi,
        functionName: 'requestClose',
        args: [channelId],
      }),
    )
    const requested = await fixture.chain.getChannel(channelId)
    expect(requested.closeRequestedAt).toBeGreaterThan(0n)
    // Nothing from the payer since: the server finds the request on chain itself.
    const due = await sessions.settleDue()
    expect(due.settled).toMatchObject([{ channelId, reason: 'close-requested' }])
    const settled = await fixture.chain.getChannel(channelId)
    expect(settled.settled).toBe(30n)
    const block = await fixture.node.client.getBlock()
    expect(block.timestamp).toBeLessThan(requested.closeRequestedAt + 900n)
    // The grace period ends; the payer takes back the rest, the payee keeps what it served.
    await travel(901)
    await fixture.mined(
      fixture.payer.writeContract({
        address: fixture.escrow,
        abi: Escrow.abi,
        functionName: 'withdraw',
        args: [channelId],
      }),
    )
    const after = await fixture.balances()
    expect(after.payee - before.payee).toBe(30n)
    expect(after.payer - before.payer).toBe(970n)
    expect((await sessions.settleDue()).failed).toEqual([])
  })
})
