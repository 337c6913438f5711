// A whole session on a real local Tempo node (one node for this file), payer and server
// halves without HTTP: the payer opens a channel with a signed transaction, pays 1,000
// requests with vouchers, streams 10,000 metered units (starving and resuming, topping up
// once when the deposit runs out), and closes; the payee receives exactly what was served
// and the payer gets the rest back, read on chain.
import { MemoryStore } from '@paywire/store-memory'
import { TxEnvelopeTempo } from 'ox/tempo'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Fixture, setUp, token } from '../test/fixtures.js'
import * as ChannelTransaction from './ChannelTransaction.js'
import * as EscrowChain from './EscrowChain.js'
import * as Payer from './Payer.js'
import * as Stream from './Stream.js'

let fixture: Fixture

beforeAll(async () => {
  fixture = await setUp()
}, 60_000)

afterAll(() => fixture?.node.stop())

describe('a session, end to end', () => {
  it('opens, pays 1,000 requests, streams 10,000 units with a top-up, closes, and settles exactly {tempo.session.open.transaction, tempo.session.topup.transaction, tempo.session.streaming.topup-when-above-deposit, tempo.session.close.capture-spent, tempo.session.cost.pricing-model}', async () => {
    const account = await fixture.node.newAccount()
    await fixture.node.fund({ to: account.address, amount: 1_000_000n, token })
    const payerStore = MemoryStore.create()
    const payer = Payer.create({
      privateKey: account.privateKey,
      client: fixture.node.client,
      chainId: fixture.node.chainId,
      escrow: fixture.escrow,
      currency: token,
      store: payerStore,
      maxDeposit: 20_000n,
    })
    const sessions = fixture.sessions()
    const before = {
      payer: await fixture.node.balanceOf(account.address, token),
      payee: await fixture.node.balanceOf(fixture.payee.account.address, token),
    }
    const open = await payer.open({ payee: fixture.payee.account.address, deposit: 5_000n })
    await sessions.open({ ...open, price: 1n })
    const { channelId } = open

    // 1,000 requests, each paid by a voucher for its cost before it is served.
    for (let request = 1n; request <= 1_000n; request++) {
      await sessions.voucher(await payer.voucher(channelId, request))
      const { allowed } = await sessions.charge({ channelId, units: 1n, price: 1n })
      expect(allowed).toBe(1n)
    }

    // 10,000 streamed units; the payer answers each need-voucher with 2,500 more,
    // topping up first when the deposit does not cover it.
    let received = 0
    let starvations = 0
    let topUps = 0
    const reader = Stream.meter({
      sessions,
      channelId,
      price: 1n,
      units: (function* () {
        for (let unit = 0; unit < 10_000; unit++) yield `unit ${unit}`
      })(),
      challengeId: 'challenge-e2e',
    }).getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      buffer += decoder.decode(value, { stream: true })
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        if (block.startsWith('event: message')) received += 1
        if (!block.startsWith('event: payment-need-voucher')) continue
        starvations += 1
        const need = JSON.parse(block.slice(block.indexOf('data: ') + 6))
        const target = BigInt(need.requiredCumulative) + 2_499n
        if (target > BigInt(need.deposit)) {
          topUps += 1
          const { deposit } = await sessions.topUp(await payer.topUp(channelId, 10_000n))
          // The payer counts a top-up in its deposit once the server accepted it.
          await payer.deposited(channelId, deposit)
        }
        await sessions.voucher(await payer.voucher(channelId, target))
      }
    }
    expect(received).toBe(10_000)
    expect(starvations).toBeGreaterThanOrEqual(1)
    expect(topUps).toBe(1)

    // Close with a voucher for exactly what was served; the rest goes back.
    const state = await sessions.read(channelId)
    expect(state.spent).toBe(11_000n)
    expect(state.deposit).toBe(15_000n)
    await sessions.close(await payer.voucher(channelId, state.spent))
    const after = {
      payer: await fixture.node.balanceOf(account.address, token),
      payee: await fixture.node.balanceOf(fixture.payee.account.address, token),
    }
    expect(after.payee - before.payee).toBe(11_000n)
    expect(before.payer - after.payer).toBe(11_000n)
    // A restarted payer still knows the channel and what it signed.
    const restarted = await Payer.create({
      privateKey: account.privateKey,
      client: fixture.node.client,
      chainId: fixture.node.chainId,
      escrow: fixture.escrow,
      currency: token,
      store: payerStore,
    }).channel(channelId)
    expect(restarted).toMatchObject({ deposit: '15000', signed: '11000' })
  }, 180_000)

  it('signs channel transactions that pay their own fees in a USD token {tempo.session.fees.client-fee-token}', async () => {
    const account = await fixture.node.newAccount()
    const payer = Payer.create({
      privateKey: account.privateKey,
      client: fixture.node.client,
      chainId: fixture.node.chainId,
      escrow: fixture.escrow,
      currency: token,
      store: MemoryStore.create(),
    })
    const { transaction } = await payer.open({ payee: fixture.payee.account.address, deposit: 10n })
    const envelope = TxEnvelopeTempo.deserialize(transaction as TxEnvelopeTempo.Serialized)
    expect(envelope.feeToken).toBe('0x20c0000000000000000000000000000000000000')
    expect(envelope.feePayerSignature).toBeUndefined()
  })

  it('refuses an open whose transaction reverts on chain as a failed credential, recording nothing {tempo.session.open.transaction}', async () => {
    const account = await fixture.node.newAccount()
    await fixture.node.fund({ to: account.address, amount: 10_000n, token })
    // Enough gas for the approve, not for the escrow's open (it creates storage).
    const payer = Payer.create({
      privateKey: account.privateKey,
      client: fixture.node.client,
      chainId: fixture.node.chainId,
      escrow: fixture.escrow,
      currency: token,
      store: MemoryStore.create(),
      openGas: 700_000n,
    })
    const sessions = fixture.sessions()
    const open = await payer.open({ payee: fixture.payee.account.address, deposit: 3_000n })
    const refusal = await sessions.open({ ...open, price: 1n }).catch((error: unknown) => error)
    expect(refusal).toBeInstanceOf(ChannelTransaction.ChannelTransactionError)
    expect(refusal).toMatchObject({ problem: 'verification-failed' })
    expect((refusal as Error).cause).toBeInstanceOf(EscrowChain.TransactionRevertedError)
    expect(await fixture.chain.getChannel(open.channelId)).toMatchObject({ deposit: 0n })
    expect((await sessions.read(open.channelId)).status).toBe('none')
  })

  it('refuses deposits and vouchers its policy does not allow', async () => {
    const account = await fixture.node.newAccount()
    const payer = Payer.create({
      privateKey: account.privateKey,
      client: fixture.node.client,
      chainId: fixture.node.chainId,
      escrow: fixture.escrow,
      currency: token,
      store: MemoryStore.create(),
      maxDeposit: 1_000n,
    })
    await expect(
      payer.open({ payee: fixture.payee.account.address, deposit: 1_001n }),
    ).rejects.toBeInstanceOf(Payer.PolicyError)
    const { channelId } = await payer.open({ payee: fixture.payee.account.address, deposit: 500n })
    await expect(payer.voucher(channelId, 501n)).rejects.toBeInstanceOf(Payer.PolicyError)
    await expect(payer.topUp(channelId, 501n)).rejects.toBeInstanceOf(Payer.PolicyError)
    await payer.forget(channelId)
    expect(await payer.channel(channelId)).toBeUndefined()
  })
})
