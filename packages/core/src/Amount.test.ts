import { describe, expect, it } from 'vitest'
import * as Amount from './Amount.js'

describe('Amount', () => {
  it.each(['0', '1', '1000', (2n ** 256n - 1n).toString()])('accepts %s', (value) => {
    expect(Amount.schema.safeParse(value).success).toBe(true)
    expect(Amount.fromBigInt(Amount.toBigInt(value))).toBe(value)
  })

  it.each([
    '',
    '-1',
    '+1',
    '01',
    '1e3',
    '1.5',
    '0x10',
    ' 1000',
    '1000 ',
    '1000abc',
    '１',
    (2n ** 256n).toString(),
  ])('refuses %j', (value) => {
    expect(Amount.schema.safeParse(value).success).toBe(false)
    expect(() => Amount.toBigInt(value)).toThrow(Amount.InvalidAmountError)
  })

  it('refuses numbers that are not strings', () => {
    expect(Amount.schema.safeParse(1000).success).toBe(false)
  })

  it('refuses negative bigints', () => {
    expect(() => Amount.fromBigInt(-1n)).toThrow(Amount.InvalidAmountError)
  })
})
