// The session server against paywire's escrow on a real local Tempo node (one node for
// this file): opens, vouchers, metered charges with starvation and resumption, settlement
// and close, with balances read on chain.

import type { Store } from '@paywire/core'
import { Escrow } from '@paywire/escrow'
import { MemoryStore } from '@paywire/store-memory'
import {
  keccak256,
  parseSignature,
  serializeCompactSignature,
  serializeSignature,
  signatureToCompactSignature,
  toHex,
} from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Fixture, setUp, token } from '../test/fixtures.js'
import * as Attribution from './Attribution.js'
import type * as EscrowChain from './EscrowChain.js'
import * as Payload from './Payload.js'
import * as Sessions from './Sessions.js'
import * as VoucherRate from './VoucherRate.js'

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

  it('limits voucher submissions per channel before any chain read or ECDSA work, across instances, never counting the accepted voucher re-presented or a lower one {tempo.session.dos.rate-limit, tempo.session.dos.ten-per-second, tempo.session.dos.skip-low-signature, tempo.session.dos.format-first}', async () => {
    let time = Date.now()
    let reads = 0
    // Counts the chain reads: signatures are recovered only after the channel is read.
    const counted: EscrowChain.EscrowChain = {
      ...fixture.chain,
      getChannel: (channelId) => {
        reads += 1
        return fixture.chain.getChannel(channelId)
      },
    }
    const store = MemoryStore.create()
    const instance = () =>
      Sessions.create({
        store,
        chain: counted,
        payee: fixture.payee.account.address,
        currency: token,
        voucherRate: { perSecond: 10 },
        now: () => time,
      })
    const [first, second] = [instance(), instance()]
    const channelId = await openOnChain(100_000n)
    await first.open({ channelId, ...(await sign(channelId, 0n)), price })
    // Ten submissions in one second, five on each instance: one budget.
    for (let amount = 10n; amount <= 100n; amount += 10n)
      await (amount % 20n === 0n ? first : second).voucher({
        channelId,
        ...(await sign(channelId, amount)),
      })
    const readsBefore = reads
    const next = await sign(channelId, 110n)
    const limited = await first.voucher({ channelId, ...next }).catch((error) => error)
    expect(limited).toBeInstanceOf(VoucherRate.RateLimitedError)
    expect(limited).toMatchObject({ status: 429, retryAfter: 1 })
    await expect(
      second.voucher({ channelId, cumulativeAmount: 120n, signature: `0x${'11'.repeat(65)}` }),
    ).rejects.toBeInstanceOf(VoucherRate.RateLimitedError)
    // A voucher below the accepted amount is refused from the store alone.
    await expect(
      second.voucher({ channelId, cumulativeAmount: 50n, signature: '0x' }),
    ).rejects.toMatchObject({ code: 'ERR_SESSION_VOUCHER_NOT_INCREASING' })
    expect(reads).toBe(readsBefore)
    expect((await first.read(channelId)).acceptedCumulative).toBe(100n)
    // The accepted voucher re-presented is no submission: answered while the budget is spent.
    const accepted = await sign(channelId, 100n)
    for (let request = 0; request < 20; request++)
      expect((await second.voucher({ channelId, ...accepted })).acceptedCumulative).toBe(100n)
    // A tenth of a second later one more submission is allowed, on either instance.
    time += 100
    expect((await second.voucher({ channelId, ...next })).acceptedCumulative).toBe(110n)
    await expect(
      first.voucher({ channelId, ...(await sign(channelId, 120n)) }),
    ).rejects.toBeInstanceOf(VoucherRate.RateLimitedError)
  })

  it('accepts the accepted voucher re-presented byte for byte without recovering its signer', async () => {
    const store = MemoryStore.create()
    const channelId = await openOnChain(10_000n)
    const accepted = await sign(channelId, 300n)
    await fixture.sessions(store).open({ channelId, ...accepted, price })
    // Fault injected: the chain now names another signer. A voucher that is verified fails;
    // the accepted one re-presented is answered from the store, as it was verified before.
    const lying = Sessions.create({
      store,
      chain: {
        ...fixture.chain,
        getChannel: async (id) => ({
          ...(await fixture.chain.getChannel(id)),
          authorizedSigner: fixture.stranger.account.address,
        }),
      },
      payee: fixture.payee.account.address,
      currency: token,
    })
    expect((await lying.voucher({ channelId, ...accepted })).acceptedCumulative).toBe(300n)
    await expect(
      lying.voucher({ channelId, ...(await sign(channelId, 400n)) }),
    ).rejects.toMatchObject({ code: 'ERR_SESSION_SIGNER_MISMATCH' })
    // Same amount, other signature bytes (EIP-2098 compact form): a submission, verified.
    const compact = serializeCompactSignature(
      signatureToCompactSignature(parseSignature(accepted.signature)),
    )
    await expect(
      lying.voucher({ channelId, cumulativeAmount: 300n, signature: compact }),
    ).rejects.toMatchObject({ code: 'ERR_SESSION_SIGNER_MISMATCH' })
    // Against the honest chain the compact form verifies: the refusal above was the check.
    const honest = fixture.sessions(store)
    expect(
      (await honest.voucher({ channelId, cumulativeAmount: 300n, signature: compact }))
        .acceptedCumulative,
    ).toBe(300n)
  })

  it('maps each challenge to the vouchers it received and what was charged under it, across instances sharing the store {tempo.session.attribution.mapping, tempo.session.concurrency.serialized}', async () => {
    const store = MemoryStore.create()
    const events: Attribution.Event[] = []
    const instance = () =>
      fixture.sessions(store, { attribution: { onEvent: (event) => void events.push(event) } })
    const [first, second] = [instance(), instance()]
    const channelId = await openOnChain(10_000n)
    await first.open({
      channelId,
      ...(await sign(channelId, 100n)),
      price: 5n,
      challengeId: 'challengeA',
    })
    await second.voucher({ channelId, ...(await sign(channelId, 300n)), challengeId: 'challengeA' })
    await first.voucher({ channelId, ...(await sign(channelId, 500n)), challengeId: 'challengeB' })
    // 100 parallel charges on both instances: 60 under A, 40 under B.
    await Promise.all(
      Array.from({ length: 100 }, (_, index) =>
        (index % 2 === 0 ? first : second).charge({
          channelId,
          units: 1n,
          price: 5n,
          challengeId: index < 60 ? 'challengeA' : 'challengeB',
        }),
      ),
    )
    // Re-presenting the accepted voucher is not a new voucher; a refused charge is nothing.
    await second.voucher({ channelId, ...(await sign(channelId, 500n)), challengeId: 'challengeB' })
    expect(
      (await first.charge({ channelId, units: 1n, price: 5n, challengeId: 'challengeB' })).allowed,
    ).toBe(0n)
    // A challenge id inside the payload is a client's claim: the server's own one is used.
    const forged = Payload.parse({
      action: 'voucher',
      channelId,
      cumulativeAmount: '600',
      signature: (await sign(channelId, 600n)).signature,
      challengeId: 'forged',
    })
    await first.act(forged, { price: 5n, challengeId: 'challengeB' })
    const a = await second.attribution('challengeA')
    expect(a).toMatchObject({
      challengeId: 'challengeA',
      channels: [
        {
          channelId: channelId.toLowerCase(),
          vouchers: 2,
          highestVoucher: 300n,
          units: 60n,
          amount: 300n,
        },
      ],
      otherChannels: 0,
    })
    expect(a?.firstSeen).toBeLessThanOrEqual(a?.lastSeen ?? 0)
    expect(await first.attribution('challengeB')).toMatchObject({
      channels: [{ vouchers: 2, highestVoucher: 600n, units: 40n, amount: 200n }],
    })
    expect(await first.attribution('forged')).toBeUndefined()
    // The audit hook saw every attributed event once, after it was written.
    expect(events.filter((event) => event.type === 'voucher')).toHaveLength(4)
    expect(events.filter((event) => event.type === 'charge')).toHaveLength(100)
  })

  it('refuses a malformed challenge id before charging, and never undoes a charge whose record fails to write {tempo.session.attribution.mapping}', async () => {
    const backing = MemoryStore.create()
    // Fault injected: writes of attribution records fail; channel states are written.
    const store: Store.Store = {
      ...backing,
      compareAndSwap: (key, expected, value, options) =>
        key.startsWith(Attribution.keyPrefix)
          ? Promise.reject(new Error('attribution backend down'))
          : backing.compareAndSwap(key, expected, value, options),
    }
    const failures: unknown[] = []
    const sessions = fixture.sessions(store, {
      attribution: { onError: (error) => void failures.push(error) },
    })
    const channelId = await openOnChain(1_000n)
    await sessions.open({ channelId, ...(await sign(channelId, 100n)), price })
    await expect(
      sessions.charge({ channelId, units: 1n, price, challengeId: 'not a challenge id' }),
    ).rejects.toBeInstanceOf(Attribution.InvalidChallengeIdError)
    expect((await sessions.read(channelId)).spent).toBe(0n)
    const { allowed } = await sessions.charge({
      channelId,
      units: 2n,
      price,
      challengeId: 'challengeC',
    })
    expect(allowed).toBe(2n)
    expect((await sessions.read(channelId)).spent).toBe(50n)
    expect(failures).toHaveLength(1)
    expect(String(failures[0])).toContain('attribution backend down')
  })
})
