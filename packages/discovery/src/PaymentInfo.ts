// The `x-payment-info` OpenAPI extension (draft-payment-discovery §"Payment Extension:
// x-payment-info", appendix "JSON Schema for x-payment-info"): one payment offer, or an
// `offers` array of them, on each payable operation. The zod schemas are the source of
// truth; the shorthand and the multi-offer form read as the same list of offers.
import { Amount, Errors } from '@paywire/core'
import { z } from 'zod'

/**
 * The name of the extension member on an OpenAPI operation.
 * @example
 * ```ts
 * import { PaymentInfo } from '@paywire/discovery'
 * PaymentInfo.extension // 'x-payment-info'
 * ```
 */
export const extension = 'x-payment-info'

/**
 * One payment offer: an alternative way to pay for the operation.
 * @example
 * ```ts
 * import { PaymentInfo } from '@paywire/discovery'
 * PaymentInfo.offerSchema.parse({ intent: 'charge', method: 'stripe', amount: '5', currency: 'usd' })
 * ```
 */
export const offerSchema = z
  .strictObject({
    intent: z.enum(['charge', 'session']).meta({ description: 'Payment intent.' }),
    method: z.string().meta({ description: 'Payment method identifier.' }),
    amount: z
      .string()
      .regex(/^(0|[1-9][0-9]*)$/, 'amount must be base-unit digits without leading zeros')
      .nullable()
      .meta({ description: 'Cost in base units; null for dynamic pricing.' }),
    currency: z.string().optional().meta({ description: 'Currency or token identifier.' }),
    description: z.string().optional().meta({ description: 'Human-readable pricing note.' }),
  })
  .meta({ title: 'Payment offer' })

/**
 * A payment offer.
 * @example
 * ```ts
 * import type { PaymentInfo } from '@paywire/discovery'
 * const offer: PaymentInfo.Offer = { intent: 'session', method: 'tempo', amount: null }
 * ```
 */
export type Offer = z.infer<typeof offerSchema>

/**
 * The `x-payment-info` value: a single offer (shorthand) or `{ offers: [...] }`.
 * @example
 * ```ts
 * import { PaymentInfo } from '@paywire/discovery'
 * PaymentInfo.schema.safeParse({ offers: [] }).success // false: at least one offer
 * ```
 */
export const schema = z
  .union([offerSchema, z.strictObject({ offers: z.array(offerSchema).min(1) })])
  .meta({ title: 'x-payment-info', description: 'draft-payment-discovery §4.4' })

/**
 * An `x-payment-info` value.
 * @example
 * ```ts
 * import type { PaymentInfo } from '@paywire/discovery'
 * const info: PaymentInfo.PaymentInfo = { offers: [{ intent: 'charge', method: 'tempo', amount: '500' }] }
 * ```
 */
export type PaymentInfo = z.infer<typeof schema>

/**
 * Parses an `x-payment-info` value and returns its offers: the shorthand form reads as a
 * list of exactly one offer.
 *
 * @throws {InvalidPaymentInfoError} naming the first invalid member.
 * @example
 * ```ts
 * import { PaymentInfo } from '@paywire/discovery'
 * PaymentInfo.offers({ intent: 'charge', method: 'tempo', amount: '500' })
 * // [{ intent: 'charge', method: 'tempo', amount: '500' }]
 * ```
 */
export function offers(value: unknown): Offer[] {
  const result = schema.safeParse(value)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new InvalidPaymentInfoError(
      `${extension}${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'}`,
      { cause: result.error },
    )
  }
  return 'offers' in result.data ? result.data.offers : [result.data]
}

/**
 * The `x-payment-info` value for offers, in the multi-offer form new documents use.
 *
 * @example
 * ```ts
 * import { PaymentInfo } from '@paywire/discovery'
 * PaymentInfo.from([{ intent: 'charge', method: 'stripe', amount: '5', currency: 'usd' }])
 * // { offers: [{ intent: 'charge', method: 'stripe', amount: '5', currency: 'usd' }] }
 * ```
 */
export function from(list: readonly Offer[]): PaymentInfo {
  if (list.length === 0) throw new InvalidPaymentInfoError('a payable operation needs an offer')
  for (const offer of list)
    if (offer.amount !== null && !Amount.schema.safeParse(offer.amount).success)
      throw new InvalidPaymentInfoError(`amount "${offer.amount}" is not a base-unit integer`)
  return { offers: list.map((offer) => offerSchema.parse(offer)) }
}

/**
 * Raised when an `x-payment-info` value does not match the draft's schema.
 *
 * @example
 * ```ts
 * import { PaymentInfo } from '@paywire/discovery'
 * try {
 *   PaymentInfo.offers({ intent: 'charge', method: 'tempo', amount: '007' })
 * } catch (error) {
 *   if (error instanceof PaymentInfo.InvalidPaymentInfoError) console.log(error.code) // 'ERR_PAYMENT_INFO_INVALID'
 * }
 * ```
 */
export class InvalidPaymentInfoError extends Errors.BaseError {
  override readonly name = 'PaymentInfo.InvalidPaymentInfoError'
  readonly code = 'ERR_PAYMENT_INFO_INVALID'
  readonly problem = undefined
}
