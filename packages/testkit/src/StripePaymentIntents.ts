// PaymentIntents of the local Stripe API: create (optionally confirming at once), confirm
// and retrieve, paid with a shared payment token given either as the top-level
// `shared_payment_granted_token` (draft-stripe-charge-00 §"Settlement Procedure") or as
// `payment_method_data[shared_payment_granted_token]` (Stripe's 2026-04-22.preview docs), or
// with a plain `pm_` PaymentMethod. Outcomes follow the token's script, else the test
// PaymentMethod's documented behaviour (`pm_card_chargeDeclined`, ...), else success.
import { randomBytes } from 'node:crypto'
import { ApiError, invalid, missing, noSuch } from './StripeApiError.js'
import type * as StripeForm from './StripeForm.js'
import type { Outcome } from './StripeServer.js'
import * as Tokens from './StripeTokens.js'

/** @internal A PaymentIntent as the local API keeps it. */
export type PaymentIntent = {
  id: string
  /** The account the PaymentIntent belongs to (the `Stripe-Account` one under Connect). */
  account: string
  created: number
  amount: number
  currency: string
  status: string
  tokenId: string | null
  paymentMethod: string | null
  params: StripeForm.Params
  lastPaymentError: Record<string, unknown> | null
  nextAction: Record<string, unknown> | null
  latestCharge: string | null
}

/** @internal What a request needs from the server around it. */
export type Context = {
  /** The account whose key authenticated the request (the seller, or the Connect platform). */
  seller: Tokens.Holder
  /** The account acted on: `Stripe-Account` under Connect, else the seller's. */
  account: string
  apiVersion: string
  now: number
  token(id: string): Tokens.Token | undefined
  outcome(token: Tokens.Token | undefined, paymentMethod: string | null): Scripted
}

/** @internal An outcome and, for a decline, its `decline_code`. */
export type Scripted = { outcome: Outcome; declineCode: string }

/** Stripe's test PaymentMethods with a documented outcome; any other `pm_` succeeds. */
export const testPaymentMethods: Readonly<Record<string, Scripted>> = {
  pm_card_visa: { outcome: 'succeeded', declineCode: '' },
  pm_card_mastercard: { outcome: 'succeeded', declineCode: '' },
  pm_card_chargeDeclined: { outcome: 'declined', declineCode: 'generic_decline' },
  pm_card_chargeDeclinedInsufficientFunds: {
    outcome: 'declined',
    declineCode: 'insufficient_funds',
  },
  pm_card_authenticationRequired: { outcome: 'requires_action', declineCode: '' },
}

/**
 * @internal `POST /v1/payment_intents`: validates and creates. The caller keeps the new
 * PaymentIntent, then confirms it when `confirm=true` (a failed confirmation leaves it).
 */
export function create(params: StripeForm.Params, context: Context): PaymentIntent {
  const amount = Tokens.integer(params.amount, 'amount', 1)
  const currency = Tokens.text(params.currency, 'currency')
  if (!/^[a-z]{3}$/.test(currency)) throw invalid(`Invalid currency: ${currency}.`, 'currency')
  const tokenId = tokenParameter(params, context.apiVersion)
  const paymentMethod =
    params.payment_method === undefined
      ? null
      : Tokens.text(params.payment_method, 'payment_method')
  if (tokenId !== null && paymentMethod !== null)
    throw invalid(
      'You cannot provide both payment_method and a shared payment token.',
      'payment_method',
      'parameters_exclusive',
    )
  if (tokenId !== null) {
    const token = context.token(tokenId)
    if (token === undefined || !Tokens.grantedTo(token, context.seller))
      throw noSuch('shared payment granted token', tokenId, 'shared_payment_granted_token')
  }
  checkConnect(params, amount)
  if (params.metadata !== undefined) Tokens.record(params.metadata, 'metadata')
  return {
    id: `pi_${randomId()}`,
    account: context.account,
    created: context.now,
    amount,
    currency,
    status:
      tokenId === null && paymentMethod === null
        ? 'requires_payment_method'
        : 'requires_confirmation',
    tokenId,
    paymentMethod,
    params,
    lastPaymentError: null,
    nextAction: null,
    latestCharge: null,
  }
}

/** @internal `POST /v1/payment_intents/:id/confirm`. */
export function confirm(intent: PaymentIntent, context: Context): PaymentIntent {
  if (intent.status !== 'requires_confirmation')
    throw new ApiError(
      400,
      {
        type: 'invalid_request_error',
        code: 'payment_intent_unexpected_state',
        message: `This PaymentIntent's status is ${intent.status}; it cannot be confirmed.`,
        payment_intent: toJson(intent),
      },
      true,
    )
  return confirmIntent(intent, context)
}

/** @internal The PaymentIntent object as the API returns it. */
export function toJson(intent: PaymentIntent): Record<string, unknown> {
  const { params } = intent
  return {
    id: intent.id,
    object: 'payment_intent',
    amount: intent.amount,
    amount_received: intent.status === 'succeeded' ? intent.amount : 0,
    application_fee_amount:
      params.application_fee_amount === undefined ? null : Number(params.application_fee_amount),
    automatic_payment_methods: params.automatic_payment_methods ?? null,
    capture_method: 'automatic',
    client_secret: `${intent.id}_secret_local`,
    confirmation_method: 'automatic',
    created: intent.created,
    currency: intent.currency,
    description: params.description ?? null,
    last_payment_error: intent.lastPaymentError,
    latest_charge: intent.latestCharge,
    livemode: false,
    metadata: params.metadata ?? {},
    next_action: intent.nextAction,
    on_behalf_of: params.on_behalf_of ?? null,
    payment_method: intent.tokenId === null ? intent.paymentMethod : `pm_from_${intent.tokenId}`,
    payment_method_types: params.payment_method_types ?? ['card'],
    shared_payment_granted_token: intent.tokenId,
    status: intent.status,
    transfer_data: params.transfer_data ?? null,
    transfer_group: params.transfer_group ?? null,
  }
}

/** The SPT named by either parameter shape, or `null`. */
function tokenParameter(params: StripeForm.Params, apiVersion: string): string | null {
  const top = params.shared_payment_granted_token
  const data = params.payment_method_data
  const nested =
    data !== undefined && typeof data === 'object' && !Array.isArray(data)
      ? data.shared_payment_granted_token
      : undefined
  const param =
    top !== undefined
      ? 'shared_payment_granted_token'
      : 'payment_method_data[shared_payment_granted_token]'
  if (top === undefined && nested === undefined) return null
  // The parameter exists only on preview API versions.
  if (!apiVersion.endsWith('.preview'))
    throw invalid(`Received unknown parameter: ${param}`, param, 'parameter_unknown')
  const topId = top === undefined ? undefined : Tokens.text(top, 'shared_payment_granted_token')
  const nestedId =
    nested === undefined
      ? undefined
      : Tokens.text(nested, 'payment_method_data[shared_payment_granted_token]')
  if (topId !== undefined && nestedId !== undefined && topId !== nestedId)
    throw invalid(
      'shared_payment_granted_token and payment_method_data[shared_payment_granted_token] name different tokens.',
      param,
      'parameters_exclusive',
    )
  return (topId ?? nestedId) as string
}

/** Connect parameters Stripe validates on create. */
function checkConnect(params: StripeForm.Params, amount: number): void {
  if (params.application_fee_amount !== undefined) {
    const fee = Tokens.integer(params.application_fee_amount, 'application_fee_amount', 0)
    if (fee > amount)
      throw invalid('application_fee_amount cannot exceed amount.', 'application_fee_amount')
  }
  if (params.transfer_data !== undefined) {
    const transfer = Tokens.record(params.transfer_data, 'transfer_data')
    if (transfer.destination === undefined) throw missing('transfer_data[destination]')
    Tokens.text(transfer.destination, 'transfer_data[destination]')
    if (transfer.amount !== undefined) {
      const transferred = Tokens.integer(transfer.amount, 'transfer_data[amount]', 0)
      if (transferred > amount)
        throw invalid('transfer_data[amount] cannot exceed amount.', 'transfer_data[amount]')
    }
  }
}

function confirmIntent(intent: PaymentIntent, context: Context): PaymentIntent {
  const token = intent.tokenId === null ? undefined : context.token(intent.tokenId)
  const failed = (error: ApiError, lastPaymentError: Record<string, unknown>) => {
    intent.status = 'requires_payment_method'
    intent.lastPaymentError = lastPaymentError
    return new ApiError(error.status, { ...error.body, payment_intent: toJson(intent) }, true)
  }
  if (intent.tokenId === null && intent.paymentMethod === null)
    throw new ApiError(
      400,
      {
        type: 'invalid_request_error',
        code: 'payment_intent_unexpected_state',
        message: 'You cannot confirm this PaymentIntent because it has no payment method.',
      },
      false,
    )
  if (token !== undefined) {
    try {
      Tokens.assertUsable(token, intent.amount, intent.currency, context.now)
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      throw failed(error, { ...error.body })
    }
  }
  const { outcome, declineCode } = context.outcome(token, intent.paymentMethod)
  switch (outcome) {
    case 'declined': {
      const body = {
        type: 'card_error' as const,
        code: 'card_declined',
        decline_code: declineCode,
        message: 'Your card was declined.',
      }
      throw failed(new ApiError(402, body, true), body)
    }
    case 'requires_action':
      intent.status = 'requires_action'
      intent.nextAction = { type: 'use_stripe_sdk', use_stripe_sdk: {} }
      return intent
    case 'processing':
      intent.status = 'processing'
      if (token !== undefined) Tokens.deactivate(token, 'consumed', context.now)
      return intent
    default:
      intent.status = 'succeeded'
      intent.latestCharge = `ch_${randomId()}`
      if (token !== undefined) {
        token.amountCaptured += intent.amount
        Tokens.deactivate(token, 'consumed', context.now)
      }
      return intent
  }
}

/** @internal A Stripe-like random id suffix. */
export function randomId(): string {
  return randomBytes(18).toString('base64url').replace(/[-_]/g, 'x').slice(0, 24)
}
