// The credential `payload` of a Tempo charge (draft-tempo-charge-00 §"Credential Schema"):
// a signed transaction for the server to broadcast (pull), the hash of a transaction the
// client broadcast (push), or an EIP-712 proof for a zero-amount charge.
import { z } from 'zod'

/**
 * Pull mode: the RLP-serialized, signed Tempo transaction (type 0x76), hex with 0x.
 *
 * @example
 * ```ts
 * import { ChargePayload } from '@paywire/method-tempo'
 * ChargePayload.transactionSchema.safeParse({ type: 'transaction', signature: '0x76f8' }).success // true
 * ```
 */
export const transactionSchema = z.object({
  type: z.literal('transaction'),
  signature: z
    .string()
    .regex(/^0x76(?:[0-9a-fA-F]{2})+$/, 'expected a serialized 0x76 Tempo transaction'),
})

/**
 * Push mode: the hash of a transaction the client already broadcast.
 *
 * @example
 * ```ts
 * import { ChargePayload } from '@paywire/method-tempo'
 * ChargePayload.hashSchema.parse({ type: 'hash', hash: `0x${'ab'.repeat(32)}` })
 * ```
 */
export const hashSchema = z.object({
  type: z.literal('hash'),
  hash: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 32-byte transaction hash'),
})

/**
 * Zero-amount charge: an EIP-712 signature over the challenge id (§"Proof Payload").
 *
 * @example
 * ```ts
 * import { ChargePayload } from '@paywire/method-tempo'
 * ChargePayload.proofSchema.safeParse({ type: 'proof', signature: '0x12' }).success // false
 * ```
 */
export const proofSchema = z.object({
  type: z.literal('proof'),
  signature: z
    .string()
    .regex(/^0x(?:[0-9a-fA-F]{128}|[0-9a-fA-F]{130})$/, 'expected a 64- or 65-byte signature'),
})

/**
 * Any Tempo charge payload, told apart by `type`.
 *
 * @example
 * ```ts
 * import { ChargePayload } from '@paywire/method-tempo'
 * const payload = ChargePayload.schema.parse({ type: 'hash', hash: `0x${'ab'.repeat(32)}` })
 * ```
 */
export const schema = z.discriminatedUnion('type', [transactionSchema, hashSchema, proofSchema])

/** A Tempo charge payload. */
export type ChargePayload = z.infer<typeof schema>
