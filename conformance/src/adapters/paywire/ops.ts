// The operations of the mpp-tools conformance harness (conformance/HARNESS_SPEC.md,
// "Operations"), each translated into @paywire/core calls. Inputs and outputs are the
// harness's canonical values: optional members omitted, a challenge's `request` as a
// decoded JSON object. An operation returns its value or throws; `abi.ts` turns that
// into a response.
import { Base64Url, Challenge, Credential, Errors, Receipt, Secret } from '@paywire/core'
import { z } from 'zod'

/**
 * Every operation this adapter implements, by its harness name. Each takes the
 * operation's `input` (untrusted) and returns its `value`, or throws.
 *
 * @example
 * ```ts
 * import { Operations } from '@paywire/conformance'
 * Operations.operations['base64url.encode']({ text: 'hi?' }) // { text: 'aGk_' }
 * ```
 */
export const operations = {
  'challenge.parse': parseChallenge,
  'challenge.format': formatChallenge,
  'credential.parse': parseCredential,
  'credential.format': formatCredential,
  'receipt.parse': parseReceipt,
  'receipt.format': formatReceipt,
  'base64url.encode': encodeBase64Url,
  'base64url.decode': decodeBase64Url,
  'challenge.id': computeChallengeId,
} as const satisfies Record<string, (input: unknown) => unknown>

/** The name of an operation this adapter implements. */
export type Operation = keyof typeof operations

/**
 * A challenge as the harness writes it (`protocol.schema.json#/$defs/Challenge`): the
 * wire parameters, with `request` decoded to a JSON object. Unknown members are refused.
 *
 * @example
 * ```ts
 * import { Operations } from '@paywire/conformance'
 * Operations.challengeSchema.parse({ id: 'a', realm: 'r', method: 'tempo', intent: 'charge', request: {} })
 * ```
 */
export const challengeSchema = z.strictObject({
  id: z.string(),
  realm: z.string(),
  method: z.string(),
  intent: z.string(),
  request: z.record(z.string(), z.unknown()),
  expires: z.string().optional(),
  description: z.string().optional(),
  digest: z.string().optional(),
  opaque: z.string().optional(),
  /** draft-httpauth-payment-01: the credential's field, `Payment-Authorization`. */
  header: z.string().optional(),
})

/** A challenge as the harness writes it. */
export type CanonicalChallenge = z.infer<typeof challengeSchema>

/** A credential as the harness writes it; `source` may be `null` on input. */
export type CanonicalCredential = {
  challenge: CanonicalChallenge
  payload: Record<string, unknown>
  source?: string
}

/**
 * Whether a string names an operation this adapter implements.
 *
 * @example
 * ```ts
 * import { Operations } from '@paywire/conformance'
 * Operations.isOperation('challenge.parse') // true
 * Operations.isOperation('http.payment_request') // false
 * ```
 */
export function isOperation(name: string): name is Operation {
  return Object.hasOwn(operations, name)
}

/**
 * Converts a core challenge into the harness's canonical challenge: `request` decoded,
 * absent optional parameters omitted, `opaque` kept in its wire (base64url) form.
 *
 * @throws {Challenge.InvalidChallengeError} when `request` is not canonical JSON.
 * @example
 * ```ts
 * import { Challenge } from '@paywire/core'
 * import { Operations } from '@paywire/conformance'
 * const challenge = Challenge.deserialize('Payment id="a", realm="r", method="tempo", intent="charge", request="e30"')
 * Operations.toCanonicalChallenge(challenge) // { id: 'a', realm: 'r', method: 'tempo', intent: 'charge', request: {} }
 * ```
 */
export function toCanonicalChallenge(challenge: Challenge.Challenge): CanonicalChallenge {
  const { expires, description, digest, opaque, header } = challenge
  return {
    id: challenge.id,
    realm: challenge.realm,
    method: challenge.method,
    intent: challenge.intent,
    request: Challenge.decodeRequest(challenge),
    ...(expires === undefined ? {} : { expires }),
    ...(description === undefined ? {} : { description }),
    ...(digest === undefined ? {} : { digest }),
    ...(opaque === undefined ? {} : { opaque }),
    ...(header === undefined ? {} : { header }),
  }
}

/**
 * Converts a canonical challenge into a core challenge: `request` canonicalized (RFC
 * 8785) and encoded, then every parameter validated by core.
 *
 * @throws {Challenge.InvalidChallengeError | Json.InvalidJsonError}
 * @example
 * ```ts
 * import { Operations } from '@paywire/conformance'
 * const challenge = Operations.fromCanonicalChallenge({ id: 'a', realm: 'r', method: 'tempo', intent: 'charge', request: {} })
 * challenge.request // 'e30'
 * ```
 */
export function fromCanonicalChallenge(challenge: CanonicalChallenge): Challenge.Challenge {
  return Challenge.validated({ ...challenge, request: Challenge.encodeRequest(challenge.request) })
}

function parseChallenge(input: unknown): CanonicalChallenge {
  const { header } = read(headerInput, input)
  return toCanonicalChallenge(Challenge.deserialize(header))
}

function formatChallenge(input: unknown): { header: string } {
  return { header: Challenge.serialize(fromCanonicalChallenge(read(challengeSchema, input))) }
}

function parseCredential(input: unknown): CanonicalCredential {
  const { header } = read(headerInput, input)
  const credential = Credential.fromAuthorization(header)
  if (credential === undefined) throw new InvalidInputError('header carries no Payment credential')
  return {
    challenge: toCanonicalChallenge(credential.challenge),
    payload: credential.payload,
    ...(credential.source === undefined ? {} : { source: credential.source }),
  }
}

function formatCredential(input: unknown): { header: string } {
  const { challenge, payload, source } = read(credentialInput, input)
  if (source !== undefined && source !== null && typeof source !== 'string')
    throw new UnsupportedInputError('source: @paywire/core carries a payer source as a string only')
  const credential = Credential.from({
    challenge: fromCanonicalChallenge(challenge),
    payload,
    ...(typeof source === 'string' ? { source } : {}),
  })
  return { header: Credential.toAuthorization(credential) }
}

function parseReceipt(input: unknown): Receipt.Receipt {
  const { header } = read(headerInput, input)
  return Receipt.deserialize(header)
}

function formatReceipt(input: unknown): { header: string } {
  const result = Receipt.schema.safeParse(read(jsonObject, input))
  if (!result.success) throw new Receipt.InvalidReceiptError(describe(result.error, 'receipt'))
  return { header: Receipt.serialize(result.data) }
}

function encodeBase64Url(input: unknown): { text: string } {
  return { text: Base64Url.encode(read(textInput, input).text) }
}

function decodeBase64Url(input: unknown): { text: string } {
  return { text: Base64Url.decodeString(read(textInput, input).text) }
}

function computeChallengeId(input: unknown): { id: string } {
  const { secretKey, header, request, realm, method, intent, expires, digest, opaque } = read(
    challengeIdInput,
    input,
  )
  // draft-httpauth-payment-01 binds `header` as an eighth slot appended after `opaque`
  // (the harness, like mppx 0.11, inserts it before `opaque`: spec/DEVIATIONS.md row 2).
  // `Authorization` is the default field, bound as no header at all; the draft allows no
  // other value.
  const selected =
    header === undefined || header.toLowerCase() === 'authorization' ? undefined : header
  if (selected !== undefined && selected !== Challenge.paymentAuthorization)
    throw new UnsupportedInputError(
      `header: the draft allows only ${Challenge.paymentAuthorization} (or the default Authorization)`,
    )
  const secret = Secret.from(secretKey)
  const fields = {
    realm,
    method,
    intent,
    request: Challenge.encodeRequest(request),
    ...(expires === undefined ? {} : { expires }),
    ...(digest === undefined ? {} : { digest }),
    ...(opaque === undefined ? {} : { opaque }),
    ...(selected === undefined ? {} : { header: selected }),
  }
  return { id: Challenge.computeId(fields, secret) }
}

// --- inputs, as the harness's protocol.schema.json describes them ---------------------

const jsonObject = z.record(z.string(), z.unknown())
const optionalString = z.string().optional()
const headerInput = z.strictObject({ header: z.string() })
const textInput = z.strictObject({ text: z.string() })
const credentialInput = z.strictObject({
  challenge: challengeSchema,
  payload: jsonObject,
  source: z.union([z.string(), z.null(), jsonObject]).optional(),
})
const challengeIdInput = z.strictObject({
  secretKey: z.string(),
  realm: z.string(),
  method: z.string(),
  intent: z.string(),
  request: jsonObject,
  expires: optionalString,
  description: optionalString,
  digest: optionalString,
  opaque: optionalString,
  header: optionalString,
})

/** Checks an operation's input against its schema. Messages name paths, never values. */
function read<schema extends z.ZodType>(schema: schema, input: unknown): z.infer<schema> {
  const result = schema.safeParse(input)
  if (!result.success) throw new InvalidInputError(describe(result.error, 'input'))
  return result.data
}

function describe(error: z.ZodError, subject: string): string {
  const issue = error.issues[0]
  if (!issue) return `invalid ${subject}`
  const path = issue.path.map(String).join('.')
  return `${path || subject}: ${issue.message}`
}

/** Raised when an operation's input does not have the shape the harness's schema gives it. */
export class InvalidInputError extends Errors.BaseError {
  override readonly name = 'Operations.InvalidInputError'
  readonly code = 'ERR_CONFORMANCE_INPUT_INVALID'
  readonly problem = undefined
}

/** Raised when the harness asks for something @paywire/core has no way to express. */
export class UnsupportedInputError extends Errors.BaseError {
  override readonly name = 'Operations.UnsupportedInputError'
  readonly code = 'ERR_CONFORMANCE_INPUT_UNSUPPORTED'
  readonly problem = undefined
}
