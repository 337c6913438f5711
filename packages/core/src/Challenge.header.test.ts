// draft-httpauth-payment-01's `header` parameter: the eighth binding slot (appended after
// `opaque`, only when present), the one value a server may emit, the echo, and the
// credential read from `Authorization` or `Payment-Authorization`.
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import * as Challenge from './Challenge.js'
import * as Credential from './Credential.js'
import * as Secret from './Secret.js'

const secret = Secret.from('test-secret-that-is-at-least-32-bytes-long')

function issue(overrides: Partial<Challenge.from.Parameters> = {}) {
  return Challenge.from(
    {
      realm: 'api.example.com',
      method: 'tempo',
      intent: 'charge',
      request: { amount: '1000', currency: 'usd', recipient: 'acct_1' },
      expires: '2025-01-15T12:05:00Z',
      opaque: { route: 'GET /paid' },
      ...overrides,
    },
    { secret },
  )
}

const hmac = (input: string) => createHmac('sha256', secret).update(input).digest('base64url')

describe('the header binding slot', () => {
  it('appends header as an eighth slot after opaque {core.binding.hmac-header-slot, core.binding.header, core.binding.all-params-required}', () => {
    const challenge = issue({ header: 'Payment-Authorization' })
    const seven = [
      challenge.realm,
      challenge.method,
      challenge.intent,
      challenge.request,
      challenge.expires,
      '',
      challenge.opaque,
    ].join('|')
    expect(challenge.id).toBe(hmac(`${seven}|Payment-Authorization`))
    // Not the construction that puts header before opaque (mppx 0.11, spec/DEVIATIONS.md row 2).
    const beforeOpaque = [
      challenge.realm,
      challenge.method,
      challenge.intent,
      challenge.request,
      challenge.expires,
      '',
      'Payment-Authorization',
      challenge.opaque,
    ].join('|')
    expect(challenge.id).not.toBe(hmac(beforeOpaque))
    expect(Challenge.verify(challenge, { secret })).toBe(true)
  })

  it('leaves the id of a challenge without header as draft -00 computes it {core.binding.hmac}', () => {
    const challenge = issue()
    expect(challenge.header).toBeUndefined()
    expect(challenge.id).toBe(
      hmac(
        [
          challenge.realm,
          challenge.method,
          challenge.intent,
          challenge.request,
          challenge.expires,
          '',
          challenge.opaque,
        ].join('|'),
      ),
    )
  })

  it('detects a header added to, removed from, or changed in an echo {core.binding.header, core.binding.verify}', () => {
    const without = issue()
    const withHeader = issue({ header: 'Payment-Authorization' })
    expect(Challenge.verify({ ...without, header: 'Payment-Authorization' }, { secret })).toBe(
      false,
    )
    const { header: _removed, ...stripped } = withHeader
    expect(Challenge.verify(stripped, { secret })).toBe(false)
    expect(Challenge.verify({ ...withHeader, header: 'payment-authorization' }, { secret })).toBe(
      false,
    )
  })

  it('binds opaque: a changed opaque fails verification {core.binding.opaque-required}', () => {
    const challenge = issue({ header: 'Payment-Authorization' })
    const changed = { ...challenge, opaque: Challenge.encodeOpaque({ route: 'GET /other' }) }
    expect(Challenge.verify(changed, { secret })).toBe(false)
  })
})

describe('the header parameter on the wire', () => {
  it('refuses to build or emit any header value but Payment-Authorization {core.header.value}', () => {
    expect(() =>
      issue({ header: 'X-Payment' as unknown as typeof Challenge.paymentAuthorization }),
    ).toThrow(Challenge.InvalidChallengeError)
    const forged = { ...issue(), header: 'Authorization' }
    expect(() => Challenge.serialize(forged)).toThrow(Challenge.InvalidChallengeError)
  })

  it('round-trips header through WWW-Authenticate {core.header.value}', () => {
    const challenge = issue({ header: 'Payment-Authorization' })
    const header = Challenge.serialize(challenge)
    expect(header).toContain('header="Payment-Authorization"')
    expect(Challenge.deserialize(header)).toEqual(challenge)
  })

  it('parses another header value so that a client can treat the challenge as unrecognized {core.header.other-value}', () => {
    const parsed = Challenge.deserialize(
      'Payment id="a", realm="r", method="tempo", intent="charge", request="e30", header="X-Pay"',
    )
    expect(parsed.header).toBe('X-Pay')
    expect(Challenge.credentialField(parsed)).toBeUndefined()
    expect(Challenge.credentialField({ header: 'payment-authorization' })).toBeUndefined()
    expect(Challenge.credentialField({})).toBe('Authorization')
    expect(Challenge.credentialField({ header: 'Payment-Authorization' })).toBe(
      'Payment-Authorization',
    )
  })
})

describe('Credential.fromHeaders', () => {
  const challenge = issue({ header: 'Payment-Authorization' })
  const token = Credential.toAuthorization(Credential.from({ challenge, payload: { proof: 'p' } }))

  it('reads the credential from Payment-Authorization beside a Bearer Authorization {core.server.credential-field}', () => {
    const found = Credential.fromHeaders(
      new Headers({ authorization: 'Bearer abc.def', 'payment-authorization': token }),
    )
    expect(found?.field).toBe('Payment-Authorization')
    expect(found?.credential.challenge).toEqual(challenge)
  })

  it('reads the credential from Authorization, naming that field {core.server.credential-field}', () => {
    const found = Credential.fromHeaders(new Headers({ authorization: token }))
    expect(found?.field).toBe('Authorization')
  })

  it('finds nothing when no field carries a Payment credential', () => {
    expect(Credential.fromHeaders(new Headers({ authorization: 'Bearer abc' }))).toBeUndefined()
    expect(Credential.fromHeaders(new Headers())).toBeUndefined()
  })

  it('refuses a credential in both fields with bad-request (400) {core.server.multiple-credentials}', () => {
    let caught: unknown
    try {
      Credential.fromHeaders(new Headers({ authorization: token, 'payment-authorization': token }))
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(Credential.MultipleCredentialsError)
    expect((caught as Credential.MultipleCredentialsError).problem).toBe('bad-request')
    expect((caught as Credential.MultipleCredentialsError).status).toBe(400)
  })

  it('refuses a Payment-Authorization field that holds no Payment credential', () => {
    expect(() =>
      Credential.fromHeaders(new Headers({ 'payment-authorization': 'Bearer abc' })),
    ).toThrow(Credential.MalformedCredentialError)
  })

  it('keeps header in the echo and omits it when the challenge had none {core.credential.echo-header, core.credential.no-header-echo}', () => {
    const withHeader = Credential.deserialize(token.slice('Payment '.length))
    expect(withHeader.challenge.header).toBe('Payment-Authorization')
    const plain = Credential.from({ challenge: issue(), payload: {} })
    expect('header' in plain.challenge).toBe(false)
    const decoded = Credential.deserialize(Credential.serialize(plain))
    expect('header' in decoded.challenge).toBe(false)
  })
})
