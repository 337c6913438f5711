import { describe, expect, it } from 'vitest'
import * as Base64Url from './Base64Url.js'
import * as Receipt from './Receipt.js'

describe('Receipt', () => {
  it('builds a success receipt with an RFC 3339 timestamp and round-trips it {core.receipt.status-success}', () => {
    const receipt = Receipt.from({
      method: 'tempo',
      reference: '0xabc',
      timestamp: Date.UTC(2025, 0, 15, 12),
    })
    expect(receipt).toEqual({
      status: 'success',
      method: 'tempo',
      reference: '0xabc',
      timestamp: '2025-01-15T12:00:00Z',
    })
    expect(Receipt.deserialize(Receipt.serialize(receipt))).toEqual(receipt)
  })

  it.each(['failed', 'pending', 'SUCCESS', 'Success', '', null, true])(
    'refuses a receipt whose status is %j {core.receipt.status-success}',
    (status) => {
      const value = { status, method: 'tempo', reference: 'r', timestamp: '2025-01-15T12:00:00Z' }
      expect(() => Receipt.deserialize(Base64Url.encode(JSON.stringify(value)))).toThrow(
        /^status: /,
      )
      const { status: _, ...statusless } = value
      expect(() => Receipt.deserialize(Base64Url.encode(JSON.stringify(statusless)))).toThrow(
        Receipt.InvalidReceiptError,
      )
    },
  )

  it('refuses to build a receipt with another status {core.receipt.status-success}', () => {
    expect(Receipt.from({ method: 'tempo', reference: 'r', status: 'success' }).status).toBe(
      'success',
    )
    expect(() =>
      Receipt.from({ method: 'tempo', reference: 'r', status: 'failed' as 'success' }),
    ).toThrow(Receipt.InvalidReceiptError)
  })

  it('keeps method-defined members {core.receipt.method-fields, core.versioning.ignore-unknown}', () => {
    const receipt = Receipt.from({ method: 'stripe', reference: 'pi_1', externalId: 'order_9' })
    expect(Receipt.deserialize(Receipt.serialize(receipt)).externalId).toBe('order_9')
  })

  it('serializes as unpadded base64url of canonical JSON', () => {
    const receipt = Receipt.from({
      method: 'tempo',
      reference: 'r',
      timestamp: '2025-01-15T12:00:00Z',
    })
    expect(Base64Url.decodeString(Receipt.serialize(receipt))).toBe(
      '{"method":"tempo","reference":"r","status":"success","timestamp":"2025-01-15T12:00:00Z"}',
    )
  })

  it.each([
    [
      'a status other than success',
      { status: 'failed', method: 'tempo', reference: 'r', timestamp: '2025-01-15T12:00:00Z' },
    ],
    [
      'a missing reference',
      { status: 'success', method: 'tempo', timestamp: '2025-01-15T12:00:00Z' },
    ],
    [
      'an empty reference',
      { status: 'success', method: 'tempo', reference: '', timestamp: '2025-01-15T12:00:00Z' },
    ],
    [
      'a bad timestamp',
      { status: 'success', method: 'tempo', reference: 'r', timestamp: 'yesterday' },
    ],
    [
      'an uppercase method',
      { status: 'success', method: 'Tempo', reference: 'r', timestamp: '2025-01-15T12:00:00Z' },
    ],
  ])('refuses %s', (_, value) => {
    expect(() => Receipt.deserialize(Base64Url.encode(JSON.stringify(value)))).toThrow(
      Receipt.InvalidReceiptError,
    )
  })

  it('refuses a value that is not base64url JSON', () => {
    expect(() => Receipt.deserialize('%%%')).toThrow(Receipt.InvalidReceiptError)
    expect(() => Receipt.deserialize(Base64Url.encode('nope'))).toThrow(Receipt.InvalidReceiptError)
  })

  it('refuses to build a receipt without a reference', () => {
    expect(() => Receipt.from({ method: 'tempo', reference: '' })).toThrow(
      Receipt.InvalidReceiptError,
    )
  })
})
