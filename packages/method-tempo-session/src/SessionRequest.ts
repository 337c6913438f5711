// The `request` of a session challenge (draft-tempo-session §"Request Schema", §"Method
// Details", appendix "Session Request Schema"): the price of one unit, the token, the
// payee, and the v1 escrow in `methodDetails`. Unknown fields are kept and ignored.
import { Amount } from '@paywire/core'
import { z } from 'zod'

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed address')

/**
 * The session request schema.
 *
 * @example
 * ```ts
 * import { SessionRequest } from '@paywire/method-tempo-session'
 * SessionRequest.schema.safeParse({ amount: '25' }).success // false: no currency, recipient, escrow
 * ```
 */
export const schema = z.looseObject({
  /** Price of one unit, in base units. */
  amount: Amount.schema,
  unitType: z.string().optional(),
  suggestedDeposit: Amount.schema.optional(),
  currency: address,
  recipient: address,
  methodDetails: z.looseObject({
    escrowContract: address,
    channelId: z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}$/)
      .optional(),
    minVoucherDelta: Amount.schema.optional(),
    chainId: z.number().int().positive().optional(),
    /** The server pays the fees of the client's open and top-up transactions. */
    feePayer: z.boolean().optional(),
    /** Only v1 (the escrow contract) is implemented: a `v2` challenge fails the schema. */
    sessionProtocol: z.literal('v1').optional(),
  }),
})

/** A session challenge's request. */
export type SessionRequest = z.output<typeof schema>
