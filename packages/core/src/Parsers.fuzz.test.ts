// Hostile-input properties over every parser of @paywire/core: whatever string arrives,
// a parser returns a value or throws a paywire error (Errors.BaseError), never anything
// else. Budget: FUZZ_RUNS cases per parser (default 500 locally; 12,500 under CI=true,
// i.e. over 100,000 in all). Seed: FC_SEED (see vitest.setup.ts).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as AcceptPayment from './AcceptPayment.js'
import * as AuthParams from './AuthParams.js'
import * as Base64Url from './Base64Url.js'
import * as BodyDigest from './BodyDigest.js'
import * as Challenge from './Challenge.js'
import * as Credential from './Credential.js'
import * as Errors from './Errors.js'
import * as Expires from './Expires.js'
import * as Json from './Json.js'
import * as Problem from './Problem.js'
import * as Receipt from './Receipt.js'

const runs = Number(process.env.FUZZ_RUNS ?? (process.env.CI ? 12_500 : 500))

/** Strings made of the characters that matter to header and JSON grammars. */
const grammar = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '"',
        '\\',
        ',',
        '=',
        ' ',
        '\t',
        ';',
        '/',
        '*',
        '{',
        '}',
        '[',
        ']',
        ':',
        'q=0.5',
        'Payment ',
        'Bearer ',
      ),
      fc.constantFrom(
        'id',
        'realm',
        'method',
        'intent',
        'request',
        'tempo',
        'charge',
        '\r',
        '\n',
        '\0',
        'é',
        '😀',
      ),
      fc.string({ unit: 'binary', maxLength: 8 }),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(''))

/** Base64url of grammar-shaped JSON, so decoders get past the first layer. */
const encodedJson = fc
  .oneof(fc.json({ maxDepth: 4 }), grammar)
  .map((text) => Base64Url.encode(text))

const input = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), grammar, encodedJson)

const parsers: Array<[string, (value: string) => unknown]> = [
  ['AuthParams.parseChallenges', (value) => AuthParams.parseChallenges(value)],
  ['AuthParams.parseCredentials', (value) => AuthParams.parseCredentials(value)],
  ['Challenge.deserializeList', (value) => Challenge.deserializeList(value)],
  ['Credential.fromAuthorization', (value) => Credential.fromAuthorization(`Payment ${value}`)],
  ['Credential.deserialize', (value) => Credential.deserialize(value)],
  ['Receipt.deserialize', (value) => Receipt.deserialize(value)],
  ['Base64Url.decodeString', (value) => Base64Url.decodeString(value)],
  ['Json.parse', (value) => Json.parse(value)],
  ['Expires.parse', (value) => Expires.parse(value)],
  ['BodyDigest.parse', (value) => BodyDigest.parse(value)],
  ['AcceptPayment.parse', (value) => AcceptPayment.parse(value)],
  ['Problem.parse', (value) => Problem.parse(value)],
]

describe('parsers under hostile input', () => {
  it.each(parsers)('%s returns a value or a typed error for any string', (_, parse) => {
    fc.assert(
      fc.property(input, (value) => {
        try {
          parse(value)
        } catch (error) {
          if (!(error instanceof Errors.BaseError)) throw error
        }
      }),
      { numRuns: runs },
    )
  })

  it('Challenge.deserializeList accepts only challenges whose required parameters are valid', () => {
    fc.assert(
      fc.property(input, (value) => {
        let challenges: Challenge.Challenge[] = []
        try {
          challenges = Challenge.deserializeList(`Payment ${value}`)
        } catch (error) {
          expect(error).toBeInstanceOf(Errors.BaseError)
        }
        for (const challenge of challenges)
          expect(Challenge.schema.safeParse(challenge).success).toBe(true)
      }),
      { numRuns: runs },
    )
  })
})
