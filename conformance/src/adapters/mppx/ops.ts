// An adapter of the mpp-tools ABI (one JSON request in, one JSON response out) whose
// operations are the mppx package's own codecs (mppx 0.11, the ecosystem's TypeScript
// SDK), so that paywire's vectors compare mppx with paywire. Each operation calls mppx's
// public API and translates only at the edge: the harness's canonical values in, mppx's
// objects out. What mppx has no public function for (base64url of text) is answered
// `unsupported_operation`, never done by paywire code. The flow operation,
// `http.payment_request`, drives mppx's paying client (flow.ts, through {@link respond}).
// Not part of the published package.
import { Challenge, Credential, Receipt } from 'mppx'
import { z } from 'zod'

/** The ABI version this adapter speaks (the request's `schema` member). */
export const schemaVersion = 1

/**
 * The operations mppx implements, by their harness name, with the error type the
 * harness gives each operation's refusals. mppx throws its own errors (plain `Error`s
 * and zod errors) when it refuses an input; each becomes that type.
 */
export const operations = {
  'challenge.parse': { run: parseChallenge, errorType: 'parse_error' },
  'challenge.format': { run: formatChallenge, errorType: 'format_error' },
  'credential.parse': { run: parseCredential, errorType: 'parse_error' },
  'credential.format': { run: formatCredential, errorType: 'format_error' },
  'receipt.parse': { run: parseReceipt, errorType: 'parse_error' },
  'receipt.format': { run: formatReceipt, errorType: 'format_error' },
  'challenge.id': { run: computeChallengeId, errorType: 'generation_error' },
} as const satisfies Record<string, { run: (input: unknown) => unknown; errorType: ErrorType }>

/** The name of an operation mppx implements. */
export type Operation = keyof typeof operations

/**
 * Operations of the ABI this adapter does not run, with the reason: mppx has no public
 * function for them. They are answered `unsupported_operation`.
 */
export const unsupported: Readonly<Record<string, string>> = {
  'base64url.encode': 'mppx exports no base64url codec for text (it calls ox internally)',
  'base64url.decode': 'mppx exports no base64url codec for text (it calls ox internally)',
}

/** The flow operation: it does HTTP, so it runs asynchronously ({@link respond}). */
export const flowOperation = 'http.payment_request'

/** The harness's error types this adapter answers with. */
export type ErrorType =
  | 'parse_error'
  | 'format_error'
  | 'generation_error'
  | 'http_error'
  | 'unsupported_operation'
  | 'unknown_error'

/** A response, as written to stdout. */
export type Response =
  | { ok: true; value: unknown }
  | { ok: false; error: { type: ErrorType; message: string } }

/**
 * Handles one request given as JSON text and returns the response. Never throws.
 *
 * @example
 * ```ts
 * import * as Mppx from './ops.js'
 * Mppx.handle('{"schema":1,"op":"receipt.parse","input":{"header":"e30"}}')
 * // { ok: false, error: { type: 'parse_error', message: '...' } }
 * ```
 */
export function handle(text: string): Response {
  let request: unknown
  try {
    request = JSON.parse(text)
  } catch {
    return failure('unknown_error', 'request is not JSON')
  }
  const envelope = envelopeSchema.safeParse(request)
  if (!envelope.success) return failure('unknown_error', `bad request: ${describe(envelope.error)}`)
  const { schema, op, input } = envelope.data
  if (schema !== schemaVersion)
    return failure('unsupported_operation', `ABI schema ${schema} is not supported`)
  if (op === flowOperation)
    return failure('unsupported_operation', `operation "${op}" does HTTP: run it with respond`)
  if (!isOperation(op))
    return failure(
      'unsupported_operation',
      unsupported[op] ?? `operation "${op.slice(0, 64)}" is not an operation of the ABI`,
    )
  return run(op, input)
}

/**
 * Handles one request given as JSON text, the flow operation included (it runs mppx's
 * paying client): resolves with the response, never rejects. A refusal to pay, a failed
 * request or an input of the wrong shape is `http_error`; a mode or `payer` member mppx
 * cannot honour is `unsupported_operation`.
 *
 * @example
 * ```ts
 * import * as Mppx from './ops.js'
 * await Mppx.respond('{"schema":1,"op":"http.payment_request","input":{}}')
 * // { ok: false, error: { type: 'http_error', message: 'input: ...' } }
 * ```
 */
export async function respond(text: string): Promise<Response> {
  let request: unknown
  try {
    request = JSON.parse(text)
  } catch {
    return failure('unknown_error', 'request is not JSON')
  }
  const envelope = envelopeSchema.safeParse(request)
  if (
    !envelope.success ||
    envelope.data.schema !== schemaVersion ||
    envelope.data.op !== flowOperation
  )
    return handle(text)
  // Loaded on demand: the codec operations start without viem and mppx's client.
  const Flow = await import('./flow.js')
  try {
    return { ok: true, value: await Flow.paymentRequest(envelope.data.input) }
  } catch (error) {
    if (error instanceof Flow.MppxUnsupportedError)
      return failure('unsupported_operation', error.message)
    if (error instanceof Flow.MppxRefusedError || error instanceof Flow.MppxInputError)
      return failure('http_error', error.message)
    return failure('http_error', `mppx: ${messageOf(error)}`)
  }
}

/**
 * Runs one operation with mppx and maps its outcome onto a response. Never throws.
 *
 * @example
 * ```ts
 * import * as Mppx from './ops.js'
 * Mppx.run('challenge.parse', { header: 'Payment id="a", realm="r", method="tempo", intent="charge", request="e30"' })
 * // { ok: true, value: { id: 'a', realm: 'r', method: 'tempo', intent: 'charge', request: {} } }
 * ```
 */
export function run(operation: Operation, input: unknown): Response {
  const { run: execute, errorType } = operations[operation]
  try {
    return { ok: true, value: execute(input) }
  } catch (error) {
    return failure(errorType, `mppx refused: ${messageOf(error)}`)
  }
}

/** Whether `name` is an operation mppx implements. */
export function isOperation(name: string): name is Operation {
  return Object.hasOwn(operations, name)
}

/** A failure response. */
export function failure(type: ErrorType, message: string): Response {
  return { ok: false, error: { type, message } }
}

// --- the operations: mppx's public API, translated at the edge -------------------------

type MppxChallenge = ReturnType<typeof Challenge.deserialize>

function parseChallenge(input: unknown): Record<string, unknown> {
  return toCanonical(Challenge.deserialize(read(headerInput, input).header))
}

function formatChallenge(input: unknown): { header: string } {
  return { header: Challenge.serialize(fromCanonical(read(challengeInput, input))) }
}

function parseCredential(input: unknown): Record<string, unknown> {
  const { header } = read(headerInput, input)
  // As mppx's `Credential.fromRequest` reads an Authorization value: the Payment scheme
  // among those listed, then its token.
  const scheme = Credential.extractPaymentScheme(header)
  if (scheme === null) throw new Error('no Payment scheme in the header')
  const credential = Credential.deserialize(scheme)
  return {
    challenge: toCanonical(credential.challenge),
    payload: credential.payload,
    ...(credential.source === undefined ? {} : { source: credential.source }),
  }
}

function formatCredential(input: unknown): { header: string } {
  const { challenge, payload, source } = read(credentialInput, input)
  if (source !== undefined && source !== null && typeof source !== 'string')
    throw new Error('source: mppx types a payer source as a string')
  const credential = Credential.from({
    challenge: fromCanonical(challenge),
    payload,
    ...(typeof source === 'string' ? { source } : {}),
  })
  return { header: Credential.serialize(credential) }
}

function parseReceipt(input: unknown): Record<string, unknown> {
  return Receipt.deserialize(read(headerInput, input).header)
}

function formatReceipt(input: unknown): { header: string } {
  return { header: Receipt.serialize(Receipt.from(read(objectInput, input) as Receipt.Receipt)) }
}

function computeChallengeId(input: unknown): { id: string } {
  const { secretKey, ...parameters } = read(challengeIdInput, input)
  // mppx computes a challenge's id when `Challenge.from` is given a secret key.
  const challenge = Challenge.from({ ...definedOnly(parameters), secretKey })
  return { id: challenge.id }
}

/** mppx's challenge as the harness writes it: `meta` is mppx's parsed view of `opaque`. */
function toCanonical(challenge: MppxChallenge): Record<string, unknown> {
  const { meta: _meta, ...wire } = challenge
  return definedOnly(wire)
}

/** The harness's challenge as mppx builds one, with its explicit id. */
function fromCanonical(challenge: z.infer<typeof challengeInput>): MppxChallenge {
  return Challenge.from(definedOnly(challenge))
}

// --- inputs, as the harness's protocol.schema.json describes them ---------------------

const objectInput = z.record(z.string(), z.unknown())
const headerInput = z.strictObject({ header: z.string() })
const challengeFields = {
  realm: z.string(),
  method: z.string(),
  intent: z.string(),
  request: objectInput,
  expires: z.string().optional(),
  description: z.string().optional(),
  digest: z.string().optional(),
  opaque: z.string().optional(),
  header: z.string().optional(),
}
const challengeInput = z.strictObject({ id: z.string(), ...challengeFields })
const credentialInput = z.strictObject({
  challenge: challengeInput,
  payload: objectInput,
  source: z.union([z.string(), z.null(), objectInput]).optional(),
})
const challengeIdInput = z.strictObject({ secretKey: z.string(), ...challengeFields })
const envelopeSchema = z.strictObject({
  schema: z.number(),
  op: z.string(),
  input: z.unknown(),
  context: z.unknown().optional(),
})

function read<schema extends z.ZodType>(schema: schema, input: unknown): z.infer<schema> {
  const result = schema.safeParse(input)
  if (!result.success) throw new Error(`input: ${describe(result.error)}`)
  return result.data
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0]
  return issue === undefined
    ? 'invalid'
    : `${issue.path.map(String).join('.') || 'value'}: ${issue.message}`
}

/** The members whose value is not undefined (mppx and the harness omit absent members). */
function definedOnly<value extends Record<string, unknown>>(value: value): value {
  return Object.fromEntries(
    Object.entries(value).filter(([, member]) => member !== undefined),
  ) as value
}

function messageOf(error: unknown): string {
  if (error instanceof z.ZodError) return describe(error)
  return error instanceof Error ? error.message : String(error)
}
