// The shared payment token as the seller sees it (`shared_payment.granted_token`), and the
// optional pre-check of draft-stripe-charge-00 §"Verification Procedure" step 5: before
// any PaymentIntent exists, the token must be active, in the challenge's currency, able to
// cover its amount, and not expired. The errors here are also what Stripe's own refusals
// of a token map to.
import { Errors } from '@paywire/core'
import * as StripeApi from './StripeApi.js'

/**
 * The fields of a granted token the pre-check reads.
 *
 * @example
 * ```ts
 * import type { Token } from '@paywire/method-stripe'
 * const granted: Token.Granted = {
 *   id: 'spt_123',
 *   deactivated_reason: null,
 *   usage_limits: { currency: 'usd', max_amount: 5000, expires_at: 1751587220 },
 * }
 * ```
 */
export type Granted = {
  id: string
  deactivated_reason: string | null
  usage_limits: { currency: string; max_amount: number; expires_at: number } | null
  usage_details?: { amount_captured?: { value: number } | null } | null
}

/**
 * Retrieves a granted token and checks it can pay `amount` of `currency` at `now`.
 *
 * @throws {RefusedError | ExpiredError | LimitError} and, when Stripe cannot answer, the
 *   errors of `Settlement.fromStripeError`.
 * @example
 * ```ts
 * import Stripe from 'stripe'
 * import { Token } from '@paywire/method-stripe'
 * const stripe = new Stripe('sk_test_...')
 * await Token.precheck({ stripe, spt: 'spt_123', amount: 5000, currency: 'usd', now: Date.now() })
 * ```
 */
export async function precheck(parameters: precheck.Parameters): Promise<Granted> {
  let granted: Granted
  try {
    granted = (await parameters.stripe.rawRequest(
      'GET',
      `/v1/shared_payment/granted_tokens/${encodeURIComponent(parameters.spt)}`,
      undefined,
      { apiVersion: StripeApi.version, ...parameters.requestOptions },
    )) as unknown as Granted
  } catch (error) {
    if ((error as { statusCode?: unknown }).statusCode === 404)
      throw new RefusedError(
        'Stripe knows no such shared payment token granted to this seller',
        'unknown',
        {
          cause: error,
        },
      )
    throw error
  }
  assertUsable(granted, parameters)
  return granted
}

export declare namespace precheck {
  type Parameters = {
    stripe: StripeApi.Sdk
    spt: string
    amount: number
    currency: string
    /** Milliseconds. */
    now: number
    requestOptions?: { timeout?: number; maxNetworkRetries?: number } | undefined
  }
}

/**
 * Checks a retrieved granted token (see {@link precheck}).
 *
 * @throws {RefusedError | ExpiredError | LimitError}
 * @example
 * ```ts
 * import { Token } from '@paywire/method-stripe'
 * declare const granted: Token.Granted
 * Token.assertUsable(granted, { amount: 5000, currency: 'usd', now: Date.now() })
 * ```
 */
export function assertUsable(
  granted: Granted,
  expected: { amount: number; currency: string; now: number },
): void {
  const limits = granted.usage_limits
  switch (granted.deactivated_reason) {
    case null:
    case undefined:
      break
    case 'expired':
      throw new ExpiredError('the shared payment token has expired')
    case 'revoked':
      throw new RefusedError('the shared payment token was revoked by its issuer', 'revoked')
    case 'consumed':
    case 'resolved':
      throw new RefusedError('the shared payment token was already used', 'used')
    default:
      throw new RefusedError(
        `the shared payment token is deactivated (${granted.deactivated_reason})`,
        'inactive',
      )
  }
  if (limits === null) return
  if (limits.expires_at * 1000 <= expected.now)
    throw new ExpiredError(
      `the shared payment token expired at ${new Date(limits.expires_at * 1000).toISOString()}`,
    )
  if (limits.currency !== expected.currency)
    throw new RefusedError(
      `the shared payment token is limited to ${limits.currency}; the challenge asks ${expected.currency}`,
      'currency',
    )
  const captured = granted.usage_details?.amount_captured?.value ?? 0
  if (limits.max_amount - captured < expected.amount)
    throw new LimitError(
      `the shared payment token allows ${limits.max_amount - captured} ${limits.currency}; the challenge asks ${expected.amount}`,
    )
}

/**
 * Stripe refuses the token, or would: revoked, already used, another currency, unknown.
 *
 * @example
 * ```ts
 * import { Token } from '@paywire/method-stripe'
 * declare const error: unknown
 * if (error instanceof Token.RefusedError) console.log(error.code, error.problem)
 * ```
 */
export class RefusedError extends Errors.BaseError {
  override readonly name = 'Token.RefusedError'
  readonly code = 'ERR_STRIPE_TOKEN_REFUSED'
  readonly problem = 'verification-failed' as const
  constructor(
    message: string,
    /** Why: `revoked`, `used`, `currency`, `unknown`, `inactive` or `refused` (Stripe said no). */
    readonly reason: 'revoked' | 'used' | 'currency' | 'unknown' | 'inactive' | 'refused',
    options: Errors.BaseError.Options = {},
  ) {
    super(message, options)
  }
}

/**
 * The token expired (`payment-expired`).
 *
 * @example
 * ```ts
 * import { Token } from '@paywire/method-stripe'
 * declare const error: unknown
 * if (error instanceof Token.ExpiredError) console.log(error.code, error.problem)
 * ```
 */
export class ExpiredError extends Errors.BaseError {
  override readonly name = 'Token.ExpiredError'
  readonly code = 'ERR_STRIPE_TOKEN_EXPIRED'
  readonly problem = 'payment-expired' as const
}

/**
 * The token's maximum amount is below the amount asked (`payment-insufficient`).
 *
 * @example
 * ```ts
 * import { Token } from '@paywire/method-stripe'
 * declare const error: unknown
 * if (error instanceof Token.LimitError) console.log(error.code, error.problem)
 * ```
 */
export class LimitError extends Errors.BaseError {
  override readonly name = 'Token.LimitError'
  readonly code = 'ERR_STRIPE_TOKEN_LIMIT'
  readonly problem = 'payment-insufficient' as const
}
