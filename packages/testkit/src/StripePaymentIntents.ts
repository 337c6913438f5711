// PaymentIntents of the local Stripe API: create (optionally confirming at once), confirm,
// capture, cancel, retrieve and search, paid with a shared payment token or a plain `pm_`
// PaymentMethod. The token goes in the shape the request's API version takes: the
// top-level `shared_payment_granted_token` before 2026-04-22 (draft-stripe-charge-00
// §"Settlement Procedure"), `payment_method_data[shared_payment_granted_token]` from then
// on (Stripe's changelog). `capture_method=manual` authorises (`requires_capture`) and
// `capture` takes the money. Outcomes follow the token's script, else the test
// PaymentMethod's documented behaviour (`pm_card_chargeDeclined`, ...), else success.
import { randomBytes } from 'node:crypto'
import { ApiError, invalid, missing, noSuch } from './StripeApiError.js'
import type * as StripeForm from './StripeForm.js'
import * as Tokens from './StripeTokens.js'
import type { Outcome } from './StripeTypes.js'
import * as Versions from './StripeVersions.js'

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
  captureMethod: 'automatic' | 'automatic_async' | 'manual'
  amountReceived: number
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
    const onBehalfOf = typeof params.on_behalf_of === 'string' ? params.on_behalf_of : undefined
    if (!Tokens.scopedTo(token, context.account, onBehalfOf))
      throw invalid(
        `The shared payment token ${tokenId} is scoped to another seller (seller_details[external_id]).`,
        'shared_payment_granted_token',
        'payment_method_unexpected_state',
      )
  }
  const captureMethod = params.capture_method ?? 'automatic'
  if (
    captureMethod !== 'automatic' &&
    captureMethod !== 'automatic_async' &&
    captureMethod !== 'manual'
  )
    throw invalid(`Invalid capture_method: ${String(captureMethod)}.`, 'capture_method')
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
    captureMethod,
    amountReceived: 0,
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
    amount_capturable: intent.status === 'requires_capture' ? intent.amount : 0,
    amount_received: intent.amountReceived,
    application_fee_amount:
      params.application_fee_amount === undefined ? null : Number(params.application_fee_amount),
    automatic_payment_methods: params.automatic_payment_methods ?? null,
    capture_method: intent.captureMethod,
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

/**
 * The SPT a create names, or `null`. Each API version takes one shape: the other shape
 * (and either one on a version without tokens) is an unknown parameter.
 */
function tokenParameter(params: StripeForm.Params, apiVersion: string): string | null {
  const top = params.shared_payment_granted_token
  const data = params.payment_method_data
  const nested =
    data !== undefined && typeof data === 'object' && !Array.isArray(data)
      ? data.shared_payment_granted_token
      : undefined
  if (top === undefined && nested === undefined) return null
  const nestedParam = 'payment_method_data[shared_payment_granted_token]'
  const wantsNested = Versions.takesNestedToken(apiVersion)
  const unknown = (param: string) =>
    invalid(`Received unknown parameter: ${param}`, param, 'parameter_unknown')
  if (top !== undefined && (wantsNested || !Versions.hasTokens(apiVersion)))
    throw unknown('shared_payment_granted_token')
  if (nested !== undefined && (!wantsNested || !Versions.hasTokens(apiVersion)))
    throw unknown(nestedParam)
  return top !== undefined
    ? Tokens.text(top, 'shared_payment_granted_token')
    : Tokens.text(nested, nestedParam)
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
      if (token !== undefined) Tokens.account(token, { hold: intent.amount }, context.now)
      return intent
    default:
      intent.latestCharge = `ch_${randomId()}`
      if (intent.captureMethod === 'manual') {
        intent.status = 'requires_capture'
        if (token !== undefined) Tokens.account(token, { hold: intent.amount }, context.now)
        return intent
      }
      intent.status = 'succeeded'
      intent.amountReceived = intent.amount
      if (token !== undefined) Tokens.account(token, { captured: intent.amount }, context.now)
      return intent
  }
}

/**
 * @internal `GET /v1/payment_intents/search`: the query language's `AND` of exact
 * `metadata['key']:'value'` and `status:'value'` clauses (what reconciliation asks); any
 * other query is refused. Newest first. As on Stripe, an object becomes searchable only
 * some time after it is written (`searchableAfter`, a minute by default): search is not
 * for read-after-write.
 */
export function search(
  intents: PaymentIntent[],
  params: StripeForm.Params,
  searchableAfter: number,
): Record<string, unknown> {
  const query = Tokens.text(params.query, 'query')
  const limit = params.limit === undefined ? 10 : Tokens.integer(params.limit, 'limit', 1)
  const clauses = query.split(/\s+AND\s+/).map((clause) => {
    const match = /^(?:metadata\['([^']+)'\]|(status)):'([^']*)'$/.exec(clause.trim())
    if (match === null) throw invalid(`Unsupported search query: ${clause}`, 'query')
    const [, key, status, value] = match as unknown as [
      string,
      string | undefined,
      string | undefined,
      string,
    ]
    return (intent: PaymentIntent) =>
      status !== undefined
        ? intent.status === value
        : (intent.params.metadata as Record<string, unknown> | undefined)?.[key as string] === value
  })
  const found = intents
    .filter((intent) => intent.created <= searchableAfter)
    .filter((intent) => clauses.every((matches) => matches(intent)))
    .reverse()
  return {
    object: 'search_result',
    data: found.slice(0, limit).map(toJson),
    has_more: found.length > limit,
    next_page: null,
    url: '/v1/payment_intents/search',
  }
}

/** @internal A Stripe-like random id suffix. */
export function randomId(): string {
  return randomBytes(18).toString('base64url').replace(/[-_]/g, 'x').slice(0, 24)
}
