// The one place that says which Stripe API the method speaks: the preview version that
// carries shared payment tokens (`shared_payment_granted_token` exists only on preview
// versions), and the part of the official `stripe` SDK the method calls.
import type Stripe from 'stripe'

/**
 * The Stripe API version every request of this method sends (`Stripe-Version`): the
 * preview version the MPP ecosystem uses for shared payment tokens. Pinned here and
 * nowhere else; the SDK's account-level default is never relied on.
 *
 * @example
 * ```ts
 * import { StripeApi } from '@paywire/method-stripe'
 * StripeApi.version // '2026-02-25.preview'
 * ```
 */
export const version = '2026-02-25.preview'

/**
 * The part of a `Stripe` SDK instance the method uses: pass `new Stripe(secretKey, options)`.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe'
 * import type { StripeApi } from '@paywire/method-stripe'
 * const stripe: StripeApi.Sdk = new Stripe('sk_test_...', { maxNetworkRetries: 2 })
 * ```
 */
export type Sdk = Pick<Stripe, 'paymentIntents' | 'refunds' | 'rawRequest'>
