// The exported arbitraries produce what they promise, checked with @paywire/core: valid
// values round-trip through the codecs, hostile values are refused, tamperings change
// exactly the named field and break the binding.
import { AcceptPayment, Amount, Challenge, Credential, Secret } from '@paywire/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Arbitraries from './arbitraries.js'

const secret = Secret.from('arbitraries-test-secret-of-at-least-32-bytes')

describe('arbitraries', () => {
  it('challenge() gives challenges that serialize and parse back unchanged', () => {
    fc.assert(
      fc.property(Arbitraries.challenge(), (challenge) => {
        expect(Challenge.deserialize(Challenge.serialize(challenge))).toEqual(challenge)
      }),
    )
  })

  it('credentialToken() gives tokens that decode to credentials', () => {
    fc.assert(
      fc.property(Arbitraries.credential(), (credential) => {
        expect(Credential.deserialize(Credential.serialize(credential))).toEqual(credential)
      }),
    )
  })

  it('amount() is always a valid amount and hostileAmount() never is', () => {
    fc.assert(fc.property(Arbitraries.amount(), (value) => Amount.schema.safeParse(value).success))
    fc.assert(
      fc.property(Arbitraries.hostileAmount(), (value) => !Amount.schema.safeParse(value).success),
    )
  })

  it('notACredential() tokens are refused by the credential decoder', () => {
    fc.assert(
      fc.property(Arbitraries.notACredential(), (token) => {
        expect(() => Credential.deserialize(token)).toThrow(Credential.MalformedCredentialError)
      }),
    )
  })

  it('hostileChallengeHeader() values yield challenges or a typed error, never another exception', () => {
    fc.assert(
      fc.property(Arbitraries.hostileChallengeHeader(), (header) => {
        try {
          Challenge.deserializeList(header)
        } catch (error) {
          expect((error as { code?: unknown }).code).toMatch(/^ERR_/)
        }
      }),
      { numRuns: 50 },
    )
  })

  it('acceptPayment() values parse', () => {
    fc.assert(
      fc.property(Arbitraries.acceptPayment(), (value) => AcceptPayment.parse(value).length > 0),
    )
  })

  it('tampered() changes exactly the named field and the id no longer verifies', () => {
    const bound = Challenge.from(
      {
        realm: 'api.example.com',
        method: 'test',
        intent: 'charge',
        request: { amount: '1000', currency: 'usd' },
        expires: '2030-01-01T00:00:00Z',
        opaque: { route: 'GET /paid' },
      },
      { secret },
    )
    fc.assert(
      fc.property(Arbitraries.tampered(bound), ({ field, challenge }) => {
        const changed = (
          Object.keys({ ...bound, ...challenge }) as Array<keyof Challenge.Challenge>
        ).filter((key) => bound[key] !== challenge[key])
        expect(changed).toEqual([field])
        if (Challenge.schema.safeParse(challenge).success)
          expect(Challenge.verify(challenge, { secret })).toBe(false)
      }),
    )
  })
})
