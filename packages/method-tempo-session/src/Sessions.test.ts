// The session server against paywire's escrow on a real local Tempo node (one node for
// this file): opens, vouchers, metered charges with starvation and resumption, settlement
// and close, with balances read on chain.
import { Escrow } from '@paywire/escrow'
import { MemoryStore } from '@paywire/store-memory'
import { keccak256, parseSignature, serializeSignature, toHex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Fixture, setUp, token } from '../test/fixtures.js'
import type * as EscrowChain from './EscrowChain.js'
import * as Payload from './Payload.js'
import * as Sessions from './Sessions.js'

const price = 25n
let fixture: Fixture

beforeAll(async () => {
  fixture = await setUp()
}, 60_000)

afterAll(() => fixture?.node.stop())

describe('Sessions', () => {
  const create = () => fixture.sessions()
  const openOnChain: Fixture['openOnChain'] = (...args) => fixture.openOnChain(...args)
  const sign: Fixture['sign'] = (...args) => fixture.sign(...args)
  const balances = () => fixture.balances()
  const mined: Fixture['mined'] = (hash) => fixture.mined(hash)
  it('meters a session, starves and resumes, settles, and closes paying exactly what was served {tempo.session.open.init-state, tempo.session.request.charge-before-delivery, tempo.session.close.capture-spent, tempo.session.streaming.pause}', async () => {
    const sessions = create()
    const channelId = await openOnChain(1_000_000n)
    const before = await balances()
    await sessions.open({ channelId, ...(await sign(channelId, 0n)), price })
    let served = 0n
    // 60 requests, each paid by a voucher for exactly its cost.
    for (let request = 1; request <= 60; request++) {
      const units = BigInt((request % 4) + 1)
      const state = await sessions.read(channelId)
      await sessions.voucher({ channelId, ...(await sign(channelId, state.spent + units * price)) })
      const { allowed } = await sessions.charge({ channelId, units, price })
      expect(allowed).toBe(units)
      served += allowed * price
    }
    // A stream starves: 10 units asked with 4 paid for, then resumes after a voucher.
    await sessions.voucher({
      channelId,
      ...(await sign(channelId, (await sessions.read(channelId)).spent + 4n * price)),
    })
    const starved = await sessions.charge({ channelId, units: 10n, price })
    expect(starved.allowed).toBe(4n)
    expect(starved.state.status).toBe('starved')
    served += 4n * price
    const required = starved.state.requiredCumulative ?? 0n
    await sessions.voucher({ channelId, ...(await sign(channelId, required)) })
    const resumed = await sessions.charge({ channelId, units: 6n, price })
    expect(resumed.allowed).toBe(6n)
    served += 6n * price
    // Settle what was served so far, on chain.
    const settleHash = await sessions.settle(channelId)
    expect(settleHash).toMatch(/^0x[0-9a-f]{64}$/)
    expect((await balances()).payee - before.payee).toBe(served)
    // The client authorizes more than it then uses; the close captures only what was served.
    const spentBefore = (await sessions.read(channelId)).spent
    await sessions.voucher({ channelId, ...(await sign(channelId, spentBefore + 1_000n)) })
    const { allowed } = await sessions.charge({ channelId, units: 2n, price })
    served += allowed * price
    const { capture } = await sessions.close({
      channelId,
      ...(await sign(channelId, served)),
    })
    expect(capture).toBe(served)
    const after = await balances()
    expect(after.payee - before.payee).toBe(served)
    expect(after.payer - before.payer).toBe(1_000_000n - served)
    expect(before.escrow - after.escrow).toBe(1_000_000n)
    const state = await sessions.read(channelId)
    expect(state).toMatchObject({ status: 'closed', finalized: true, settled: served })
    const receipt = Sessions.receipt({ state, challengeId: 'challenge-1', txHash: settleHash })
    expect(receipt).toMatchObject({
      method: 'tempo',
      intent: 'session',
      status: 'success',
      reference: channelId,
      channelId,
      acceptedCumulative: (spentBefore + 1_000n).toString(),
      spent: served.toString(),
    })
  })

  it('refuses vouchers that are high-s, from another signer, or lower than accepted {tempo.session.signature.low-s, tempo.session.voucher.expected-signer, tempo.session.dos.skip-low-signature}', async () => {
    const sessions = create()
    const channelId = await openOnChain(10_000n)
    await sessions.open({ channelId, ...(await sign(channelId, 100n)), price })
    const good = await sign(channelId, 200n)
    const { r, s, yParity } = parseSignature(good.signature)
    const highS = serializeSignature({
      r,
      s: toHex(0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n - BigInt(s), {
        size: 32,
      }),
      yParity: yParity === 0 ? 1 : 0,
    })
    await expect(
      sessions.voucher({ channelId, cumulativeAmount: 200n, signature: highS }),
    ).rejects.toMatchObject({ code: 'ERR_SESSION_INVALID_SIGNATURE', status: 402 })
    await expect(
      sessions.voucher({ channelId, ...(await sign(channelId, 200n, fixture.stranger)) }),
    ).rejects.toMatchObject({ code: 'ERR_SESSION_SIGNER_MISMATCH', status: 402 })
    await expect(
      sessions.voucher({ channelId, cumulativeAmount: 99n, signature: '0x' }),
    ).rejects.toMatchObject({ code: 'ERR_SESSION_VOUCHER_NOT_INCREASING' })
    await sessions.voucher({ channelId, ...good })
    expect((await sessions.read(channelId)).acceptedCumulative).toBe(200n)
  })

  it('checks the channel on chain when it opens {tempo.session.open.channel-state, tempo.session.open.initial-voucher}', async () => {
    const sessions = create()
    const unknown = keccak256(toHex('never opened'))
    await expect(
      sessions.open({ channelId: unknown, ...(await sign(unknown, 0n)), price }),
    ).rejects.toMatchObject({ code: 'ERR_SESSION_CHANNEL_NOT_FOUND', status: 410 })
    const elsewhere = await openOnChain(10_000n, fixture.stranger.account.address)
    await expect(
      sessions.open({ channelId: elsewhere, ...(await sign(elsewhere, 0n)), price }),
    ).rejects.toMatchObject({ code: 'ERR_SESSION_CHANNEL_MISMATCH' })
    const tiny = await openOnChain(10n)
    await expect(
      sessions.open({ channelId: tiny, ...(await sign(tiny, 0n)), price }),
    ).rejects.toMatchObject({ code: 'ERR_SESSION_INSUFFICIENT_BALANCE' })
    const channelId = await openOnChain(10_000n)
    await expect(
      sessions.open({ channelId, ...(await sign(channelId, 0n, fixture.stranger)), price }),
    ).rejects.toMatchObject({ code: 'ERR_SESSION_SIGNER_MISMATCH' })
  })

  it('stops taking vouchers once the payer asks the chain to close, and resumes after a top-up {tempo.session.voucher.close-pending, tempo.session.topup.update-balance, tempo.session.reorg.reverify}', async () => {
    const sessions = create()
    const channelId = await openOnChain(1_000n)
    await sessions.open({ channelId, ...(await sign(channelId, 0n)), price })
    await mined(
      fixture.payer.writeContract({
        address: fixture.escrow,
        abi: Escrow.abi,
        functionName: 'requestClose',
        args: [channelId],
      }),
    )
    await expect(
      sessions.voucher({ channelId, ...(await sign(channelId, 100n)) }),
    ).rejects.toMatchObject({ code: 'ERR_SESSION_CLOSE_PENDING' })
    expect((await sessions.read(channelId)).status).toBe('close-requested')
    await mined(
      fixture.payer.writeContract({
        address: fixture.escrow,
        abi: Escrow.abi,
        functionName: 'topUp',
        args: [channelId, 4_000n],
      }),
    )
    await sessions.voucher({ channelId, ...(await sign(channelId, 4_500n)) })
    expect(await sessions.read(channelId)).toMatchObject({
      status: 'open',
      deposit: 5_000n,
      acceptedCumulative: 4_500n,
    })
  })

  it('recovers a settlement and a close interrupted by a crash, capturing exactly once {tempo.session.crash.transactional, tempo.session.close.capture-spent}', async () => {
    const store = MemoryStore.create()
    const crashing = (step: 'settle' | 'close'): EscrowChain.EscrowChain => ({
      ...fixture.chain,
      // The settle is mined but the server stops before recording it; the close is
      // recorded but the server stops before sending it.
      settle: async (...args) => {
        if (step === 'settle') await fixture.chain.settle(...args)
        throw new Error('the server crashed')
      },
      close: async () => {
        throw new Error('the server crashed')
      },
    })
    const withChain = (escrowChain: EscrowChain.EscrowChain) =>
      Sessions.create({
        store,
        chain: escrowChain,
        payee: fixture.payee.account.address,
        currency: token,
      })
    const channelId = await openOnChain(10_000n)
    const before = await balances()
    await withChain(fixture.chain).open({ channelId, ...(await sign(channelId, 500n)), price })
    await withChain(fixture.chain).charge({ channelId, units: 20n, price })
    await expect(withChain(crashing('settle')).settle(channelId)).rejects.toThrow('crashed')
    // After the restart, the chain tells what was settled: nothing is settled twice.
    expect(await withChain(fixture.chain).settle(channelId)).toBeUndefined()
    expect((await withChain(fixture.chain).read(channelId)).settled).toBe(500n)
    await withChain(fixture.chain).voucher({ channelId, ...(await sign(channelId, 700n)) })
    await withChain(fixture.chain).charge({ channelId, units: 8n, price })
    const close = await sign(channelId, 700n)
    await expect(withChain(crashing('close')).close({ channelId, ...close })).rejects.toThrow(
      'crashed',
    )
    expect((await withChain(fixture.chain).read(channelId)).status).toBe('closed')
    const { capture } = await withChain(fixture.chain).close({ channelId, ...close })
    expect(capture).toBe(700n)
    const after = await balances()
    expect(after.payee - before.payee).toBe(700n)
    expect(after.payer - before.payer).toBe(10_000n - 700n)
  })

  it('carries out parsed credential payloads: open, voucher, close', async () => {
    const sessions = create()
    const channelId = await openOnChain(1_000n)
    const wire = async (action: string, cumulativeAmount: bigint) => ({
      action,
      channelId,
      cumulativeAmount: cumulativeAmount.toString(),
      signature: (await sign(channelId, cumulativeAmount)).signature,
    })
    // The open payload carries the client's transaction (see ChannelTransaction.test.ts);
    // here the payer opened the channel on chain itself.
    await sessions.open({ channelId, ...(await sign(channelId, 0n)), price })
    const voucher = await sessions.act(Payload.parse(await wire('voucher', 100n)), { price })
    expect(voucher.state.acceptedCumulative).toBe(100n)
    await sessions.charge({ channelId, units: 4n, price })
    const closed = await sessions.act(Payload.parse(await wire('close', 100n)), { price })
    expect(closed.txHash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(closed.state).toMatchObject({ status: 'closed', finalized: true, settled: 100n })
  })

  it('takes the signer from the chain, never from claims in the payload {tempo.session.voucher.no-signer-claims}', async () => {
    const sessions = create()
    const channelId = await openOnChain(1_000n)
    await sessions.open({ channelId, ...(await sign(channelId, 0n)), price })
    const forged = await sign(channelId, 500n, fixture.stranger)
    const payload = Payload.parse({
      action: 'voucher',
      channelId,
      cumulativeAmount: '500',
      signature: forged.signature,
      authorizedSigner: fixture.stranger.account.address,
      signer: fixture.stranger.account.address,
    })
    await expect(sessions.act(payload, { price })).rejects.toMatchObject({
      code: 'ERR_SESSION_SIGNER_MISMATCH',
    })
  })

  it('accounts 100 parallel requests on one channel exactly {tempo.session.concurrency.serialized}', async () => {
    const sessions = create()
    const channelId = await openOnChain(10_000n)
    await sessions.open({ channelId, ...(await sign(channelId, 1_000n)), price })
    const results = await Promise.all(
      Array.from({ length: 100 }, () => sessions.charge({ channelId, units: 1n, price })),
    )
    const allowed = results.reduce((sum, result) => sum + result.allowed, 0n)
    expect(allowed).toBe(40n)
    expect((await sessions.read(channelId)).spent).toBe(1_000n)
  })
})
