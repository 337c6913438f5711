// The life of a PaymentIntent after its confirmation, in the local Stripe API: `capture`
// of an authorised one (`requires_capture`, at most the authorised amount, once), `cancel`
// of an unfinished one (giving back what it held of its token), and the test control that
// finishes a `processing` one. Stripe's states and refusals: anything else is 400
// `payment_intent_unexpected_state`.
import { ApiError, invalid } from './StripeApiError.js'
import type * as StripeForm from './StripeForm.js'
import { type Context, type PaymentIntent, randomId, toJson } from './StripePaymentIntents.js'
import * as Tokens from './StripeTokens.js'

const cancellable = new Set([
  'requires_payment_method',
  'requires_capture',
  'requires_confirmation',
  'requires_action',
  'processing',
])
const reasons = new Set(['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'])

/** @internal `POST /v1/payment_intents/:id/capture`. */
export function capture(
  intent: PaymentIntent,
  params: StripeForm.Params,
  context: Context,
): PaymentIntent {
  if (intent.status !== 'requires_capture') throw unexpectedState(intent, 'captured')
  const amount =
    params.amount_to_capture === undefined
      ? intent.amount
      : Tokens.integer(params.amount_to_capture, 'amount_to_capture', 1)
  if (amount > intent.amount)
    throw invalid(
      `amount_to_capture (${amount}) cannot exceed the amount capturable (${intent.amount}).`,
      'amount_to_capture',
    )
  const token = tokenOf(intent, context)
  if (token !== undefined)
    Tokens.account(token, { capture: intent.amount, captured: amount }, context.now)
  intent.status = 'succeeded'
  intent.amountReceived = amount
  return intent
}

/** @internal `POST /v1/payment_intents/:id/cancel`. */
export function cancel(
  intent: PaymentIntent,
  params: StripeForm.Params,
  context: Context,
): PaymentIntent {
  const reason = params.cancellation_reason
  if (reason !== undefined && (typeof reason !== 'string' || !reasons.has(reason)))
    throw invalid(`Invalid cancellation_reason: ${String(reason)}.`, 'cancellation_reason')
  if (!cancellable.has(intent.status)) throw unexpectedState(intent, 'canceled')
  const token = tokenOf(intent, context)
  if (
    token !== undefined &&
    (intent.status === 'requires_capture' || intent.status === 'processing')
  )
    Tokens.account(token, { free: intent.amount }, context.now)
  intent.status = 'canceled'
  return intent
}

/** @internal Test control: a `processing` PaymentIntent succeeds or fails. */
export function finish(
  intent: PaymentIntent,
  outcome: 'succeeded' | 'failed',
  token: Tokens.Token | undefined,
  now: number,
): void {
  if (intent.status !== 'processing')
    throw new Error(`PaymentIntent ${intent.id} is ${intent.status}, not processing`)
  if (outcome === 'succeeded') {
    intent.status = 'succeeded'
    intent.amountReceived = intent.amount
    intent.latestCharge = `ch_${randomId()}`
    if (token !== undefined) Tokens.account(token, { capture: intent.amount }, now)
  } else {
    intent.status = 'requires_payment_method'
    intent.lastPaymentError = { type: 'card_error', code: 'payment_intent_payment_attempt_failed' }
    if (token !== undefined) Tokens.account(token, { free: intent.amount }, now)
  }
}

function tokenOf(intent: PaymentIntent, context: Context): Tokens.Token | undefined {
  return intent.tokenId === null ? undefined : context.token(intent.tokenId)
}

function unexpectedState(intent: PaymentIntent, action: string): ApiError {
  return new ApiError(
    400,
    {
      type: 'invalid_request_error',
      code: 'payment_intent_unexpected_state',
      message: `This PaymentIntent could not be ${action} because it has a status of ${intent.status}.`,
      payment_intent: toJson(intent),
    },
    true,
  )
}
