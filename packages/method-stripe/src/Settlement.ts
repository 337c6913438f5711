// Settlement of a Stripe charge (draft-stripe-charge-00 §"Settlement Procedure"): one
// PaymentIntent created and confirmed at once with the shared payment token, under an
// idempotency key derived from the challenge id, so that any retry for the same challenge
// (the SDK's after a timeout, the server's, the client's) reaches the same PaymentIntent
// and can never charge twice. The PaymentIntent carries the challenge id and the server's
// attempt id in its metadata (keys chosen before the call): an answer Stripe replays for
// an attempt that is not this server's is refused (advisory GHSA-8mhj-rffc-rcvw), and a
// PaymentIntent whose answer was lost is found again by search. With manual capture the
// card is only authorised (`requires_capture`). Every Stripe error and status is mapped to
// a paywire error carrying the draft's problem type and a detail without credential
// material; those that leave the outcome unknown say so (`outcome = 'unknown'`).
import { Errors } from '@paywire/core'
import type Stripe from 'stripe'
import type * as ChargeRequest from './ChargeRequest.js'
import * as PaymentIntents from './PaymentIntents.js'
import {
  ActionRequiredError,
  ConflictError,
  DeclinedError,
  NotSucceededError,
  RefusedError,
  ReplayedError,
  StripeConfigurationError,
  UnavailableError,
  UnexpectedPaymentIntentError,
} from './SettlementErrors.js'
import * as StripeApi from './StripeApi.js'
import * as Token from './Token.js'

/**
 * The idempotency key of a challenge's PaymentIntent. It depends on the challenge id only
 * (not on the token): a retry for the same challenge with another token gets Stripe's
 * `idempotency_error` instead of a second charge.
 *
 * @example
 * ```ts
 * import { Settlement } from '@paywire/method-stripe'
 * Settlement.idempotencyKey('x3kXtdNn2ZhZl8nHKOb3Ox6Rz5JwvUOpB5-XTvoqQbA')
 * // 'paywire-stripe-charge-x3kXtdNn2ZhZl8nHKOb3Ox6Rz5JwvUOpB5-XTvoqQbA'
 * ```
 */
export function idempotencyKey(challengeId: string): string {
  return `paywire-stripe-charge-${challengeId}`
}

/**
 * Creates and confirms the PaymentIntent of a challenge. Resolves it when it `succeeded`,
 * or, with `capture: 'manual'`, when it is authorised (`requires_capture`).
 *
 * @throws {DeclinedError | ActionRequiredError | NotSucceededError | UnavailableError |
 *   ConflictError | ReplayedError | RefusedError | Token.RefusedError | Token.LimitError |
 *   StripeConfigurationError | UnexpectedPaymentIntentError}
 * @example
 * ```ts
 * import Stripe from 'stripe'
 * import { ChargeRequest, Settlement } from '@paywire/method-stripe'
 * declare const request: ChargeRequest.ChargeRequest
 * const intent = await Settlement.charge({
 *   stripe: new Stripe('sk_test_...'),
 *   request,
 *   challengeId: 'x3kXtdNn2ZhZl8nHKOb3Ox6Rz5JwvUOpB5-XTvoqQbA',
 *   spt: 'spt_123',
 *   attempt: { id: 'Qm9yZWFsaXM', resumed: false },
 * })
 * ```
 */
export async function charge(parameters: charge.Parameters): Promise<Stripe.PaymentIntent> {
  const { request, challengeId, connect, attempt } = parameters
  const amount = Number(request.amount)
  const params = {
    amount,
    currency: request.currency,
    shared_payment_granted_token: parameters.spt,
    confirm: true,
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    ...(parameters.capture === 'manual' ? { capture_method: 'manual' } : {}),
    metadata: {
      ...(request.methodDetails.metadata ?? {}),
      challenge_id: challengeId,
      ...(attempt === undefined ? {} : { [PaymentIntents.attemptKey]: attempt.id }),
    },
    ...(connect?.params ?? {}),
  } as Stripe.PaymentIntentCreateParams
  const where = {
    stripe: parameters.stripe,
    stripeAccount: connect?.stripeAccount,
    requestOptions: parameters.requestOptions,
  }
  let intent: Stripe.PaymentIntent
  let replayed: boolean
  try {
    const created = await parameters.stripe.paymentIntents.create(params, {
      apiVersion: StripeApi.version,
      idempotencyKey: idempotencyKey(challengeId),
      ...(connect?.stripeAccount === undefined ? {} : { stripeAccount: connect.stripeAccount }),
      ...parameters.requestOptions,
    })
    // https://docs.stripe.com/api/idempotent_requests: a replay carries this header.
    replayed = created.lastResponse?.headers?.['idempotent-replayed'] === 'true'
    intent = created
  } catch (error) {
    const mapped = fromStripeError(error)
    // An answer lost (no answer, a 500 Stripe saved mid-request and replays for the key):
    // the PaymentIntent, if it exists, is found by the challenge id it carries.
    const found =
      outcomeUnknown(mapped) && attempt !== undefined
        ? await PaymentIntents.find({ ...where, challengeId, attempt: attempt.id }).catch(
            () => undefined,
          )
        : undefined
    if (found === undefined) throw mapped
    intent = found
    replayed = true
  }
  assertOwn(intent, { amount, currency: request.currency, challengeId, attempt, replayed })
  // A replayed answer is as old as the first call: ask for the PaymentIntent as it is now.
  if (replayed && intent.status === 'processing')
    intent = await PaymentIntents.retrieve({ ...where, id: intent.id })
  return expectStatus(intent, parameters.capture === 'manual' ? 'requires_capture' : 'succeeded')
}

export declare namespace charge {
  type Parameters = {
    stripe: StripeApi.Sdk
    request: ChargeRequest.ChargeRequest
    challengeId: string
    spt: string
    /**
     * The server's payment attempt (see `Method.Context.attempt`): written to the
     * PaymentIntent's metadata; a replayed answer is accepted only for it. Without one, a
     * replayed answer is always refused.
     */
    attempt?: { id: string; resumed: boolean } | undefined
    /** `manual`: authorise only (`requires_capture`), to capture after the handler. */
    capture?: 'automatic' | 'manual' | undefined
    /** Checked Connect parameters (see `Connect.toParams`). */
    connect?: { params: Record<string, unknown>; stripeAccount?: string } | undefined
    /** Per-request SDK settings (timeout in ms, network retries). */
    requestOptions?: { timeout?: number; maxNetworkRetries?: number } | undefined
  }
}

/** The PaymentIntent must be this challenge's, and a replay this attempt's own. */
function assertOwn(
  intent: Stripe.PaymentIntent,
  expected: {
    amount: number
    currency: string
    challengeId: string
    attempt: { id: string } | undefined
    replayed: boolean
  },
): void {
  const metadata = intent.metadata ?? {}
  if (
    intent.amount !== expected.amount ||
    intent.currency !== expected.currency ||
    (metadata.challenge_id !== undefined && metadata.challenge_id !== expected.challengeId)
  )
    throw new UnexpectedPaymentIntentError(
      `Stripe answered with PaymentIntent ${intent.id} for ${intent.amount} ${intent.currency}, not this challenge's ${expected.amount} ${expected.currency}`,
    )
  if (
    expected.replayed &&
    (expected.attempt === undefined || metadata[PaymentIntents.attemptKey] !== expected.attempt.id)
  )
    throw new ReplayedError(
      `Stripe replayed the answer of an earlier request for this challenge (PaymentIntent ${intent.id}); this server did not make that attempt, so it pays nothing here`,
    )
}

/** Resolves a PaymentIntent in the status wanted; maps the others to errors. */
export function expectStatus(
  intent: Stripe.PaymentIntent,
  wanted: 'succeeded' | 'requires_capture',
): Stripe.PaymentIntent {
  if (intent.status === wanted || intent.status === 'succeeded') return intent
  if (intent.status === 'requires_action')
    throw new ActionRequiredError(
      `PaymentIntent ${intent.id} requires customer action (${intent.next_action?.type ?? 'unknown'}); a shared payment token must be payable without it`,
      intent.id,
    )
  throw new NotSucceededError(
    `PaymentIntent ${intent.id} is ${intent.status}, not ${wanted}; only a ${wanted === 'succeeded' ? 'succeeded' : 'authorised'} payment is accepted`,
    intent.id,
    intent.status,
  )
}

function outcomeUnknown(error: Errors.BaseError): boolean {
  return (error as { outcome?: unknown }).outcome === 'unknown'
}

/**
 * Maps an error thrown by the Stripe SDK to the paywire error for it: a decline (402) to
 * {@link DeclinedError}; 429, 5xx, 409 and connection failures to {@link UnavailableError}
 * (safe to retry with the same credential); an idempotency conflict to {@link ConflictError};
 * refusals of the token to `Token.RefusedError` or `Token.LimitError`; 401 and 403 to
 * {@link StripeConfigurationError} (a server fault, no problem type); any other 400 to
 * {@link RefusedError}. Token ids are removed from Stripe's messages.
 *
 * @example
 * ```ts
 * import { Settlement } from '@paywire/method-stripe'
 * declare const error: unknown
 * const mapped = Settlement.fromStripeError(error)
 * console.log(mapped.code, mapped.problem)
 * ```
 */
export function fromStripeError(error: unknown): Errors.BaseError {
  if (error instanceof Errors.BaseError) return error
  const stripe = error as Partial<Stripe.errors.StripeError> | undefined
  const type = stripe?.type
  const status = stripe?.statusCode
  const code = stripe?.code
  const said = redact(stripe?.message ?? String(error))
  const options = { cause: error }
  if (type === 'StripeCardError')
    return new DeclinedError(
      `Stripe declined the payment (${code ?? 'card_error'}${stripe?.decline_code ? `, ${stripe.decline_code}` : ''}): ${said}`,
      stripe?.payment_intent?.id,
      stripe?.decline_code,
      options,
    )
  if (type === 'StripeIdempotencyError' && status !== 409)
    return new ConflictError(
      'this challenge was already submitted to Stripe by another attempt (another token, amount or server); request a new challenge',
      options,
    )
  if (
    type === 'StripeConnectionError' ||
    type === 'StripeRateLimitError' ||
    status === 409 ||
    (status !== undefined && status >= 500) ||
    (type === 'StripeAPIError' && status === undefined)
  )
    return new UnavailableError(
      `Stripe did not complete the request (${status === undefined ? 'no answer' : `HTTP ${status}`}): ${said}. Nothing is confirmed: retry the same credential (it cannot charge twice), do not pay again`,
      status,
      options,
    )
  if (type === 'StripeAuthenticationError' || type === 'StripePermissionError')
    return new StripeConfigurationError(
      `Stripe refused the server's credentials (HTTP ${status}): ${said}`,
      options,
    )
  if (code === 'amount_too_large') return new Token.LimitError(`Stripe: ${said}`, options)
  const aboutToken =
    code === 'token_already_used' ||
    code === 'payment_method_unexpected_state' ||
    (stripe?.param ?? '').includes('shared_payment_granted_token')
  if (aboutToken)
    return new Token.RefusedError(
      `Stripe refused the shared payment token (${code ?? 'invalid_request_error'}): ${said}`,
      code === 'token_already_used' ? 'used' : code === 'resource_missing' ? 'unknown' : 'refused',
      options,
    )
  return new RefusedError(
    `Stripe refused the PaymentIntent (${code ?? type ?? 'error'}${stripe?.param ? `, ${stripe.param}` : ''}): ${said}`,
    options,
  )
}

/** Token ids are credential material: they never reach a problem detail or a log. */
function redact(message: string): string {
  return message.replace(/spt_[A-Za-z0-9_]+/g, 'spt_…')
}

export * from './SettlementErrors.js'
