// The server half of the Stripe charge (draft-stripe-charge-00 §"Verification Procedure",
// §"Settlement Procedure", §"Receipt Generation"). The transport has already checked the
// challenge's binding, expiry and single use; this half checks the credential against the
// seller, keeps each token to one challenge, optionally pre-checks the token with Stripe,
// and settles one PaymentIntent per challenge: confirmed at once (`verify`), or authorised
// before the handler and captured after it (`hold`, then `verify`; `release` cancels it).
// `lookup` and `refund` serve reconciliation (docs/security.md "The after-success model").
// The receipt: reference = the PaymentIntent id, externalId from the credential payload.
import { Charge, Errors, Method, Receipt } from '@paywire/core'
import * as ChargePayload from './ChargePayload.js'
import * as ChargeRequest from './ChargeRequest.js'
import * as Connect from './Connect.js'
import * as PaymentIntents from './PaymentIntents.js'
import * as Reconcile from './Reconcile.js'
import * as Settlement from './Settlement.js'
import type * as StripeApi from './StripeApi.js'
import * as Token from './Token.js'

/**
 * The method identifier.
 *
 * @example
 * ```ts
 * import { Server } from '@paywire/method-stripe'
 * Server.method // 'stripe'
 * ```
 */
export const method = 'stripe'

/**
 * What a route charges: see `ChargeRequest.from.Price`.
 *
 * @example
 * ```ts
 * import type { Server } from '@paywire/method-stripe'
 * const price: Server.Price = { amount: '5000', currency: 'usd', externalId: 'order_12345' }
 * ```
 */
export type Price = ChargeRequest.from.Price

/**
 * The server half of the Stripe charge.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe'
 * import { Server } from '@paywire/method-stripe'
 * const stripe = Server.server({
 *   stripe: new Stripe(process.env.STRIPE_SECRET_KEY ?? '', { maxNetworkRetries: 2 }),
 *   networkId: 'profile_1MqDcVKA5fEO2tZvKQm9g8Yj',
 *   paymentMethodTypes: ['card', 'link'],
 * })
 * const request = await stripe.request({ amount: '5000' })
 * ```
 */
export function server(
  options: server.Options,
): Method.Server<Price, ChargeRequest.ChargeRequest, ChargePayload.ChargePayload> {
  const requestOptions = {
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    ...(options.maxNetworkRetries === undefined
      ? {}
      : { maxNetworkRetries: options.maxNetworkRetries }),
  }
  const ttlSeconds = options.replayTtlSeconds ?? 86_400
  const precheck = options.precheck ?? true

  /** The request must be this seller's (the binding covers it; the seller may have changed). */
  function assertSeller(request: ChargeRequest.ChargeRequest) {
    if (request.methodDetails.networkId !== options.networkId)
      throw new SellerMismatchError(
        `the challenge names network ${request.methodDetails.networkId}; this server sells as ${options.networkId}`,
      )
  }

  /** Draft step 5: the token exists, is active and can pay the request. */
  async function precheckToken(request: ChargeRequest.ChargeRequest, spt: string, now: number) {
    try {
      await Token.precheck({
        stripe: options.stripe,
        spt,
        amount: Number(request.amount),
        currency: request.currency,
        now,
        requestOptions,
      })
    } catch (error) {
      throw Settlement.fromStripeError(error)
    }
  }

  /** Takes (or, with `manual`, authorises) the challenge's payment; see the module comment. */
  async function charge(
    capture: 'automatic' | 'manual',
    parameters: Method.VerifyParameters<ChargeRequest.ChargeRequest, ChargePayload.ChargePayload>,
  ) {
    const { credential, challenge, request, context } = parameters
    const { spt } = credential.payload
    assertSeller(request)
    // One token pays for one challenge: the first challenge that presents it owns it (the
    // same attempt presenting it again, a retry, still does).
    if (!(await context.claim(`spt:${spt}`, { ttlSeconds })))
      throw new Token.RefusedError(
        'this shared payment token was already presented for another challenge',
        'used',
      )
    // A resumed attempt skips the pre-check: its first call may have used the token.
    if (precheck && context.attempt?.resumed !== true)
      await precheckToken(request, spt, context.now())
    const connect = await settlementOf(options.connect, challenge, request)
    const intent = await Settlement.charge({
      stripe: options.stripe,
      request,
      challengeId: challenge.id,
      spt,
      attempt: context.attempt,
      capture,
      connect,
      requestOptions,
    })
    return { intent, account: connect?.stripeAccount ?? null }
  }

  const receipt = (reference: string, now: number, externalId: string | undefined) =>
    Receipt.from({
      method,
      reference,
      timestamp: now,
      ...(externalId === undefined ? {} : { externalId }),
    })
  const reconcileWith: Reconcile.Accounts = {
    stripe: options.stripe,
    requestOptions,
    connectedAccounts: options.connect?.connectedAccounts ?? [],
  }
  const asHold = PaymentIntents.asHold
  const where = (hold: PaymentIntents.Hold | undefined) => ({
    stripe: options.stripe,
    stripeAccount: hold?.account ?? undefined,
    requestOptions,
  })

  return Method.defineServer({
    method,
    intent: Charge.intent,
    requestSchema: ChargeRequest.schema,
    payloadSchema: ChargePayload.schema,
    request: (price: Price) => ChargeRequest.from(price, options),
    async check({ credential, request, context }) {
      assertSeller(request)
      if (precheck && context.attempt?.resumed !== true)
        await precheckToken(request, credential.payload.spt, context.now())
    },
    async hold(parameters) {
      const { intent, account } = await charge('manual', parameters)
      return { paymentIntent: intent.id, account } satisfies PaymentIntents.Hold
    },
    async verify(parameters) {
      const { credential, challenge, context } = parameters
      const hold = asHold(context.hold)
      if (hold === undefined) {
        const { intent } = await charge('automatic', parameters)
        return receipt(intent.id, context.now(), credential.payload.externalId)
      }
      let captured: Awaited<ReturnType<typeof PaymentIntents.capture>>
      try {
        captured = await PaymentIntents.capture({
          ...where(hold),
          id: hold.paymentIntent,
          challengeId: challenge.id,
        })
      } catch (error) {
        throw Settlement.fromStripeError(error)
      }
      Settlement.expectStatus(captured, 'succeeded')
      return receipt(captured.id, context.now(), credential.payload.externalId)
    },
    async release({ hold }) {
      const held = asHold(hold)
      if (held === undefined) return
      try {
        await PaymentIntents.cancel({ ...where(held), id: held.paymentIntent })
      } catch (error) {
        throw Settlement.fromStripeError(error)
      }
    },
    lookup: (parameters) => Reconcile.lookup(parameters, reconcileWith),
    refund: (parameters) => Reconcile.refund(parameters, reconcileWith),
  })
}

export declare namespace server {
  type Options = ChargeRequest.from.Seller & {
    /** A configured Stripe SDK instance (`new Stripe(secretKey, options)`). */
    stripe: StripeApi.Sdk
    /** Retrieve the granted token before charging (draft step 5, optional). Default `true`. */
    precheck?: boolean | undefined
    /** Stripe Connect settlement policy; omitted, charges settle on the key's own account. */
    connect?: Connect.Policy | undefined
    /** Per-request Stripe timeout, in milliseconds (default: the SDK instance's). */
    timeout?: number | undefined
    /** Network retries per Stripe request (default: the SDK instance's). */
    maxNetworkRetries?: number | undefined
    /** How long a presented token stays bound to its challenge, in seconds (default one day). */
    replayTtlSeconds?: number | undefined
  }
}

async function settlementOf(
  policy: Connect.Policy | undefined,
  challenge: Parameters<Connect.Policy['settle']>[0]['challenge'],
  request: ChargeRequest.ChargeRequest,
) {
  if (policy === undefined) return undefined
  const settlement = await policy.settle({ challenge, request })
  if (settlement === undefined) return undefined
  return Connect.toParams(settlement, {
    amount: Number(request.amount),
    connectedAccounts: policy.connectedAccounts,
  })
}

/**
 * The challenge was issued for another seller (another Business Network profile).
 *
 * @example
 * ```ts
 * import { Server } from '@paywire/method-stripe'
 * declare const error: unknown
 * if (error instanceof Server.SellerMismatchError) console.log(error.code) // 'ERR_STRIPE_SELLER_MISMATCH'
 * ```
 */
export class SellerMismatchError extends Errors.BaseError {
  override readonly name = 'Server.SellerMismatchError'
  readonly code = 'ERR_STRIPE_SELLER_MISMATCH'
  readonly problem = 'verification-failed' as const
}
