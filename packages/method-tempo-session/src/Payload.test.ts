import { describe, expect, it } from 'vitest'
import * as Payload from './Payload.js'

const channelId = `0x${'6D'.repeat(32)}`
const signature = `0x${'AB'.repeat(65)}`

describe('Payload.parse', () => {
  it('parses the four actions, amounts to bigints and hex to lower case {tempo.session.encoding.accept-mixed-case}', () => {
    expect(
      Payload.parse({ action: 'voucher', channelId, cumulativeAmount: '250000', signature }),
    ).toEqual({
      action: 'voucher',
      channelId: channelId.toLowerCase(),
      cumulativeAmount: 250_000n,
      signature: signature.toLowerCase(),
    })
    expect(
      Payload.parse({
        action: 'open',
        type: 'transaction',
        channelId,
        transaction: '0x76f9',
        cumulativeAmount: '0',
        signature: `0x${'ab'.repeat(64)}`,
      }),
    ).toMatchObject({ action: 'open', cumulativeAmount: 0n })
    expect(
      Payload.parse({
        action: 'topUp',
        type: 'transaction',
        channelId,
        transaction: '0x76f9',
        additionalDeposit: '5000000',
      }),
    ).toMatchObject({ action: 'topUp', additionalDeposit: 5_000_000n })
    expect(
      Payload.parse({ action: 'close', channelId, cumulativeAmount: '1', signature }),
    ).toMatchObject({ action: 'close', cumulativeAmount: 1n })
  })

  it('ignores unknown fields {tempo.session.forward-compat.ignore-unknown}', () => {
    expect(
      Payload.parse({
        action: 'voucher',
        channelId,
        cumulativeAmount: '1',
        signature,
        descriptor: { payer: '0x' },
        future: true,
      }),
    ).toMatchObject({ action: 'voucher', cumulativeAmount: 1n })
  })

  it('refuses unknown actions {tempo.session.action.unknown-rejected}', () => {
    expect(() => Payload.parse({ action: 'refund', channelId })).toThrow(
      Payload.MalformedPayloadError,
    )
  })

  it.each([
    ['a short channel id', { channelId: '0x1234' }],
    ['a 63-byte signature', { signature: `0x${'ab'.repeat(63)}` }],
    ['a number amount', { cumulativeAmount: 250000 }],
    ['a negative amount', { cumulativeAmount: '-1' }],
    ['an amount above uint128', { cumulativeAmount: (2n ** 128n).toString() }],
    ['an exponent', { cumulativeAmount: '1e6' }],
    ['a missing signature', { signature: undefined }],
  ] as const)('refuses %s before any ECDSA work {tempo.session.dos.format-first}', (_, change) => {
    const payload = { action: 'voucher', channelId, cumulativeAmount: '1', signature, ...change }
    let error: unknown
    try {
      Payload.parse(payload)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(Payload.MalformedPayloadError)
    expect(error).toMatchObject({
      code: 'ERR_SESSION_PAYLOAD_MALFORMED',
      type: 'https://paymentauth.org/problems/malformed-credential',
    })
  })
})
