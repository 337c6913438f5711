// The PaymentIntent of a challenge after its creation (docs/security.md "The after-success
// model"): captured after the handler succeeded, cancelled when it failed, found again by
// the challenge id and attempt id written to its metadata before the call (a search), read
// for reconciliation, and refunded when it was paid and never delivered. Every call names
// the API version and, for writes, an idempotency key derived from the challenge id.
import type Stripe from 'stripe'
import * as StripeApi from './StripeApi.js'

/**
 * The metadata key holding the server's attempt id (`Method.Context.attempt`).
 *
 * @example
 * ```ts
 * import { PaymentIntents } from '@paywire/method-stripe'
 * PaymentIntents.attemptKey // 'paywire_attempt'
 * ```
 */
export const attemptKey = 'paywire_attempt'

/**
 * What the server keeps of an authorised PaymentIntent (the `hold` of an after-success
 * payment): its id and the connected account it was made on, if any.
 *
 * @example
 * ```ts
 * import type { PaymentIntents } from '@paywire/method-stripe'
 * const hold: PaymentIntents.Hold = { paymentIntent: 'pi_123', account: null }
 * ```
 */
export type Hold = { paymentIntent: string; account: string | null }

/**
 * A kept hold read back, or `undefined` when the value is not one.
 *
 * @example
 * ```ts
 * import { PaymentIntents } from '@paywire/method-stripe'
 * PaymentIntents.asHold({ paymentIntent: 'pi_123', account: null })?.paymentIntent // 'pi_123'
 * ```
 */
export function asHold(value: unknown): Hold | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const { paymentIntent, account } = value as Partial<Hold>
  if (typeof paymentIntent !== 'string' || !paymentIntent.startsWith('pi_')) return undefined
  return { paymentIntent, account: typeof account === 'string' ? account : null }
}

/**
 * Where a PaymentIntent lives: the SDK, the connected account it was made on (Connect),
 * and per-request SDK settings.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe'
 * import type { PaymentIntents } from '@paywire/method-stripe'
 * const where: PaymentIntents.Where = { stripe: new Stripe('sk_test_...'), stripeAccount: undefined }
 * ```
 */
export type Where = {
  stripe: StripeApi.Sdk
  stripeAccount?: string | undefined
  requestOptions?: { timeout?: number; maxNetworkRetries?: number } | undefined
}

/**
 * The PaymentIntent a challenge's attempt made, found by the metadata written before the
 * call (`metadata['challenge_id']`, then the attempt id), or `undefined`. Stripe's search
 * can lag behind writes by up to a minute: absent now is not absent for good.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe'
 * import { PaymentIntents } from '@paywire/method-stripe'
 * const intent = await PaymentIntents.find({
 *   stripe: new Stripe('sk_test_...'),
 *   challengeId: 'x3kXtdNn2ZhZl8nHKOb3Ox6Rz5JwvUOpB5-XTvoqQbA',
 *   attempt: 'Qm9yZWFsaXM',
 * })
 * ```
 */
export async function find(
  parameters: Where & { challengeId: string; attempt: string },
): Promise<Stripe.PaymentIntent | undefined> {
  if (!/^[A-Za-z0-9_-]+$/.test(parameters.challengeId)) return undefined
  const found = await parameters.stripe.paymentIntents.search(
    { query: `metadata['challenge_id']:'${parameters.challengeId}'`, limit: 10 },
    options(parameters),
  )
  return found.data.find((intent) => intent.metadata?.[attemptKey] === parameters.attempt)
}

/**
 * Reads a PaymentIntent as it is now.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe'
 * import { PaymentIntents } from '@paywire/method-stripe'
 * const intent = await PaymentIntents.retrieve({ stripe: new Stripe('sk_test_...'), id: 'pi_123' })
 * ```
 */
export function retrieve(parameters: Where & { id: string }): Promise<Stripe.PaymentIntent> {
  return parameters.stripe.paymentIntents.retrieve(parameters.id, {}, options(parameters))
}

/**
 * Captures an authorised PaymentIntent (idempotent per challenge). A PaymentIntent already
 * captured is returned as it is.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe'
 * import { PaymentIntents } from '@paywire/method-stripe'
 * await PaymentIntents.capture({ stripe: new Stripe('sk_test_...'), id: 'pi_123', challengeId: 'x3kX' })
 * ```
 */
export async function capture(
  parameters: Where & { id: string; challengeId: string },
): Promise<Stripe.PaymentIntent> {
  try {
    return await parameters.stripe.paymentIntents.capture(
      parameters.id,
      {},
      {
        ...options(parameters),
        idempotencyKey: `paywire-stripe-capture-${parameters.challengeId}`,
      },
    )
  } catch (error) {
    const current = await afterStateError(parameters, error)
    if (current?.status === 'succeeded') return current
    throw error
  }
}

/**
 * Cancels an authorised (or unfinished) PaymentIntent; one already cancelled is fine.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe'
 * import { PaymentIntents } from '@paywire/method-stripe'
 * await PaymentIntents.cancel({ stripe: new Stripe('sk_test_...'), id: 'pi_123' })
 * ```
 */
export async function cancel(parameters: Where & { id: string }): Promise<Stripe.PaymentIntent> {
  try {
    return await parameters.stripe.paymentIntents.cancel(
      parameters.id,
      { cancellation_reason: 'abandoned' },
      options(parameters),
    )
  } catch (error) {
    const current = await afterStateError(parameters, error)
    if (current?.status === 'canceled') return current
    throw error
  }
}

/**
 * Refunds a paid PaymentIntent in full (idempotent per challenge); one already refunded
 * resolves the refund found.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe'
 * import { PaymentIntents } from '@paywire/method-stripe'
 * const refund = await PaymentIntents.refund({ stripe: new Stripe('sk_test_...'), id: 'pi_123', challengeId: 'x3kX' })
 * ```
 */
export async function refund(
  parameters: Where & { id: string; challengeId: string },
): Promise<{ id: string }> {
  try {
    return await parameters.stripe.refunds.create(
      {
        payment_intent: parameters.id,
        reason: 'requested_by_customer',
        metadata: { challenge_id: parameters.challengeId },
      },
      { ...options(parameters), idempotencyKey: `paywire-stripe-refund-${parameters.challengeId}` },
    )
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'charge_already_refunded') throw error
    const refunds = await parameters.stripe.refunds.list(
      { payment_intent: parameters.id, limit: 1 },
      options(parameters),
    )
    const found = refunds.data[0]
    if (found === undefined) throw error
    return found
  }
}

/** After a 400 `payment_intent_unexpected_state`, the PaymentIntent as it is now. */
async function afterStateError(
  parameters: Where & { id: string },
  error: unknown,
): Promise<Stripe.PaymentIntent | undefined> {
  if ((error as { code?: unknown }).code !== 'payment_intent_unexpected_state') return undefined
  return retrieve(parameters)
}

function options(where: Where): Stripe.RequestOptions {
  return {
    apiVersion: StripeApi.version,
    ...(where.stripeAccount === undefined ? {} : { stripeAccount: where.stripeAccount }),
    ...where.requestOptions,
  }
}
