// Refunds of the local Stripe API (`POST /v1/refunds`, `GET /v1/refunds`): a refund of a
// succeeded PaymentIntent, in full or in part, never beyond what was received; a
// PaymentIntent refunded in full answers `charge_already_refunded`, as Stripe does.
import { ApiError, invalid, missing } from './StripeApiError.js'
import type * as StripeForm from './StripeForm.js'
import * as PaymentIntents from './StripePaymentIntents.js'
import * as Tokens from './StripeTokens.js'

/** @internal A refund as the local API keeps it. */
export type Refund = {
  id: string
  account: string
  created: number
  paymentIntent: string
  amount: number
  currency: string
  status: 'succeeded'
  reason: string | null
  metadata: StripeForm.Params
}

/** @internal `POST /v1/refunds`. */
export function create(
  params: StripeForm.Params,
  context: {
    account: string
    now: number
    intent(id: string): PaymentIntents.PaymentIntent
    refunded(id: string): Refund[]
  },
): Refund {
  if (params.payment_intent === undefined) throw missing('payment_intent')
  const intent = context.intent(Tokens.text(params.payment_intent, 'payment_intent'))
  if (intent.status !== 'succeeded')
    throw invalid(
      `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`,
      'payment_intent',
      'charge_not_refundable',
    )
  const already = context.refunded(intent.id).reduce((sum, refund) => sum + refund.amount, 0)
  const left = intent.amount - already
  if (left <= 0)
    throw new ApiError(400, {
      type: 'invalid_request_error',
      code: 'charge_already_refunded',
      message: `Charge ${intent.latestCharge} has already been refunded.`,
    })
  const amount = params.amount === undefined ? left : Tokens.integer(params.amount, 'amount', 1)
  if (amount > left)
    throw invalid(
      `Refund amount (${amount}) is greater than unrefunded amount on charge (${left}).`,
      'amount',
      'amount_too_large',
    )
  const reason = params.reason === undefined ? null : Tokens.text(params.reason, 'reason')
  if (reason !== null && !['duplicate', 'fraudulent', 'requested_by_customer'].includes(reason))
    throw invalid(`Invalid reason: ${reason}.`, 'reason')
  return {
    id: `re_${PaymentIntents.randomId()}`,
    account: context.account,
    created: context.now,
    paymentIntent: intent.id,
    amount,
    currency: intent.currency,
    status: 'succeeded',
    reason,
    metadata:
      params.metadata === undefined
        ? {}
        : (Tokens.record(params.metadata, 'metadata') as StripeForm.Params),
  }
}

/** @internal `GET /v1/refunds` (filtered by `payment_intent`), newest first. */
export function list(refunds: Refund[], params: StripeForm.Params): Record<string, unknown> {
  const paymentIntent = params.payment_intent
  const limit = params.limit === undefined ? 10 : Tokens.integer(params.limit, 'limit', 1)
  const matching = refunds
    .filter((refund) => paymentIntent === undefined || refund.paymentIntent === paymentIntent)
    .reverse()
  return {
    object: 'list',
    data: matching.slice(0, limit).map(toJson),
    has_more: matching.length > limit,
    url: '/v1/refunds',
  }
}

/** @internal The refund object as the API returns it. */
export function toJson(refund: Refund): Record<string, unknown> {
  return {
    id: refund.id,
    object: 'refund',
    amount: refund.amount,
    created: refund.created,
    currency: refund.currency,
    metadata: refund.metadata,
    payment_intent: refund.paymentIntent,
    reason: refund.reason,
    status: refund.status,
  }
}
