// The client half of the Stripe charge (draft-stripe-charge-00 §"Credential Schema",
// §"Amount Verification"): obtains a shared payment token granted to the challenge's
// seller, limited to exactly the challenge's amount and currency and expiring with the
// challenge, from a provider the user plugs in (`IssuedTokens.provider` calls Stripe's
// issued-tokens endpoint), and answers with `{ spt }`. Whether the amount is acceptable
// is the paying client's policy (caps, budgets, approval), checked before this runs.
import { type Challenge, Charge, Errors, Expires, Method } from '@paywire/core'
import type * as ChargePayload from './ChargePayload.js'
import * as ChargeRequest from './ChargeRequest.js'

/**
 * What a provider is asked for: a token scoped to one challenge.
 *
 * @example
 * ```ts
 * import type { Client } from '@paywire/method-stripe'
 * const describe = (token: Client.TokenRequest) =>
 *   `${token.amount} ${token.currency} to ${token.networkId} until ${token.expiresAt}`
 * ```
 */
export type TokenRequest = {
  challenge: Challenge.Challenge
  request: ChargeRequest.ChargeRequest
  /** Maximum amount, in minor units: exactly the challenge's amount. */
  amount: number
  currency: string
  /** The seller's Business Network profile id. */
  networkId: string
  /** Unix seconds: the challenge's expiry. */
  expiresAt: number
  signal?: AbortSignal | undefined
}

/**
 * Obtains a shared payment token (`spt_...`) for a challenge.
 *
 * @example
 * ```ts
 * import type { Client } from '@paywire/method-stripe'
 * declare function askWallet(limits: { amount: number; currency: string }): Promise<string>
 * const provider: Client.Provider = (token) =>
 *   askWallet({ amount: token.amount, currency: token.currency })
 * ```
 */
export type Provider = (request: TokenRequest) => Promise<string>

/**
 * The client half of the Stripe charge.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe'
 * import { Client, IssuedTokens } from '@paywire/method-stripe'
 * const stripe = Client.client({
 *   provider: IssuedTokens.provider({ stripe: new Stripe('sk_test_...'), paymentMethod: 'pm_123' }),
 *   paymentMethodTypes: ['card'],
 * })
 * ```
 */
export function client(
  options: client.Options,
): Method.Client<ChargeRequest.ChargeRequest, ChargePayload.ChargePayload> {
  return Method.defineClient({
    method: 'stripe',
    intent: Charge.intent,
    requestSchema: ChargeRequest.schema,
    async createCredential({ challenge, request: input, signal }) {
      const parsed = ChargeRequest.schema.safeParse(input)
      if (!parsed.success)
        throw new RequestRefusedError(
          `the request is not a Stripe charge: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
        )
      const request = parsed.data
      if (challenge.expires === undefined)
        throw new RequestRefusedError('the challenge carries no expiry to limit the token to')
      if (Expires.isExpired(challenge.expires, { skewSeconds: 0 }))
        throw new RequestRefusedError(`the challenge expired at ${challenge.expires}`)
      const accepted = options.paymentMethodTypes
      if (
        accepted !== undefined &&
        !request.methodDetails.paymentMethodTypes.some((type) => accepted.includes(type))
      )
        throw new RequestRefusedError(
          `the seller takes ${request.methodDetails.paymentMethodTypes.join(', ')}; this client pays with ${accepted.join(', ')}`,
        )
      const spt = await options.provider({
        challenge,
        request,
        amount: Number(request.amount),
        currency: request.currency,
        networkId: request.methodDetails.networkId,
        expiresAt: Math.floor(Expires.parse(challenge.expires) / 1000),
        signal,
      })
      if (!/^spt_[A-Za-z0-9_]+$/.test(spt))
        throw new RequestRefusedError(
          'the token provider returned something that is not an spt_ id',
        )
      const externalId = options.externalId?.(challenge)
      return { payload: externalId === undefined ? { spt } : { spt, externalId } }
    },
  })
}

export declare namespace client {
  type Options = {
    /** Obtains the token: `IssuedTokens.provider(...)`, or your wallet's own function. */
    provider: Provider
    /** Payment method types this client can pay with; challenges taking none are refused. */
    paymentMethodTypes?: readonly string[] | undefined
    /** The client's own reference for a payment, echoed in the receipt. */
    externalId?: ((challenge: Challenge.Challenge) => string | undefined) | undefined
  }
}

/**
 * The client will not pay this challenge with Stripe (nothing was asked of Stripe).
 *
 * @example
 * ```ts
 * import { Client } from '@paywire/method-stripe'
 * declare const error: unknown
 * if (error instanceof Client.RequestRefusedError) console.log(error.message)
 * ```
 */
export class RequestRefusedError extends Errors.BaseError {
  override readonly name = 'Client.RequestRefusedError'
  readonly code = 'ERR_STRIPE_REQUEST_REFUSED'
  readonly problem = undefined
}
