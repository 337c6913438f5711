import { Secp256k1 } from 'ox'
import { TxEnvelopeTempo } from 'ox/tempo'
import { privateKeyToAddress } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import * as Binding from './Binding.js'
import type * as Chain from './Chain.js'
import * as ChargeRequest from './ChargeRequest.js'
import * as FeePayer from './FeePayer.js'
import * as Transaction from './Transaction.js'
import * as Transfer from './Transfer.js'

const privateKey = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
const sponsorKey = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a'
const recipient = '0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00' // not EIP-55 checksummed, as in the draft
const other = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const now = 1_800_000_000
const challenge = { id: 'challenge-1', realm: 'api.example.com' }
const attribution = Binding.attribution(challenge)

function sign(envelope: TxEnvelopeTempo.TxEnvelopeTempo): `0x76${string}` {
  const signature = Secp256k1.sign({
    payload: TxEnvelopeTempo.getSignPayload(envelope),
    privateKey,
  })
  return TxEnvelopeTempo.serialize(envelope, { signature })
}

const envelope = TxEnvelopeTempo.from({
  chainId: 4217,
  calls: [
    {
      to: FeePayer.pathUsd,
      data: Transfer.encode({ recipient, amount: 1000n, memo: attribution }),
    },
  ],
  nonce: 3n,
  gas: 600_000n,
  maxFeePerGas: 40_000_000_000n,
  validBefore: now + 60,
  feePayerSignature: null,
})

describe('Transaction.deserialize', () => {
  it('recovers the signer as sender', () => {
    expect(Transaction.deserialize(sign(envelope)).sender.toLowerCase()).toBe(
      privateKeyToAddress(privateKey).toLowerCase(),
    )
  })

  it('refuses an unsigned transaction and bytes that are not a Tempo transaction', () => {
    expect(() => Transaction.deserialize(TxEnvelopeTempo.serialize(envelope))).toThrow(
      Transaction.MalformedTransactionError,
    )
    expect(() => Transaction.deserialize('0x76c0')).toThrow(Transaction.MalformedTransactionError)
  })

  it('refuses a transaction whose fee payer slot names a sender (not a canonical client encoding)', () => {
    const signed = sign(envelope)
    const decoded = TxEnvelopeTempo.deserialize(signed)
    const withSender = TxEnvelopeTempo.serialize(decoded, { sender: other, format: 'feePayer' })
    expect(() => Transaction.deserialize(withSender)).toThrow(Transaction.MalformedTransactionError)
  })
})

describe('Transaction.verify', () => {
  const request = ChargeRequest.schema.parse({
    amount: '1000',
    currency: FeePayer.pathUsd,
    recipient,
    methodDetails: { chainId: 4217, feePayer: true },
  })

  it('accepts a transaction that does exactly what the request asks', () => {
    expect(() =>
      Transaction.verify(Transaction.deserialize(sign(envelope)), {
        request,
        challenge,
        expires: now + 60,
        now,
      }),
    ).not.toThrow()
  })

  /** The envelope with its one transfer carrying `memo` (or none). */
  const paying = (memo: string | undefined) =>
    sign({
      ...envelope,
      calls: [{ to: FeePayer.pathUsd, data: Transfer.encode({ recipient, amount: 1000n, memo }) }],
    })

  it('refuses a transfer that carries no memo binding it to the challenge {tempo.charge.pull.verify-before-broadcast}', () => {
    for (const memo of [
      undefined,
      Binding.attribution({ ...challenge, id: 'another' }),
      Binding.issue(),
    ])
      expect(() =>
        Transaction.verify(Transaction.deserialize(paying(memo)), { request, challenge, now }),
      ).toThrow(/transfers/)
  })

  it('accepts the issued memo of the challenge, or the attribution memo in its place {tempo.charge.request.memo}', () => {
    const memo = Binding.issue()
    const issued = { ...request, methodDetails: { ...request.methodDetails, memo } }
    for (const paid of [memo, attribution])
      expect(() =>
        Transaction.verify(Transaction.deserialize(paying(paid)), {
          request: issued,
          challenge,
          now,
        }),
      ).not.toThrow()
  })

  it('requires an operator memo itself: the attribution memo does not replace it {tempo.charge.request.memo, tempo.charge.pull.verify-before-broadcast}', () => {
    const memo = `0x${'00'.repeat(28)}deadbeef`
    const invoiced = { ...request, methodDetails: { ...request.methodDetails, memo } }
    const verify = (paid: string | undefined) => () =>
      Transaction.verify(Transaction.deserialize(paying(paid)), {
        request: invoiced,
        challenge,
        now,
      })
    expect(verify(memo)).not.toThrow()
    expect(verify(attribution)).toThrow(/transfers/)
  })

  it('refuses a transaction without validBefore {tempo.charge.pull.verify-before-broadcast}', () => {
    const unbounded = sign({ ...envelope, validBefore: undefined })
    expect(() =>
      Transaction.verify(Transaction.deserialize(unbounded), { request, challenge, now }),
    ).toThrow(/validity-window/)
  })

  it('refuses a validAfter in the future', () => {
    const later = sign({ ...envelope, validAfter: now + 30 })
    expect(() =>
      Transaction.verify(Transaction.deserialize(later), { request, challenge, now }),
    ).toThrow(/validAfter/)
  })

  it('refuses a client-paid transaction for a sponsored challenge {tempo.charge.fee.client-placeholder}', () => {
    const selfPaid = sign({ ...envelope, feePayerSignature: undefined, feeToken: FeePayer.pathUsd })
    expect(() =>
      Transaction.verify(Transaction.deserialize(selfPaid), { request, challenge, now }),
    ).toThrow(/fee-payer/)
  })
})

describe('FeePayer', () => {
  // A chain where every simulation succeeds and nothing is mined yet: the policy alone decides.
  const chain = {
    chainId: 4217,
    getTokenBalance: async () => 10n ** 12n,
    getTransactionReceipt: async () => undefined,
    // Each call needs 60,000 gas: one run with less fails, as it would on chain.
    simulateCalls: async ({ calls, gas }: { calls: unknown[]; gas?: bigint }) =>
      calls.map(() => ({
        status: gas !== undefined && gas < 60_000n ? 'reverted' : 'success',
        gasUsed: 60_000n,
      })),
  } as unknown as Chain.Chain
  /** A sponsor whose caps and budget refuse nothing here. */
  const generous = () =>
    FeePayer.from({ privateKey: sponsorKey, maxFeePerPayment: 10n ** 6n, budget: 10n ** 7n })
  const decoded = (nonce = 3n) => Transaction.deserialize(sign({ ...envelope, nonce }))

  it('co-signs so the transaction carries the fee token and a fee payer signature', async () => {
    const feePayer = generous()
    const { envelope: client, sender } = decoded()
    const sponsorship = await feePayer.sponsor({ envelope: client, sender, chain })
    const final = TxEnvelopeTempo.deserialize(sponsorship.serialized as TxEnvelopeTempo.Serialized)
    expect(final.feeToken?.toString().toLowerCase()).toBe(FeePayer.pathUsd)
    expect(final.feePayerSignature).toMatchObject({ r: expect.any(BigInt) })
    expect(sponsorship.maxFee).toBe(FeePayer.feeOf(600_000n, 40_000_000_000n))
  })

  it('does not overbook its budget under concurrent sponsorships', async () => {
    const maxFee = FeePayer.feeOf(600_000n, 40_000_000_000n)
    const feePayer = FeePayer.from({
      privateKey: sponsorKey,
      maxFeePerPayment: maxFee,
      budget: maxFee * 2n,
    })
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, nonce) => {
        const { envelope: client, sender } = decoded(BigInt(nonce))
        return feePayer.sponsor({ envelope: client, sender, chain })
      }),
    )
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(2)
  })

  it('sponsors one transaction once at a time: a second sponsorship of it is refused while the first is open', async () => {
    const feePayer = generous()
    const { envelope: client, sender } = decoded()
    const first = await feePayer.sponsor({ envelope: client, sender, chain })
    await expect(feePayer.sponsor({ envelope: client, sender, chain })).rejects.toMatchObject({
      check: 'in-flight',
    })
    first.release()
    await expect(feePayer.sponsor({ envelope: client, sender, chain })).resolves.toBeDefined()
  })

  it('counts only the fee of its own transaction’s receipt', async () => {
    const feePayer = generous()
    const { envelope: client, sender } = decoded()
    const sponsorship = await feePayer.sponsor({ envelope: client, sender, chain })
    const receipt = {
      transactionHash: `0x${'ab'.repeat(32)}`,
      gasUsed: 50_000n,
      effectiveGasPrice: 20_000_000_000n,
    } as Chain.Receipt
    sponsorship.settle(receipt)
    expect(feePayer.spent()).toBe(0n)
    sponsorship.settle({ ...receipt, transactionHash: sponsorship.hash })
    expect(feePayer.spent()).toBe(FeePayer.feeOf(50_000n, 20_000_000_000n))
    sponsorship.settle({ ...receipt, transactionHash: sponsorship.hash })
    expect(feePayer.spent()).toBe(FeePayer.feeOf(50_000n, 20_000_000_000n))
  })

  it('refuses a priority fee above its cap and a gas limit below what the calls use', async () => {
    const feePayer = FeePayer.from({
      privateKey: sponsorKey,
      maxFeePerPayment: 10n ** 9n,
      maxPriorityFeePerGas: 10n,
      budget: 10n ** 10n,
    })
    const greedy = Transaction.deserialize(sign({ ...envelope, maxPriorityFeePerGas: 11n }))
    await expect(
      feePayer.sponsor({ envelope: greedy.envelope, sender: greedy.sender, chain }),
    ).rejects.toMatchObject({ check: 'priority-fee' })
    const starved = Transaction.deserialize(sign({ ...envelope, gas: 59_999n }))
    await expect(
      feePayer.sponsor({ envelope: starved.envelope, sender: starved.sender, chain }),
    ).rejects.toMatchObject({ check: 'revert' })
  })

  it('keeps its budget and balance out of the refusal a client sees', async () => {
    const maxFee = FeePayer.feeOf(600_000n, 40_000_000_000n)
    const feePayer = FeePayer.from({ privateKey: sponsorKey, maxFeePerPayment: maxFee, budget: 7n })
    const { envelope: client, sender } = decoded()
    const refusal = await feePayer.sponsor({ envelope: client, sender, chain }).catch((e) => e)
    expect(refusal).toMatchObject({ check: 'budget' })
    expect((refusal as Error).message).not.toMatch(/[0-9]{2,}|budget 7/)
    expect(String((refusal as Error).cause)).toContain('budget 7')
  })

  it('frees a released reservation', async () => {
    const maxFee = FeePayer.feeOf(600_000n, 40_000_000_000n)
    const feePayer = FeePayer.from({
      privateKey: sponsorKey,
      maxFeePerPayment: maxFee,
      budget: maxFee,
    })
    const first = await feePayer.sponsor({ ...decoded(1n), chain })
    await expect(feePayer.sponsor({ ...decoded(2n), chain })).rejects.toMatchObject({
      check: 'budget',
    })
    first.release()
    await expect(feePayer.sponsor({ ...decoded(2n), chain })).resolves.toBeDefined()
  })
})
