import { describe, expect, it } from 'vitest'
import { isLoopback, secure } from './transport.js'

const config = (plaintext: 'loopback' | 'refuse' | 'allow', trustForwardedProto = false) => ({
  plaintext,
  trustForwardedProto,
})

describe('transport', () => {
  it('accepts HTTPS requests in every mode {core.tls.use}', () => {
    for (const mode of ['loopback', 'refuse', 'allow'] as const)
      expect(secure(config(mode), new Request('https://api.example.com/paid'))).toBe(true)
  })

  it('refuses plain HTTP to a public host unless told to allow it {core.tls.server-no-plaintext, core.tls.reject-plaintext}', () => {
    const request = new Request('http://api.example.com/paid')
    expect(secure(config('loopback'), request)).toBe(false)
    expect(secure(config('refuse'), request)).toBe(false)
    expect(secure(config('allow'), request)).toBe(true)
  })

  it('allows plain HTTP to loopback hosts only in loopback mode', () => {
    for (const url of [
      'http://127.0.0.1:8080/',
      'http://localhost/',
      'http://[::1]:3000/',
      'http://api.localhost/',
    ])
      expect(secure(config('loopback'), new Request(url))).toBe(true)
    expect(secure(config('refuse'), new Request('http://127.0.0.1/'))).toBe(false)
  })

  it('trusts X-Forwarded-Proto only when configured, and only the last proxy hop', () => {
    const viaProxy = (value: string) =>
      new Request('http://api.example.com/paid', { headers: { 'x-forwarded-proto': value } })
    expect(secure(config('refuse'), viaProxy('https'))).toBe(false)
    expect(secure(config('refuse', true), viaProxy('https'))).toBe(true)
    expect(secure(config('refuse', true), viaProxy('HTTPS'))).toBe(true)
    expect(secure(config('refuse', true), viaProxy('https, http'))).toBe(false)
    expect(secure(config('refuse', true), viaProxy('http'))).toBe(false)
  })

  it('does not take look-alike hosts for loopback', () => {
    for (const host of [
      '127.0.0.1.example.com',
      'localhost.example.com',
      '128.0.0.1',
      '127.0.0.256',
      '127.0.0',
      '::1',
    ])
      expect(isLoopback(host)).toBe(false)
  })
})
