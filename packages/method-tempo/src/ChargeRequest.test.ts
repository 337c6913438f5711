import { Challenge } from '@paywire/core'
import { describe, expect, it } from 'vitest'
import type * as Chain from './Chain.js'
import * as ChargeRequest from './ChargeRequest.js'
import * as FeePayer from './FeePayer.js'
import * as Server from './Server.js'

const currency = '0x20c0000000000000000000000000000000000000'
const recipient = '0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00'
const other = '0xA1B2C3D4E5F6A1B2C3D4E5F6A1B2C3D4E5F6A1B2'
const base = { amount: '1000000', currency, recipient, methodDetails: { chainId: 4217 } }
const split = (amount: string) => ({ amount, recipient: other })

/** A chain that only knows its id: building requests makes no RPC call. */
const offline = { chainId: 4217 } as Chain.Chain

describe('ChargeRequest.schema', () => {
  it('reads the draft example request', () => {
    const parsed = ChargeRequest.schema.parse({
      ...base,
      methodDetails: { chainId: 4217, feePayer: true, supportedModes: ['pull'] },
    })
    expect(parsed.methodDetails).toEqual({
      chainId: 4217,
      feePayer: true,
      supportedModes: ['pull'],
    })
  })

  it('decodes the split example of the draft (the request string of its challenge)', () => {
    const request = Challenge.decodeRequest({
      request:
        'eyJhbW91bnQiOiIxMDAwMDAwIiwiY3VycmVuY3kiOiIweDIwYzAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAiLCJtZXRob2REZXRhaWxzIjp7ImNoYWluSWQiOjQyMTcsImZlZVBheWVyIjp0cnVlLCJzcGxpdHMiOlt7ImFtb3VudCI6IjUwMDAwIiwicmVjaXBpZW50IjoiMHhBMUIyQzNENEU1RjZBMUIyQzNENEU1RjZBMUIyQzNENEU1RjZBMUIyIn1dfSwicmVjaXBpZW50IjoiMHg3NDJkMzVDYzY2MzRDMDUzMjkyNWEzYjg0NEJjOWU3NTk1ZjhmRTAwIn0',
    })
    const parsed = ChargeRequest.schema.parse(request)
    expect(ChargeRequest.transfers(parsed).map((transfer) => transfer.amount)).toEqual([
      950_000n,
      50_000n,
    ])
  })

  it('refuses a request without amount, currency or recipient {tempo.charge.request.fields}', () => {
    for (const field of ['amount', 'currency', 'recipient'] as const) {
      const { [field]: _, ...rest } = base
      expect(ChargeRequest.schema.safeParse(rest).success).toBe(false)
    }
    expect(
      ChargeRequest.schema.safeParse({ ...base, description: 'x', externalId: 'y' }).success,
    ).toBe(true)
  })

  it('refuses a split without amount or recipient {tempo.charge.splits.entry-fields}', () => {
    for (const entry of [{ amount: '1' }, { recipient: other }])
      expect(
        ChargeRequest.schema.safeParse({ ...base, methodDetails: { chainId: 1, splits: [entry] } })
          .success,
      ).toBe(false)
  })

  it('reads a request without chainId with the draft default', () => {
    const parsed = ChargeRequest.schema.parse({ amount: '1', currency, recipient })
    expect(parsed.methodDetails.chainId).toBe(ChargeRequest.defaultChainId)
  })

  it.each([
    ['a negative amount', { ...base, amount: '-1' }],
    ['an amount with an exponent', { ...base, amount: '1e6' }],
    ['a currency that is not an address', { ...base, currency: 'usd' }],
    ['a memo that is not bytes32', { ...base, methodDetails: { chainId: 1, memo: '0x1234' } }],
    ['expires inside the request', { ...base, expires: '2025-01-01T00:00:00Z' }],
  ])('refuses %s', (_, request) => {
    expect(ChargeRequest.schema.safeParse(request).success).toBe(false)
  })

  it('refuses splits whose sum is not below amount {tempo.charge.splits.client-reject}', () => {
    const equal = {
      ...base,
      methodDetails: { chainId: 1, splits: [split('600000'), split('400000')] },
    }
    expect(ChargeRequest.schema.safeParse(equal).success).toBe(false)
    const below = {
      ...base,
      methodDetails: { chainId: 1, splits: [split('600000'), split('399999')] },
    }
    expect(ChargeRequest.schema.safeParse(below).success).toBe(true)
  })

  it('refuses split amounts that are zero or not base-10 integers {tempo.charge.splits.amount-format, tempo.charge.splits.amount-positive}', () => {
    for (const amount of ['0', '01', '1.5', ' 1', '+1'])
      expect(
        ChargeRequest.schema.safeParse({
          ...base,
          methodDetails: { chainId: 1, splits: [split(amount)] },
        }).success,
      ).toBe(false)
  })

  it('refuses an empty splits list {tempo.charge.splits.non-empty}', () => {
    expect(
      ChargeRequest.schema.safeParse({ ...base, methodDetails: { chainId: 1, splits: [] } })
        .success,
    ).toBe(false)
  })

  it('refuses more than ten splits {tempo.charge.splits.limit}', () => {
    const splits = (count: number) => Array.from({ length: count }, () => split('1'))
    expect(
      ChargeRequest.schema.safeParse({ ...base, methodDetails: { chainId: 1, splits: splits(10) } })
        .success,
    ).toBe(true)
    expect(
      ChargeRequest.schema.safeParse({ ...base, methodDetails: { chainId: 1, splits: splits(11) } })
        .success,
    ).toBe(false)
  })

  it('refuses an empty supportedModes list {tempo.charge.modes.non-empty}', () => {
    expect(
      ChargeRequest.schema.safeParse({ ...base, methodDetails: { chainId: 1, supportedModes: [] } })
        .success,
    ).toBe(false)
  })
})

describe('ChargeRequest.modes', () => {
  it('allows both modes when supportedModes is omitted {tempo.charge.modes.omitted-means-both, tempo.charge.modes.omitted-assume-both}', () => {
    expect(ChargeRequest.modes(ChargeRequest.schema.parse(base))).toEqual(['pull', 'push'])
  })

  it('never allows push when the server pays fees {tempo.charge.hash.client-no-fee-payer}', () => {
    const request = ChargeRequest.schema.parse({
      ...base,
      methodDetails: { chainId: 1, feePayer: true },
    })
    expect(ChargeRequest.modes(request)).toEqual(['pull'])
  })
})

describe('Server request', () => {
  const server = Server.server({ chain: offline, recipient })

  it('always emits chainId', async () => {
    expect((await server.request({ amount: '1' })).methodDetails.chainId).toBe(4217)
  })

  it('omits supportedModes when both modes are offered and lists the subset otherwise {tempo.charge.modes.omit-only-when-both, tempo.charge.modes.include-explicitly}', async () => {
    expect((await server.request({ amount: '1' })).methodDetails.supportedModes).toBeUndefined()
    expect(
      (await server.request({ amount: '1', modes: ['push'] })).methodDetails.supportedModes,
    ).toEqual(['push'])
  })

  it('offers only pull, explicitly, for a fee-sponsored charge {tempo.charge.modes.advertise-subset}', async () => {
    const feePayer = FeePayer.from({
      privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
      maxFeePerPayment: 1n,
      budget: 1n,
    })
    const sponsored = Server.server({ chain: offline, recipient, feePayer })
    expect((await sponsored.request({ amount: '1' })).methodDetails).toEqual({
      chainId: 4217,
      feePayer: true,
      memo: expect.stringMatching(/^0x[0-9a-f]{64}$/),
      supportedModes: ['pull'],
    })
  })

  it('never generates splits whose sum reaches amount {tempo.charge.splits.server-sum-below-amount}', () => {
    expect(() => server.request({ amount: '10', splits: [split('10')] })).toThrow()
  })

  it('puts no mode negotiation in a zero-amount request', async () => {
    expect((await server.request({ amount: '0', modes: ['pull'] })).methodDetails).toEqual({
      chainId: 4217,
    })
  })
})
