// JWK thumbprints (RFC 7638, RFC 8037 Appendix A.3) and Ed25519 key handling.
import { describe, expect, it } from 'vitest'
import { Jwk } from './index.js'
import * as Rfc from './test/rfc9421.js'

describe('Jwk', () => {
  it('computes the RFC 8037 Appendix A.3 thumbprint {webbotauth.sign.keyid-thumbprint}', () => {
    expect(
      Jwk.thumbprint({
        kty: 'OKP',
        crv: 'Ed25519',
        x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
      }),
    ).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k')
  })

  it('gives the draft test vectors’ keyids for the RFC 9421 keys {webbotauth.sign.keyid-thumbprint}', () => {
    expect(Jwk.thumbprint(Rfc.ed25519)).toBe('poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U')
    expect(Jwk.thumbprint(Rfc.rsaPss)).toBe('oD0HwocPBSfpNy5W3bpJeyFGY_IQ_YpqxSjQ3Yd-CLA')
  })

  it('reads a private key back and refuses one whose halves do not match', () => {
    const key = Jwk.generate()
    expect(Jwk.parsePrivate({ ...key, kid: undefined })).toEqual(key)
    expect(() => Jwk.parsePrivate({ ...key, x: Jwk.generate().x })).toThrow(Jwk.InvalidKeyError)
    expect(() => Jwk.parsePrivate({ kty: 'RSA' })).toThrow(Jwk.InvalidKeyError)
  })

  it('publishes only the public half, with its thumbprint as kid', () => {
    const key = Jwk.generate()
    const published = Jwk.toPublic(key)
    expect(published).not.toHaveProperty('d')
    expect(published.kid).toBe(key.kid)
    expect(Jwk.parsePublic({ ...published, d: key.d })).toBeUndefined()
  })
})
