// Serving and reading key directories.
import { describe, expect, it } from 'vitest'
import { Directory, Jwk } from './index.js'

describe('Directory', () => {
  it('serves a JWK Set with the directory media type {webbotauth.directory.media-type, webbotauth.directory.format}', async () => {
    const key = Jwk.generate()
    const response = Directory.response(Directory.from([key]), { maxAge: 60 })
    expect(response.headers.get('content-type')).toBe(Directory.mediaType)
    expect(response.headers.get('cache-control')).toBe('max-age=60')
    const body = (await response.json()) as Directory.Directory
    expect(body.keys).toEqual([Jwk.toPublic(key)])
  })

  it('reads only usable public keys, by thumbprint {webbotauth.directory.validate}', () => {
    const key = Jwk.generate()
    const body = JSON.stringify({
      keys: [
        Jwk.toPublic(key),
        { kty: 'OKP', crv: 'X25519', x: 'abc' },
        { ...Jwk.toPublic(Jwk.generate()), d: 'leak' },
        'text',
      ],
    })
    const keys = Directory.parse(body, { url: 'https://agent.example/keys' })
    expect([...keys.keys()]).toEqual([key.kid])
  })
})
