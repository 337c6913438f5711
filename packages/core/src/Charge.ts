// The "charge" intent (draft-payment-intent-charge): a one-time payment of `amount`
// base units of `currency`. Methods extend the request through `methodDetails`.
import { z } from 'zod'
import * as Amount from './Amount.js'

/** The intent identifier. */
export const intent = 'charge'

// @enforces charge.request.fields, charge.request.amount-string, charge.request.no-expires
/**
 * The shared fields of a charge request (draft-payment-intent-charge §"Shared Fields").
 * Unknown members are kept so method-specific top-level additions survive a round trip.
 *
 * @example
 * ```ts
 * import { Charge } from '@paywire/core'
 * const request = Charge.requestSchema.parse({ amount: '1000', currency: 'usd' })
 * ```
 */
export const requestSchema = z
  .object({
    amount: Amount.schema,
    currency: z.string().min(1, 'currency must be non-empty'),
    recipient: z.string().min(1).optional(),
    description: z.string().optional(),
    externalId: z.string().optional(),
    methodDetails: z.record(z.string(), z.unknown()).optional(),
  })
  .catchall(z.unknown())
  .refine((request) => !Object.hasOwn(request, 'expires'), {
    message: 'a charge request must not carry expires (it travels in the challenge)',
    path: ['expires'],
  })

/** A charge request. */
export type Request = z.infer<typeof requestSchema>
