// Reconciliation of a Stripe charge (docs/security.md "The after-success model"): what
// Stripe says happened to a challenge's PaymentIntent, found by the id the server kept or
// by the challenge id and attempt id written to its metadata before the call, and the
// refund of one that was paid and never delivered.
import { Errors, type Method } from '@paywire/core'
import type Stripe from 'stripe'
import type * as ChargeRequest from './ChargeRequest.js'
import * as PaymentIntents from './PaymentIntents.js'

/**
 * The accounts a challenge's PaymentIntent may live on: the key's own, and the connected
 * accounts of the Connect policy.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe'
 * import type { Reconcile } from '@paywire/method-stripe'
 * const accounts: Reconcile.Accounts = { stripe: new Stripe('sk_test_...'), connectedAccounts: [] }
 * ```
 */
export type Accounts = PaymentIntents.Where & { connectedAccounts: readonly string[] }

/**
 * What Stripe says happened to a challenge's payment: `paid` (succeeded), `held`
 * (authorised, not captured), `unknown` (processing) or `unpaid` (anything else, or no
 * PaymentIntent).
 *
 * @example
 * ```ts
 * import { Reconcile } from '@paywire/method-stripe'
 * declare const parameters: import('@paywire/core').Method.SettlementParameters<import('@paywire/method-stripe').ChargeRequest.ChargeRequest>
 * declare const accounts: Reconcile.Accounts
 * const found = await Reconcile.lookup(parameters, accounts)
 * ```
 */
export async function lookup(
  parameters: Method.SettlementParameters<ChargeRequest.ChargeRequest>,
  accounts: Accounts,
): Promise<Method.Lookup> {
  const found = await locate(parameters, accounts)
  if (found === undefined) return { status: 'unpaid' }
  switch (found.intent.status) {
    case 'succeeded':
      return { status: 'paid', reference: found.intent.id }
    case 'requires_capture':
      return { status: 'held', reference: found.intent.id }
    case 'processing':
      return { status: 'unknown' }
    default:
      return { status: 'unpaid' }
  }
}

/**
 * Refunds a challenge's paid PaymentIntent in full; resolves the refund id.
 *
 * @throws {NotRefundableError} when there is no paid PaymentIntent to refund.
 * @example
 * ```ts
 * import { Reconcile } from '@paywire/method-stripe'
 * declare const parameters: import('@paywire/core').Method.SettlementParameters<import('@paywire/method-stripe').ChargeRequest.ChargeRequest>
 * declare const accounts: Reconcile.Accounts
 * const { reference } = await Reconcile.refund(parameters, accounts)
 * ```
 */
export async function refund(
  parameters: Method.SettlementParameters<ChargeRequest.ChargeRequest>,
  accounts: Accounts,
): Promise<{ reference: string }> {
  const found = await locate(parameters, accounts)
  if (found === undefined || found.intent.status !== 'succeeded')
    throw new NotRefundableError(
      `challenge ${parameters.challengeId} has no paid PaymentIntent to refund${found === undefined ? '' : ` (${found.intent.id} is ${found.intent.status})`}`,
    )
  const refunded = await PaymentIntents.refund({
    ...accounts,
    stripeAccount: found.account,
    id: found.intent.id,
    challengeId: parameters.challengeId,
  })
  return { reference: refunded.id }
}

async function locate(
  parameters: Method.SettlementParameters<ChargeRequest.ChargeRequest>,
  accounts: Accounts,
): Promise<{ intent: Stripe.PaymentIntent; account: string | undefined } | undefined> {
  const hold = PaymentIntents.asHold(parameters.hold)
  const known = hold?.paymentIntent ?? parameters.receipt?.reference
  const places = hold?.account
    ? [hold.account]
    : [undefined, ...accounts.connectedAccounts.filter((account) => account !== '')]
  for (const account of places) {
    const where = { ...accounts, stripeAccount: account }
    const intent =
      known === undefined
        ? await PaymentIntents.find({
            ...where,
            challengeId: parameters.challengeId,
            attempt: parameters.attempt,
          })
        : await PaymentIntents.retrieve({ ...where, id: known }).catch((error: unknown) => {
            if ((error as { statusCode?: unknown }).statusCode === 404) return undefined
            throw error
          })
    if (intent !== undefined) return { intent, account }
  }
  return undefined
}

/**
 * There is no paid PaymentIntent to refund for the challenge.
 *
 * @example
 * ```ts
 * import { Reconcile } from '@paywire/method-stripe'
 * declare const error: unknown
 * if (error instanceof Reconcile.NotRefundableError) console.log(error.code)
 * ```
 */
export class NotRefundableError extends Errors.BaseError {
  override readonly name = 'Reconcile.NotRefundableError'
  readonly code = 'ERR_STRIPE_NOT_REFUNDABLE'
  readonly problem = undefined
}
