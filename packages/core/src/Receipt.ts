// The Payment-Receipt header (draft-httpauth-payment §"Payment-Receipt Header"):
// base64url JSON with `status: "success"`, `method`, `timestamp`, `reference`, plus
// method-defined members. Sent only on 2xx responses.
import { z } from 'zod'
import * as Base64Url from './Base64Url.js'
import * as Challenge from './Challenge.js'
import { BaseError } from './Errors.js'
import * as Expires from './Expires.js'
import { plainText } from './internal/plainText.js'
import * as Syntax from './internal/syntax.js'
import * as Json from './Json.js'

/** The header that carries a receipt. */
export const headerName = 'Payment-Receipt'

// @enforces core.receipt.status-success
/** The decoded receipt. Method-defined members are kept. */
export const schema = z
  .object({
    status: z.literal('success'),
    method: Challenge.methodSchema,
    timestamp: Challenge.dateTimeSchema,
    reference: z.string().min(1, 'reference must be non-empty'),
  })
  .catchall(z.unknown())
  .meta({ title: 'Receipt', description: 'A Payment-Receipt (draft-httpauth-payment §5.3).' })

/** A payment receipt. */
export type Receipt = z.infer<typeof schema>

/**
 * Builds a success receipt. `timestamp` defaults to now.
 *
 * @example
 * ```ts
 * import { Receipt } from '@paywire/core'
 * const receipt = Receipt.from({ method: 'tempo', reference: '0xabc...' })
 * ```
 */
export function from(parameters: from.Parameters): Receipt {
  // A receipt only ever reports success; failures are problems, never receipts.
  if (parameters.status !== undefined && parameters.status !== 'success')
    throw new InvalidReceiptError('a receipt reports success only; report failures as problems')
  const stamp = parameters.timestamp
  const timestamp = typeof stamp === 'string' ? stamp : Expires.format(stamp ?? Date.now())
  const fast = checkedFast(parameters, timestamp)
  if (fast !== undefined) return fast
  const { timestamp: _, ...rest } = parameters
  const result = schema.safeParse({ ...rest, status: 'success', timestamp })
  if (!result.success)
    throw new InvalidReceiptError(result.error.issues[0]?.message ?? 'invalid receipt')
  return result.data
}

export declare namespace from {
  type Parameters = {
    method: string
    reference: string
    timestamp?: string | Date | number | undefined
    /** Always `success` when given: failures are reported as problems, not receipts. */
    status?: 'success' | undefined
    [member: string]: unknown
  }
}

/**
 * Encodes a receipt for the `Payment-Receipt` header (base64url of canonical JSON).
 *
 * @example
 * ```ts
 * import { Receipt } from '@paywire/core'
 * const header = Receipt.serialize(Receipt.from({ method: 'tempo', reference: '0xabc' }))
 * ```
 */
export function serialize(receipt: Receipt): string {
  return Base64Url.encode(baseReceiptText(receipt) ?? Json.canonicalize(receipt))
}

/**
 * Decodes a `Payment-Receipt` header value.
 *
 * @throws {InvalidReceiptError}
 * @example
 * ```ts
 * import { Receipt } from '@paywire/core'
 * declare const header: string
 * const receipt = Receipt.deserialize(header)
 * ```
 */
export function deserialize(value: string): Receipt {
  let decoded: Json.Value
  try {
    decoded = Json.parse(Base64Url.decodeString(value))
  } catch (cause) {
    throw new InvalidReceiptError('receipt is not base64url-encoded JSON', { cause })
  }
  const result = schema.safeParse(decoded)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new InvalidReceiptError(
      `${issue?.path.join('.') || 'receipt'}: ${issue?.message ?? 'invalid'}`,
      {
        cause: result.error,
      },
    )
  }
  return result.data
}

/**
 * What {@link schema} makes of `{ ...parameters, status: 'success', timestamp }`, compiled
 * for the receipts servers build: the same rules (internal/syntax.ts holds the method and
 * date-time rules both use) and the same output (the schema's members in its order, then
 * the others in theirs), or `undefined` to let the schema decide and word the refusal. A
 * property test (Receipt.fuzz.test.ts) holds it equal to the schema on arbitrary input.
 */
function checkedFast(parameters: from.Parameters, timestamp: string): Receipt | undefined {
  const { method, reference } = parameters
  if (
    typeof method !== 'string' ||
    !Syntax.methodPattern.test(method) ||
    !Syntax.isDateTime(timestamp) ||
    typeof reference !== 'string' ||
    reference.length === 0
  )
    return undefined
  const out: Record<string, unknown> = { status: 'success', method, timestamp, reference }
  for (const key of Object.keys(parameters)) {
    if (key === 'status' || key === 'method' || key === 'timestamp' || key === 'reference') continue
    // The schema drops a `__proto__` member; leave such rarities to it.
    if (key === '__proto__') return undefined
    out[key] = parameters[key]
  }
  return out as Receipt
}

/**
 * The RFC 8785 text of a receipt with the four base members alone, each printable ASCII
 * (a charge's receipt): its members' order is then fixed, and its strings need no escape.
 * `undefined` for any other receipt, which Json.canonicalize writes. Equal to
 * Json.canonicalize's text wherever it is defined (Receipt.fuzz.test.ts).
 */
function baseReceiptText(receipt: Receipt): string | undefined {
  const prototype = Object.getPrototypeOf(receipt)
  if (prototype !== Object.prototype && prototype !== null) return undefined
  // Four own enumerable members, each one of the four names: exactly those four.
  const keys = Object.keys(receipt)
  if (keys.length !== 4) return undefined
  for (const key of keys)
    if (key !== 'method' && key !== 'reference' && key !== 'status' && key !== 'timestamp')
      return undefined
  const { method, reference, status, timestamp } = receipt
  if (!(isPlain(method) && isPlain(reference) && isPlain(status) && isPlain(timestamp)))
    return undefined
  return `{"method":"${method}","reference":"${reference}","status":"${status}","timestamp":"${timestamp}"}`
}

function isPlain(value: unknown): value is string {
  return typeof value === 'string' && plainText.test(value)
}

/** Raised when a receipt cannot be decoded or misses a required member. */
export class InvalidReceiptError extends BaseError {
  override readonly name = 'Receipt.InvalidReceiptError'
  readonly code = 'ERR_RECEIPT_INVALID'
  readonly problem = undefined
}
