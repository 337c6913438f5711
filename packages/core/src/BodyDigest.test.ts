import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import * as BodyDigest from './BodyDigest.js'

describe('BodyDigest', () => {
  it('computes the RFC 9530 example digest {core.digest.verify}', () => {
    expect(BodyDigest.compute('{"hello": "world"}')).toBe(
      'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:',
    )
  })

  it('computes sha-512 as node:crypto does', () => {
    const body = new Uint8Array([0, 1, 2, 255])
    const expected = createHash('sha512').update(body).digest('base64')
    expect(BodyDigest.compute(body, 'sha-512')).toBe(`sha-512=:${expected}:`)
  })

  it('verifies the body a digest was computed from {core.digest.verify}', () => {
    const digest = BodyDigest.compute('{"q":"weather"}')
    expect(BodyDigest.verify(digest, '{"q":"weather"}')).toBe(true)
    expect(BodyDigest.verify(digest, new TextEncoder().encode('{"q":"weather"}'))).toBe(true)
  })

  it('refuses a body that differs from the digested one {core.digest.reject-mismatch}', () => {
    const digest = BodyDigest.compute('{"q":"weather"}')
    expect(BodyDigest.verify(digest, '{"q":"weather!"}')).toBe(false)
    expect(BodyDigest.verify(digest, '')).toBe(false)
  })

  it('requires every supported algorithm present to match', () => {
    const good256 = BodyDigest.compute('a')
    const bad512 = BodyDigest.compute('b', 'sha-512')
    expect(BodyDigest.verify(`${good256}, ${bad512}`, 'a')).toBe(false)
    expect(BodyDigest.verify(`${good256}, ${BodyDigest.compute('a', 'sha-512')}`, 'a')).toBe(true)
  })

  it('refuses a digest with no supported algorithm', () => {
    expect(BodyDigest.verify('md5=:AAAA:', 'a')).toBe(false)
  })

  it.each([
    'sha-256',
    'sha-256=X48E',
    'sha-256=:abc:',
    'SHA-256=:AAAA:',
    'sha-256=:AAAA:;p=1',
    'sha-256=:AAAA:, sha-256=:AAAA:',
  ])('refuses the malformed digest %j', (value) => {
    expect(() => BodyDigest.parse(value)).toThrow(BodyDigest.InvalidDigestError)
  })
})
