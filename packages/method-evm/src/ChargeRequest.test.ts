import { Challenge } from '@paywire/core'
import { describe, expect, it } from 'vitest'
import * as ChargePayload from './ChargePayload.js'
import * as ChargeRequest from './ChargeRequest.js'

const base = {
  amount: '1050000',
  currency: '0xe15fc38f6d8c56af07bbcbe3baf5708a2bf42392',
  recipient: '0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00',
  methodDetails: { chainId: 1329 },
}
const split = (amount: string) => ({
  recipient: '0x8Ba1f109551bD432803012645Ac136ddd64DBA72',
  amount,
})

describe('ChargeRequest', () => {
  it('reads the draft example, defaulting permit2Address to the canonical address {evm.charge.request.permit2-address}', () => {
    const request = ChargeRequest.schema.parse({
      ...base,
      methodDetails: {
        chainId: 1329,
        credentialTypes: ['permit2'],
        splits: [{ ...split('50000'), memo: 'platform fee' }],
      },
    })
    expect(request.methodDetails.permit2Address).toBe(ChargeRequest.canonicalPermit2)
    expect(ChargeRequest.transfers(request)).toEqual([
      { recipient: base.recipient, amount: 1_000_000n },
      { recipient: '0x8Ba1f109551bD432803012645Ac136ddd64DBA72', amount: 50_000n },
    ])
  })

  it('requires chainId, 20-byte addresses and a positive integer amount {evm.charge.request.chain-id, evm.charge.request.address-format, evm.charge.request.fields}', () => {
    expect(ChargeRequest.schema.safeParse({ ...base, methodDetails: {} }).success).toBe(false)
    expect(ChargeRequest.schema.safeParse({ ...base, currency: '0x1234' }).success).toBe(false)
    expect(ChargeRequest.schema.safeParse({ ...base, recipient: 'vitalik.eth' }).success).toBe(
      false,
    )
    expect(ChargeRequest.schema.safeParse({ ...base, amount: '0' }).success).toBe(false)
    expect(ChargeRequest.schema.safeParse({ ...base, amount: '1.5' }).success).toBe(false)
  })

  it('refuses splits that are empty, more than ten, or sum to amount or more {evm.charge.splits.sum-lt-amount, evm.charge.splits.non-empty, evm.charge.splits.max}', () => {
    const withSplits = (splits: unknown[]) => ({
      ...base,
      methodDetails: { chainId: 1329, splits },
    })
    expect(ChargeRequest.schema.safeParse(withSplits([])).success).toBe(false)
    expect(ChargeRequest.schema.safeParse(withSplits([split('1050000')])).success).toBe(false)
    expect(
      ChargeRequest.schema.safeParse(withSplits([split('1000000'), split('50000')])).success,
    ).toBe(false)
    expect(
      ChargeRequest.schema.safeParse(withSplits(Array.from({ length: 11 }, () => split('1'))))
        .success,
    ).toBe(false)
    expect(
      ChargeRequest.schema.safeParse(withSplits(Array.from({ length: 10 }, () => split('1'))))
        .success,
    ).toBe(true)
    expect(
      ChargeRequest.schema.safeParse(withSplits([{ ...split('1'), memo: 'x'.repeat(257) }]))
        .success,
    ).toBe(false)
  })

  it('accepts transaction and hash when credentialTypes is omitted, and keeps the listed order otherwise {evm.charge.types.default-transaction, evm.charge.types.default-hash}', () => {
    expect(ChargeRequest.accepted(ChargeRequest.schema.parse(base))).toEqual([
      'transaction',
      'hash',
    ])
    const listed = ChargeRequest.schema.parse({
      ...base,
      methodDetails: { chainId: 1, credentialTypes: ['hash', 'permit2'] },
    })
    expect(ChargeRequest.accepted(listed)).toEqual(['hash', 'permit2'])
    expect(
      ChargeRequest.schema.safeParse({
        ...base,
        methodDetails: { chainId: 1, credentialTypes: ['hash', 'hash'] },
      }).success,
    ).toBe(false)
    expect(
      ChargeRequest.schema.safeParse({
        ...base,
        methodDetails: { chainId: 1, credentialTypes: ['wire'] },
      }).success,
    ).toBe(false)
  })

  it('round-trips through a challenge as JCS base64url {evm.charge.request.jcs}', () => {
    const request = ChargeRequest.schema.parse(base)
    const challenge = Challenge.from(
      { realm: 'api.example.com', method: 'evm', intent: 'charge', request },
      { id: 'abc' },
    )
    expect(ChargeRequest.schema.parse(Challenge.decodeRequest(challenge))).toEqual(request)
    expect(challenge.request).not.toMatch(/[=+/]/)
  })
})

describe('ChargePayload', () => {
  it('reads the four payload types and refuses other types or malformed numbers {evm.charge.verify.common, evm.charge.permit2.permitted-array}', () => {
    expect(
      ChargePayload.schema.safeParse({ type: 'hash', hash: `0x${'1a'.repeat(32)}` }).success,
    ).toBe(true)
    expect(
      ChargePayload.schema.safeParse({ type: 'transaction', signature: '0x02f8ab' }).success,
    ).toBe(true)
    expect(ChargePayload.schema.safeParse({ type: 'proof', signature: '0x' }).success).toBe(false)
    expect(ChargePayload.uintSchema.safeParse('01').success).toBe(false)
    expect(ChargePayload.uintSchema.safeParse((2n ** 256n).toString()).success).toBe(false)
    expect(ChargePayload.uintSchema.safeParse((2n ** 256n - 1n).toString()).success).toBe(true)
    const permit2 = {
      type: 'permit2',
      permit: { permitted: { token: base.currency, amount: '1' }, nonce: '1', deadline: '1' },
      transferDetails: [{ to: base.recipient, requestedAmount: '1' }],
      witness: { challengeHash: `0x${'00'.repeat(32)}` },
      signature: `0x${'11'.repeat(65)}`,
    }
    // permitted is always an array, even for one transfer.
    expect(ChargePayload.schema.safeParse(permit2).success).toBe(false)
    expect(
      ChargePayload.schema.safeParse({
        ...permit2,
        permit: { ...permit2.permit, permitted: [permit2.permit.permitted] },
      }).success,
    ).toBe(true)
  })
})
