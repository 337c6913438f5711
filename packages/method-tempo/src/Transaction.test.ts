import { Secp256k1 } from 'ox'
import { TxEnvelopeTempo } from 'ox/tempo'
import { privateKeyToAddress } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
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

function sign(envelope: TxEnvelopeTempo.TxEnvelopeTempo): `0x76${string}` {
  const signature = Secp256k1.sign({
    payload: TxEnvelopeTempo.getSignPayload(envelope),
    privateKey,
  })
  return TxEnvelopeTempo.serialize(envelope, { signature })
}

const envelope = TxEnvelopeTempo.from({
  chainId: 4217,
  calls: [{ to: FeePayer.pathUsd, data: Transfer.encode({ recipient, amount: 1000n }) }],
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
        expires: now + 60,
        now,
      }),
    ).not.toThrow()
  })

  it('refuses a transaction without validBefore {tempo.charge.pull.verify-before-broadcast}', () => {
    const unbounded = sign({ ...envelope, validBefore: undefined })
    expect(() => Transaction.verify(Transaction.deserialize(unbounded), { request, now })).toThrow(
      /validity-window/,
    )
  })

  it('refuses a validAfter in the future', () => {
    const later = sign({ ...envelope, validAfter: now + 30 })
    expect(() => Transaction.verify(Transaction.deserialize(later), { request, now })).toThrow(
      /validAfter/,
    )
  })

  it('refuses a client-paid transaction for a sponsored challenge {tempo.charge.fee.client-placeholder}', () => {
    const selfPaid = sign({ ...envelope, feePayerSignature: undefined, feeToken: FeePayer.pathUsd })
    expect(() => Transaction.verify(Transaction.deserialize(selfPaid), { request, now })).toThrow(
      /fee-payer/,
    )
  })
})

describe('FeePayer', () => {
  const chain = { chainId: 4217, getTokenBalance: async () => 10n ** 12n } as unknown as Chain.Chain
  const decoded = () => Transaction.deserialize(sign(envelope))

  it('co-signs so the transaction carries the fee token and a fee payer signature', async () => {
    const feePayer = FeePayer.from({
      privateKey: sponsorKey,
      maxFeePerPayment: 10n ** 6n,
      budget: 10n ** 7n,
    })
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
    const { envelope: client, sender } = decoded()
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => feePayer.sponsor({ envelope: client, sender, chain })),
    )
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(2)
  })

  it('frees a released reservation', async () => {
    const maxFee = FeePayer.feeOf(600_000n, 40_000_000_000n)
    const feePayer = FeePayer.from({
      privateKey: sponsorKey,
      maxFeePerPayment: maxFee,
      budget: maxFee,
    })
    const { envelope: client, sender } = decoded()
    const first = await feePayer.sponsor({ envelope: client, sender, chain })
    await expect(feePayer.sponsor({ envelope: client, sender, chain })).rejects.toMatchObject({
      check: 'budget',
    })
    first.release()
    await expect(feePayer.sponsor({ envelope: client, sender, chain })).resolves.toBeDefined()
  })
})
