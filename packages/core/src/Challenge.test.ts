import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import * as Base64Url from './Base64Url.js'
import * as Challenge from './Challenge.js'
import * as Secret from './Secret.js'

const secret = Secret.from('test-secret-that-is-at-least-32-bytes-long')
const previous = Secret.from('previous-secret-that-is-also-32-bytes-long')

function issue(overrides: Partial<Challenge.from.Parameters> = {}, key: Uint8Array = secret) {
  return Challenge.from(
    {
      realm: 'api.example.com',
      method: 'tempo',
      intent: 'charge',
      request: {
        amount: '1000',
        currency: '0x20c0000000000000000000000000000000000000',
        recipient: '0xabc',
      },
      expires: '2025-01-15T12:05:00Z',
      opaque: { route: 'GET /paid' },
      ...overrides,
    },
    { secret: key },
  )
}

describe('Challenge.from', () => {
  it('canonicalizes and encodes request and opaque {core.challenge.request.jcs, core.challenge.opaque.jcs, charge.request.jcs}', () => {
    const challenge = issue({ request: { currency: 'usd', amount: '1000' } })
    expect(Base64Url.decodeString(challenge.request)).toBe('{"amount":"1000","currency":"usd"}')
    expect(Base64Url.decodeString(challenge.opaque ?? '')).toBe('{"route":"GET /paid"}')
    expect(challenge.request).not.toContain('=')
  })

  it('computes the id as HMAC-SHA256 over the seven pipe-joined slots {core.binding.hmac, core.challenge.id.bound}', () => {
    const challenge = issue({ digest: 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:' })
    const input = [
      challenge.realm,
      challenge.method,
      challenge.intent,
      challenge.request,
      challenge.expires,
      challenge.digest,
      challenge.opaque,
    ].join('|')
    const expected = createHmac('sha256', secret).update(input).digest('base64url')
    expect(challenge.id).toBe(expected)
  })

  it('uses an empty slot for each absent optional field {core.binding.hmac}', () => {
    const challenge = Challenge.from(
      { realm: 'r', method: 'tempo', intent: 'charge', request: { amount: '1', currency: 'usd' } },
      { secret },
    )
    const input = `r|tempo|charge|${challenge.request}|||`
    expect(challenge.id).toBe(createHmac('sha256', secret).update(input).digest('base64url'))
  })

  it('does not bind description', () => {
    expect(issue({ description: 'one' }).id).toBe(issue({ description: 'two' }).id)
  })

  it('distinguishes expires-only from digest-only in the binding {core.binding.hmac}', () => {
    const a = Challenge.computeId(
      { realm: 'r', method: 'm', intent: 'i', request: 'e30', expires: 'x' },
      secret,
    )
    const b = Challenge.computeId(
      { realm: 'r', method: 'm', intent: 'i', request: 'e30', digest: 'x' },
      secret,
    )
    expect(a).not.toBe(b)
  })

  it('accepts an id bound another way (stateful binding) {core.binding.stateful-or-stateless}', () => {
    const challenge = Challenge.from(
      { realm: 'r', method: 'tempo', intent: 'charge', request: { amount: '1', currency: 'usd' } },
      { id: 'row-42' },
    )
    expect(challenge.id).toBe('row-42')
  })

  it.each([
    ['an uppercase method', { method: 'Tempo' }],
    ['a method with digits', { method: 'tempo2' }],
    ['a method with a Cyrillic look-alike', { method: 'temp\u043e' }],
  ])('refuses %s {core.challenge.method.lowercase}', (_, overrides) => {
    expect(() => issue(overrides)).toThrow(/method must be lowercase ASCII letters/)
  })

  it.each([
    ['an intent with a space', { intent: 'char ge' }],
    ['an expires that is not RFC 3339', { expires: 'tomorrow' }],
  ])('refuses %s', (_, overrides) => {
    expect(() => issue(overrides)).toThrow(Challenge.InvalidChallengeError)
  })

  it('refuses to build a challenge with an empty id {core.challenge.id.server-emit}', () => {
    const parameters = {
      realm: 'r',
      method: 'tempo',
      intent: 'charge',
      request: { amount: '1', currency: 'usd' },
    }
    expect(() => Challenge.from(parameters, { id: '' })).toThrow(/id must be non-empty/)
    const built = Challenge.from(parameters, { secret })
    expect(built.id).toMatch(/^[A-Za-z0-9_-]{43}$/)
    // Nor serialize one built by hand.
    expect(() => Challenge.serialize({ ...built, id: '' })).toThrow(Challenge.InvalidChallengeError)
  })

  it('refuses to build a challenge without a realm {core.challenge.realm.required}', () => {
    const parameters = {
      method: 'tempo',
      intent: 'charge',
      request: { amount: '1', currency: 'usd' },
    }
    expect(() =>
      Challenge.from(parameters as unknown as Challenge.from.Parameters, { secret }),
    ).toThrow(Challenge.InvalidChallengeError)
    expect(Challenge.serialize(issue())).toContain(', realm="api.example.com", ')
  })

  it('refuses an opaque value that is not a flat string map {core.challenge.opaque.flat}', () => {
    expect(() =>
      issue({ opaque: { nested: { a: 'b' } } as unknown as Record<string, string> }),
    ).toThrow(Challenge.InvalidChallengeError)
  })

  it.each([
    ['a nested object', '{"route":{"a":"b"}}'],
    ['a number member', '{"n":1}'],
    ['an array', '["a"]'],
    ['null', 'null'],
  ])('refuses a received opaque that encodes %s {core.challenge.opaque.flat}', (_, text) => {
    const opaque = Base64Url.encode(text)
    expect(() => Challenge.validated({ ...issue(), opaque })).toThrow(
      Challenge.InvalidChallengeError,
    )
  })

  it('refuses a received opaque that is not canonical JSON {core.challenge.opaque.jcs}', () => {
    const reordered = Base64Url.encode('{"route":"GET /paid","nonce":"1"}')
    expect(() => Challenge.validated({ ...issue(), opaque: reordered })).toThrow(
      /JSON Canonicalization/,
    )
    const canonical = Base64Url.encode('{"nonce":"1","route":"GET /paid"}')
    const challenge = Challenge.validated({ ...issue(), opaque: canonical })
    expect(Challenge.decodeOpaque(challenge)).toEqual({ nonce: '1', route: 'GET /paid' })
  })
})

describe('Challenge.verify', () => {
  it('accepts a challenge bound under the current secret {core.binding.verify}', () => {
    expect(Challenge.verify(issue(), { secret })).toBe(true)
  })

  it('accepts a challenge bound under a previous secret during rotation {core.secret.rotation}', () => {
    const old = issue({}, previous)
    expect(Challenge.verify(old, { secret })).toBe(false)
    expect(Challenge.verify(old, { secret, previousSecrets: [previous] })).toBe(true)
  })

  it.each(Challenge.boundFields)(
    'refuses a challenge whose %s was changed {core.binding.verify, core.binding.all-params, core.binding.opaque}',
    (field) => {
      const challenge = issue({ digest: 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:' })
      const tampered = {
        ...challenge,
        [field]:
          field === 'request' ? Challenge.encodeRequest({ amount: '1' }) : `${challenge[field]}x`,
      }
      expect(Challenge.verify(tampered, { secret })).toBe(false)
    },
  )

  it('verifies a challenge whatever its description says {core.challenge.description.not-verified}', () => {
    const challenge = issue({ description: 'Pay 1 cent' })
    const relabelled = { ...challenge, description: 'Pay nothing, this is free' }
    expect(Challenge.verify(relabelled, { secret })).toBe(true)
    const { description: _, ...undescribed } = challenge
    expect(Challenge.verify(undescribed, { secret })).toBe(true)
    expect(
      Challenge.verify(
        { ...relabelled, request: Challenge.encodeRequest({ amount: '0' }) },
        { secret },
      ),
    ).toBe(false)
  })

  it('binds with the bytes a secret holds now, even after they were changed in place', () => {
    const key = Secret.from('a-secret-whose-bytes-are-changed-in-place-later')
    const before = issue({}, key)
    key[0] = (key[0] as number) ^ 1
    const after = issue({}, key)
    expect(after.id).not.toBe(before.id)
    expect(Challenge.verify(after, { secret: key })).toBe(true)
    expect(Challenge.verify(before, { secret: key })).toBe(false)
  })

  it('refuses a forged id, an id from another secret, and a non-base64url id {core.binding.verify}', () => {
    const challenge = issue()
    expect(Challenge.verify({ ...challenge, id: 'x7Tg2pLqR9mKvNwY3hBcZa' }, { secret })).toBe(false)
    expect(Challenge.verify(issue({}, Secret.from(Secret.generate())), { secret })).toBe(false)
    expect(Challenge.verify({ ...challenge, id: `${challenge.id}=` }, { secret })).toBe(false)
    expect(Challenge.verify({ ...challenge, id: challenge.id.slice(0, -1) }, { secret })).toBe(
      false,
    )
  })

  it('refuses the HMAC written with non-zero trailing bits or in standard base64 {core.binding.verify}', () => {
    const challenge = issue()
    // 32 bytes take 43 letters; the last carries 4 bits, its 2 low bits must be zero.
    const last = challenge.id.charCodeAt(42)
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const value = alphabet.indexOf(String.fromCharCode(last))
    const lenient = `${challenge.id.slice(0, 42)}${alphabet[value | 1]}`
    expect(lenient).not.toBe(challenge.id)
    expect(Buffer.from(lenient, 'base64url')).toEqual(Buffer.from(challenge.id, 'base64url'))
    expect(Challenge.verify({ ...challenge, id: lenient }, { secret })).toBe(false)
    const standard = challenge.id.replaceAll('-', '+').replaceAll('_', '/')
    if (standard !== challenge.id)
      expect(Challenge.verify({ ...challenge, id: standard }, { secret })).toBe(false)
    expect(Challenge.verify({ ...challenge, id: `${challenge.id}=` }, { secret })).toBe(false)
  })
})

describe('Challenge.serialize / deserialize', () => {
  it('round-trips every parameter', () => {
    const challenge = issue({ description: 'Weather "now" \\ today', digest: 'sha-256=:AAAA:' })
    expect(Challenge.deserialize(Challenge.serialize(challenge))).toEqual(challenge)
  })

  it('emits the required parameters first, in the draft order', () => {
    const header = Challenge.serialize(issue())
    expect(header.startsWith('Payment id="')).toBe(true)
    expect(header.indexOf('realm=')).toBeLessThan(header.indexOf('method='))
    expect(header.indexOf('intent=')).toBeLessThan(header.indexOf('request='))
  })

  it('reads every Payment challenge among other schemes and header lines {core.challenge.multiple}', () => {
    const a = issue()
    const b = issue({ method: 'stripe' })
    const header = `Bearer realm="x", ${Challenge.serialize(a)}, Basic realm="y"`
    expect(Challenge.deserializeList([header, Challenge.serialize(b)])).toEqual([a, b])
  })

  it('reads the scheme and parameter names case-insensitively', () => {
    const challenge = issue()
    const header = Challenge.serialize(challenge)
      .replace('Payment ', 'PAYMENT ')
      .replace('realm=', 'Realm=')
    expect(Challenge.deserialize(header)).toEqual(challenge)
  })

  it('reads token values as well as quoted strings', () => {
    const request = Challenge.encodeRequest({ amount: '1', currency: 'usd' })
    const parsed = Challenge.deserialize(
      `Payment id=abc, realm=api, method=tempo, intent=charge, request=${request}`,
    )
    expect(parsed).toEqual({ id: 'abc', realm: 'api', method: 'tempo', intent: 'charge', request })
  })

  it('ignores unknown parameters {core.challenge.unknown-params, core.versioning.ignore-unknown}', () => {
    const challenge = issue()
    const header = `${Challenge.serialize(challenge)}, future="1", x-vendor=abc`
    expect(Challenge.deserialize(header)).toEqual(challenge)
  })

  it.each(['id', 'realm', 'method', 'intent', 'request'])(
    'refuses a challenge without %s {core.challenge.required}',
    (name) => {
      const params = Challenge.serialize(issue())
        .slice('Payment '.length)
        .split(', ')
        .filter((param) => !param.startsWith(`${name}=`))
      expect(() => Challenge.deserialize(`Payment ${params.join(', ')}`)).toThrow(
        Challenge.InvalidChallengeError,
      )
    },
  )

  it('refuses an empty id {core.challenge.id.non-empty, core.challenge.id.reject-empty}', () => {
    const header = Challenge.serialize(issue()).replace(/id="[^"]*"/, 'id=""')
    expect(() => Challenge.deserialize(header)).toThrow(/id must be non-empty/)
    expect(() => Challenge.validated({ ...issue(), id: '' })).toThrow(/id must be non-empty/)
  })

  it('refuses a challenge with no id at all {core.challenge.id.reject-empty}', () => {
    const header = Challenge.serialize(issue()).replace(/id="[^"]*", /, '')
    expect(header).not.toMatch(/\bid=/)
    expect(() => Challenge.deserialize(header)).toThrow(Challenge.InvalidChallengeError)
    const { id: _, ...unidentified } = issue()
    expect(() => Challenge.validated(unidentified)).toThrow(Challenge.InvalidChallengeError)
  })

  it('keeps an id that only quoted-string escapes make look unusual {core.challenge.id.non-empty}', () => {
    const header = Challenge.serialize(issue()).replace(/id="[^"]*"/, 'id="\\""')
    expect(Challenge.deserialize(header).id).toBe('"')
  })

  it('reads a challenge header of more than 4 KB {core.size.challenge-4kb}', () => {
    const challenge = issue({
      request: { amount: '1000', currency: 'usd', memo: 'm'.repeat(4200) },
      description: 'd'.repeat(600),
    })
    const header = Challenge.serialize(challenge)
    expect(header.length).toBeGreaterThan(4096 + 1024)
    expect(Challenge.deserialize(header)).toEqual(challenge)
    expect(Challenge.deserializeList([header, Challenge.serialize(issue())])).toHaveLength(2)
  })

  it('refuses a padded or standard-base64 request {core.challenge.request.no-padding}', () => {
    const challenge = issue()
    expect(() =>
      Challenge.deserialize(
        Challenge.serialize({ ...challenge, request: `${challenge.request}=` }),
      ),
    ).toThrow(Challenge.InvalidChallengeError)
    const standard = btoa('{"amount":"1000","currency":"usd?>"}')
    expect(standard).toMatch(/[+/]/)
    expect(() =>
      Challenge.deserialize(
        Challenge.serialize({ ...challenge, request: standard.replace(/=+$/, '') }),
      ),
    ).toThrow(Challenge.InvalidChallengeError)
  })

  it('refuses a request that is not canonical JSON, not JSON, or not an object {core.challenge.request.jcs}', () => {
    const challenge = issue()
    for (const text of [
      '{"currency":"usd","amount":"1"}',
      '{ "amount": "1" }',
      'not json',
      '["amount"]',
      '"x"',
    ]) {
      const request = Base64Url.encode(text)
      expect(() => Challenge.validated({ ...challenge, request })).toThrow(
        Challenge.InvalidChallengeError,
      )
    }
  })

  it('refuses a header with no Payment challenge, or with two where one is expected', () => {
    expect(() => Challenge.deserialize('Bearer realm="x"')).toThrow(/found 0/)
    const header = `${Challenge.serialize(issue())}, ${Challenge.serialize(issue({ method: 'stripe' }))}`
    expect(() => Challenge.deserialize(header)).toThrow(/found 2/)
  })
})

describe('Challenge.decodeRequest / decodeOpaque', () => {
  it('decodes the request object and the opaque map', () => {
    const challenge = issue()
    expect(Challenge.decodeRequest(challenge)).toEqual({
      amount: '1000',
      currency: '0x20c0000000000000000000000000000000000000',
      recipient: '0xabc',
    })
    expect(Challenge.decodeOpaque(challenge)).toEqual({ route: 'GET /paid' })
    expect(Challenge.decodeOpaque({})).toEqual({})
  })
})
