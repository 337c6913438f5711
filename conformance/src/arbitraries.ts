// fast-check arbitraries of the Payment scheme's wire values, valid and hostile, as the
// conformance suite uses them against targets: challenges and their headers, credentials
// and their tokens, charge amounts, Accept-Payment values, and tamperings of a challenge's
// bound fields. Exported as `@paywire/conformance/arbitraries` for implementers' own
// property tests; valid values are built with @paywire/core's encoders.
import { Base64Url, BodyDigest, Challenge, Credential, Expires, type Json } from '@paywire/core'
import fc from 'fast-check'

const lower = 'abcdefghijklmnopqrstuvwxyz'

/** Largest amount a charge may carry (2^256 - 1 base units). */
export const maxAmount = 2n ** 256n - 1n

/**
 * Unpadded base64url text of random bytes (always canonical).
 *
 * @example
 * ```ts
 * import fc from 'fast-check'
 * import { base64Url } from '@paywire/conformance/arbitraries'
 * fc.sample(base64Url(), 1) // e.g. ['q3Xr']
 * ```
 */
export function base64Url(
  options: { minBytes?: number; maxBytes?: number } = {},
): fc.Arbitrary<string> {
  return fc
    .uint8Array({ minLength: options.minBytes ?? 1, maxLength: options.maxBytes ?? 48 })
    .map((bytes) => Base64Url.encode(bytes))
}

/** A valid charge amount: a base-unit integer string without sign, exponent or leading zero. */
export function amount(): fc.Arbitrary<string> {
  return fc
    .oneof(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: maxAmount }))
    .map((value) => value.toString())
}

/** Amount strings a charge must refuse: signs, decimals, exponents, padding, overflow... */
export function hostileAmount(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(
      '',
      '-1',
      '+1',
      '01',
      '00',
      '1.5',
      '1.0',
      '1e6',
      '1E3',
      '0x10',
      ' 1000',
      '1000 ',
      '1_000',
      '1,000',
      '１０００',
      'NaN',
      'Infinity',
      (maxAmount + 1n).toString(),
    ),
    fc.bigInt({ min: 1n, max: 10n ** 9n }).map((value) => `0${value}`),
    fc.bigInt({ min: maxAmount + 1n, max: maxAmount * 16n }).map((value) => value.toString()),
    fc.string({ minLength: 1, maxLength: 12 }).filter((text) => !/^(0|[1-9][0-9]*)$/.test(text)),
  )
}

/** A charge request object (draft-payment-intent-charge §5.1) with optional fields. */
export function chargeRequest(): fc.Arbitrary<Record<string, Json.Value>> {
  return fc.record(
    {
      amount: amount(),
      currency: fc.oneof(fc.constantFrom('usd', 'eur'), hexAddress()),
      recipient: fc.oneof(hexAddress(), fc.string({ minLength: 1, maxLength: 20 })),
      description: fc.string({ maxLength: 40 }),
      externalId: fc.string({ minLength: 1, maxLength: 24 }),
    },
    { requiredKeys: ['amount', 'currency'] },
  )
}

/** A payment method identifier (`[a-z]+`). */
export function method(): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...lower), minLength: 1, maxLength: 12 })
}

/**
 * A valid challenge: every required parameter, any subset of the optional ones, `request`
 * and `opaque` encoded as the core draft says (RFC 8785, then unpadded base64url).
 *
 * @example
 * ```ts
 * import fc from 'fast-check'
 * import { Challenge } from '@paywire/core'
 * import { challenge } from '@paywire/conformance/arbitraries'
 * fc.assert(fc.property(challenge(), (c) => Challenge.deserialize(Challenge.serialize(c)).id === c.id))
 * ```
 */
export function challenge(): fc.Arbitrary<Challenge.Challenge> {
  return fc
    .record(
      {
        id: base64Url({ minBytes: 16, maxBytes: 32 }),
        realm: fc.string({
          unit: fc.constantFrom(...`${lower}.-0123456789`),
          minLength: 1,
          maxLength: 30,
        }),
        method: method(),
        intent: fc.constantFrom('charge', 'session', 'subscription'),
        request: chargeRequest(),
        expires: fc
          .integer({ min: 1_700_000_000, max: 4_000_000_000 })
          .map((seconds) => Expires.format(seconds * 1000)),
        digest: fc.string({ maxLength: 64 }).map((body) => BodyDigest.compute(body)),
        description: fc.string({
          unit: fc.constantFrom(...'abcdefgh $.,0123456789'),
          maxLength: 40,
        }),
        opaque: fc.dictionary(
          fc.string({ minLength: 1, maxLength: 8 }),
          fc.string({ maxLength: 16 }),
          {
            maxKeys: 4,
          },
        ),
      },
      { requiredKeys: ['id', 'realm', 'method', 'intent', 'request'] },
    )
    .map(({ id, request, opaque, ...rest }) =>
      Challenge.from({ ...rest, request, ...(opaque === undefined ? {} : { opaque }) }, { id }),
    )
}

/** A `WWW-Authenticate` value holding one valid Payment challenge. */
export function challengeHeader(): fc.Arbitrary<string> {
  return challenge().map((value) => Challenge.serialize(value))
}

/**
 * `WWW-Authenticate` values a parser must survive: unterminated quotes, runs of
 * backslashes and commas, control characters, repeated parameters, uppercase methods,
 * padded requests, and cuts and splices of valid headers.
 */
export function hostileChallengeHeader(): fc.Arbitrary<string> {
  return fc.oneof(
    challengeHeader().chain((header) =>
      fc.nat({ max: header.length }).map((cut) => header.slice(0, cut)),
    ),
    challengeHeader().map((header) => header.replace('method="', 'method="Up')),
    challengeHeader().map((header) => header.replace(/request="([^"]*)"/, 'request="$1=="')),
    challengeHeader().map((header) => `${header}, realm="second"`),
    fc.nat({ max: 20_000 }).map((count) => `Payment id="${'\\'.repeat(count)}`),
    fc.nat({ max: 20_000 }).map((count) => `Payment ${','.repeat(count)}`),
    fc.string({
      unit: fc.constantFrom('"', '\\', ',', '=', ' ', '\r', '\n', '\0', 'a', 'P'),
      maxLength: 200,
    }),
    fc.string({ maxLength: 200 }).map((text) => `Payment id="${text}"`),
  )
}

/** A credential answering a valid challenge, with a random payload and optional DID source. */
export function credential(): fc.Arbitrary<Credential.Credential> {
  return fc
    .record(
      {
        challenge: challenge(),
        payload: fc.dictionary(
          fc.string({ minLength: 1, maxLength: 10 }),
          fc.string({ maxLength: 40 }),
          {
            maxKeys: 4,
          },
        ),
        source: fc
          .string({ unit: fc.constantFrom(...lower), minLength: 1, maxLength: 12 })
          .map((name) => `did:example:${name}`),
      },
      { requiredKeys: ['challenge', 'payload'] },
    )
    .map((fields) => Credential.from(fields))
}

/** The token of `Authorization: Payment <token>` for a valid credential. */
export function credentialToken(): fc.Arbitrary<string> {
  return credential().map((value) => Credential.serialize(value))
}

/**
 * Credential tokens that are not valid credentials, or that are mutations of valid
 * ones: flipped, inserted and deleted characters, padding, standard-base64 characters,
 * truncation, and base64url of JSON that is not a credential.
 */
export function malformedCredentialToken(): fc.Arbitrary<string> {
  return fc.oneof(
    credentialToken().chain((token) => mutation(token)),
    notACredential(),
  )
}

/**
 * Mutations of a token (or any text): one edit at a random position.
 *
 * @example
 * ```ts
 * import fc from 'fast-check'
 * import { mutation } from '@paywire/conformance/arbitraries'
 * fc.sample(mutation('eyJhIjoxfQ'), 3)
 * ```
 */
export function mutation(text: string): fc.Arbitrary<string> {
  const at = fc.nat({ max: Math.max(0, text.length - 1) })
  const character = fc.constantFrom(
    '=',
    '+',
    '/',
    ' ',
    '.',
    '"',
    '\\',
    ',',
    'A',
    '_',
    '-',
    'é',
    '\t',
  )
  return fc.oneof(
    fc.tuple(at, character).map(([index, c]) => text.slice(0, index) + c + text.slice(index + 1)),
    fc.tuple(at, character).map(([index, c]) => text.slice(0, index) + c + text.slice(index)),
    at.map((index) => text.slice(0, index) + text.slice(index + 1)),
    at.map((index) => text.slice(0, index)),
    fc.constantFrom(`${text}=`, `${text}==`, ` ${text}`, `${text} ${text}`, text.toUpperCase()),
  )
}

/** base64url of JSON that is not a credential (wrong types, missing members, non-objects). */
export function notACredential(): fc.Arbitrary<string> {
  const json = fc.oneof(
    fc
      .jsonValue()
      .filter((value) => value === null || typeof value !== 'object' || Array.isArray(value)),
    challenge().map((c) => ({ challenge: c })),
    fc.record({ payload: fc.dictionary(fc.string(), fc.string()) }),
    challenge().map((c) => ({ challenge: { ...c, id: '' }, payload: {} })),
    challenge().map((c) => ({ challenge: { ...c, method: c.method.toUpperCase() }, payload: {} })),
    challenge().map((c) => ({ challenge: c, payload: 'not an object' })),
    challenge().map((c) => ({ challenge: { ...c, request: `${c.request}=` }, payload: {} })),
  )
  return fc.oneof(
    json.map((value) => Base64Url.encode(JSON.stringify(value) ?? 'null')),
    fc.string({ maxLength: 60 }).map((text) => Base64Url.encode(text)),
  )
}

/** The bound fields of a challenge a tampering may change. */
export type TamperedField = (typeof Challenge.boundFields)[number] | 'id'

/** A tampered copy of a challenge and the field that was changed. */
export type Tampering = { field: TamperedField; challenge: Challenge.Challenge }

/**
 * Tamperings of one bound field of `original`: each result differs from it in exactly
 * that field (which may also be added or removed when optional). A server that binds its
 * challenges refuses every one of them.
 *
 * @example
 * ```ts
 * import fc from 'fast-check'
 * import { tampered } from '@paywire/conformance/arbitraries'
 * declare const original: import('@paywire/core').Challenge.Challenge
 * fc.sample(tampered(original), 5).map((t) => t.field)
 * ```
 */
export function tampered(original: Challenge.Challenge): fc.Arbitrary<Tampering> {
  const change = <field extends TamperedField>(
    field: field,
    value: fc.Arbitrary<string | undefined>,
  ) =>
    value
      .filter((next) => next !== original[field])
      .map((next): Tampering => {
        const { [field]: _removed, ...rest } = original
        return {
          field,
          challenge: (next === undefined
            ? rest
            : { ...rest, [field]: next }) as Challenge.Challenge,
        }
      })
  const optional = (value: fc.Arbitrary<string>) => fc.option(value, { nil: undefined })
  return fc.oneof(
    change('id', base64Url({ minBytes: 16, maxBytes: 32 })),
    change(
      'realm',
      fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.constant(`${original.realm}.`)),
    ),
    change('method', method()),
    change('intent', fc.constantFrom('charge', 'session', 'subscription', 'Charge')),
    change(
      'request',
      chargeRequest().map((request) => Challenge.encodeRequest(request)),
    ),
    change(
      'request',
      amount().map((value) => withAmount(original, value)),
    ),
    change(
      'expires',
      optional(
        fc.integer({ min: 1_700_000_000, max: 4_000_000_000 }).map((s) => Expires.format(s * 1000)),
      ),
    ),
    change(
      'digest',
      optional(fc.string({ maxLength: 40 }).map((body) => BodyDigest.compute(body))),
    ),
    change(
      'opaque',
      optional(
        fc
          .dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 12 }), {
            maxKeys: 3,
          })
          .map((opaque) => Challenge.encodeOpaque(opaque)),
      ),
    ),
  )
}

/** A valid `Accept-Payment` value: method/intent ranges with wildcards and q weights. */
export function acceptPayment(): fc.Arbitrary<string> {
  const range = fc.tuple(
    fc.oneof(method(), fc.constant('*')),
    fc.oneof(fc.constantFrom('charge', 'session'), fc.constant('*')),
    fc.option(fc.constantFrom('0', '0.3', '0.5', '1', '1.0', '0.001'), { nil: undefined }),
  )
  return fc
    .array(range, { minLength: 1, maxLength: 5 })
    .map((ranges) =>
      ranges.map(([m, i, q]) => `${m}/${i}${q === undefined ? '' : `;q=${q}`}`).join(', '),
    )
}

/** `withAmount(challenge, amount)`: the challenge's request with another amount, re-encoded. */
export function withAmount(original: Pick<Challenge.Challenge, 'request'>, value: string): string {
  return Challenge.encodeRequest({ ...Challenge.decodeRequest(original), amount: value })
}

function hexAddress(): fc.Arbitrary<string> {
  return fc
    .uint8Array({ minLength: 20, maxLength: 20 })
    .map((bytes) => `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`)
}
