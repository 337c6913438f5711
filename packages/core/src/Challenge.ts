// The Payment challenge (draft-httpauth-payment §"Challenge (WWW-Authenticate)"): its
// parameters, its header codec, and its HMAC-SHA256 binding (§"Challenge Binding").
import { z } from 'zod'
import * as AuthParams from './AuthParams.js'
import * as Base64Url from './Base64Url.js'
import * as ConstantTime from './ConstantTime.js'
import { BaseError } from './Errors.js'
import * as CanonicalObject from './internal/canonicalObject.js'
import * as CompiledSchemas from './internal/compiledSchemas.js'
import * as Hashing from './internal/hashing.js'
import * as Syntax from './internal/syntax.js'
import * as Json from './Json.js'
import type * as Secret from './Secret.js'

/** The authentication scheme name. Compared case-insensitively when parsing. */
export const scheme = 'Payment'

/** A payment method identifier: lowercase ASCII letters (`1*LOWERALPHA`). */
export const methodSchema = z
  .string()
  .regex(Syntax.methodPattern, 'method must be lowercase ASCII letters')
  .meta({ description: 'Payment method identifier (lowercase ASCII letters).' })
/** A payment intent identifier (`1*( ALPHA / DIGIT / "-" )`). */
export const intentSchema = z
  .string()
  .regex(Syntax.intentPattern, 'intent must be letters, digits or "-"')
  .meta({ description: 'Payment intent identifier.' })
/** An RFC 3339 date-time, as `expires` and receipt timestamps carry it. */
export const dateTimeSchema = z
  .string()
  .refine((value) => Syntax.isDateTime(value), 'expected an RFC 3339 date-time')
  .meta({ format: 'date-time' })
// @enforces core.challenge.request.no-padding
const base64UrlSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, 'expected unpadded base64url')
  .refine(Base64Url.validate, 'expected canonical unpadded base64url')

// @enforces core.challenge.required, core.challenge.id.non-empty, core.challenge.method.lowercase
/**
 * A challenge as it travels: the `WWW-Authenticate` parameters, and the `challenge`
 * object a credential echoes. `request` and `opaque` stay in their wire (base64url)
 * form: the binding covers those exact strings.
 */
export const schema = z
  .object({
    id: z
      .string()
      .min(1, 'id must be non-empty')
      .meta({ description: 'Challenge id, bound to the other parameters.' }),
    realm: z.string().meta({ description: 'Protection space.' }),
    method: methodSchema,
    intent: intentSchema,
    request: base64UrlSchema.meta({
      description: 'base64url (no padding) of the RFC 8785 JSON request object.',
    }),
    expires: dateTimeSchema.optional(),
    digest: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'RFC 9530 digest of the request body.' }),
    description: z
      .string()
      .optional()
      .meta({ description: 'Display text; never used for verification.' }),
    opaque: base64UrlSchema
      .optional()
      .meta({ description: 'base64url (no padding) of an RFC 8785 JSON string-to-string map.' }),
    header: z.string().min(1, 'header must be non-empty').optional().meta({
      description:
        'The field the credential goes in (draft-httpauth-payment-01): only `Payment-Authorization` is defined; absent selects `Authorization`. Parsed as any string so that a client can treat another value as an unrecognized challenge.',
    }),
  })
  .meta({ title: 'Challenge', description: 'A Payment challenge (draft-httpauth-payment §5.1).' })

/** A Payment challenge. */
export type Challenge = z.infer<typeof schema>

// @enforces core.challenge.description.not-verified
/**
 * The seven base slots of the binding, in slot order. `header` (draft -01) is bound too,
 * as an eighth slot appended only when present.
 */
export const boundFields = [
  'realm',
  'method',
  'intent',
  'request',
  'expires',
  'digest',
  'opaque',
] as const

/**
 * The only value the `header` parameter may take (draft-httpauth-payment-01
 * §"Credentials"): the credential then goes in the `Payment-Authorization` request field.
 */
export const paymentAuthorization = 'Payment-Authorization'

/** The request fields a Payment credential can travel in. */
export type CredentialField = 'Authorization' | typeof paymentAuthorization

// @enforces core.header.default-field, core.header.payment-authorization-field, core.header.other-value
/**
 * The request field a challenge selects for its credential: `Authorization` when it has
 * no `header`, `Payment-Authorization` when `header` names it, and `undefined` for any
 * other value (an unrecognized challenge: a client sends no credential for it).
 *
 * @example
 * ```ts
 * import { Challenge } from '@paywire/core'
 * declare const challenge: Challenge.Challenge
 * Challenge.credentialField(challenge) // 'Authorization' | 'Payment-Authorization' | undefined
 * ```
 */
export function credentialField(challenge: Pick<Challenge, 'header'>): CredentialField | undefined {
  if (challenge.header === undefined) return 'Authorization'
  return challenge.header === paymentAuthorization ? paymentAuthorization : undefined
}

/**
 * Builds a challenge: canonicalizes and encodes `request` and `opaque` (RFC 8785, then
 * base64url), and computes the bound `id` from the secret.
 *
 * @example
 * ```ts
 * import { Challenge, Expires, Secret } from '@paywire/core'
 * const challenge = Challenge.from(
 *   {
 *     realm: 'api.example.com',
 *     method: 'tempo',
 *     intent: 'charge',
 *     request: { amount: '1000', currency: '0x20c0000000000000000000000000000000000000' },
 *     expires: Expires.inSeconds(300),
 *   },
 *   { secret: Secret.from('a-very-long-random-secret-of-32-bytes-or-more') },
 * )
 * ```
 */
export function from(parameters: from.Parameters, options: from.Options): Challenge {
  const unbound: Record<string, string> = {
    realm: parameters.realm,
    method: parameters.method,
    intent: parameters.intent,
    request: encodeRequest(parameters.request),
  }
  if (parameters.expires !== undefined) unbound.expires = parameters.expires
  if (parameters.digest !== undefined) unbound.digest = parameters.digest
  if (parameters.description !== undefined) unbound.description = parameters.description
  if (parameters.opaque !== undefined) unbound.opaque = encodeOpaque(parameters.opaque)
  if (parameters.header !== undefined) {
    if (parameters.header !== paymentAuthorization)
      throw new InvalidChallengeError(`header must be ${paymentAuthorization}`)
    unbound.header = parameters.header
  }
  const id =
    'secret' in options
      ? computeId(unbound as unknown as computeId.Fields, options.secret)
      : options.id
  // `request` and `opaque` were canonicalized and encoded just above: only their shape is
  // left to check, not their encoding (decoding them again cost a third of `from`; see
  // bench/README.md). Every other parameter goes through the schema as before.
  if (!Json.isObject(parameters.request))
    throw new InvalidChallengeError('request must encode a JSON object')
  if (parameters.opaque !== undefined && !Json.isObject(parameters.opaque))
    throw new InvalidChallengeError('opaque must encode a JSON object')
  unbound.id = id
  return checked(unbound)
}

export declare namespace from {
  type Parameters = {
    realm: string
    method: string
    intent: string
    /** The method's request object; it is canonicalized and encoded here. */
    request: Record<string, unknown>
    expires?: string | undefined
    digest?: string | undefined
    description?: string | undefined
    /** Server correlation data: a flat string map, canonicalized and encoded here. */
    opaque?: Record<string, string> | undefined
    /**
     * `Payment-Authorization` to have the credential sent in that field (draft -01), so the
     * client keeps its own `Authorization`; absent for the default `Authorization`.
     */
    header?: typeof paymentAuthorization | undefined
  }
  /** Bind with HMAC-SHA256 under `secret`, or give an `id` bound some other (stateful) way. */
  type Options = { secret: Secret.Secret } | { id: string }
  type ErrorType = InvalidChallengeError | Json.InvalidJsonError
}

// @enforces core.challenge.id.bound
/**
 * Computes the HMAC-SHA256 binding id over the seven positional slots
 * `realm|method|intent|request|expires|digest|opaque` (empty for absent optionals), with
 * `|header` appended as an eighth slot only when `header` is present (draft -01): the id
 * of a challenge without `header` is the same as under draft -00.
 *
 * @example
 * ```ts
 * import { Challenge, Secret } from '@paywire/core'
 * const id = Challenge.computeId(
 *   { realm: 'r', method: 'tempo', intent: 'charge', request: 'e30' },
 *   Secret.from('a-very-long-random-secret-of-32-bytes-or-more'),
 * )
 * ```
 */
export function computeId(challenge: computeId.Fields, secret: Secret.Secret): string {
  // node:crypto on Node, @noble/hashes elsewhere: the same bytes (internal/hashing.ts).
  return Hashing.selected.hmacSha256(secret, bindingInput(challenge))
}

export declare namespace computeId {
  type Fields = Pick<Challenge, 'realm' | 'method' | 'intent' | 'request'> &
    Partial<Pick<Challenge, 'expires' | 'digest' | 'opaque' | 'header'>>
}

// @enforces core.binding.verify
/**
 * Whether a challenge's `id` is the binding of its parameters under the current secret
 * or one of the previous secrets (rotation). Compared in constant time.
 *
 * @example
 * ```ts
 * import { Challenge } from '@paywire/core'
 * declare const challenge: Challenge.Challenge
 * declare const secret: Uint8Array
 * Challenge.verify(challenge, { secret })
 * ```
 */
export function verify(challenge: Challenge, options: verify.Options): boolean {
  // Compared as text: base64url decoding is strict (one encoding per byte string), so the
  // presented id equals the encoded HMAC exactly when it decodes to the HMAC's bytes.
  const input = bindingInput(challenge)
  let matched = false
  for (const secret of [options.secret, ...(options.previousSecrets ?? [])]) {
    // No early exit: the time taken does not reveal which secret matched.
    const expected = Hashing.selected.hmacSha256(secret, input)
    matched = ConstantTime.equalStrings(expected, challenge.id) || matched
  }
  return matched
}

export declare namespace verify {
  type Options = {
    secret: Secret.Secret
    /** Secrets still accepted during a rotation, until their challenges expire. */
    previousSecrets?: readonly Secret.Secret[] | undefined
  }
}

// @enforces core.challenge.id.server-emit, core.custom-params.lowercase
/**
 * Formats a challenge as a `WWW-Authenticate` field value.
 *
 * @throws {InvalidChallengeError} when the challenge is not valid (e.g. an empty `id`).
 * @throws {AuthParams.InvalidValueError} when a value cannot be carried in a header.
 * @example
 * ```ts
 * import { Challenge } from '@paywire/core'
 * declare const challenge: Challenge.Challenge
 * const header = Challenge.serialize(challenge) // 'Payment id="...", realm="...", ...'
 * ```
 */
export function serialize(challenge: Challenge): string {
  // Never emit what a conforming parser must refuse (an empty id, a bad method...), nor a
  // `header` other than the one value the draft allows (servers MUST NOT emit another).
  if (challenge.header !== undefined && challenge.header !== paymentAuthorization)
    throw new InvalidChallengeError(`header must be ${paymentAuthorization}`)
  if (CompiledSchemas.challenge(challenge) === undefined) {
    const result = schema.safeParse(challenge)
    if (!result.success)
      throw new InvalidChallengeError(describe(result.error), { cause: result.error })
  }
  // AuthParams.format's output, written directly: the scheme and the names are tokens and
  // none repeats, so only the values need AuthParams.quote's checks.
  let header = `${scheme} id=${AuthParams.quote('id', challenge.id)}`
  for (const name of serializedNames) {
    const value = challenge[name]
    if (value !== undefined) header += `, ${name}=${AuthParams.quote(name, value)}`
  }
  return header
}

/** The parameters after `id`, in the order `serialize` writes them. */
const serializedNames = [...boundFields, 'header', 'description'] as const

/**
 * Parses every Payment challenge in `WWW-Authenticate` field values (one string, or one
 * per field line), skipping other schemes.
 *
 * @throws {AuthParams.InvalidHeaderError | InvalidChallengeError}
 * @example
 * ```ts
 * import { Challenge } from '@paywire/core'
 * const challenges = Challenge.deserializeList('Bearer realm="x", Payment id="abc", realm="api", method="tempo", intent="charge", request="e30"')
 * ```
 */
export function deserializeList(
  header: string | readonly string[],
  options: deserialize.Options = {},
): Challenge[] {
  const challenges: Challenge[] = []
  for (const entry of AuthParams.parseChallenges(header, options)) {
    if (entry.scheme.toLowerCase() !== 'payment') continue
    if (!('params' in entry))
      throw new InvalidChallengeError('a Payment challenge must carry auth-params, not a token68')
    challenges.push(fromParams(entry.params))
  }
  return challenges
}

/**
 * Parses a `WWW-Authenticate` field value holding exactly one Payment challenge.
 *
 * @throws {AuthParams.InvalidHeaderError | InvalidChallengeError}
 * @example
 * ```ts
 * import { Challenge } from '@paywire/core'
 * const challenge = Challenge.deserialize('Payment id="abc", realm="api", method="tempo", intent="charge", request="e30"')
 * ```
 */
export function deserialize(header: string, options: deserialize.Options = {}): Challenge {
  const challenges = deserializeList(header, options)
  if (challenges.length !== 1)
    throw new InvalidChallengeError(`expected one Payment challenge, found ${challenges.length}`)
  return challenges[0] as Challenge
}

export declare namespace deserialize {
  type Options = AuthParams.parseChallenges.Options
}

// @enforces core.challenge.id.reject-empty, core.challenge.request.jcs, core.challenge.opaque.jcs
/**
 * Validates a challenge object (for example a credential's echo): the core parameters,
 * `request` as base64url of canonical JSON object text, `opaque` as a flat string map.
 *
 * @throws {InvalidChallengeError}
 * @example
 * ```ts
 * import { Challenge } from '@paywire/core'
 * declare const untrusted: unknown
 * const challenge = Challenge.validated(untrusted)
 * ```
 */
export function validated(value: unknown): Challenge {
  const challenge = checked(value)
  CanonicalObject.assertCanonical(challenge.request, 'request', InvalidChallengeError)
  if (challenge.opaque !== undefined) decodeOpaque(challenge)
  return challenge
}

/**
 * Decodes a challenge's `request` into its JSON object.
 *
 * @throws {InvalidChallengeError} unless `request` is base64url of a canonical (RFC 8785) JSON object.
 * @example
 * ```ts
 * import { Challenge } from '@paywire/core'
 * declare const challenge: Challenge.Challenge
 * const request = Challenge.decodeRequest(challenge) // { amount: '1000', ... }
 * ```
 */
export function decodeRequest(challenge: Pick<Challenge, 'request'>): Record<string, Json.Value> {
  // A route's `request` repeats across its challenges: its canonical check is done once.
  return CanonicalObject.decode(challenge.request, 'request', InvalidChallengeError, true)
}

// @enforces core.challenge.opaque.flat
/**
 * Decodes a challenge's `opaque` into its string map (empty when absent).
 *
 * @throws {InvalidChallengeError}
 * @example
 * ```ts
 * import { Challenge } from '@paywire/core'
 * declare const challenge: Challenge.Challenge
 * const opaque = Challenge.decodeOpaque(challenge) // { route: 'GET /paid' }
 * ```
 */
export function decodeOpaque(challenge: Pick<Challenge, 'opaque'>): Record<string, string> {
  if (challenge.opaque === undefined) return {}
  const value = CanonicalObject.decode(challenge.opaque, 'opaque', InvalidChallengeError)
  for (const key of Object.keys(value))
    if (typeof value[key] !== 'string')
      throw new InvalidChallengeError(`opaque member "${key}" is not a string`)
  return value as Record<string, string>
}

// @enforces core.challenge.request.jcs, charge.request.jcs
/**
 * Encodes a request object for the `request` parameter: RFC 8785, then base64url.
 *
 * @example
 * ```ts
 * import { Challenge } from '@paywire/core'
 * Challenge.encodeRequest({ currency: 'usd', amount: '1000' }) // base64url of {"amount":"1000","currency":"usd"}
 * ```
 */
export function encodeRequest(request: Record<string, unknown>): string {
  return Base64Url.encode(Json.canonicalize(request))
}

// @enforces core.challenge.opaque.jcs
/**
 * Encodes server correlation data for the `opaque` parameter: RFC 8785, then base64url.
 *
 * @throws {InvalidChallengeError} when a member is not a string.
 * @example
 * ```ts
 * import { Challenge } from '@paywire/core'
 * Challenge.encodeOpaque({ route: 'GET /paid' })
 * ```
 */
export function encodeOpaque(opaque: Record<string, string>): string {
  for (const key of Object.keys(opaque))
    if (typeof opaque[key] !== 'string')
      throw new InvalidChallengeError(`opaque member "${key}" is not a string`)
  return Base64Url.encode(Json.canonicalize(opaque))
}

/**
 * The schema check alone: every parameter's syntax, not what `request` and `opaque` encode.
 * The compiled check answers for valid challenges; the schema words every refusal.
 */
function checked(value: unknown): Challenge {
  const fast = CompiledSchemas.challenge(value)
  if (fast !== undefined) return fast
  const result = schema.safeParse(value)
  if (!result.success)
    throw new InvalidChallengeError(describe(result.error), { cause: result.error })
  return result.data
}

/** Every parameter of a challenge. */
const fieldNames = ['id', ...serializedNames] as const

function fromParams(params: Readonly<Record<string, string>>): Challenge {
  const fields: Record<string, string> = {}
  for (const name of fieldNames)
    if (Object.hasOwn(params, name)) fields[name] = params[name] as string
  return validated(fields)
}

// @enforces core.binding.header, core.binding.opaque-required, core.binding.all-params-required
/**
 * The seven positional slots the binding covers, joined with `|` (empty for absent
 * optionals), then `|header` when `header` is present (draft -01 §"Recommended:
 * HMAC-SHA256 Binding": the eighth slot comes after `opaque`).
 */
function bindingInput(challenge: computeId.Fields): string {
  // As Array.prototype.join writes them: null and undefined as empty slots.
  const { realm, method, intent, request, expires, digest, opaque, header } = challenge
  const base = `${realm ?? ''}|${method ?? ''}|${intent ?? ''}|${request ?? ''}|${expires ?? ''}|${digest ?? ''}|${opaque ?? ''}`
  return header === undefined || header === null ? base : `${base}|${header}`
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'invalid challenge'
  const path = issue.path.join('.')
  return path ? `${path}: ${issue.message}` : issue.message
}

/** Raised when a challenge lacks a required parameter or a parameter is invalid. */
export class InvalidChallengeError extends BaseError {
  override readonly name = 'Challenge.InvalidChallengeError'
  readonly code = 'ERR_CHALLENGE_INVALID'
  readonly problem = 'malformed-credential' as const
}

/**
 * Raised by servers when a challenge is not bound to its parameters under any secret,
 * is unknown, or was already used.
 */
export class UnboundChallengeError extends BaseError {
  override readonly name = 'Challenge.UnboundChallengeError'
  readonly code = 'ERR_CHALLENGE_UNBOUND'
  readonly problem = 'invalid-challenge' as const
}
