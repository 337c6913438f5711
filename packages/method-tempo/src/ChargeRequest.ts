// The `request` of a Tempo charge challenge (draft-tempo-charge-00 §"Request Schema"):
// the shared charge fields with a TIP-20 `currency`, and `methodDetails` (chainId, always
// emitted; feePayer; memo; splits; supportedModes). The schema is the single source of
// the wire type; `transfers` turns a request into the token movements it asks for.
import { Amount } from '@paywire/core'
import { z } from 'zod'

/**
 * A 20-byte hex address (any letter case; compared by value, never by string).
 *
 * @example
 * ```ts
 * import { ChargeRequest } from '@paywire/method-tempo'
 * ChargeRequest.addressSchema.safeParse('0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00').success // true
 * ```
 */
export const addressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 20-byte hex address with 0x prefix')

/**
 * A `bytes32` hex value, as memos are.
 *
 * @example
 * ```ts
 * import { ChargeRequest } from '@paywire/method-tempo'
 * ChargeRequest.memoSchema.safeParse(`0x${'00'.repeat(28)}deadbeef`).success // true
 * ```
 */
export const memoSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'expected a bytes32 hex value (0x and 64 hex digits)')

/** A strictly positive base-unit amount. */
const positiveAmount = Amount.schema.refine((value) => value !== '0', 'amount must be > 0')

/**
 * One entry of `methodDetails.splits` (§"Split Entry Schema").
 *
 * @example
 * ```ts
 * import { ChargeRequest } from '@paywire/method-tempo'
 * ChargeRequest.splitSchema.parse({ amount: '50000', recipient: '0xA1B2C3D4E5F6A1B2C3D4E5F6A1B2C3D4E5F6A1B2' })
 * ```
 */
export const splitSchema = z.object({
  amount: positiveAmount,
  recipient: addressSchema,
  memo: memoSchema.optional(),
})

/** A split entry. */
export type Split = z.infer<typeof splitSchema>

/**
 * The two non-zero submission modes (§"Submission Modes").
 *
 * @example
 * ```ts
 * import { ChargeRequest } from '@paywire/method-tempo'
 * ChargeRequest.modeSchema.parse('pull')
 * ```
 */
export const modeSchema = z.enum(['pull', 'push'])

/** A submission mode. */
export type Mode = z.infer<typeof modeSchema>

/**
 * Most split entries paywire emits or accepts (the draft's SHOULD-limit).
 *
 * @example
 * ```ts
 * import { ChargeRequest } from '@paywire/method-tempo'
 * declare const splits: unknown[]
 * if (splits.length > ChargeRequest.maxSplits) throw new Error('too many splits')
 * ```
 */
export const maxSplits = 10

/**
 * The chain id the draft's table gives as default (Moderato testnet). paywire always emits
 * `chainId`; a request without one is read with this value.
 *
 * @example
 * ```ts
 * import { ChargeRequest } from '@paywire/method-tempo'
 * ChargeRequest.schema.parse({ amount: '1', currency: '0x20c0000000000000000000000000000000000000', recipient: '0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00' }).methodDetails.chainId === ChargeRequest.defaultChainId // true
 * ```
 */
export const defaultChainId = 42431

/**
 * `methodDetails` of a Tempo charge (§"Method Details").
 *
 * @example
 * ```ts
 * import { ChargeRequest } from '@paywire/method-tempo'
 * ChargeRequest.methodDetailsSchema.parse({ chainId: 4217, feePayer: true, supportedModes: ['pull'] })
 * ```
 */
export const methodDetailsSchema = z.object({
  chainId: z.number().int().positive().default(defaultChainId),
  feePayer: z.boolean().optional(),
  memo: memoSchema.optional(),
  splits: z
    .array(splitSchema)
    .min(1, 'splits must hold at least one entry')
    .max(maxSplits)
    .optional(),
  supportedModes: z.array(modeSchema).min(1, 'supportedModes must hold pull or push').optional(),
})

/** Tempo charge `methodDetails`. */
export type MethodDetails = z.infer<typeof methodDetailsSchema>

/**
 * The Tempo charge request. Refuses splits whose sum leaves the primary recipient
 * nothing, and `expires` inside the request; keeps unknown top-level members.
 *
 * @example
 * ```ts
 * import { ChargeRequest } from '@paywire/method-tempo'
 * const request = ChargeRequest.schema.parse({
 *   amount: '1000000',
 *   currency: '0x20c0000000000000000000000000000000000000',
 *   recipient: '0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00',
 *   methodDetails: { chainId: 4217 },
 * })
 * ```
 */
export const schema = z
  .object({
    amount: Amount.schema,
    currency: addressSchema,
    recipient: addressSchema,
    description: z.string().optional(),
    externalId: z.string().optional(),
    methodDetails: methodDetailsSchema.prefault({}),
  })
  .catchall(z.unknown())
  .superRefine((request, context) => {
    const splits = request.methodDetails.splits ?? []
    const amounts = [request.amount, ...splits.map((split) => split.amount)]
    // Refinements run even when a field failed: only sum amounts that are integers.
    if (!amounts.every((amount) => /^[0-9]+$/.test(amount))) return
    const total = splits.reduce((sum, split) => sum + BigInt(split.amount), 0n)
    if (splits.length > 0 && total >= BigInt(request.amount))
      context.addIssue({
        code: 'custom',
        path: ['methodDetails', 'splits'],
        message: 'the sum of splits must be less than amount (the primary recipient gets > 0)',
      })
    if (splits.length > 0 && request.amount === '0')
      context.addIssue({ code: 'custom', path: ['amount'], message: 'a zero charge has no splits' })
    if (Object.hasOwn(request, 'expires'))
      context.addIssue({
        code: 'custom',
        path: ['expires'],
        message: 'expires travels in the challenge',
      })
  })

/** A Tempo charge request. */
export type ChargeRequest = z.infer<typeof schema>

/** One token movement a charge asks for: `amount` of the request's currency to `recipient`. */
export type Transfer = { recipient: string; amount: bigint; memo?: string | undefined }

/**
 * The transfers a request asks for: the primary recipient's remainder first (with
 * `methodDetails.memo`), then each split in array order (§"Client Behavior").
 *
 * @example
 * ```ts
 * import { ChargeRequest } from '@paywire/method-tempo'
 * declare const request: ChargeRequest.ChargeRequest
 * for (const transfer of ChargeRequest.transfers(request)) console.log(transfer.amount)
 * ```
 */
export function transfers(request: ChargeRequest): Transfer[] {
  const splits = request.methodDetails.splits ?? []
  const remainder = splits.reduce(
    (rest, split) => rest - BigInt(split.amount),
    BigInt(request.amount),
  )
  return [
    { recipient: request.recipient, amount: remainder, memo: request.methodDetails.memo },
    ...splits.map((split) => ({
      recipient: split.recipient,
      amount: BigInt(split.amount),
      memo: split.memo,
    })),
  ]
}

/**
 * The submission modes a request allows: `supportedModes`, or both when it is omitted;
 * never `push` when the server pays fees (§"Hash Settlement", Limitations).
 *
 * @example
 * ```ts
 * import { ChargeRequest } from '@paywire/method-tempo'
 * declare const request: ChargeRequest.ChargeRequest
 * ChargeRequest.modes(request).includes('push')
 * ```
 */
export function modes(request: ChargeRequest): Mode[] {
  const advertised = request.methodDetails.supportedModes ?? ['pull', 'push']
  return request.methodDetails.feePayer === true
    ? advertised.filter((mode) => mode === 'pull')
    : [...advertised]
}
