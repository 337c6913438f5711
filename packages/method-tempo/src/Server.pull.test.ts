import type { TempoNode } from '@paywire/testkit'
import type { TxEnvelopeTempo } from 'ox/tempo'
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  alphaUsd,
  challengeFor,
  claims,
  credentialFor,
  startChain,
  tamper,
} from '../test/fixtures.js'
import * as Binding from './Binding.js'
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

/** A fresh payer and recipient, both halves of the method, and a signed pull credential. */
async function signed(
  price: Server.Price,
  options: { feePayer?: FeePayer.FeePayer; expiresInSeconds?: number } = {},
) {
  const payer = await node.newAccount(10_000_000n)
  const recipient = (await node.newAccount(0n)).address
  const server = Server.server({ chain, recipient, feePayer: options.feePayer })
  const client = Client.client({ chain, privateKey: payer.privateKey, mode: 'pull' })
  const request = await server.request(price)
  const challenge = challengeFor(request, options)
  const answer = await client.createCredential({ challenge, request })
  const serialized = (answer.payload as { signature: string }).signature
  return { payer, recipient, server, client, request, challenge, answer, serialized }
}

describe('pull mode', () => {
  it('broadcasts the signed transfer and the balances move by exactly the amount {tempo.charge.receipt.return, tempo.charge.transaction.authorize, charge.payload.proof}', async () => {
    const { payer, recipient, server, request, challenge, answer } = await signed({
      amount: '2500000',
    })
    expect(answer.payload.type).toBe('transaction')
    const before = await node.balanceOf(payer.address)
    const { context, keys } = claims()
    const receipt = await server.verify({
      credential: credentialFor(challenge, answer),
      challenge,
      request,
      context,
    })
    const onChain = await chain.getTransactionReceipt(receipt.reference as Hex)
    expect(onChain?.status).toBe('success')
    expect(await node.balanceOf(recipient as Hex)).toBe(2_500_000n)
    // The payer pays the amount and its own fee (the fee token transfer in the same receipt).
    const fee = Transfer.fromLogs(onChain?.logs ?? [], FeePayer.pathUsd).find(
      (movement) => !Transfer.sameAddress(movement.recipient, recipient),
    )
    expect(before - (await node.balanceOf(payer.address))).toBe(2_500_000n + (fee?.amount ?? 0n))
    expect(keys.size).toBe(1)
  })

  it('signs transferWithMemo with the memo asked {tempo.charge.request.memo}', async () => {
    const memo = `0x${'cd'.repeat(32)}`
    const { server, request, challenge, answer, serialized } = await signed({
      amount: '1000',
      memo,
    })
    const call = Transaction.deserialize(serialized).envelope.calls[0]
    expect(Transfer.decodeCall(call ?? {})?.memo).toBe(memo)
    await expect(
      server.verify({
        credential: credentialFor(challenge, answer),
        challenge,
        request,
        context: claims().context,
      }),
    ).resolves.toMatchObject({ status: 'success' })
  })

  it("binds each transfer to its challenge: the issued memo by default, mppx's attribution memo where the server issues none {tempo.charge.pull.verify-before-broadcast, tempo.charge.transaction.authorize, tempo.charge.binding.client-attribution}", async () => {
    const payer = await node.newAccount(10_000_000n)
    const recipient = (await node.newAccount(0n)).address
    const client = Client.client({ chain, privateKey: payer.privateKey, mode: 'pull' })
    for (const binding of ['memo', 'attribution'] as const) {
      const server = Server.server({ chain, recipient, binding })
      const request = await server.request({ amount: '1500' })
      const challenge = challengeFor(request)
      expect(Binding.isIssued(request.methodDetails.memo)).toBe(binding === 'memo')
      const answer = await client.createCredential({ challenge, request })
      const serialized = (answer.payload as { signature: string }).signature
      const call = Transaction.deserialize(serialized).envelope.calls[0]
      expect(Transfer.decodeCall(call ?? {})?.memo).toBe(
        binding === 'memo' ? request.methodDetails.memo : Binding.attribution(challenge),
      )
      await expect(
        server.verify({
          credential: credentialFor(challenge, answer),
          challenge,
          request,
          context: claims().context,
        }),
      ).resolves.toMatchObject({ status: 'success' })
    }
    expect(await node.balanceOf(recipient as Hex)).toBe(3000n)
  })

  it('refuses, before broadcast, a transfer without a memo of this challenge where the server issues none {tempo.charge.pull.verify-before-broadcast, tempo.charge.binding.bound-transfer}', async () => {
    const payer = await node.newAccount(10_000_000n)
    const recipient = (await node.newAccount(0n)).address
    const server = Server.server({ chain, recipient, binding: 'attribution' })
    const plain = Client.client({
      chain,
      privateKey: payer.privateKey,
      mode: 'pull',
      attribution: false,
    })
    const request = await server.request({ amount: '1500' })
    const challenge = challengeFor(request)
    const answer = await plain.createCredential({ challenge, request })
    const { context, keys } = claims()
    await expect(
      server.verify({ credential: credentialFor(challenge, answer), challenge, request, context }),
    ).rejects.toMatchObject({ check: 'transfers' })
    expect(keys.size).toBe(0)
    expect(await chain.getNonce(payer.address)).toBe(0n)
  })

  it('pays every split and the primary remainder in one transaction {tempo.charge.splits.client-effects, tempo.charge.splits.client-memo, tempo.charge.transaction.split-transfers, tempo.charge.splits.same-currency}', async () => {
    const platform = (await node.newAccount(0n)).address
    const affiliate = (await node.newAccount(0n)).address
    const splits = [
      { amount: '50000', recipient: platform },
      { amount: '10000', recipient: affiliate, memo: `0x${'00'.repeat(28)}deadbeef` },
    ]
    const { recipient, server, request, challenge, answer } = await signed({
      amount: '1000000',
      splits,
    })
    await server.verify({
      credential: credentialFor(challenge, answer),
      challenge,
      request,
      context: claims().context,
    })
    expect(await node.balanceOf(recipient as Hex)).toBe(940_000n)
    expect(await node.balanceOf(platform)).toBe(50_000n)
    expect(await node.balanceOf(affiliate)).toBe(10_000n)
  })

  it('sets the fee token when the client pays its own fees {tempo.charge.fee.client-sets-fee-token}', async () => {
    const { serialized } = await signed({ amount: '1000' })
    const envelope = Transaction.deserialize(serialized).envelope
    expect(envelope.feeToken?.toString().toLowerCase()).toBe(FeePayer.pathUsd)
    expect(envelope.feePayerSignature).toBeUndefined()
  })

  it('uses the mode the challenge offers, whatever the client prefers {tempo.charge.modes.client-choose, tempo.charge.hash.client-advertised-only}', async () => {
    const payer = await node.newAccount(10_000_000n)
    const recipient = (await node.newAccount(0n)).address
    const server = Server.server({ chain, recipient })
    const pusher = Client.client({ chain, privateKey: payer.privateKey, mode: 'push' })
    const pullOnly = await server.request({ amount: '1000', modes: ['pull'] })
    const answer = await pusher.createCredential({
      challenge: challengeFor(pullOnly),
      request: pullOnly,
    })
    expect(answer.payload.type).toBe('transaction')
    const puller = Client.client({ chain, privateKey: payer.privateKey, mode: 'pull' })
    const pushOnly = await server.request({ amount: '1000', modes: ['push'] })
    const pushed = await puller.createCredential({
      challenge: challengeFor(pushOnly),
      request: pushOnly,
    })
    expect(pushed.payload.type).toBe('hash')
  })

  it('signs a validity window that ends no later than the challenge expiry', async () => {
    const { challenge, serialized } = await signed({ amount: '1000' }, { expiresInSeconds: 30 })
    const { validBefore } = Transaction.deserialize(serialized).envelope
    expect(validBefore).toBeLessThanOrEqual(Date.parse(challenge.expires ?? '') / 1000)
  })

  it('refuses a transaction from another account than source before broadcasting {tempo.charge.pull.verify-before-broadcast}', async () => {
    const { payer, server, request, challenge, answer } = await signed({ amount: '1000' })
    const other = await node.newAccount(0n)
    const claimed = {
      ...answer,
      source: Source.format({ chainId: chain.chainId, address: other.address }),
    }
    await expect(
      server.verify({
        credential: credentialFor(challenge, claimed),
        challenge,
        request,
        context: claims().context,
      }),
    ).rejects.toBeInstanceOf(Settlement.SenderMismatchError)
    expect(await chain.getNonce(payer.address)).toBe(0n)
  })
})

describe('pull mode: a tampered transaction is refused before broadcast', () => {
  const cases: Array<{
    name: string
    check: Transaction.Check
    change: (
      envelope: TxEnvelopeTempo.TxEnvelopeTempo,
      attacker: Hex,
    ) => TxEnvelopeTempo.TxEnvelopeTempo
  }> = [
    {
      name: 'wrong amount',
      check: 'transfers',
      change: (envelope) =>
        withTransfer(envelope, (transfer) => ({ ...transfer, amount: transfer.amount - 1n })),
    },
    {
      name: 'wrong token',
      check: 'token',
      change: (envelope) => ({
        ...envelope,
        calls: envelope.calls.map((call) => ({ ...call, to: alphaUsd })),
      }),
    },
    {
      name: 'wrong recipient',
      check: 'transfers',
      change: (envelope, attacker) =>
        withTransfer(envelope, (transfer) => ({ ...transfer, recipient: attacker })),
    },
    {
      name: 'wrong chain',
      check: 'chain-id',
      change: (envelope) => ({ ...envelope, chainId: 4217 }),
    },
    {
      name: 'wrong memo',
      check: 'transfers',
      change: (envelope) =>
        withTransfer(envelope, (transfer) => ({ ...transfer, memo: `0x${'ee'.repeat(32)}` })),
    },
    {
      name: 'extra call',
      check: 'extra-effect',
      change: (envelope, attacker) => ({
        ...envelope,
        calls: [
          ...envelope.calls,
          { to: FeePayer.pathUsd, data: Transfer.encode({ recipient: attacker, amount: 1n }) },
        ],
      }),
    },
    {
      name: 'call that is not a transfer',
      check: 'call',
      change: (envelope, attacker) => ({
        ...envelope,
        calls: [
          ...envelope.calls,
          {
            to: FeePayer.pathUsd,
            data: `0x095ea7b3${attacker.slice(2).padStart(64, '0')}${'f'.repeat(64)}`,
          },
        ],
      }),
    },
    {
      name: 'validity beyond the challenge expiry',
      check: 'validity-window',
      change: (envelope) => ({ ...envelope, validBefore: (envelope.validBefore ?? 0) + 3600 }),
    },
  ]

  it.each(cases)('$name {tempo.charge.pull.verify-before-broadcast}', async ({ check, change }) => {
    const memo = `0x${'aa'.repeat(32)}`
    const { payer, recipient, server, request, challenge, answer, serialized } = await signed({
      amount: '7000',
      memo,
    })
    const attacker = (await node.newAccount(0n)).address
    const forged = tamper(serialized, payer.privateKey, (envelope) => change(envelope, attacker))
    const credential = credentialFor(challenge, {
      ...answer,
      payload: { type: 'transaction', signature: forged },
    })
    const { context, keys } = claims()
    const verdict = server.verify({ credential, challenge, request, context })
    await expect(verdict).rejects.toBeInstanceOf(Transaction.TransactionMismatchError)
    await expect(verdict).rejects.toMatchObject({ check, problem: 'verification-failed' })
    // Nothing was broadcast: the payer's nonce and the balances are untouched.
    expect(await chain.getNonce(payer.address)).toBe(0n)
    expect(await node.balanceOf(recipient as Hex)).toBe(0n)
    expect(await node.balanceOf(attacker)).toBe(0n)
    expect(keys.size).toBe(0)
  })

  it('expired validity {tempo.charge.pull.verify-before-broadcast}', async () => {
    const { payer, server, request, challenge, answer, serialized } = await signed({
      amount: '7000',
    })
    const past = Math.floor(Date.now() / 1000) - 10
    const forged = tamper(serialized, payer.privateKey, (envelope) => ({
      ...envelope,
      validBefore: past,
    }))
    const credential = credentialFor(challenge, {
      ...answer,
      payload: { type: 'transaction', signature: forged },
    })
    await expect(
      server.verify({ credential, challenge, request, context: claims().context }),
    ).rejects.toMatchObject({
      code: 'ERR_TEMPO_TRANSACTION_EXPIRED',
      problem: 'payment-expired',
    })
    expect(await chain.getNonce(payer.address)).toBe(0n)
  })

  it('a transaction signed by someone else than it claims (bytes altered after signing) {tempo.charge.pull.verify-before-broadcast}', async () => {
    const { server, request, challenge, answer, serialized } = await signed({ amount: '7000' })
    const garbled = `${serialized.slice(0, -4)}ffff`
    const credential = credentialFor(challenge, {
      ...answer,
      payload: { type: 'transaction', signature: garbled },
    })
    await expect(
      server.verify({ credential, challenge, request, context: claims().context }),
    ).rejects.toBeInstanceOf(Error)
  })
})

describe('pull mode: replay', () => {
  it('refuses the same signed transaction for a second challenge {charge.replay.protection}', async () => {
    const { server, request, challenge, answer } = await signed({ amount: '1000' })
    const { context } = claims()
    await server.verify({
      credential: credentialFor(challenge, answer),
      challenge,
      request,
      context,
    })
    const second = challengeFor(request)
    await expect(
      server.verify({
        credential: credentialFor(second, answer),
        challenge: second,
        request,
        context,
      }),
    ).rejects.toBeInstanceOf(Settlement.PaymentAlreadyUsedError)
  })
})

describe('pull and push mode: concurrency', () => {
  it.each(['pull', 'push'] as const)(
    'settles one %s credential verified five times in parallel exactly once {charge.replay.protection}',
    async (mode) => {
      const payer = await node.newAccount(10_000_000n)
      const recipient = (await node.newAccount(0n)).address
      const server = Server.server({ chain, recipient })
      const client = Client.client({ chain, privateKey: payer.privateKey, mode })
      const request = await server.request({ amount: '1000' })
      const challenge = challengeFor(request)
      const credential = credentialFor(
        challenge,
        await client.createCredential({ challenge, request }),
      )
      const { context, keys } = claims()
      const verdicts = await Promise.allSettled(
        Array.from({ length: 5 }, () => server.verify({ credential, challenge, request, context })),
      )
      expect(verdicts.filter((verdict) => verdict.status === 'fulfilled')).toHaveLength(1)
      expect(keys.size).toBe(1)
      expect(await node.balanceOf(recipient)).toBe(1000n)
    },
  )
})

describe('pull mode with fee sponsorship', () => {
  async function sponsored(policy: Partial<FeePayer.from.Options> = {}) {
    const sponsor = await node.newAccount(10_000_000n)
    const feePayer = FeePayer.from({
      privateKey: sponsor.privateKey,
      maxFeePerPayment: 200_000n,
      budget: 1_000_000n,
      ...policy,
    })
    return { sponsor, feePayer }
  }

  it('co-signs as fee payer: the payer pays exactly the amount, the sponsor the fee {tempo.charge.fee.client-placeholder}', async () => {
    const { sponsor, feePayer } = await sponsored()
    const { payer, recipient, server, request, challenge, answer, serialized } = await signed(
      { amount: '1000000' },
      { feePayer },
    )
    expect(request.methodDetails).toMatchObject({ feePayer: true, supportedModes: ['pull'] })
    const envelope = Transaction.deserialize(serialized).envelope
    expect(envelope.feePayerSignature).toBeNull()
    expect(envelope.feeToken).toBeUndefined()
    const payerBefore = await node.balanceOf(payer.address)
    const sponsorBefore = await node.balanceOf(sponsor.address)
    await server.verify({
      credential: credentialFor(challenge, answer),
      challenge,
      request,
      context: claims().context,
    })
    expect(payerBefore - (await node.balanceOf(payer.address))).toBe(1_000_000n)
    expect(await node.balanceOf(recipient as Hex)).toBe(1_000_000n)
    const fee = sponsorBefore - (await node.balanceOf(sponsor.address))
    expect(fee).toBeGreaterThan(0n)
    expect(feePayer.spent()).toBe(fee)
  })

  it('refuses a transaction whose worst-case fee exceeds the per-payment cap', async () => {
    let cap = 0n
    const sponsor = await node.newAccount(10_000_000n)
    const feePayer = FeePayer.from({
      privateKey: sponsor.privateKey,
      budget: 10n ** 9n,
      get maxFeePerPayment() {
        return cap
      },
    })
    const { payer, server, request, challenge, answer, serialized } = await signed(
      { amount: '1000' },
      { feePayer },
    )
    cap = worstCaseFee(serialized) - 1n
    await expect(
      server.verify({
        credential: credentialFor(challenge, answer),
        challenge,
        request,
        context: claims().context,
      }),
    ).rejects.toMatchObject({ code: 'ERR_TEMPO_SPONSOR_POLICY', check: 'max-fee' })
    expect(await chain.getNonce(payer.address)).toBe(0n)
  })

  it('sponsors a charge with ten splits to new accounts within the gas it budgets {tempo.charge.fee.budget-split-gas}', async () => {
    const { sponsor, feePayer } = await sponsored({ maxFeePerPayment: 10n ** 9n })
    const recipients: Hex[] = []
    for (let index = 0; index < 10; index++) recipients.push((await node.newAccount(0n)).address)
    const payer = await node.newAccount(10_000_000n)
    const server = Server.server({
      chain,
      recipient: (await node.newAccount(0n)).address,
      feePayer,
    })
    const client = Client.client({ chain, privateKey: payer.privateKey })
    const request = await server.request({
      amount: '20000',
      splits: recipients.map((recipient) => ({ amount: '1000', recipient })),
    })
    const challenge = challengeFor(request)
    const answer = await client.createCredential({ challenge, request })
    const sponsorBefore = await node.balanceOf(sponsor.address)
    await server.verify({
      credential: credentialFor(challenge, answer),
      challenge,
      request,
      context: claims().context,
    })
    for (const recipient of recipients) expect(await node.balanceOf(recipient)).toBe(1000n)
    expect(await node.balanceOf(payer.address)).toBe(10_000_000n - 20_000n)
    expect(await node.balanceOf(sponsor.address)).toBeLessThan(sponsorBefore)
  })

  it('never answers a sponsored challenge with a hash, even when preferring push {tempo.charge.hash.client-no-fee-payer}', async () => {
    const { feePayer } = await sponsored()
    const payer = await node.newAccount(10_000_000n)
    const server = Server.server({
      chain,
      recipient: (await node.newAccount(0n)).address,
      feePayer,
    })
    const pusher = Client.client({ chain, privateKey: payer.privateKey, mode: 'push' })
    const request = await server.request({ amount: '1000' })
    const answer = await pusher.createCredential({ challenge: challengeFor(request), request })
    expect(answer.payload.type).toBe('transaction')
    expect(await chain.getNonce(payer.address)).toBe(0n)
  })

  it('refuses to sponsor beyond its budget', async () => {
    const sponsor = await node.newAccount(10_000_000n)
    let budget = 0n
    const feePayer = FeePayer.from({
      privateKey: sponsor.privateKey,
      maxFeePerPayment: 10n ** 9n,
      get budget() {
        return budget
      },
    })
    const { server, request, challenge, answer, serialized } = await signed(
      { amount: '1000' },
      { feePayer },
    )
    budget = worstCaseFee(serialized) - 1n
    await expect(
      server.verify({
        credential: credentialFor(challenge, answer),
        challenge,
        request,
        context: claims().context,
      }),
    ).rejects.toMatchObject({ check: 'budget' })
  })

  it('refuses to sponsor when the fee token balance cannot cover the fee {tempo.charge.fee.monitor-balance, tempo.charge.fee.server-balance}', async () => {
    const sponsor = await node.newAccount(0n)
    const feePayer = FeePayer.from({
      privateKey: sponsor.privateKey,
      maxFeePerPayment: 10n ** 9n,
      budget: 10n ** 9n,
    })
    const { payer, server, request, challenge, answer, serialized } = await signed(
      { amount: '1000' },
      { feePayer },
    )
    await node.fund({ to: sponsor.address, amount: worstCaseFee(serialized) - 1n })
    await expect(
      server.verify({
        credential: credentialFor(challenge, answer),
        challenge,
        request,
        context: claims().context,
      }),
    ).rejects.toMatchObject({ check: 'balance' })
    expect(await chain.getNonce(payer.address)).toBe(0n)
  })

  it('refuses a sponsored-challenge transaction that already names a fee token {tempo.charge.fee.client-placeholder}', async () => {
    const { feePayer } = await sponsored()
    const { payer, server, request, challenge, answer, serialized } = await signed(
      { amount: '1000' },
      { feePayer },
    )
    const forged = tamper(serialized, payer.privateKey, (envelope) => ({
      ...envelope,
      feePayerSignature: undefined,
      feeToken: FeePayer.pathUsd,
    }))
    const credential = credentialFor(challenge, {
      ...answer,
      payload: { type: 'transaction', signature: forged },
    })
    await expect(
      server.verify({ credential, challenge, request, context: claims().context }),
    ).rejects.toMatchObject({
      check: 'fee-payer',
    })
  })
})

/** gas × maxFeePerGas of a signed transaction, in base units. */
function worstCaseFee(serialized: string): bigint {
  const { gas, maxFeePerGas } = Transaction.deserialize(serialized).envelope
  return FeePayer.feeOf(gas ?? 0n, maxFeePerGas ?? 0n)
}

/** Rewrites the first (primary) transfer call of an envelope. */
function withTransfer(
  envelope: TxEnvelopeTempo.TxEnvelopeTempo,
  change: (transfer: { recipient: string; amount: bigint; memo?: string | undefined }) => {
    recipient: string
    amount: bigint
    memo?: string | undefined
  },
): TxEnvelopeTempo.TxEnvelopeTempo {
  const [first, ...rest] = envelope.calls
  const movement = Transfer.decodeCall(first ?? {})
  if (first === undefined || movement === undefined) throw new Error('no transfer to tamper with')
  return { ...envelope, calls: [{ ...first, data: Transfer.encode(change(movement)) }, ...rest] }
}

describe('lookup (reconciliation)', () => {
  it('reads the recorded transaction from the chain: paid once mined and bound; unknown while it may still be mined; unpaid once it can no longer be', async () => {
    const { server, request, challenge, answer } = await signed({ amount: '1500', modes: ['pull'] })
    const { context } = claims()
    const recorded: string[] = []
    const receipt = await server.verify({
      credential: credentialFor(challenge, answer),
      challenge,
      request,
      context: { ...context, record: async (reference) => void recorded.push(reference) },
    })
    // The hash was recorded before the broadcast.
    expect(recorded).toEqual([receipt.reference])
    const base = {
      challengeId: challenge.id,
      realm: challenge.realm,
      request,
      attempt: 'attempt-1',
      hold: undefined,
      receipt: undefined,
      expires: challenge.expires,
    }
    const later = () => Date.now() + 3_600_000
    const lookup = server.lookup as NonNullable<typeof server.lookup>
    expect(await lookup({ ...base, reference: receipt.reference, now: Date.now })).toEqual({
      status: 'paid',
      reference: receipt.reference,
    })
    // Bound to another challenge (its memo), the same transaction does not pay this one.
    const otherRequest = await server.request({ amount: '1500', modes: ['pull'] })
    const other = challengeFor(otherRequest)
    expect(
      await lookup({
        ...base,
        challengeId: other.id,
        request: otherRequest,
        reference: receipt.reference,
        now: Date.now,
      }),
    ).toEqual({ status: 'unpaid' })
    // Nothing recorded: a pull-only charge may still be paid until it expires, never after.
    expect(await lookup({ ...base, now: Date.now })).toEqual({ status: 'unknown' })
    expect(await lookup({ ...base, now: later })).toEqual({ status: 'unpaid' })
    // A recorded transaction that was never mined.
    const never = `0x${'ab'.repeat(32)}`
    expect(await lookup({ ...base, reference: never, now: Date.now })).toEqual({
      status: 'unknown',
    })
    expect(await lookup({ ...base, reference: never, now: later })).toEqual({ status: 'unpaid' })
  })
})
