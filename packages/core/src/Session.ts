// The "session" intent's request fields (draft-tempo-session §"Request Schema"): a price
// per unit of service, paid through a payment channel. The channel state machine joins
// this module with the session work.
import { z } from 'zod'
import * as Amount from './Amount.js'

/** The intent identifier. */
export const intent = 'session'

/**
 * The common fields of a session request: `amount` is the price of one unit.
 *
 * @example
 * ```ts
 * import { Session } from '@paywire/core'
 * const request = Session.requestSchema.parse({
 *   amount: '25',
 *   unitType: 'llm_token',
 *   currency: '0x20c0000000000000000000000000000000000000',
 *   recipient: '0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00',
 *   methodDetails: { escrowContract: '0x...' },
 * })
 * ```
 */
export const requestSchema = z
  .object({
    amount: Amount.schema,
    unitType: z.string().min(1).optional(),
    suggestedDeposit: Amount.schema.optional(),
    currency: z.string().min(1, 'currency must be non-empty'),
    recipient: z.string().min(1, 'recipient must be non-empty'),
    description: z.string().optional(),
    externalId: z.string().optional(),
    methodDetails: z.record(z.string(), z.unknown()).optional(),
  })
  .catchall(z.unknown())

/** A session request. */
export type Request = z.infer<typeof requestSchema>
