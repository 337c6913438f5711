// Attacks on the Tempo charge's money paths, on a real local Tempo node (issue 14):
// a transfer claimed by someone else than the challenge it was made for (push and pull),
// a fee sponsor made to pay for transactions that revert or that bid up their own fee,
// and replays that inflate the sponsor's spent counter. Each case checks the chain
// (balances, nonces) and the sponsor's `spent()` before and after.
import type { TempoNode } from '@paywire/testkit'
import { Secp256k1 } from 'ox'
import { SignatureEnvelope, TxEnvelopeTempo } from 'ox/tempo'
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { challengeFor, claims, credentialFor, startChain, tamper } from '../test/fixtures.js'
import type * as Chain from './Chain.js'
import * as Client from './Client.js'
import * as FeePayer from './FeePayer.js'
import * as Server from './Server.js'
import * as Settlement from './Settlement.js'
import * as Source from './Source.js'
import * as Transaction from './Transaction.js'
import * as Transfer from './Transfer.js'

let node: TempoNode.TempoNode
let chain: Chain.Chain
beforeAll(async () => {
  ;({ node, chain } = await startChain())
})
afterAll(() => node.stop())

const sourceOf = (address: string) => Source.format({ chainId: chain.chainId, address })

/** A fresh server (recipient with no balance) and a victim that pays it. */
async function shop(options: { feePayer?: FeePayer.FeePayer } = {}) {
  const recipient = (await node.newAccount(0n)).address
  const server = Server.server({ chain, recipient, feePayer: options.feePayer })
  const victim = await node.newAccount(10_000_000n)
  return { recipient, server, victim }
}

/** A fresh challenge of `server` for `price`, and its request. */
async function offer(server: ReturnType<typeof Server.server>, price: Server.Price) {
  const request = await server.request(price)
  return { request, challenge: challengeFor(request) }
}

/**
 * The chain as a payer's client sees it, recording the raw transactions it broadcasts:
 * the bytes anyone reads from the mempool or the chain once they are sent.
 */
function watched(): { chain: Chain.Chain; sent: Hex[] } {
  const sent: Hex[] = []
  return {
    sent,
    chain: {
      ...chain,
      sendRawTransactionSync: (serialized) => {
        sent.push(serialized)
        return chain.sendRawTransactionSync(serialized)
      },
    },
  }
}

/** A plain `transfer` of pathUSD signed and broadcast by `from`, paying its own fee. */
async function plainTransfer(from: TempoNode.Account, to: string, amount: bigint): Promise<Hex> {
  const calls = [{ to: FeePayer.pathUsd as Hex, data: Transfer.encode({ recipient: to, amount }) }]
  const envelope = TxEnvelopeTempo.from({
    chainId: chain.chainId,
    calls,
    nonce: await chain.getNonce(from.address),
    nonceKey: 0n,
    gas: 600_000n,
    maxFeePerGas: (await chain.getBaseFee()) * 2n,
    maxPriorityFeePerGas: 0n,
    feeToken: FeePayer.pathUsd as Hex,
  })
  const signature = Secp256k1.sign({
    payload: TxEnvelopeTempo.getSignPayload(envelope),
    privateKey: from.privateKey,
  })
  const receipt = await chain.sendRawTransactionSync(
    TxEnvelopeTempo.serialize(envelope, { signature: SignatureEnvelope.from(signature) }),
  )
  expect(receipt.status).toBe('success')
  return receipt.transactionHash
}

describe('a transfer pays only the challenge it was made for (finding 1)', () => {
  it.each([
    ['without a source', false],
    ['with the victim’s source', true],
  ])(
    'refuses a pushed payment presented with another challenge, %s, and the victim is still served {tempo.charge.hash.verify-receipt, tempo.charge.binding.bound-transfer}',
    async (_name, withSource) => {
      const { recipient, server, victim } = await shop()
      const paying = Client.client({ chain, privateKey: victim.privateKey, mode: 'push' })
      const a = await offer(server, { amount: '3000' })
      const paid = await paying.createCredential({ challenge: a.challenge, request: a.request })
      // The attacker saw the transaction on chain and races the victim with its own challenge.
      const b = await offer(server, { amount: '3000' })
      const { context, keys } = claims()
      const stolen = credentialFor(b.challenge, {
        payload: paid.payload,
        ...(withSource ? { source: sourceOf(victim.address) } : {}),
      })
      await expect(
        server.verify({ credential: stolen, challenge: b.challenge, request: b.request, context }),
      ).rejects.toThrow()
      expect(keys.size).toBe(0)
      const receipt = await server.verify({
        credential: credentialFor(a.challenge, paid),
        challenge: a.challenge,
        request: a.request,
        context,
      })
      expect(receipt.reference).toBe((paid.payload as { hash: string }).hash)
      expect(await node.balanceOf(recipient as Hex)).toBe(3000n)
    },
  )

  it('refuses an unrelated transfer of exactly the amount to the recipient, whoever claims to have sent it {tempo.charge.hash.verify-receipt, tempo.charge.binding.bound-transfer}', async () => {
    const { recipient, server } = await shop()
    const customer = await node.newAccount(10_000_000n)
    const hash = await plainTransfer(customer, recipient, 3000n)
    const { request, challenge } = await offer(server, { amount: '3000' })
    for (const source of [undefined, sourceOf(customer.address)]) {
      const credential = credentialFor(challenge, {
        payload: { type: 'hash', hash },
        ...(source === undefined ? {} : { source }),
      })
      const { context, keys } = claims()
      await expect(
        server.verify({ credential, challenge, request, context }),
      ).rejects.toBeInstanceOf(Settlement.UnboundPaymentError)
      expect(keys.size).toBe(0)
    }
  })

  it('refuses a mined transaction presented again in pull mode for another challenge {tempo.charge.pull.verify-before-broadcast, tempo.charge.binding.bound-transfer}', async () => {
    const { server, victim } = await shop()
    const seen = watched()
    const paying = Client.client({ chain: seen.chain, privateKey: victim.privateKey, mode: 'push' })
    const a = await offer(server, { amount: '3000' })
    await paying.createCredential({ challenge: a.challenge, request: a.request })
    const raw = seen.sent[0] as `0x76${string}`
    const b = await offer(server, { amount: '3000' })
    const { context, keys } = claims()
    const replayed = credentialFor(b.challenge, {
      payload: { type: 'transaction', signature: raw },
    })
    await expect(
      server.verify({ credential: replayed, challenge: b.challenge, request: b.request, context }),
    ).rejects.toMatchObject({ name: 'Transaction.TransactionMismatchError', check: 'transfers' })
    expect(keys.size).toBe(0)
  })
})

describe('a fee sponsor pays only for what will settle (findings 2 and 3)', () => {
  /** A sponsor with 10 pathUSD and a generous policy: only the new checks refuse. */
  async function sponsor() {
    const account = await node.newAccount(10_000_000n)
    const feePayer = FeePayer.from({
      privateKey: account.privateKey,
      maxFeePerPayment: 1_000_000n,
      budget: 10_000_000n,
    })
    const balance = () => node.balanceOf(account.address)
    return { account, feePayer, balance }
  }

  it('refuses, without broadcasting, a sponsored transaction that would revert: the sender cannot pay {tempo.charge.fee.simulate}', async () => {
    const { feePayer, balance } = await sponsor()
    const { server } = await shop({ feePayer })
    const broke = await node.newAccount(0n)
    const paying = Client.client({ chain, privateKey: broke.privateKey, mode: 'pull' })
    const before = await balance()
    for (let attempt = 0; attempt < 3; attempt++) {
      const { request, challenge } = await offer(server, { amount: '2000' })
      const answer = await paying.createCredential({ challenge, request })
      const verdict = server.verify({
        credential: credentialFor(challenge, answer),
        challenge,
        request,
        context: claims().context,
      })
      await expect(verdict).rejects.toMatchObject({ check: 'revert' })
      // What the client reads names no balance, budget or node error.
      await expect(verdict).rejects.toMatchObject({
        message: expect.not.stringMatching(/[0-9]{4,}/),
      })
    }
    expect(await chain.getNonce(broke.address)).toBe(0n)
    expect(await balance()).toBe(before)
    expect(feePayer.spent()).toBe(0n)
  })

  it('refuses a sponsored transaction that bids a priority fee above the sponsor’s cap {tempo.charge.fee.simulate}', async () => {
    const { feePayer, balance } = await sponsor()
    const { server, victim } = await shop({ feePayer })
    const paying = Client.client({ chain, privateKey: victim.privateKey, mode: 'pull' })
    const { request, challenge } = await offer(server, { amount: '2000' })
    const answer = await paying.createCredential({ challenge, request })
    const serialized = (answer.payload as { signature: string }).signature
    const greedy = tamper(serialized, victim.privateKey, (envelope) => ({
      ...envelope,
      maxPriorityFeePerGas: 500_000_000_000n,
      maxFeePerGas: (envelope.maxFeePerGas ?? 0n) + 500_000_000_000n,
      gas: 600_000n,
    }))
    const before = await balance()
    await expect(
      server.verify({
        credential: credentialFor(challenge, {
          ...answer,
          payload: { type: 'transaction', signature: greedy },
        }),
        challenge,
        request,
        context: claims().context,
      }),
    ).rejects.toMatchObject({ check: 'priority-fee' })
    expect(await chain.getNonce(victim.address)).toBe(0n)
    expect(await balance()).toBe(before)
    expect(feePayer.spent()).toBe(0n)
  })

  it('replaying a mined sponsored transaction costs the sponsor nothing and leaves spent() unchanged {tempo.charge.fee.no-replay-cost}', async () => {
    const { feePayer, balance } = await sponsor()
    const { server, victim } = await shop({ feePayer })
    const paying = Client.client({ chain, privateKey: victim.privateKey, mode: 'pull' })
    const { request, challenge } = await offer(server, { amount: '2000' })
    const answer = await paying.createCredential({ challenge, request })
    const { context } = claims()
    const receipt = await server.verify({
      credential: credentialFor(challenge, answer),
      challenge,
      request,
      context,
    })
    const onChain = await chain.getTransactionReceipt(receipt.reference as Hex)
    const fee = FeePayer.feeOf(onChain?.gasUsed ?? 0n, onChain?.effectiveGasPrice ?? 0n)
    expect(feePayer.spent()).toBe(fee)
    const [spentAfterOne, balanceAfterOne] = [feePayer.spent(), await balance()]
    for (let replay = 0; replay < 3; replay++) {
      // A fresh challenge (its own memo), and the same request under another id.
      const fresh = await offer(server, { amount: '2000' })
      await expect(
        server.verify({
          credential: credentialFor(fresh.challenge, answer),
          challenge: fresh.challenge,
          request: fresh.request,
          context,
        }),
      ).rejects.toMatchObject({ check: 'transfers' })
      const again = challengeFor(request)
      await expect(
        server.verify({
          credential: credentialFor(again, answer),
          challenge: again,
          request,
          context,
        }),
      ).rejects.toBeInstanceOf(Settlement.PaymentAlreadyUsedError)
    }
    expect(feePayer.spent()).toBe(spentAfterOne)
    expect(await balance()).toBe(balanceAfterOne)
  })
})

describe('a malleable sender signature (hardening)', () => {
  it('refuses a pull transaction whose sender signature has a high s, before broadcasting {tempo.charge.pull.verify-before-broadcast}', async () => {
    const { server, victim } = await shop()
    const paying = Client.client({ chain, privateKey: victim.privateKey, mode: 'pull' })
    const { request, challenge } = await offer(server, { amount: '2000' })
    const answer = await paying.createCredential({ challenge, request })
    const serialized = (answer.payload as { signature: string }).signature
    const envelope = TxEnvelopeTempo.deserialize(serialized as TxEnvelopeTempo.Serialized)
    const { signature: low, ...unsigned } = envelope
    const inner = (low as { signature: { r: bigint; s: bigint; yParity: number } }).signature
    const high = {
      r: inner.r,
      s: Secp256k1.noble.CURVE.n - inner.s,
      yParity: inner.yParity === 0 ? 1 : 0,
    }
    const twin = TxEnvelopeTempo.serialize(unsigned as TxEnvelopeTempo.TxEnvelopeTempo, {
      signature: SignatureEnvelope.from(high),
    })
    expect(() => Transaction.deserialize(twin)).toThrow(Transaction.MalformedTransactionError)
    const { context, keys } = claims()
    await expect(
      server.verify({
        credential: credentialFor(challenge, {
          ...answer,
          payload: { type: 'transaction', signature: twin },
        }),
        challenge,
        request,
        context,
      }),
    ).rejects.toBeInstanceOf(Transaction.MalformedTransactionError)
    expect(keys.size).toBe(0)
    expect(await chain.getNonce(victim.address)).toBe(0n)
    // The low-s original still pays.
    expect(Transfer.decodeCall(envelope.calls[0] ?? {})?.amount).toBe(2000n)
  })
})

describe('check: every verification step that moves no money (for after-success routes)', () => {
  it('refuses before the handler what verify would refuse, and moves nothing for what it accepts', async () => {
    const account = await node.newAccount(10_000_000n)
    const feePayer = FeePayer.from({
      privateKey: account.privateKey,
      maxFeePerPayment: 1_000_000n,
      budget: 10_000_000n,
    })
    const { recipient, server, victim } = await shop({ feePayer })
    const check = server.check as NonNullable<typeof server.check>
    const broke = await node.newAccount(0n)
    const bad = await offer(server, { amount: '2000' })
    const unpaid = await Client.client({ chain, privateKey: broke.privateKey }).createCredential(
      bad,
    )
    await expect(
      check({
        credential: credentialFor(bad.challenge, unpaid),
        ...bad,
        context: claims().context,
      }),
    ).rejects.toMatchObject({ check: 'revert' })
    const good = await offer(server, { amount: '2000' })
    const paid = await Client.client({ chain, privateKey: victim.privateKey }).createCredential(
      good,
    )
    const { context, keys } = claims()
    const sponsorBefore = await node.balanceOf(account.address)
    await check({ credential: credentialFor(good.challenge, paid), ...good, context })
    expect(keys.size).toBe(0)
    expect(await chain.getNonce(victim.address)).toBe(0n)
    expect(await node.balanceOf(account.address)).toBe(sponsorBefore)
    // The reservation made while checking was released: verify can still sponsor it.
    await expect(
      server.verify({ credential: credentialFor(good.challenge, paid), ...good, context }),
    ).resolves.toMatchObject({ status: 'success' })
    expect(await node.balanceOf(recipient as Hex)).toBe(2000n)
    expect(feePayer.spent()).toBeGreaterThan(0n)
  })
})
