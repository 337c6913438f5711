// The payment objects as they travel in JSON-RPC (draft-payment-transport-mcp §"Challenge
// Structure", §"Credential Structure", §"Receipt Structure"): the same challenge,
// credential and receipt as over HTTP, but as native JSON. `request` is a JSON object
// (never base64url); for binding it is canonicalized (RFC 8785) and encoded exactly as the
// HTTP challenge's `request`, so a challenge id is the same HMAC on both transports.
import { Challenge, Credential, Errors, Receipt } from '@paywire/core'
import { z } from 'zod'

/**
 * The `_meta` key of a credential in a request (`params._meta` or the message root).
 * @example
 * ```ts
 * import { Wire } from '@paywire/mcp'
 * declare const extra: { _meta?: Record<string, unknown> }
 * const presented = extra._meta?.[Wire.credentialKey]
 * ```
 */
export const credentialKey = 'org.paymentauth/credential'

/**
 * The `_meta` key of a receipt in a successful result.
 * @example
 * ```ts
 * import { Wire } from '@paywire/mcp'
 * declare const result: { _meta?: Record<string, unknown> }
 * const receipt = Wire.receiptSchema.safeParse(result._meta?.[Wire.receiptKey])
 * ```
 */
export const receiptKey = 'org.paymentauth/receipt'

/**
 * A challenge object as JSON-RPC carries it. `request` is native JSON; `digest` and
 * `opaque` (bound by the HMAC like every other parameter) keep their HTTP string form.
 * Unknown members are kept: a client echoes the object unchanged.
 * @example
 * ```ts
 * import { Wire } from '@paywire/mcp'
 * Wire.challengeSchema.safeParse({ id: 'x', realm: 'r', method: 'tempo', intent: 'charge', request: { amount: '1' } }).success // true
 * ```
 */
export const challengeSchema = z
  .object({
    id: z.string().min(1, 'id must be non-empty'),
    realm: z.string(),
    method: Challenge.methodSchema,
    intent: Challenge.intentSchema,
    request: z.record(z.string(), z.unknown()),
    expires: Challenge.dateTimeSchema.optional(),
    description: z.string().optional(),
    digest: z.string().min(1).optional(),
    opaque: z.string().min(1).optional(),
    // draft-httpauth-payment-01: bound (eighth HMAC slot) and echoed unchanged.
    header: z.string().min(1).optional(),
  })
  .catchall(z.unknown())
  .meta({ title: 'JSON-RPC challenge', description: 'draft-payment-transport-mcp §6.2' })

/**
 * A challenge in its JSON-RPC form.
 * @example
 * ```ts
 * import type { Wire } from '@paywire/mcp'
 * declare const challenge: Wire.JsonChallenge
 * challenge.request.amount
 * ```
 */
export type JsonChallenge = z.infer<typeof challengeSchema>

/**
 * A credential as JSON-RPC carries it in `_meta["org.paymentauth/credential"]`.
 * @example
 * ```ts
 * import { Wire } from '@paywire/mcp'
 * declare const meta: Record<string, unknown>
 * const credential = Wire.credentialSchema.safeParse(meta[Wire.credentialKey])
 * ```
 */
export const credentialSchema = z
  .object({
    challenge: challengeSchema,
    payload: z.record(z.string(), z.unknown()),
    source: z.string().optional(),
  })
  .meta({ title: 'JSON-RPC credential', description: 'draft-payment-transport-mcp §7.3' })

/**
 * A credential in its JSON-RPC form.
 * @example
 * ```ts
 * import type { Wire } from '@paywire/mcp'
 * declare const challenge: Wire.JsonChallenge
 * const credential: Wire.JsonCredential = { challenge, payload: { signature: '0x...' } }
 * ```
 */
export type JsonCredential = z.infer<typeof credentialSchema>

/**
 * A receipt as JSON-RPC carries it in `_meta["org.paymentauth/receipt"]`: the HTTP
 * receipt's members plus the `challengeId` the draft requires.
 * @example
 * ```ts
 * import { Wire } from '@paywire/mcp'
 * Wire.receiptSchema.parse({ status: 'success', method: 'tempo', timestamp: '2025-01-15T12:00:30Z', reference: '0xabc', challengeId: 'qB3w' })
 * ```
 */
export const receiptSchema = Receipt.schema
  .extend({ challengeId: z.string().min(1) })
  .meta({ title: 'JSON-RPC receipt', description: 'draft-payment-transport-mcp §8.2' })

/**
 * A receipt in its JSON-RPC form.
 * @example
 * ```ts
 * import type { Wire } from '@paywire/mcp'
 * declare const receipt: Wire.JsonReceipt
 * console.log(receipt.challengeId, receipt.reference)
 * ```
 */
export type JsonReceipt = z.infer<typeof receiptSchema>

/**
 * The JSON-RPC form of a challenge: `request` decoded to its JSON object.
 *
 * @example
 * ```ts
 * import { Challenge, Expires, Secret } from '@paywire/core'
 * import { Wire } from '@paywire/mcp'
 * const challenge = Challenge.from(
 *   { realm: 'tools.example.com', method: 'test', intent: 'charge', request: { amount: '10', currency: 'usd' }, expires: Expires.inSeconds(300) },
 *   { secret: Secret.from('a-very-long-random-secret-of-32-bytes-or-more') },
 * )
 * Wire.toJsonChallenge(challenge).request // { amount: '10', currency: 'usd' }
 * ```
 */
export function toJsonChallenge(challenge: Challenge.Challenge): JsonChallenge {
  const { request, ...rest } = challenge
  return { ...rest, request: Challenge.decodeRequest({ request }) }
}

/**
 * The core (HTTP) form of a JSON-RPC challenge: `request` canonicalized (RFC 8785) and
 * base64url-encoded, so `Challenge.verify` checks the same HMAC as over HTTP.
 *
 * @throws {InvalidWireError} when the value is not a valid challenge object.
 * @example
 * ```ts
 * import { Wire } from '@paywire/mcp'
 * declare const json: unknown
 * const challenge = Wire.fromJsonChallenge(json) // Challenge.Challenge
 * ```
 */
export function fromJsonChallenge(value: unknown): Challenge.Challenge {
  const parsed = parse(challengeSchema, value, 'challenge')
  const fields: Record<string, unknown> = {
    id: parsed.id,
    realm: parsed.realm,
    method: parsed.method,
    intent: parsed.intent,
  }
  try {
    fields.request = Challenge.encodeRequest(parsed.request)
  } catch (cause) {
    throw new InvalidWireError('challenge.request is not serializable JSON', { cause })
  }
  for (const name of ['expires', 'digest', 'description', 'opaque', 'header'] as const)
    if (parsed[name] !== undefined) fields[name] = parsed[name]
  try {
    return Challenge.validated(fields)
  } catch (cause) {
    throw new InvalidWireError(`challenge: ${(cause as Error).message}`, { cause })
  }
}

/**
 * The core credential of a JSON-RPC credential: what `Credential.toAuthorization` and the
 * server's checks take. The echoed challenge is converted with {@link fromJsonChallenge}.
 *
 * @throws {InvalidWireError} when a member is missing or invalid (`-32602` on the wire).
 * @example
 * ```ts
 * import { Wire } from '@paywire/mcp'
 * declare const meta: Record<string, unknown>
 * const credential = Wire.fromJsonCredential(meta[Wire.credentialKey])
 * ```
 */
export function fromJsonCredential(value: unknown): Credential.Credential {
  const parsed = parse(credentialSchema, value, 'credential')
  return Credential.from({
    challenge: fromJsonChallenge(parsed.challenge),
    payload: parsed.payload,
    source: parsed.source,
  })
}

/**
 * The JSON-RPC receipt of a paid request: the receipt and the id of the challenge paid.
 *
 * @example
 * ```ts
 * import { Receipt } from '@paywire/core'
 * import { Wire } from '@paywire/mcp'
 * const receipt = Wire.toJsonReceipt(Receipt.from({ method: 'test', reference: 'test_1' }), 'challenge-id')
 * ```
 */
export function toJsonReceipt(receipt: Receipt.Receipt, challengeId: string): JsonReceipt {
  return { ...receipt, challengeId }
}

function parse<schema extends z.ZodType>(
  schema: schema,
  value: unknown,
  what: string,
): z.infer<schema> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const where = issue?.path.length ? `${what}.${issue.path.join('.')}` : what
  throw new InvalidWireError(
    issue?.code === 'invalid_type' && issue.input === undefined
      ? `missing required field: ${where}`
      : `${where}: ${issue?.message ?? 'invalid'}`,
    { cause: result.error },
  )
}

/**
 * Raised when a JSON-RPC payment object is missing a member or a member is invalid. A
 * server answers it with `-32602` (Invalid params).
 *
 * @example
 * ```ts
 * import { Wire } from '@paywire/mcp'
 * try {
 *   Wire.fromJsonCredential({ payload: {} })
 * } catch (error) {
 *   if (error instanceof Wire.InvalidWireError) console.log(error.message) // 'missing required field: credential.challenge'
 * }
 * ```
 */
export class InvalidWireError extends Errors.BaseError {
  override readonly name = 'Wire.InvalidWireError'
  readonly code = 'ERR_MCP_WIRE_INVALID'
  readonly problem = 'malformed-credential' as const
}
