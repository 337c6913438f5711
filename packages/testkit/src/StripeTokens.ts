// Shared payment tokens (SPTs) of the local Stripe API: issued by an agent's account
// (`POST /v1/shared_payment/issued_tokens`) or granted by a test helper
// (`POST /v1/test_helpers/shared_payment/granted_tokens`), seen by the seller as
// `shared_payment.granted_token`, revoked by a test helper, and limited by currency, expiry
// and `max_amount`, a running limit over everything captured with it (and, here, what is
// authorised and not yet captured): it is consumed once captures reach it. A token with
// `seller_details[external_id]` pays only for that seller (a connected account).
import { ApiError, invalid, missing, noSuch } from './StripeApiError.js'
import type * as StripeForm from './StripeForm.js'

/** Why a token can no longer be used (Stripe's `deactivated_reason`). */
export type DeactivatedReason = 'consumed' | 'expired' | 'resolved' | 'revoked'

/** @internal A token as the local API keeps it. */
export type Token = {
  id: string
  created: number
  /** Account that issued the token (the agent), or that granted it to itself (test helper). */
  issuer: string
  /** Network (Business Network profile) id of the seller the token is granted to. */
  sellerNetworkId: string
  sellerExternalId: string | null
  paymentMethod: string
  currency: string
  maxAmount: number
  expiresAt: number
  amountCaptured: number
  /** Authorised (or processing) and not yet captured. */
  amountHeld: number
  deactivatedAt: number | null
  deactivatedReason: DeactivatedReason | null
}

/** @internal An account of the local API, as the token rules need it. */
export type Holder = { id: string; networkId: string }

/** @internal Builds a token from the create parameters of either endpoint. */
export function create(
  params: StripeForm.Params,
  options: { id: string; issuer: Holder; now: number; defaultSeller: string | undefined },
): Token {
  const paymentMethod = text(params.payment_method, 'payment_method')
  if (!/^pm_[A-Za-z0-9_]+$/.test(paymentMethod))
    throw noSuch('PaymentMethod', paymentMethod, 'payment_method')
  const limits = record(params.usage_limits, 'usage_limits')
  const currency = text(limits.currency, 'usage_limits[currency]')
  if (!/^[a-z]{3}$/.test(currency))
    throw invalid(`Invalid currency: ${currency}.`, 'usage_limits[currency]')
  const maxAmount = integer(limits.max_amount, 'usage_limits[max_amount]', 1)
  const expiresAt = integer(limits.expires_at, 'usage_limits[expires_at]', 0)
  if (expiresAt <= options.now)
    throw invalid('usage_limits[expires_at] must be in the future.', 'usage_limits[expires_at]')
  const seller =
    params.seller_details === undefined ? {} : record(params.seller_details, 'seller_details')
  const sellerNetworkId =
    seller.network_id === undefined
      ? options.defaultSeller
      : text(seller.network_id, 'seller_details[network_id]')
  if (sellerNetworkId === undefined) throw missing('seller_details[network_id]')
  return {
    id: options.id,
    created: options.now,
    issuer: options.issuer.id,
    sellerNetworkId,
    sellerExternalId:
      seller.external_id === undefined
        ? null
        : text(seller.external_id, 'seller_details[external_id]'),
    paymentMethod,
    currency,
    maxAmount,
    expiresAt,
    amountCaptured: 0,
    amountHeld: 0,
    deactivatedAt: null,
    deactivatedReason: null,
  }
}

/** @internal Marks a token expired once its `expires_at` has passed. */
export function refresh(token: Token, now: number): Token {
  if (token.deactivatedReason === null && now >= token.expiresAt) {
    token.deactivatedAt = token.expiresAt
    token.deactivatedReason = 'expired'
  }
  return token
}

/** @internal Whether `account` (the seller) may see and use the token. */
export function grantedTo(token: Token, account: Holder): boolean {
  return token.sellerNetworkId === account.networkId
}

/** @internal Deactivates a token (revoke, consume). */
export function deactivate(token: Token, reason: DeactivatedReason, now: number): void {
  if (token.deactivatedReason !== null) return
  token.deactivatedAt = now
  token.deactivatedReason = reason
}

/**
 * @internal Checks that the token can pay `amount` of `currency` now; throws the 400 a
 * PaymentIntent confirmation gets otherwise (saved under the idempotency key: the
 * confirmation had begun).
 */
export function assertUsable(token: Token, amount: number, currency: string, now: number): void {
  refresh(token, now)
  const refuse = (code: string, message: string) =>
    new ApiError(
      400,
      { type: 'invalid_request_error', code, message, param: 'shared_payment_granted_token' },
      true,
    )
  switch (token.deactivatedReason) {
    case 'consumed':
    case 'resolved':
      throw refuse('token_already_used', `The shared payment token ${token.id} was already used.`)
    case 'revoked':
      throw refuse(
        'payment_method_unexpected_state',
        `The shared payment token ${token.id} was revoked by its issuer.`,
      )
    case 'expired':
      throw refuse(
        'payment_method_unexpected_state',
        `The shared payment token ${token.id} expired at ${token.expiresAt}.`,
      )
    default:
  }
  if (currency !== token.currency)
    throw refuse(
      'payment_method_unexpected_state',
      `The shared payment token ${token.id} is limited to ${token.currency}; this payment is in ${currency}.`,
    )
  const left = token.maxAmount - token.amountCaptured - token.amountHeld
  if (amount > left)
    throw new ApiError(
      400,
      {
        type: 'invalid_request_error',
        code: 'amount_too_large',
        param: 'amount',
        message: `Amount ${amount} exceeds what the shared payment token ${token.id} allows (${left} ${token.currency}).`,
      },
      true,
    )
}

/**
 * @internal Moves `amount` of a token between held and captured: `hold` reserves it,
 * `capture` takes what was held (`captured` of it), `free` gives it back. The token is
 * consumed once captures reach its `max_amount`.
 */
export function account(
  token: Token,
  change: { hold?: number; capture?: number; captured?: number; free?: number },
  now: number,
): void {
  token.amountHeld += (change.hold ?? 0) - (change.capture ?? 0) - (change.free ?? 0)
  token.amountCaptured += change.captured ?? change.capture ?? 0
  if (token.amountCaptured >= token.maxAmount) deactivate(token, 'consumed', now)
}

/** @internal Whether a token scoped to a seller (`seller_details[external_id]`) may pay on `account`. */
export function scopedTo(token: Token, account: string, onBehalfOf: string | undefined): boolean {
  return (
    token.sellerExternalId === null ||
    token.sellerExternalId === account ||
    token.sellerExternalId === onBehalfOf
  )
}

/** @internal The seller's view: `shared_payment.granted_token`. */
export function toGranted(token: Token): Record<string, unknown> {
  return {
    id: token.id,
    object: 'shared_payment.granted_token',
    created: token.created,
    deactivated_at: token.deactivatedAt,
    deactivated_reason: token.deactivatedReason,
    livemode: false,
    agent_details: { network_business_profile: token.issuer },
    payment_method_details: { type: 'card' },
    shared_metadata: {},
    usage_details: { amount_captured: { value: token.amountCaptured, currency: token.currency } },
    usage_limits: {
      currency: token.currency,
      expires_at: token.expiresAt,
      max_amount: token.maxAmount,
    },
  }
}

/** @internal The issuer's view: `shared_payment.issued_token`. */
export function toIssued(token: Token): Record<string, unknown> {
  return {
    id: token.id,
    object: 'shared_payment.issued_token',
    created: token.created,
    deactivated_at: token.deactivatedAt,
    deactivated_reason: token.deactivatedReason,
    livemode: false,
    next_action: null,
    payment_method: token.paymentMethod,
    seller_details: { network_id: token.sellerNetworkId, external_id: token.sellerExternalId },
    usage_details: { amount_captured: { value: token.amountCaptured, currency: token.currency } },
    usage_limits: {
      currency: token.currency,
      expires_at: token.expiresAt,
      max_amount: token.maxAmount,
    },
  }
}

/** @internal A string parameter, or the 400 Stripe answers. */
export function text(value: StripeForm.Value | undefined, param: string): string {
  if (value === undefined || value === '') throw missing(param)
  if (typeof value !== 'string') throw invalid(`Invalid string: ${param}.`, param)
  return value
}

/** @internal An integer parameter of at least `min`, or the 400 Stripe answers. */
export function integer(value: StripeForm.Value | undefined, param: string, min: number): number {
  const raw = text(value, param)
  if (!/^\d{1,15}$/.test(raw))
    throw invalid(`Invalid integer: ${raw}.`, param, 'parameter_invalid_integer')
  const parsed = Number(raw)
  if (parsed < min) throw invalid(`${param} must be at least ${min}.`, param)
  return parsed
}

/** @internal An object parameter, or the 400 Stripe answers. */
export function record(
  value: StripeForm.Value | undefined,
  param: string,
): { [key: string]: StripeForm.Value } {
  if (value === undefined) throw missing(param)
  if (typeof value !== 'object' || Array.isArray(value))
    throw invalid(`Invalid object: ${param}.`, param)
  return value
}
