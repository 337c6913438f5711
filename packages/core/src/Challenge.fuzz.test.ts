import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Challenge from './Challenge.js'
import * as Credential from './Credential.js'
import * as Expires from './Expires.js'
import * as Receipt from './Receipt.js'
import * as Secret from './Secret.js'

const secret = Secret.from('fuzz-secret-that-is-at-least-32-bytes-long')

/** Printable ASCII without control characters: what header values may carry. */
const headerText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
})
const method = fc.stringMatching(/^[a-z]{1,12}$/)
const intent = fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/)
const instant = fc
  .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) })
  .map((ms) => Expires.format(ms))
const request = fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), {
  maxKeys: 6,
})
const opaque = fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), {
  maxKeys: 4,
})

const parameters = fc.record(
  {
    realm: headerText,
    method,
    intent,
    request,
    expires: instant,
    digest: headerText.filter((text) => text.length > 0),
    description: headerText,
    opaque,
  },
  { requiredKeys: ['realm', 'method', 'intent', 'request'] },
)

describe('Challenge properties', () => {
  it('deserialize(serialize(c)) is the identity for any valid challenge', () => {
    fc.assert(
      fc.property(parameters, (input) => {
        const challenge = Challenge.from(input as Challenge.from.Parameters, { secret })
        expect(Challenge.deserialize(Challenge.serialize(challenge))).toEqual(challenge)
        expect(Challenge.verify(challenge, { secret })).toBe(true)
      }),
    )
  })

  it('tampering any bound slot changes the id {core.binding.verify, core.binding.all-params, core.challenge.id.bound}', () => {
    fc.assert(
      fc.property(
        parameters,
        fc.constantFrom(...Challenge.boundFields),
        headerText,
        (input, field, noise) => {
          const challenge = Challenge.from(input as Challenge.from.Parameters, { secret })
          const original = challenge[field] ?? ''
          const replacement =
            field === 'request'
              ? Challenge.encodeRequest({ tampered: noise })
              : field === 'opaque'
                ? Challenge.encodeOpaque({ tampered: noise })
                : `${original}${noise || 'x'}`
          fc.pre(replacement !== original)
          const tampered = { ...challenge, [field]: replacement }
          expect(Challenge.computeId(tampered, secret)).not.toBe(challenge.id)
          expect(Challenge.verify(tampered, { secret })).toBe(false)
        },
      ),
    )
  })

  it('credentials and receipts round-trip through their headers', () => {
    fc.assert(
      fc.property(
        parameters,
        fc.jsonValue({ maxDepth: 3 }),
        fc.option(headerText, { nil: undefined }),
        (input, proof, source) => {
          const challenge = Challenge.from(input as Challenge.from.Parameters, { secret })
          const credential = Credential.from({ challenge, payload: { proof }, source })
          const parsed = Credential.fromAuthorization(Credential.toAuthorization(credential))
          expect(parsed).toEqual(JSON.parse(JSON.stringify(credential)))
          const receipt = Receipt.from({
            method: challenge.method,
            reference: challenge.id,
            extra: proof,
          })
          expect(Receipt.deserialize(Receipt.serialize(receipt))).toEqual(
            JSON.parse(JSON.stringify(receipt)),
          )
        },
      ),
    )
  })
})
