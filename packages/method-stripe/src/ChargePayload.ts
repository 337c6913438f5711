// The credential `payload` of a Stripe charge (draft-stripe-charge-00 §"Credential
// Schema"): the shared payment token and the client's optional reference. Any other
// member a client sends (Connect settlement parameters, say) is dropped: settlement
// routing is never taken from the client.
import { z } from 'zod'

/**
 * The payload schema.
 *
 * @example
 * ```ts
 * import { ChargePayload } from '@paywire/method-stripe'
 * const payload = ChargePayload.schema.parse({ spt: 'spt_1N4Zv32eZvKYlo2CPhVPkJlW' })
 * ```
 */
export const schema = z.object({
  spt: z
    .string()
    .regex(/^spt_[A-Za-z0-9_]{1,250}$/, 'spt must be a shared payment token id (spt_...)'),
  externalId: z.string().min(1).max(255).optional(),
})

/**
 * A Stripe charge payload.
 *
 * @example
 * ```ts
 * import type { ChargePayload } from '@paywire/method-stripe'
 * const payload: ChargePayload.ChargePayload = { spt: 'spt_123', externalId: 'client_order_789' }
 * ```
 */
export type ChargePayload = z.infer<typeof schema>
