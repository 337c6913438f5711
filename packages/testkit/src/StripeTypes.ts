// The shapes of the local Stripe API (StripeServer.ts) that tests see: accounts, scripted
// faults and outcomes, and the records of requests, PaymentIntents and refunds.
import type * as StripeForm from './StripeForm.js'

/**
 * An account of the local API: its secret key, and its Business Network profile id.
 *
 * @example
 * ```ts
 * import { StripeServer } from '@paywire/testkit'
 * const platform: StripeServer.Account = {
 *   id: 'acct_platform',
 *   secretKey: 'sk_test_platform',
 *   networkId: 'profile_platform',
 *   connectedAccounts: ['acct_shop'],
 * }
 * const local = await StripeServer.start({ accounts: [platform, StripeServer.agent] })
 * ```
 */
export type Account = {
  id: string
  secretKey: string
  networkId: string
  /** Accounts this one may act on with `Stripe-Account` (Connect). */
  connectedAccounts?: readonly string[] | undefined
}

/**
 * A fault injected into a request: 429 or 500 before it runs (nothing saved under its
 * idempotency key), a 500 after it ran (`server_error_saved`: Stripe saves that answer and
 * replays it for the key), or no answer until the client gives up (`timeout`: it ran).
 *
 * @example
 * ```ts
 * import type { StripeServer } from '@paywire/testkit'
 * const faults: StripeServer.Fault[] = ['rate_limit', 'server_error', 'server_error_saved', 'timeout']
 * ```
 */
export type Fault = 'rate_limit' | 'server_error' | 'server_error_saved' | 'timeout'

/**
 * How a PaymentIntent confirmation ends.
 *
 * @example
 * ```ts
 * import type { StripeServer } from '@paywire/testkit'
 * const outcome: StripeServer.Outcome = 'processing'
 * ```
 */
export type Outcome = 'succeeded' | 'declined' | 'requires_action' | 'processing'

/**
 * How payments with one token go.
 *
 * @example
 * ```ts
 * import { StripeServer } from '@paywire/testkit'
 * declare const local: StripeServer.StripeServer
 * local.script('spt_123', { faults: ['timeout'], outcome: 'declined', declineCode: 'insufficient_funds' })
 * ```
 */
export type Script = {
  /** How confirmations end; `already_used` consumes the token now. Default: the PaymentMethod's. */
  outcome?: Outcome | 'already_used' | undefined
  /** The `decline_code` of a decline (default `generic_decline`). */
  declineCode?: string | undefined
  /** Faults for the next requests that pay with the token, one per request, in order. */
  faults?: readonly Fault[] | undefined
  /**
   * Hold requests that pay with the token in flight (after their idempotency key is
   * registered) until `resume(token)` is called.
   */
  pause?: boolean | undefined
}

/**
 * One request the local API answered.
 *
 * @example
 * ```ts
 * import type { StripeServer } from '@paywire/testkit'
 * declare const local: StripeServer.StripeServer
 * const last: StripeServer.RecordedRequest | undefined = local.requests().at(-1)
 * console.log(last?.apiVersion, last?.idempotencyKey, last?.replayed)
 * ```
 */
export type RecordedRequest = {
  method: string
  path: string
  params: StripeForm.Params
  /** The `Stripe-Version` header as sent (`undefined` when absent). */
  apiVersion: string | undefined
  stripeAccount: string | undefined
  idempotencyKey: string | undefined
  /** How the secret key came: `Authorization: Bearer` (the SDK) or Basic (curl `-u`). */
  auth: 'bearer' | 'basic' | undefined
  status: number
  /** Answered from the idempotency cache (`Idempotent-Replayed: true`). */
  replayed: boolean
  fault: Fault | undefined
}

/**
 * A PaymentIntent the local API holds, for assertions.
 *
 * @example
 * ```ts
 * import type { StripeServer } from '@paywire/testkit'
 * declare const local: StripeServer.StripeServer
 * const charged: StripeServer.PaymentIntentRecord[] = local
 *   .paymentIntents()
 *   .filter((intent) => intent.token === 'spt_123')
 * ```
 */
export type PaymentIntentRecord = {
  id: string
  account: string
  status: string
  amount: number
  currency: string
  /** The shared payment token it was paid with, if any. */
  token: string | null
  /** The parameters it was created with. */
  params: StripeForm.Params
}

/**
 * A refund the local API holds, for assertions.
 *
 * @example
 * ```ts
 * import type { StripeServer } from '@paywire/testkit'
 * declare const local: StripeServer.StripeServer
 * const refunded: StripeServer.RefundRecord[] = local.refunds()
 * ```
 */
export type RefundRecord = {
  id: string
  account: string
  paymentIntent: string
  amount: number
  currency: string
  status: 'succeeded'
  metadata: StripeForm.Params
}
