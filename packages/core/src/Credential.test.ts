import { describe, expect, it } from 'vitest'
import * as Base64Url from './Base64Url.js'
import * as Challenge from './Challenge.js'
import * as Credential from './Credential.js'
import * as Secret from './Secret.js'

const secret = Secret.from('test-secret-that-is-at-least-32-bytes-long')
const challenge = Challenge.from(
  {
    realm: 'api.example.com',
    method: 'tempo',
    intent: 'charge',
    request: { amount: '1000', currency: 'usd' },
    expires: '2030-01-15T12:05:00Z',
    description: 'A report',
  },
  { secret },
)

describe('Credential', () => {
  it('echoes the challenge unchanged and round-trips through the Authorization header {core.credential.echo}', () => {
    const credential = Credential.from({
      challenge,
      payload: { hash: '0xabc' },
      source: 'did:example:alice',
    })
    const header = Credential.toAuthorization(credential)
    expect(header).toMatch(/^Payment [A-Za-z0-9_-]+$/)
    const parsed = Credential.fromAuthorization(header)
    expect(parsed).toEqual(credential)
    expect(parsed?.challenge).toEqual(challenge)
    expect(Challenge.verify(parsed?.challenge as Challenge.Challenge, { secret })).toBe(true)
  })

  it('returns opaque exactly as the challenge carried it {core.challenge.opaque.unchanged}', () => {
    const withOpaque = Challenge.from(
      {
        realm: 'api.example.com',
        method: 'tempo',
        intent: 'charge',
        request: { amount: '1000', currency: 'usd' },
        opaque: { pi: 'pi_3MtwBwLkdIwHu7ix28a3tqPa', route: 'GET /report' },
      },
      { secret },
    )
    const credential = Credential.from({ challenge: withOpaque, payload: { hash: '0x1' } })
    const echoed = Credential.fromAuthorization(Credential.toAuthorization(credential))?.challenge
    expect(echoed?.opaque).toBe(withOpaque.opaque)
    expect(Challenge.decodeOpaque(echoed ?? {})).toEqual({
      pi: 'pi_3MtwBwLkdIwHu7ix28a3tqPa',
      route: 'GET /report',
    })
    expect(Challenge.verify(echoed as Challenge.Challenge, { secret })).toBe(true)
  })

  it('omits source when absent', () => {
    const credential = Credential.from({ challenge, payload: {} })
    expect('source' in credential).toBe(false)
    expect(Credential.deserialize(Credential.serialize(credential))).toEqual(credential)
  })

  it('ignores unknown members of the credential {core.versioning.ignore-unknown}', () => {
    const token = Base64Url.encode(JSON.stringify({ challenge, payload: {}, future: { x: 1 } }))
    expect(Credential.deserialize(token)).toEqual({ challenge, payload: {} })
  })

  it('returns undefined for another scheme and reads the scheme case-insensitively {core.credential.scheme-case}', () => {
    expect(Credential.fromAuthorization('Bearer abc')).toBeUndefined()
    expect(Credential.fromAuthorization(null)).toBeUndefined()
    const token = Credential.serialize(Credential.from({ challenge, payload: {} }))
    for (const scheme of ['payment', 'PAYMENT', 'pAyMeNt'])
      expect(Credential.fromAuthorization(`${scheme} ${token}`)?.challenge.id).toBe(challenge.id)
  })

  it.each([
    ['padded base64url', (t: string) => `${t}=`],
    ['standard base64 characters', (t: string) => t.replace(/[A-Za-z]/, '+')],
    ['whitespace inside', (t: string) => `${t.slice(0, 10)} ${t.slice(10)}`],
  ])('refuses %s {core.status.malformed-credential}', (_, mangle) => {
    const token = Credential.serialize(Credential.from({ challenge, payload: {} }))
    expect(() => Credential.deserialize(mangle(token))).toThrow(
      expect.objectContaining({
        code: 'ERR_CREDENTIAL_MALFORMED',
        type: 'https://paymentauth.org/problems/malformed-credential',
        status: 402,
      }),
    )
  })

  it.each([
    ['non-JSON', 'hello'],
    ['a JSON array', '[]'],
    ['a JSON string', '"x"'],
    ['null', 'null'],
    ['a missing challenge', '{"payload":{}}'],
    ['a missing payload', `{"challenge":${JSON.stringify(challenge)}}`],
    ['a payload that is not an object', `{"challenge":${JSON.stringify(challenge)},"payload":"x"}`],
    [
      'a source that is not a string',
      `{"challenge":${JSON.stringify(challenge)},"payload":{},"source":1}`,
    ],
    [
      'an echo without id',
      `{"challenge":${JSON.stringify({ ...challenge, id: undefined })},"payload":{}}`,
    ],
  ])(
    'refuses %s with a typed error naming no token content {core.status.malformed-credential}',
    (_, text) => {
      const token = Base64Url.encode(text)
      expect(() => Credential.deserialize(token)).toThrow(Credential.MalformedCredentialError)
      try {
        Credential.deserialize(token)
      } catch (error) {
        expect((error as Error).message).not.toContain(token)
        expect((error as Credential.MalformedCredentialError).status).toBe(402)
      }
    },
  )

  it('refuses a token whose JSON starts with a UTF-8 byte order mark: one credential has one byte form {core.status.malformed-credential}', () => {
    const json = JSON.stringify(Credential.from({ challenge, payload: {} }))
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(json)])
    expect(() => Credential.deserialize(Base64Url.encode(bom))).toThrow(
      Credential.MalformedCredentialError,
    )
    expect(Credential.deserialize(Base64Url.encode(json)).challenge.id).toBe(challenge.id)
  })

  it.each([
    [
      'the credential',
      (json: string) => json.replace('{"challenge"', '{"payload":{"x":1},"challenge"'),
    ],
    [
      'the payload',
      (json: string) => json.replace('"payload":{', '"payload":{"hash":"0x1","hash":"0x2",'),
    ],
    [
      'the echoed challenge',
      (json: string) => json.replace('"realm":', '"realm":"evil.example","realm":'),
    ],
  ])(
    'refuses a member named twice in %s (no last-wins reading) {core.status.malformed-credential}',
    (_, twice) => {
      const json = JSON.stringify(Credential.from({ challenge, payload: { hash: '0x0' } }))
      const token = Base64Url.encode(twice(json))
      expect(token).not.toBe(Base64Url.encode(json))
      expect(() => Credential.deserialize(token)).toThrow(Credential.MalformedCredentialError)
    },
  )

  it('refuses a request whose decoded JSON names a member twice', () => {
    const request = Base64Url.encode('{"amount":"1","amount":"1000000","currency":"usd"}')
    expect(() => Challenge.decodeRequest({ ...challenge, request })).toThrow(
      expect.objectContaining({ type: 'https://paymentauth.org/problems/malformed-credential' }),
    )
  })

  it('refuses a Payment credential sharing the Authorization field with another scheme (RFC 9110 §11.6.2: one credentials per field)', () => {
    const token = Credential.serialize(Credential.from({ challenge, payload: {} }))
    for (const header of [
      `Bearer x, Payment ${token}`,
      `Payment ${token}, Bearer x`,
      `Basic YTpi, payment ${token}`,
    ])
      expect(() => Credential.fromAuthorization(header)).toThrow(
        expect.objectContaining({ code: 'ERR_CREDENTIAL_MULTIPLE', httpStatus: 400 }),
      )
    expect(Credential.fromAuthorization('Bearer x, Basic YTpi')).toBeUndefined()
  })

  it('keeps the token and the proof it carries out of error messages {core.credential.no-log}', () => {
    const proof = 'proof-4f9c2a7e-do-not-log'
    const echo = JSON.stringify(challenge)
    const texts = [
      `{"challenge":${echo},"payload":{"signature":"${proof}"},"source":7}`,
      `{"challenge":${echo},"payload":"${proof}"}`,
      `{"challenge":${JSON.stringify({ ...challenge, method: 'Tempo' })},"payload":{"signature":"${proof}"}}`,
      `{"payload":{"signature":"${proof}"}}`,
      `{"challenge":${echo},"payload":{"signature":"${proof}"}`,
    ]
    for (const text of texts) {
      const token = Base64Url.encode(text)
      for (const read of [
        () => Credential.deserialize(token),
        () => Credential.fromAuthorization(`Payment ${token}=`),
      ]) {
        let error: Credential.MalformedCredentialError | undefined
        try {
          read()
        } catch (caught) {
          error = caught as Credential.MalformedCredentialError
        }
        expect(error).toBeInstanceOf(Credential.MalformedCredentialError)
        const visible = `${error?.message} ${JSON.stringify(error?.toProblem())}`
        expect(visible).not.toContain(proof)
        expect(visible).not.toContain(token.slice(0, 16))
      }
    }
  })

  it('refuses a second Payment credential in the same header {core.server.multiple-credentials}', () => {
    const token = Credential.serialize(Credential.from({ challenge, payload: {} }))
    const read = () => Credential.fromAuthorization(`Payment ${token}, Payment ${token}`)
    expect(read).toThrow(Credential.MultipleCredentialsError)
    expect(read).toThrow(expect.objectContaining({ httpStatus: 400 }))
  })

  it('refuses a credential larger than the limit before decoding it', () => {
    expect(() => Credential.deserialize('A'.repeat(Credential.maxLength + 4))).toThrow(/exceeds/)
  })

  it('accepts a credential of at least 4 KB {core.size.credential-4kb}', () => {
    const credential = Credential.from({ challenge, payload: { blob: 'x'.repeat(6000) } })
    const token = Credential.serialize(credential)
    expect(token.length).toBeGreaterThan(4096)
    expect(Credential.deserialize(token)).toEqual(credential)
  })
})
