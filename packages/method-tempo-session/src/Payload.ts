// The credential payload of a v1 session (draft-tempo-session §"Payload Actions",
// appendix "Session Payload Schema"): an `action` of open, topUp, voucher or close with
// its fields. Parsed strictly before any chain read or ECDSA work: hex of the right
// length (mixed case accepted, lower-cased), amounts as decimal strings within uint128,
// unknown actions refused, unknown fields ignored.
import { Amount, Errors } from '@paywire/core'
import { z } from 'zod'

const maxUint128 = 2n ** 128n - 1n

const hex = (pattern: RegExp, what: string) =>
  z
    .string()
    .regex(pattern, `expected ${what}`)
    .transform((value) => value.toLowerCase() as `0x${string}`)
const channelId = hex(/^0x[0-9a-fA-F]{64}$/, 'a 0x-prefixed bytes32 channel id')
const signature = hex(/^0x(?:[0-9a-fA-F]{128}|[0-9a-fA-F]{130})$/, 'a 64- or 65-byte signature')
const transaction = hex(/^0x(?:[0-9a-fA-F]{2})+$/, 'signed transaction bytes in hex')
const address = hex(/^0x[0-9a-fA-F]{40}$/, 'a 0x-prefixed address')
const amount = Amount.schema
  .transform((value) => BigInt(value))
  .refine((value) => value <= maxUint128, 'expected an amount within uint128')

/**
 * The session payload schema: parses to bigint amounts and lower-case hex.
 *
 * @example
 * ```ts
 * import { Payload } from '@paywire/method-tempo-session'
 * Payload.schema.safeParse({ action: 'refund' }).success // false
 * ```
 */
export const schema = z.discriminatedUnion('action', [
  z.looseObject({
    action: z.literal('open'),
    type: z.literal('transaction'),
    channelId,
    transaction,
    cumulativeAmount: amount,
    signature,
    authorizedSigner: address.optional(),
  }),
  z.looseObject({
    action: z.literal('topUp'),
    type: z.literal('transaction'),
    channelId,
    transaction,
    additionalDeposit: amount,
  }),
  z.looseObject({ action: z.literal('voucher'), channelId, cumulativeAmount: amount, signature }),
  z.looseObject({ action: z.literal('close'), channelId, cumulativeAmount: amount, signature }),
])

/** A parsed session payload. */
export type Payload = z.output<typeof schema>

/**
 * Parses a credential payload, refusing unknown actions and malformed fields.
 *
 * @throws {MalformedPayloadError} naming the field that failed.
 * @example
 * ```ts
 * import { Payload } from '@paywire/method-tempo-session'
 * const payload = Payload.parse({
 *   action: 'voucher',
 *   channelId: `0x${'6d'.repeat(32)}`,
 *   cumulativeAmount: '250000',
 *   signature: `0x${'ab'.repeat(65)}`,
 * })
 * payload.action // 'voucher'
 * ```
 */
export function parse(payload: unknown): Payload {
  const result = schema.safeParse(payload)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const path = issue?.path.join('.') || 'payload'
  throw new MalformedPayloadError(
    `payload.${path}: ${issue?.message ?? 'invalid'}`.replace('payload.payload', 'payload'),
  )
}

/** A session payload that is not one of the four actions with well-formed fields. */
export class MalformedPayloadError extends Errors.BaseError {
  override readonly name = 'Payload.MalformedPayloadError'
  readonly code = 'ERR_SESSION_PAYLOAD_MALFORMED'
  readonly problem = 'malformed-credential' as const
}
