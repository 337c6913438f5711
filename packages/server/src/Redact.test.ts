import { describe, expect, it } from 'vitest'
import * as Redact from './Redact.js'

describe('Redact', () => {
  it('redacts credentials, receipts and cookies in headers, keeping the scheme {core.storage.sensitive-headers}', () => {
    expect(
      Redact.headers(
        new Headers({
          authorization: 'Payment eyJjaGFsbGVuZ2UiOnt9fQ',
          'payment-receipt': 'eyJzdGF0dXMiOiJzdWNjZXNzIn0',
          cookie: 'session=abc',
          accept: 'application/json',
        }),
      ),
    ).toEqual({
      authorization: 'Payment [redacted]',
      'payment-receipt': '[redacted]',
      cookie: '[redacted]',
      accept: 'application/json',
    })
  })

  it('redacts a credential in Payment-Authorization like one in Authorization {core.storage.credential-headers}', () => {
    expect(
      Redact.headers(
        new Headers({
          authorization: 'Bearer mF_9.B5f-4.1JqM',
          'payment-authorization': 'Payment eyJjaGFsbGVuZ2UiOnt9fQ',
        }),
      ),
    ).toEqual({
      authorization: 'Bearer [redacted]',
      'payment-authorization': 'Payment [redacted]',
    })
    expect(Redact.text('sent Payment-Authorization: Payment eyJjaGFsbGVuZ2UiOnt9fQ')).toBe(
      'sent Payment-Authorization: Payment [redacted]',
    )
  })

  it('redacts Node-style header objects with arrays and absent values', () => {
    expect(
      Redact.headers({
        Authorization: ['Payment abc', 'Bearer xyz'],
        'x-a': undefined,
        'x-b': '1',
      }),
    ).toEqual({ authorization: 'Payment [redacted]', 'x-b': '1' })
  })

  it('redacts an Authorization value with no recognisable scheme entirely', () => {
    expect(Redact.authorization('eyJhbGciOi')).toBe('[redacted]')
    expect(Redact.authorization('Payment eyJhbGciOi')).toBe('Payment [redacted]')
  })

  it('redacts Payment tokens inside free text', () => {
    expect(Redact.text('retry failed: Authorization: Payment eyJjaGFsbGVuZ2Ui and more')).toBe(
      'retry failed: Authorization: Payment [redacted] and more',
    )
    expect(Redact.text('payment-receipt=eyJzdGF0dXMiOiJzdWNj')).toBe('payment-receipt=[redacted]')
  })
})
