import { describe, expect, it } from 'vitest'
import * as Binding from './Binding.js'
import * as ChargeRequest from './ChargeRequest.js'

const challenge = { id: 'kM9xPqWvT2nJrHsY4aDfEb', realm: 'api.example.com' }
const request = (memo?: string) =>
  ChargeRequest.schema.parse({
    amount: '1000',
    currency: '0x20c0000000000000000000000000000000000000',
    recipient: '0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00',
    methodDetails: {
      chainId: 4217,
      ...(memo === undefined ? {} : { memo }),
      splits: [{ amount: '10', recipient: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' }],
    },
  })

describe('Binding.issue', () => {
  it('makes a tagged bytes32 memo, unique per call', () => {
    const memos = new Set(Array.from({ length: 1000 }, () => Binding.issue()))
    expect(memos.size).toBe(1000)
    for (const memo of memos) {
      expect(memo).toMatch(/^0x[0-9a-f]{64}$/)
      expect(Binding.isIssued(memo)).toBe(true)
    }
  })

  it('recognises only its own layout', () => {
    expect(Binding.isIssued(`0x${'00'.repeat(32)}`)).toBe(false)
    expect(Binding.isIssued(Binding.attribution(challenge))).toBe(false)
    expect(Binding.isIssued(undefined)).toBe(false)
    expect(Binding.isIssued(Binding.issue().slice(0, 64))).toBe(false)
  })
})

describe('Binding.attribution', () => {
  it('lays out tag, version, server, client and challenge nonce as mppx 0.11 documents', () => {
    const memo = Binding.attribution(challenge)
    // keccak256("mpp")[0..4] and version 1.
    expect(memo.slice(0, 12)).toBe('0xef1ed71201')
    // No client id: ten zero bytes.
    expect(memo.slice(32, 52)).toBe('00'.repeat(10))
    expect(Binding.attribution(challenge, { clientId: 'agent' }).slice(32, 52)).not.toBe(
      '00'.repeat(10),
    )
  })

  it('binds the realm and the challenge id, whatever the client part', () => {
    const memo = Binding.attribution(challenge, { clientId: 'agent' })
    expect(Binding.isAttributionFor(memo, challenge)).toBe(true)
    expect(Binding.isAttributionFor(memo, { ...challenge, id: 'another' })).toBe(false)
    expect(Binding.isAttributionFor(memo, { ...challenge, realm: 'evil.example' })).toBe(false)
    expect(Binding.isAttributionFor(Binding.issue(), challenge)).toBe(false)
  })
})

describe('Binding.of', () => {
  it('binds an issued memo, or the attribution memo in its place, on the primary transfer only', () => {
    const memo = Binding.issue()
    const binding = Binding.of(request(memo), challenge)
    expect(binding.bound).toBe(true)
    expect(binding.alternatives.map((transfers) => transfers[0]?.memo)).toEqual([
      memo,
      Binding.attribution(challenge),
    ])
    for (const transfers of binding.alternatives) expect(transfers[1]?.memo).toBeUndefined()
  })

  it('binds a request without memo with the attribution memo alone', () => {
    const binding = Binding.of(request(), challenge)
    expect(binding).toMatchObject({ bound: true })
    expect(binding.alternatives.map((transfers) => transfers[0]?.memo)).toEqual([
      Binding.attribution(challenge),
    ])
  })

  it('keeps an operator memo as asked, and says it binds nothing', () => {
    const memo = `0x${'00'.repeat(28)}deadbeef`
    const binding = Binding.of(request(memo), challenge)
    expect(binding).toMatchObject({ bound: false })
    expect(binding.alternatives.map((transfers) => transfers[0]?.memo)).toEqual([memo])
  })

  it('matches movements against the first alternative they pay', () => {
    const memo = Binding.issue()
    const binding = Binding.of(request(memo), challenge)
    const movement = (primaryMemo: string | undefined) => [
      {
        token: '0x20c0000000000000000000000000000000000000',
        recipient: '0x742d35cc6634c0532925a3b844bc9e7595f8fe00',
        amount: 990n,
        memo: primaryMemo,
      },
      {
        token: '0x20c0000000000000000000000000000000000000',
        recipient: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8',
        amount: 10n,
      },
    ]
    expect(Binding.match(binding, movement(memo)).missing).toEqual([])
    expect(Binding.match(binding, movement(Binding.attribution(challenge))).missing).toEqual([])
    expect(Binding.match(binding, movement(undefined)).missing).toHaveLength(1)
    expect(Binding.match(binding, movement(Binding.issue())).missing[0]?.memo).toBe(memo)
  })
})
