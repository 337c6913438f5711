// The Payment credential (draft-httpauth-payment §"Credentials (Authorization)"): the
// echoed challenge, an optional payer `source`, and the method's `payload`, as
// base64url-encoded JSON in `Authorization: Payment <token>`.
import { z } from 'zod'
import * as AuthParams from './AuthParams.js'
import * as Base64Url from './Base64Url.js'
import * as Challenge from './Challenge.js'
import { BaseError } from './Errors.js'
import * as CanonicalObject from './internal/canonicalObject.js'
import * as CompiledSchemas from './internal/compiledSchemas.js'
import * as Json from './Json.js'

// @enforces core.size.credential-4kb
/** Largest credential token paywire reads, in characters (the draft asks for at least 4 KB). */
export const maxLength = 65_536

/** The decoded credential. Unknown members are ignored, as the core draft requires. */
export const schema = z
  .object({
    challenge: Challenge.schema,
    source: z.string().optional().meta({ description: 'Payer identifier (a DID is recommended).' }),
    payload: z
      .record(z.string(), z.unknown())
      .meta({ description: 'Method-specific proof of payment.' }),
  })
  .meta({ title: 'Credential', description: 'A Payment credential (draft-httpauth-payment §5.2).' })

/** A Payment credential. */
export type Credential<payload extends Record<string, unknown> = Record<string, unknown>> = Omit<
  z.infer<typeof schema>,
  'payload'
> & { payload: payload }

/**
 * Builds a credential from the challenge being answered, the method's payload, and an
 * optional payer identifier. The challenge is echoed unchanged.
 *
 * @example
 * ```ts
 * import { Credential, Challenge } from '@paywire/core'
 * declare const challenge: Challenge.Challenge
 * const credential = Credential.from({ challenge, payload: { type: 'hash', hash: '0x...' } })
 * ```
 */
export function from<const payload extends Record<string, unknown>>(
  parameters: from.Parameters<payload>,
): Credential<payload> {
  const { challenge, payload, source } = parameters
  return { challenge: { ...challenge }, ...(source === undefined ? {} : { source }), payload }
}

export declare namespace from {
  type Parameters<payload> = {
    challenge: Challenge.Challenge
    payload: payload
    source?: string | undefined
  }
}

/**
 * Encodes a credential as the token of `Authorization: Payment <token>`: base64url
 * (no padding) of its canonical JSON.
 *
 * @example
 * ```ts
 * import { Credential } from '@paywire/core'
 * declare const credential: Credential.Credential
 * const token = Credential.serialize(credential)
 * ```
 */
export function serialize(credential: Credential): string {
  return Base64Url.encode(Json.canonicalize(credential))
}

// @enforces core.status.malformed-credential, core.versioning.ignore-unknown
/**
 * Decodes a credential token (the part after `Payment `).
 *
 * @throws {MalformedCredentialError} for a bad encoding, bad JSON, or a missing or
 *   invalid member. The message names the problem, never the token's content.
 * @example
 * ```ts
 * import { Credential } from '@paywire/core'
 * declare const token: string
 * const credential = Credential.deserialize(token)
 * ```
 */
export function deserialize(token: string): Credential {
  if (token.length > maxLength)
    throw new MalformedCredentialError(
      `credential of ${token.length} characters exceeds ${maxLength}`,
    )
  let value: Json.Value
  try {
    value = Json.parse(Base64Url.decodeString(token), { maxLength })
  } catch (cause) {
    const reason = cause instanceof Base64Url.InvalidBase64UrlError ? 'not base64url' : 'not JSON'
    throw new MalformedCredentialError(`credential is ${reason}`, { cause })
  }
  if (!Json.isObject(value)) throw new MalformedCredentialError('credential must be a JSON object')
  const data = CompiledSchemas.credential(value) ?? validated(value)
  try {
    // The check above passed the echo's parameters (the schema embeds Challenge.schema):
    // what is left of Challenge.validated is what `request` and `opaque` encode (a route's
    // `request`, the same in all its challenges, is checked once).
    CanonicalObject.assertCanonical(
      data.challenge.request,
      'request',
      Challenge.InvalidChallengeError,
    )
    if (data.challenge.opaque !== undefined) Challenge.decodeOpaque(data.challenge)
  } catch (cause) {
    throw new MalformedCredentialError(`challenge echo: ${(cause as Error).message}`, { cause })
  }
  return data
}

/** The schema's verdict on a decoded credential, its first issue named in the refusal. */
function validated(value: Json.Value): Credential {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const where = issue?.path.length ? issue.path.join('.') : 'credential'
  throw new MalformedCredentialError(`${where}: ${issue?.message ?? 'invalid'}`, {
    cause: result.error,
  })
}

/**
 * Formats the `Authorization` field value for a credential.
 *
 * @example
 * ```ts
 * import { Credential } from '@paywire/core'
 * declare const credential: Credential.Credential
 * const authorization = Credential.toAuthorization(credential) // 'Payment eyJ...'
 * ```
 */
export function toAuthorization(credential: Credential): string {
  return `${Challenge.scheme} ${serialize(credential)}`
}

/**
 * Reads a Payment credential from an `Authorization` field value. Returns `undefined`
 * when the value uses another scheme (e.g. `Bearer`). A Payment credential beside any
 * other credential in the field (one line, or several lines joined) is refused: the field
 * holds one credentials (RFC 9110 §11.6.2).
 *
 * @throws {MalformedCredentialError | MultipleCredentialsError}
 * @example
 * ```ts
 * import { Credential } from '@paywire/core'
 * const credential = Credential.fromAuthorization(request.headers.get('authorization'))
 * ```
 */
export function fromAuthorization(value: string | null | undefined): Credential | undefined {
  if (value === null || value === undefined || value === '') return undefined
  let entries: AuthParams.Entry[]
  try {
    // Several Authorization lines reach a fetch `Headers` joined by ", ": read the value
    // as a list so that a second Payment credential is seen rather than swallowed.
    entries = AuthParams.parseCredentials(value, { maxLength: maxLength + 1024 })
  } catch (cause) {
    throw new MalformedCredentialError('Authorization header is not valid auth syntax', { cause })
  }
  // @enforces core.credential.scheme-case
  const payments = entries.filter((entry) => entry.scheme.toLowerCase() === 'payment')
  if (payments.length === 0) return undefined
  if (payments.length > 1)
    throw new MultipleCredentialsError('request carries more than one Payment credential')
  // The field carries one credentials (RFC 9110 §11.6.2). A Payment credential beside
  // another scheme's (one line, or two lines joined) is ambiguous: the application may act
  // on the other one while paywire reads this one.
  if (entries.length > 1)
    throw new MultipleCredentialsError(
      'the Authorization field carries a Payment credential beside another scheme: send it alone',
    )
  const entry = payments[0] as (typeof payments)[number]
  if (!('token68' in entry))
    throw new MalformedCredentialError('Payment credential must be a base64url token')
  return deserialize(entry.token68)
}

/**
 * Reads the Payment credential of a request from `Authorization` or
 * `Payment-Authorization` (draft-httpauth-payment-01 §"Credentials"), with the field it
 * came in. `Authorization` may hold another scheme (e.g. `Bearer`) beside a credential in
 * `Payment-Authorization`; `Payment-Authorization` holds only a Payment credential.
 * Whether the field is the one the echoed challenge selected is the server's check
 * (see `Challenge.credentialField`), made once the echo is known to be bound.
 *
 * @throws {MalformedCredentialError | MultipleCredentialsError}
 * @example
 * ```ts
 * import { Credential } from '@paywire/core'
 * declare const request: Request
 * const found = Credential.fromHeaders(request.headers) // { credential, field } | undefined
 * ```
 */
export function fromHeaders(headers: fromHeaders.Headers): fromHeaders.ReturnType {
  const inAuthorization = fromAuthorization(headers.get('authorization'))
  const value = headers.get('payment-authorization')
  let inPaymentAuthorization: Credential | undefined
  if (value !== null && value !== undefined && value !== '') {
    inPaymentAuthorization = fromAuthorization(value)
    if (inPaymentAuthorization === undefined)
      throw new MalformedCredentialError(
        'the Payment-Authorization field carries no Payment credential',
      )
  }
  if (inAuthorization !== undefined && inPaymentAuthorization !== undefined)
    throw new MultipleCredentialsError(
      'request carries a Payment credential in both Authorization and Payment-Authorization',
    )
  if (inPaymentAuthorization !== undefined)
    return { credential: inPaymentAuthorization, field: Challenge.paymentAuthorization }
  if (inAuthorization !== undefined) return { credential: inAuthorization, field: 'Authorization' }
  return undefined
}

export declare namespace fromHeaders {
  type Headers = { get(name: string): string | null | undefined }
  type ReturnType = { credential: Credential; field: Challenge.CredentialField } | undefined
}

/** Raised when a credential cannot be decoded or lacks what the draft requires. */
export class MalformedCredentialError extends BaseError {
  override readonly name = 'Credential.MalformedCredentialError'
  readonly code = 'ERR_CREDENTIAL_MALFORMED'
  readonly problem = 'malformed-credential' as const
}

/**
 * Raised when a credential's `payload` does not match its method's schema
 * (draft-httpauth-payment-01's `invalid-payload`).
 */
export class InvalidPayloadError extends BaseError {
  override readonly name = 'Credential.InvalidPayloadError'
  readonly code = 'ERR_CREDENTIAL_PAYLOAD_INVALID'
  readonly problem = 'invalid-payload' as const
}

/**
 * Raised when a Payment credential arrived in a request field other than the one its
 * challenge selected (draft-httpauth-payment-01 §"Credentials": such a credential MUST
 * NOT satisfy the challenge).
 */
export class WrongFieldError extends BaseError {
  override readonly name = 'Credential.WrongFieldError'
  readonly code = 'ERR_CREDENTIAL_WRONG_FIELD'
  readonly problem = 'malformed-credential' as const
}

/**
 * Raised when a request carries more than one Payment credential (in one field, or in
 * both `Authorization` and `Payment-Authorization`). Answered 400 with the -01
 * `bad-request` problem type.
 */
export class MultipleCredentialsError extends BaseError {
  override readonly name = 'Credential.MultipleCredentialsError'
  readonly code = 'ERR_CREDENTIAL_MULTIPLE'
  readonly problem = 'bad-request' as const
  /** HTTP status the draft recommends for this failure. */
  readonly httpStatus = 400
}
