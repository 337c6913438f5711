// The errors a Stripe charge ends in (Settlement.ts), each with the draft's problem type
// (or none, for a server fault) and a stable code; those after which the outcome of the
// payment is unknown carry `outcome = 'unknown'`. Exported through `Settlement`.
import { Errors } from '@paywire/core'

/**
 * The card or wallet was declined (HTTP 402 `card_error`).
 *
 * @example
 * ```ts
 * import { Settlement } from '@paywire/method-stripe'
 * declare const error: unknown
 * if (error instanceof Settlement.DeclinedError) console.log(error.code, error.problem)
 * ```
 */
export class DeclinedError extends Errors.BaseError {
  override readonly name = 'Settlement.DeclinedError'
  readonly code = 'ERR_STRIPE_DECLINED'
  readonly problem = 'verification-failed' as const
  constructor(
    message: string,
    /** The PaymentIntent the decline left, if Stripe returned it. */
    readonly paymentIntentId: string | undefined,
    /** The issuer's reason (`insufficient_funds`, ...), if given. */
    readonly declineCode: string | undefined,
    options: Errors.BaseError.Options = {},
  ) {
    super(message, options)
  }
}

/**
 * The PaymentIntent needs customer action (3DS, redirect); it is not paid. Answered with
 * draft-httpauth-payment-01's `payment-action-required` (402).
 *
 * @example
 * ```ts
 * import { Settlement } from '@paywire/method-stripe'
 * declare const error: unknown
 * if (error instanceof Settlement.ActionRequiredError) console.log(error.code, error.problem)
 * ```
 */
export class ActionRequiredError extends Errors.BaseError {
  override readonly name = 'Settlement.ActionRequiredError'
  readonly code = 'ERR_STRIPE_ACTION_REQUIRED'
  readonly problem = 'payment-action-required' as const
  constructor(
    message: string,
    readonly paymentIntentId: string,
  ) {
    super(message)
  }
}

/**
 * The PaymentIntent ended in a status other than `succeeded` (`processing`, ...).
 *
 * @example
 * ```ts
 * import { Settlement } from '@paywire/method-stripe'
 * declare const error: unknown
 * if (error instanceof Settlement.NotSucceededError) console.log(error.code, error.problem)
 * ```
 */
export class NotSucceededError extends Errors.BaseError {
  override readonly name = 'Settlement.NotSucceededError'
  readonly code = 'ERR_STRIPE_NOT_SUCCEEDED'
  readonly problem = 'verification-failed' as const
  /** `unknown` while the PaymentIntent is `processing`: it may still succeed. */
  readonly outcome: 'unknown' | undefined
  constructor(
    message: string,
    readonly paymentIntentId: string,
    readonly paymentIntentStatus: string,
  ) {
    super(message)
    this.outcome = paymentIntentStatus === 'processing' ? 'unknown' : undefined
  }
}

/**
 * Stripe replayed the saved answer of an earlier request for this challenge that this
 * server did not make (another instance, a lost store): it pays nothing here.
 *
 * @example
 * ```ts
 * import { Settlement } from '@paywire/method-stripe'
 * declare const error: unknown
 * if (error instanceof Settlement.ReplayedError) console.log(error.code, error.problem)
 * ```
 */
export class ReplayedError extends Errors.BaseError {
  override readonly name = 'Settlement.ReplayedError'
  readonly code = 'ERR_STRIPE_REPLAYED'
  readonly problem = 'verification-failed' as const
}

/**
 * Stripe was rate-limited, failed, or did not answer in time; nothing is confirmed.
 *
 * @example
 * ```ts
 * import { Settlement } from '@paywire/method-stripe'
 * declare const error: unknown
 * if (error instanceof Settlement.UnavailableError) console.log(error.code, error.problem)
 * ```
 */
export class UnavailableError extends Errors.BaseError {
  override readonly name = 'Settlement.UnavailableError'
  readonly code = 'ERR_STRIPE_UNAVAILABLE'
  /** No problem type: the server answers 503 and keeps the payment for a retry. */
  readonly problem = undefined
  /** Whether money moved is not known: the same credential's retry resumes the attempt. */
  readonly outcome = 'unknown' as const
  constructor(
    message: string,
    /** Stripe's HTTP status, or `undefined` when no answer came. */
    readonly httpStatus: number | undefined,
    options: Errors.BaseError.Options = {},
  ) {
    super(message, options)
  }
}

/**
 * The challenge's idempotency key was already used with other parameters.
 *
 * @example
 * ```ts
 * import { Settlement } from '@paywire/method-stripe'
 * declare const error: unknown
 * if (error instanceof Settlement.ConflictError) console.log(error.code, error.problem)
 * ```
 */
export class ConflictError extends Errors.BaseError {
  override readonly name = 'Settlement.ConflictError'
  readonly code = 'ERR_STRIPE_IDEMPOTENCY_CONFLICT'
  readonly problem = 'verification-failed' as const
}

/**
 * Stripe refused the PaymentIntent for another reason (HTTP 400).
 *
 * @example
 * ```ts
 * import { Settlement } from '@paywire/method-stripe'
 * declare const error: unknown
 * if (error instanceof Settlement.RefusedError) console.log(error.code, error.problem)
 * ```
 */
export class RefusedError extends Errors.BaseError {
  override readonly name = 'Settlement.RefusedError'
  readonly code = 'ERR_STRIPE_REFUSED'
  readonly problem = 'verification-failed' as const
}

/**
 * Stripe refused the server's own key or account (401, 403): a server fault.
 *
 * @example
 * ```ts
 * import { Settlement } from '@paywire/method-stripe'
 * declare const error: unknown
 * if (error instanceof Settlement.StripeConfigurationError) console.log(error.code, error.problem)
 * ```
 */
export class StripeConfigurationError extends Errors.BaseError {
  override readonly name = 'Settlement.StripeConfigurationError'
  readonly code = 'ERR_STRIPE_CONFIGURATION'
  readonly problem = undefined
}

/**
 * Stripe answered with a PaymentIntent that is not this challenge's: never accepted.
 *
 * @example
 * ```ts
 * import { Settlement } from '@paywire/method-stripe'
 * declare const error: unknown
 * if (error instanceof Settlement.UnexpectedPaymentIntentError) console.log(error.code, error.problem)
 * ```
 */
export class UnexpectedPaymentIntentError extends Errors.BaseError {
  override readonly name = 'Settlement.UnexpectedPaymentIntentError'
  readonly code = 'ERR_STRIPE_UNEXPECTED_PAYMENT_INTENT'
  readonly problem = undefined
}
