// The reference token provider: the agent's own Stripe account issues a shared payment
// token to the seller through `POST /v1/shared_payment/issued_tokens`, with usage limits
// of exactly the challenge's amount and currency and the challenge's expiry, and
// `seller_details[network_id]` set to the challenge's seller. The issuing request is
// keyed to the challenge, so a retried provider call returns the same token.

import * as Client from './Client.js'
import * as StripeApi from './StripeApi.js'

/**
 * A provider that issues a token from the agent's Stripe account for each challenge.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe'
 * import { Client, IssuedTokens } from '@paywire/method-stripe'
 * const provider = IssuedTokens.provider({
 *   stripe: new Stripe('sk_test_agent...'),
 *   paymentMethod: 'pm_card_visa',
 * })
 * const stripe = Client.client({ provider })
 * ```
 */
export function provider(options: provider.Options): Client.Provider {
  return async (token) => {
    const issued = (await options.stripe.rawRequest(
      'POST',
      '/v1/shared_payment/issued_tokens',
      {
        payment_method: options.paymentMethod,
        usage_limits: {
          currency: token.currency,
          max_amount: token.amount,
          expires_at: token.expiresAt,
        },
        seller_details: {
          network_id: token.networkId,
          ...(token.request.externalId === undefined
            ? {}
            : { external_id: token.request.externalId }),
        },
      },
      { apiVersion: StripeApi.version, idempotencyKey: `paywire-spt-${token.challenge.id}` },
    )) as unknown as { id?: unknown }
    if (typeof issued.id !== 'string')
      throw new Client.RequestRefusedError('Stripe answered the token request without a token id')
    return issued.id
  }
}

export declare namespace provider {
  type Options = {
    /** The agent's Stripe SDK instance. */
    stripe: StripeApi.Sdk
    /** The customer's PaymentMethod (`pm_...`) the token grants. */
    paymentMethod: string
  }
}
