import { describe, expect, it } from 'vitest'
import * as ChargePayload from './ChargePayload.js'

describe('ChargePayload.schema', () => {
  it('reads a transaction payload and refuses one without a 0x76 signature {tempo.charge.transaction.fields}', () => {
    expect(
      ChargePayload.schema.safeParse({ type: 'transaction', signature: '0x76f901aa' }).success,
    ).toBe(true)
    expect(ChargePayload.schema.safeParse({ type: 'transaction' }).success).toBe(false)
    expect(
      ChargePayload.schema.safeParse({ type: 'transaction', signature: '0x02f901aa' }).success,
    ).toBe(false)
  })

  it('reads a hash payload and refuses a hash that is not 32 bytes {tempo.charge.hash.fields}', () => {
    expect(
      ChargePayload.schema.safeParse({ type: 'hash', hash: `0x${'1a'.repeat(32)}` }).success,
    ).toBe(true)
    expect(
      ChargePayload.schema.safeParse({ type: 'hash', hash: `0x${'1a'.repeat(31)}` }).success,
    ).toBe(false)
    expect(ChargePayload.schema.safeParse({ type: 'hash' }).success).toBe(false)
  })

  it('reads a proof payload of a 65-byte or 64-byte signature {tempo.charge.proof.fields}', () => {
    expect(
      ChargePayload.schema.safeParse({ type: 'proof', signature: `0x${'ab'.repeat(65)}` }).success,
    ).toBe(true)
    expect(
      ChargePayload.schema.safeParse({ type: 'proof', signature: `0x${'ab'.repeat(64)}` }).success,
    ).toBe(true)
    expect(ChargePayload.schema.safeParse({ type: 'proof', signature: '0xabcd' }).success).toBe(
      false,
    )
  })

  it('refuses a payload of an unknown type', () => {
    expect(ChargePayload.schema.safeParse({ type: 'permit2', signature: '0x' }).success).toBe(false)
  })
})
