import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Expires from './Expires.js'

describe('Expires.parse', () => {
  it.each([
    ['2025-01-15T12:05:00Z', Date.UTC(2025, 0, 15, 12, 5, 0)],
    ['2025-01-15t12:05:00z', Date.UTC(2025, 0, 15, 12, 5, 0)],
    ['2025-01-15T12:05:00.250Z', Date.UTC(2025, 0, 15, 12, 5, 0, 250)],
    ['2025-01-15T14:05:00+02:00', Date.UTC(2025, 0, 15, 12, 5, 0)],
    ['2025-01-15T07:35:00-04:30', Date.UTC(2025, 0, 15, 12, 5, 0)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2016-12-31T23:59:60Z', Date.UTC(2016, 11, 31, 23, 59, 59, 999)],
  ])('reads %s', (value, expected) => {
    expect(Expires.parse(value)).toBe(expected)
  })

  it.each([
    '2025-01-15',
    '2025-01-15 12:05:00Z',
    '2025-01-15T12:05:00',
    '2025-1-15T12:05:00Z',
    '2025-13-01T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2100-02-29T00:00:00Z',
    '2025-04-31T00:00:00Z',
    '2025-01-15T24:00:00Z',
    '2025-01-15T12:60:00Z',
    '2025-01-15T12:05:61Z',
    '2025-01-15T12:05:00+24:00',
    ' 2025-01-15T12:05:00Z',
    '1736942700',
    `2025-01-15T12:05:00.${'9'.repeat(100)}Z`,
  ])('refuses %j', (value) => {
    expect(() => Expires.parse(value)).toThrow(Expires.InvalidExpiresError)
  })
})

describe('Expires', () => {
  const now = Date.UTC(2025, 0, 15, 12, 0, 0)

  it('formats UTC at second precision and round-trips', () => {
    expect(Expires.format(now + 123)).toBe('2025-01-15T12:00:00Z')
    expect(Expires.parse(Expires.inSeconds(300, now))).toBe(now + 300_000)
  })

  it('treats a challenge past its expiry, beyond the skew, as expired {core.client.no-expired}', () => {
    expect(Expires.isExpired('2025-01-15T11:59:00Z', { now, skewSeconds: 30 })).toBe(true)
    expect(Expires.isExpired('2025-01-15T11:59:45Z', { now, skewSeconds: 30 })).toBe(false)
    expect(Expires.isExpired('2025-01-15T11:59:45Z', { now, skewSeconds: 0 })).toBe(true)
    expect(Expires.isExpired('2025-01-15T12:05:00Z', { now })).toBe(false)
  })

  it('raises ExpiredError mapped to payment-expired (draft -01) {charge.verify.not-expired, core.status.payment-expired}', () => {
    expect(() => Expires.assert('2025-01-15T11:00:00Z', { now })).toThrow(Expires.ExpiredError)
    const error = new Expires.ExpiredError('x')
    expect(error.type).toBe('https://paymentauth.org/problems/payment-expired')
    expect(() => Expires.assert('2025-01-15T13:00:00Z', { now })).not.toThrow()
  })
})

describe('Expires.format', () => {
  it('writes any sequence of instants as their UTC second, numbers and Dates alike', () => {
    const instant = fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 })
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            instant,
            instant.map((ms) => ms - (ms % 1000)),
          ),
        ),
        (list) => {
          for (const ms of list) {
            const expected = `${new Date(ms).toISOString().slice(0, 19)}Z`
            expect(Expires.format(ms)).toBe(expected)
            expect(Expires.format(new Date(ms))).toBe(expected)
          }
        },
      ),
    )
    expect(() => Expires.format(new Date(Number.NaN))).toThrow(RangeError)
  })
})
