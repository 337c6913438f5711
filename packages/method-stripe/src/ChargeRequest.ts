// The `request` of a Stripe charge challenge (draft-stripe-charge-00 §"Request Schema"):
// the shared charge fields, with the amount in the currency's smallest unit and a
// lower-case ISO currency code, plus `methodDetails` naming the seller's Business Network
// profile and the payment method types it can process (both REQUIRED; the draft's own
// HTTP example leaves them out, paywire always sends them). Stripe Connect settlement
// parameters never appear here.
import { z } from 'zod'

/**
 * `methodDetails` of a Stripe charge request.
 *
 * @example
 * ```ts
 * import { ChargeRequest } from '@paywire/method-stripe'
 * ChargeRequest.methodDetailsSchema.parse({ networkId: 'profile_123', paymentMethodTypes: ['card'] })
 * ```
 */
export const methodDetailsSchema = z.looseObject({
  networkId: z.string().min(1, 'networkId must be a Business Network profile id'),
  paymentMethodTypes: z
    .array(z.string().min(1))
    .min(1, 'paymentMethodTypes must list at least one payment method type'),
  metadata: z.record(z.string(), z.string()).optional(),
})

/**
 * The request of a Stripe charge. Unknown top-level members are kept (the HMAC binding
 * covers the encoded request as sent); `expires` is refused (it travels in the challenge).
 *
 * @example
 * ```ts
 * import { ChargeRequest } from '@paywire/method-stripe'
 * const request = ChargeRequest.schema.parse({
 *   amount: '5000',
 *   currency: 'usd',
 *   methodDetails: { networkId: 'profile_1MqDcVKA5fEO2tZvKQm9g8Yj', paymentMethodTypes: ['card', 'link'] },
 * })
 * ```
 */
export const schema = z
  .looseObject({
    amount: z
      .string()
      .regex(/^[1-9][0-9]{0,14}$/, 'amount must be a positive integer of minor units, as a string'),
    currency: z.string().regex(/^[a-z]{3}$/, 'currency must be a lower-case ISO 4217 code'),
    description: z.string().optional(),
    externalId: z.string().min(1).optional(),
    recipient: z.string().min(1).optional(),
    methodDetails: methodDetailsSchema,
  })
  .refine((request) => !Object.hasOwn(request, 'expires'), {
    message: 'a charge request must not carry expires (it travels in the challenge)',
    path: ['expires'],
  })

/**
 * A Stripe charge request.
 *
 * @example
 * ```ts
 * import type { ChargeRequest } from '@paywire/method-stripe'
 * declare const request: ChargeRequest.ChargeRequest
 * console.log(request.methodDetails.networkId)
 * ```
 */
export type ChargeRequest = z.infer<typeof schema>

/**
 * Builds a request from a route's price and the seller's settings.
 *
 * @example
 * ```ts
 * import { ChargeRequest } from '@paywire/method-stripe'
 * const request = ChargeRequest.from(
 *   { amount: '5000', description: 'Premium API access' },
 *   { networkId: 'profile_123', paymentMethodTypes: ['card'] },
 * )
 * ```
 */
export function from(price: from.Price, seller: from.Seller): ChargeRequest {
  const metadata = price.metadata ?? seller.metadata
  return schema.parse({
    amount: price.amount,
    currency: price.currency ?? seller.currency ?? 'usd',
    ...(price.description === undefined ? {} : { description: price.description }),
    ...(price.externalId === undefined ? {} : { externalId: price.externalId }),
    methodDetails: {
      networkId: seller.networkId,
      paymentMethodTypes: [...(seller.paymentMethodTypes ?? ['card'])],
      ...(metadata === undefined ? {} : { metadata: { ...metadata } }),
    },
  })
}

export declare namespace from {
  /** What a route charges. */
  type Price = {
    /** Minor units (cents), as a string. */
    amount: string
    currency?: string | undefined
    description?: string | undefined
    /** The merchant's order or cart id. */
    externalId?: string | undefined
    /** Key-value context put in `methodDetails.metadata` (and the PaymentIntent's metadata). */
    metadata?: Record<string, string> | undefined
  }
  /** The seller's side of every request. */
  type Seller = {
    /** The seller's Business Network profile id (`profile_...`). */
    networkId: string
    /** Payment method types the seller can process (default `['card']`). */
    paymentMethodTypes?: readonly string[] | undefined
    /** Default currency (default `usd`). */
    currency?: string | undefined
    /** Default metadata. */
    metadata?: Record<string, string> | undefined
  }
}
