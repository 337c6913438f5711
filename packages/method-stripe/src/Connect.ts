// Stripe Connect settlement (draft-stripe-charge-00 §"Stripe Connect Settlement",
// §"Stripe Connect Parameter Integrity"): the server's own policy decides the connected
// account, platform fee and transfer of each charge. Nothing here comes from the challenge
// or the client; every value is checked before a PaymentIntent is created.
import type { Challenge } from '@paywire/core'
import { Errors } from '@paywire/core'
import type * as ChargeRequest from './ChargeRequest.js'

/**
 * How one charge settles under Connect.
 *
 * @example
 * ```ts
 * import type { Connect } from '@paywire/method-stripe'
 * const settlement: Connect.Settlement = {
 *   stripeAccount: 'acct_1',
 *   applicationFeeAmount: 150,
 *   transferGroup: 'order_12345',
 * }
 * ```
 */
export type Settlement = {
  /** Connected account the PaymentIntent is created on (`Stripe-Account` header). */
  stripeAccount?: string | undefined
  /** Platform fee, in minor units. */
  applicationFeeAmount?: number | undefined
  /** Connected account that is the business of record. */
  onBehalfOf?: string | undefined
  /** Connected account receiving the funds, and optionally how much of them. */
  transferData?: { destination: string; amount?: number | undefined } | undefined
  /** Reconciliation id derived from the order; not a secret. */
  transferGroup?: string | undefined
}

/**
 * The server's Connect policy.
 *
 * @example
 * ```ts
 * import type { Connect } from '@paywire/method-stripe'
 * const policy: Connect.Policy = {
 *   connectedAccounts: ['acct_1'],
 *   settle: ({ request }) => ({ stripeAccount: 'acct_1', applicationFeeAmount: Math.floor(Number(request.amount) / 20) }),
 * }
 * ```
 */
export type Policy = {
  /** Connected accounts this server may settle to; any other is refused. */
  connectedAccounts: readonly string[]
  /** Decides the settlement of a charge from server-side state (order, merchant, platform). */
  settle(parameters: {
    challenge: Challenge.Challenge
    request: ChargeRequest.ChargeRequest
  }): Settlement | undefined | Promise<Settlement | undefined>
}

/**
 * Checks a settlement against the draft's integrity rules: every connected account is
 * authorized, `transferData` names a destination, fee and transfer amounts are integers
 * in [0, amount]. Returns the PaymentIntent parameters and the `Stripe-Account` to use.
 *
 * @throws {InvalidSettlementError}
 * @example
 * ```ts
 * import { Connect } from '@paywire/method-stripe'
 * const { params, stripeAccount } = Connect.toParams(
 *   { stripeAccount: 'acct_1', applicationFeeAmount: 100 },
 *   { amount: 5000, connectedAccounts: ['acct_1'] },
 * )
 * ```
 */
export function toParams(settlement: Settlement, context: toParams.Context): toParams.ReturnType {
  const allowed = new Set(context.connectedAccounts)
  const account = (name: string, id: string | undefined) => {
    if (id !== undefined && !allowed.has(id))
      throw new InvalidSettlementError(
        `${name} ${id} is not a connected account this server may use`,
      )
    return id
  }
  const bounded = (name: string, value: number | undefined) => {
    if (
      value !== undefined &&
      !(Number.isSafeInteger(value) && value >= 0 && value <= context.amount)
    )
      throw new InvalidSettlementError(
        `${name} must be an integer between 0 and the amount ${context.amount}; got ${value}`,
      )
    return value
  }
  const stripeAccount = account('stripeAccount', settlement.stripeAccount)
  const params: Record<string, unknown> = {}
  const fee = bounded('applicationFeeAmount', settlement.applicationFeeAmount)
  if (fee !== undefined) params.application_fee_amount = fee
  const onBehalfOf = account('onBehalfOf', settlement.onBehalfOf)
  if (onBehalfOf !== undefined) params.on_behalf_of = onBehalfOf
  if (settlement.transferData !== undefined) {
    const { destination, amount } = settlement.transferData
    if (typeof destination !== 'string' || destination === '')
      throw new InvalidSettlementError('transferData needs a destination')
    account('transferData.destination', destination)
    const transferred = bounded('transferData.amount', amount)
    params.transfer_data =
      transferred === undefined ? { destination } : { destination, amount: transferred }
  }
  if (settlement.transferGroup !== undefined) {
    if (settlement.transferGroup === '') throw new InvalidSettlementError('transferGroup is empty')
    params.transfer_group = settlement.transferGroup
  }
  return stripeAccount === undefined ? { params } : { params, stripeAccount }
}

export declare namespace toParams {
  type Context = { amount: number; connectedAccounts: readonly string[] }
  type ReturnType = { params: Record<string, unknown>; stripeAccount?: string }
}

/**
 * The server's Connect policy produced a settlement the draft forbids. No PaymentIntent is
 * created; the request fails with a server error (the payer did nothing wrong).
 *
 * @example
 * ```ts
 * import { Connect } from '@paywire/method-stripe'
 * try {
 *   Connect.toParams({ applicationFeeAmount: 9999 }, { amount: 5000, connectedAccounts: [] })
 * } catch (error) {
 *   if (error instanceof Connect.InvalidSettlementError) console.log(error.message)
 * }
 * ```
 */
export class InvalidSettlementError extends Errors.BaseError {
  override readonly name = 'Connect.InvalidSettlementError'
  readonly code = 'ERR_STRIPE_CONNECT_SETTLEMENT'
  readonly problem = undefined
}
