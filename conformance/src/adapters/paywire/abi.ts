// The adapter ABI of the mpp-tools conformance harness (conformance/HARNESS_SPEC.md,
// "Adapter ABI"): one JSON request `{ schema: 1, op, input, context? }` in, one JSON
// response `{ ok: true, value }` or `{ ok: false, error: { type, message } }` out.
// This module reads the envelope, dispatches to `ops.ts` and maps failures onto the
// harness's error types. It does no I/O.
import { Errors, Json } from '@paywire/core'
import * as Operations from './ops.js'

/** The ABI version this adapter speaks (the request's `schema` member). */
export const schemaVersion = 1

/** Largest request accepted, in bytes of UTF-8 (1 MiB). */
export const maxRequestBytes = 1_048_576

/** Deepest JSON nesting accepted in a request. */
export const maxRequestDepth = 64

/** The harness's error types (`protocol.schema.json#/$defs/ErrorType`). */
export const errorTypes = [
  'parse_error',
  'format_error',
  'encoding_error',
  'generation_error',
  'verification_error',
  'http_error',
  'unsupported_operation',
  'unknown_error',
] as const

/** One of the harness's error types. */
export type ErrorType = (typeof errorTypes)[number]

/**
 * The error type each operation reports when @paywire/core refuses its input: the one
 * the harness's `operations.json` allows for it.
 */
export const operationErrorTypes = {
  'challenge.parse': 'parse_error',
  'challenge.format': 'format_error',
  'credential.parse': 'parse_error',
  'credential.format': 'format_error',
  'receipt.parse': 'parse_error',
  'receipt.format': 'format_error',
  'base64url.encode': 'encoding_error',
  'base64url.decode': 'encoding_error',
  'challenge.id': 'generation_error',
} as const satisfies Record<Operations.Operation, ErrorType>

/** The flow operations: they do HTTP, so they run asynchronously ({@link respond}). */
export const flowOperations = ['http.payment_request'] as const

/** A response, as written to stdout. */
export type Response =
  | { ok: true; value: unknown }
  | { ok: false; error: { type: ErrorType; message: string } }

/**
 * Handles one request given as JSON text: reads the envelope, runs the operation, and
 * returns the response. Never throws.
 *
 * - not JSON, not an object, or a malformed envelope: `unknown_error`;
 * - a `schema` other than 1, or an operation this adapter does not implement:
 *   `unsupported_operation`;
 * - input refused by @paywire/core (or not of the operation's shape): the operation's
 *   own error type ({@link operationErrorTypes});
 * - anything else thrown while running the operation: `unknown_error`.
 *
 * @example
 * ```ts
 * import { Adapter } from '@paywire/conformance'
 * Adapter.handle('{"schema":1,"op":"base64url.encode","input":{"text":"hi?"}}')
 * // { ok: true, value: { text: 'aGk_' } }
 * ```
 */
export function handle(text: string): Response {
  let request: Json.Value
  try {
    request = Json.parse(text, { maxLength: maxRequestBytes, maxDepth: maxRequestDepth })
  } catch (error) {
    return failure('unknown_error', `request is not acceptable JSON: ${messageOf(error)}`)
  }
  return handleRequest(request)
}

/**
 * Handles one already-parsed request. Never throws.
 *
 * @example
 * ```ts
 * import { Adapter } from '@paywire/conformance'
 * Adapter.handleRequest({ schema: 1, op: 'base64url.decode', input: { text: 'aGk_' } })
 * // { ok: true, value: { text: 'hi?' } }
 * ```
 */
export function handleRequest(request: unknown): Response {
  if (!Json.isObject(request)) return failure('unknown_error', 'request must be a JSON object')
  const unexpected = Object.keys(request).find((key) => !envelopeMembers.has(key))
  if (unexpected !== undefined)
    return failure('unknown_error', `request has an unexpected member "${unexpected}"`)
  const { schema, op } = request
  if (schema === undefined) return failure('unknown_error', 'request lacks "schema"')
  if (schema !== schemaVersion)
    return failure(
      'unsupported_operation',
      `ABI schema ${shown(schema)} is not supported; this adapter speaks schema ${schemaVersion}`,
    )
  if (typeof op !== 'string') return failure('unknown_error', 'request "op" must be a string')
  if ((flowOperations as readonly string[]).includes(op))
    return failure('unsupported_operation', `operation ${shown(op)} does HTTP: run it with respond`)
  if (!Operations.isOperation(op))
    return failure(
      'unsupported_operation',
      `operation ${shown(op)} is not supported by the paywire adapter`,
    )
  if (!Object.hasOwn(request, 'input')) return failure('unknown_error', 'request lacks "input"')
  return run(op, request.input)
}

/**
 * Runs one operation and maps its outcome onto a response. Never throws.
 *
 * @example
 * ```ts
 * import { Adapter } from '@paywire/conformance'
 * Adapter.run('base64url.decode', { text: 'not-valid!!!' })
 * // { ok: false, error: { type: 'encoding_error', message: "ERR_BASE64URL_INVALID: '!' at offset 9 ..." } }
 * ```
 */
export function run(operation: Operations.Operation, input: unknown): Response {
  try {
    return { ok: true, value: Operations.operations[operation](input) }
  } catch (error) {
    // A paywire error is core (or the adapter, on core's behalf) refusing the input: the
    // operation's own failure. Anything else is a defect, reported as such.
    if (Errors.isPaywireError(error))
      return failure(operationErrorTypes[operation], `${error.code}: ${error.message}`)
    return failure('unknown_error', `${operation} failed unexpectedly: ${messageOf(error)}`)
  }
}

/**
 * Builds a failure response.
 *
 * @example
 * ```ts
 * import { Adapter } from '@paywire/conformance'
 * Adapter.failure('unknown_error', 'request is not UTF-8')
 * ```
 */
export function failure(type: ErrorType, message: string): Response {
  return { ok: false, error: { type, message } }
}

/**
 * Handles one request given as JSON text, flow operations included: like {@link handle},
 * and `http.payment_request` runs through @paywire/client. Never rejects.
 *
 * - a flow input of the wrong shape, a refusal to pay (`ERR_PAYMENT_REFUSED: payment
 *   refused (<rule>): ...`), or a failed HTTP exchange: `http_error`;
 * - a mode or a `payer` member paywire cannot honour: `unsupported_operation`.
 *
 * @example
 * ```ts
 * import { Adapter } from '@paywire/conformance'
 * const response = await Adapter.respond('{"schema":1,"op":"base64url.encode","input":{"text":"hi?"}}')
 * // { ok: true, value: { text: 'aGk_' } }
 * ```
 */
export async function respond(text: string): Promise<Response> {
  let request: Json.Value
  try {
    request = Json.parse(text, { maxLength: maxRequestBytes, maxDepth: maxRequestDepth })
  } catch (error) {
    return failure('unknown_error', `request is not acceptable JSON: ${messageOf(error)}`)
  }
  if (
    !Json.isObject(request) ||
    request.schema !== schemaVersion ||
    !(flowOperations as readonly unknown[]).includes(request.op) ||
    !Object.hasOwn(request, 'input') ||
    Object.keys(request).some((key) => !envelopeMembers.has(key))
  )
    return handleRequest(request)
  try {
    // Loaded on demand: the codec operations start without the paying client.
    const Flow = await import('./flow.js')
    return { ok: true, value: await Flow.paymentRequest(request.input) }
  } catch (error) {
    if (error instanceof Operations.UnsupportedInputError)
      return failure('unsupported_operation', `${error.code}: ${error.message}`)
    if (Errors.isPaywireError(error))
      return failure('http_error', `${error.code}: ${error.message}`)
    return failure('http_error', `http.payment_request failed: ${describe(error)}`)
  }
}

const envelopeMembers = new Set(['schema', 'op', 'input', 'context'])

/** A request value for a message: JSON, cut short. */
function shown(value: Json.Value): string {
  const text = JSON.stringify(value)
  return text.length > 64 ? `${text.slice(0, 64)}...` : text
}

/** An error and its cause (fetch hides the network error in `cause`). */
function describe(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause
  const code =
    cause !== null && typeof cause === 'object' && 'code' in cause ? ` (${String(cause.code)})` : ''
  return `${messageOf(error)}${code}`
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
