// `-v` and `-i` output: credentials never printed.
import { describe, expect, it } from 'vitest'
import * as Transcript from './Transcript.js'

describe('Transcript', () => {
  it('keeps only the scheme of Authorization and hides cookies', () => {
    expect(Transcript.redact('Authorization', 'Payment eyJjaGFsbGVuZ2UiOnt9fQ')).toBe(
      'Payment [redacted]',
    )
    expect(Transcript.redact('proxy-authorization', 'Basic dXNlcjpwdw==')).toBe('Basic [redacted]')
    expect(Transcript.redact('authorization', 'token-without-scheme')).toBe('[redacted]')
    expect(Transcript.redact('Set-Cookie', 'session=abc')).toBe('[redacted]')
    expect(Transcript.redact('WWW-Authenticate', 'Payment id="x"')).toBe('Payment id="x"')
  })

  it('keeps only the scheme of a credential in Payment-Authorization {core.storage.credential-headers}', () => {
    expect(Transcript.redact('Payment-Authorization', 'Payment eyJjaGFsbGVuZ2UiOnt9fQ')).toBe(
      'Payment [redacted]',
    )
  })

  it('prints request lines without user info', () => {
    const lines = Transcript.request(
      'POST',
      new URL('https://user:pw@api.example.com/paid?x=1'),
      new Headers({ authorization: 'Payment abc' }),
    )
    expect(lines).toEqual([
      '> POST /paid?x=1 HTTP/1.1',
      '> Host: api.example.com',
      '> authorization: Payment [redacted]',
      '>',
    ])
    expect(lines.join('\n')).not.toContain('pw')
  })
})
