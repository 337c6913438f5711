// The `request` of an EVM charge challenge (draft-evm-charge-00 §4 "Request Schema"): the
// shared charge fields with an ERC-20 `currency`, and `methodDetails` (chainId, required;
// permit2Address, read as the canonical address when absent and always emitted;
// credentialTypes; decimals; splits; and paywire's `spender`, the account that submits
// Permit2 transfers, see spec/DEVIATIONS.md). `transfers` turns a request into the token
// movements it asks for, primary first, then the splits in order.
import { Amount } from '@paywire/core'
import { z } from 'zod'
import * as Address from './Address.js'

/**
 * The four credential types, in the order of the draft's preference.
 *
 * @example
 * ```ts
 * import { ChargeRequest } from '@paywire/method-evm'
 * ChargeRequest.credentialTypeSchema.parse('permit2')
 * ```
 */
export const credentialTypeSchema = z.enum(['permit2', 'authorization', 'transaction', 'hash'])

/** A credential type. */
export type CredentialType = z.infer<typeof credentialTypeSchema>

/**
 * The canonical Permit2 deployment (the same address on every chain).
 *
 * @example
 * ```ts
 * import { ChargeRequest } from '@paywire/method-evm'
 * ChargeRequest.canonicalPermit2 // '0x000000000022D473030F116dDEE9F6B43aC78BA3'
 * ```
 */
export const canonicalPermit2 = '0x000000000022D473030F116dDEE9F6B43aC78BA3'

/**
 * Most split entries (§4.2.3: servers SHOULD limit splits to 10).
 *
 * @example
 * ```ts
 * import { ChargeRequest } from '@paywire/method-evm'
 * ChargeRequest.maxSplits // 10
 * ```
 */
export const maxSplits = 10

const positiveAmount = Amount.schema.refine((value) => /^[1-9]/.test(value), 'must be > 0')

/**
 * One entry of `methodDetails.splits` (§4.2.3).
 *
 * @example
 * ```ts
 * import { ChargeRequest } from '@paywire/method-evm'
 * ChargeRequest.splitSchema.parse({ recipient: '0x8Ba1f109551bD432803012645Ac136ddd64DBA72', amount: '50000', memo: 'platform fee' })
 * ```
 */
export const splitSchema = z.object({
  recipient: Address.schema,
  amount: positiveAmount,
  memo: z.string().max(256, 'a split memo holds at most 256 characters').optional(),
})

/** A split entry. */
export type Split = z.infer<typeof splitSchema>

/**
 * `methodDetails` of an EVM charge (§4.2).
 *
 * @example
 * ```ts
 * import { ChargeRequest } from '@paywire/method-evm'
 * ChargeRequest.methodDetailsSchema.parse({ chainId: 1329, credentialTypes: ['permit2'] })
 * ```
 */
export const methodDetailsSchema = z.object({
  chainId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  permit2Address: Address.schema.default(canonicalPermit2),
  credentialTypes: z
    .array(credentialTypeSchema)
    .min(1, 'credentialTypes lists at least one type')
    .refine((types) => new Set(types).size === types.length, 'credentialTypes repeats a type')
    .optional(),
  decimals: z.number().int().min(0).max(255).optional(),
  splits: z
    .array(splitSchema)
    .min(1, 'splits must hold at least one entry')
    .max(maxSplits, `splits holds at most ${maxSplits} entries`)
    .optional(),
  /** paywire: the account that calls Permit2 (the signed `spender`); see spec/DEVIATIONS.md. */
  spender: Address.schema.optional(),
})

/** EVM charge `methodDetails`. */
export type MethodDetails = z.infer<typeof methodDetailsSchema>

/**
 * The EVM charge request. Refuses a zero amount, splits whose sum leaves the primary
 * recipient nothing, and `expires` inside the request; keeps unknown top-level members.
 *
 * @example
 * ```ts
 * import { ChargeRequest } from '@paywire/method-evm'
 * const request = ChargeRequest.schema.parse({
 *   amount: '1000000',
 *   currency: '0xe15fc38f6d8c56af07bbcbe3baf5708a2bf42392',
 *   recipient: '0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00',
 *   methodDetails: { chainId: 1329 },
 * })
 * ```
 */
export const schema = z
  .object({
    amount: positiveAmount,
    currency: Address.schema,
    recipient: Address.schema,
    description: z.string().optional(),
    externalId: z.string().optional(),
    methodDetails: methodDetailsSchema,
  })
  .catchall(z.unknown())
  .superRefine((request, context) => {
    if (Object.hasOwn(request, 'expires'))
      context.addIssue({
        code: 'custom',
        path: ['expires'],
        message: 'expires travels in the challenge',
      })
    const splits = request.methodDetails.splits ?? []
    if (![request.amount, ...splits.map((split) => split.amount)].every(isInteger)) return
    const total = splits.reduce((sum, split) => sum + BigInt(split.amount), 0n)
    if (splits.length > 0 && total >= BigInt(request.amount))
      context.addIssue({
        code: 'custom',
        path: ['methodDetails', 'splits'],
        message: 'the sum of splits must be less than amount (the primary recipient gets > 0)',
      })
  })

/** An EVM charge request. */
export type ChargeRequest = z.infer<typeof schema>

/** One token movement a charge asks for. */
export type Transfer = { recipient: string; amount: bigint }

/**
 * The transfers a request asks for: the primary recipient's remainder first, then each
 * split in array order (§4.2.3: `transferDetails[0]` is primary, `[i+1]` is `splits[i]`).
 *
 * @example
 * ```ts
 * import { ChargeRequest } from '@paywire/method-evm'
 * declare const request: ChargeRequest.ChargeRequest
 * for (const transfer of ChargeRequest.transfers(request)) console.log(transfer.recipient, transfer.amount)
 * ```
 */
export function transfers(request: ChargeRequest): Transfer[] {
  const splits = request.methodDetails.splits ?? []
  const total = BigInt(request.amount)
  const primary = splits.reduce((rest, split) => rest - BigInt(split.amount), total)
  return [
    { recipient: request.recipient, amount: primary },
    ...splits.map((split) => ({ recipient: split.recipient, amount: BigInt(split.amount) })),
  ]
}

/**
 * The credential types a request accepts, in the server's order of preference: its
 * `credentialTypes`, or (§4.2.2, when omitted) `transaction` and `hash`.
 *
 * @example
 * ```ts
 * import { ChargeRequest } from '@paywire/method-evm'
 * declare const request: ChargeRequest.ChargeRequest
 * ChargeRequest.accepted(request)[0] // the server's preferred type
 * ```
 */
export function accepted(request: ChargeRequest): CredentialType[] {
  return [...(request.methodDetails.credentialTypes ?? ['transaction', 'hash'])]
}

function isInteger(value: string): boolean {
  return /^[0-9]+$/.test(value)
}
