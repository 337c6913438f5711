// The Payment-Receipt header (draft-httpauth-payment §"Payment-Receipt Header"):
// base64url JSON with `status: "success"`, `method`, `timestamp`, `reference`, plus
// method-defined members. Sent only on 2xx responses.
import { z } from 'zod'
import * as Base64Url from './Base64Url.js'
import * as Challenge from './Challenge.js'
import { BaseError } from './Errors.js'
import * as Expires from './Expires.js'
import * as Json from './Json.js'

/** The header that carries a receipt. */
export const headerName = 'Payment-Receipt'

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
  const { timestamp, ...rest } = parameters
  // A receipt only ever reports success; failures are problems, never receipts.
  if (rest.status !== undefined && rest.status !== 'success')
    throw new InvalidReceiptError('a receipt reports success only; report failures as problems')
  const value = {
    ...rest,
    status: 'success',
    timestamp: typeof timestamp === 'string' ? timestamp : Expires.format(timestamp ?? Date.now()),
  }
  const result = schema.safeParse(value)
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
  return Base64Url.encode(Json.canonicalize(receipt))
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

/** Raised when a receipt cannot be decoded or misses a required member. */
export class InvalidReceiptError extends BaseError {
  override readonly name = 'Receipt.InvalidReceiptError'
  readonly code = 'ERR_RECEIPT_INVALID'
  readonly problem = undefined
}
