import { describe, expect, it } from 'vitest'
import * as Secret from './Secret.js'

describe('Secret', () => {
  it('accepts 32 bytes or more', () => {
    expect(Secret.from(`${'k'.repeat(31)}x`).length).toBe(32)
    expect(Secret.from(crypto.getRandomValues(new Uint8Array(64))).length).toBe(64)
  })

  it('refuses a secret shorter than 32 bytes without echoing it {core.secret.no-log}', () => {
    const attempt = () => Secret.from('short-secret-value')
    expect(attempt).toThrow(Secret.InvalidSecretError)
    expect(attempt).toThrow(/18 bytes; at least 32/)
    for (const unfit of [
      'short-secret-value',
      'q'.repeat(40),
      'changemechangemechangemechangeme',
    ]) {
      let message = ''
      try {
        Secret.from(unfit)
      } catch (error) {
        message = (error as Error).message
      }
      expect(message).not.toBe('')
      expect(message).not.toContain(unfit.slice(0, 8))
    }
  })

  it.each([
    '',
    'a'.repeat(64),
    'changeme'.repeat(4),
    'secretsecretsecretsecretsecretsecret',
    'PaywirePaywirePaywirePaywirePaywire',
  ])('refuses the unfit secret %j', (value) => {
    expect(() => Secret.from(value)).toThrow(Secret.InvalidSecretError)
  })

  it('generates distinct 32-byte secrets that Secret.from accepts', () => {
    const a = Secret.generate()
    const b = Secret.generate()
    expect(a).not.toBe(b)
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(Secret.from(a).length).toBe(43)
  })

  it('copies bytes so later mutation of the input does not change the secret', () => {
    const input = crypto.getRandomValues(new Uint8Array(32))
    const secret = Secret.from(input)
    const before = Uint8Array.from(secret)
    input.fill(0)
    expect(secret).toEqual(before)
  })
})
