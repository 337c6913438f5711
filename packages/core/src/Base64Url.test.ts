import { describe, expect, it } from 'vitest'
import * as Base64Url from './Base64Url.js'

const rfc4648 = [
  ['', ''],
  ['f', 'Zg'],
  ['fo', 'Zm8'],
  ['foo', 'Zm9v'],
  ['foob', 'Zm9vYg'],
  ['fooba', 'Zm9vYmE'],
  ['foobar', 'Zm9vYmFy'],
] as const

describe('Base64Url', () => {
  it.each(rfc4648)('encodes %j as %j (RFC 4648 §10 without padding)', (text, encoded) => {
    expect(Base64Url.encode(text)).toBe(encoded)
    expect(Base64Url.decodeString(encoded)).toBe(text)
  })

  it('uses - and _ instead of + and /', () => {
    const bytes = new Uint8Array([0xfb, 0xff, 0xbf])
    expect(Base64Url.encode(bytes)).toBe('-_-_')
    expect(Base64Url.decode('-_-_')).toEqual(bytes)
  })

  it.each([
    ['Zg==', "padding '='"],
    ['Zm9v+g', "'+'"],
    ['Zm9v/g', "'/'"],
    ['Zm9v Yg', 'U+0020'],
    ['Zm9v\nYg', 'U+000a'],
    ['Zm9véA', 'U+00e9'],
  ])('refuses %j', (input, shown) => {
    expect(() => Base64Url.decode(input)).toThrow(Base64Url.InvalidBase64UrlError)
    expect(() => Base64Url.decode(input)).toThrow(shown)
  })

  it('refuses a length of 4n+1', () => {
    expect(() => Base64Url.decode('Zm9vY')).toThrow(/length of 5/)
  })

  it('refuses non-canonical trailing bits', () => {
    expect(Base64Url.decodeString('Zg')).toBe('f')
    expect(() => Base64Url.decode('Zh')).toThrow(/trailing bits/)
    expect(() => Base64Url.decode('Zm9')).toThrow(/trailing bits/)
  })

  it('refuses bytes that are not UTF-8 when a string is asked for', () => {
    expect(() => Base64Url.decodeString(Base64Url.encode(new Uint8Array([0xff])))).toThrow(/UTF-8/)
  })

  it('maps decoding failures to malformed-credential', () => {
    const error = new Base64Url.InvalidBase64UrlError('x')
    expect(error.code).toBe('ERR_BASE64URL_INVALID')
    expect(error.type).toBe('https://paymentauth.org/problems/malformed-credential')
    expect(error.status).toBe(402)
  })

  it('validates', () => {
    expect(Base64Url.validate('Zm9v')).toBe(true)
    expect(Base64Url.validate('')).toBe(false)
    expect(Base64Url.validate('Zm9v=')).toBe(false)
  })
})
