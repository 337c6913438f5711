// A local Stripe-compatible API for tests: the parts of Stripe's v1 API that a server
// charging shared payment tokens (draft-stripe-charge-00) and an agent issuing them use,
// over real HTTP on 127.0.0.1, so the official `stripe` SDK talks to it through its
// `host`/`port`/`protocol` options exactly as it talks to Stripe. It keeps Stripe's rules
// (secret-key auth, released API versions, form bodies, idempotency keys, error bodies
// and statuses) at least as strictly as Stripe, and lets a test script each token's
// outcome and faults. docs/stripe-local.md lists what it covers.
import { createServer } from 'node:http'
import * as FreePort from './FreePort.js'
import * as Capture from './StripeCapture.js'
import { errorBody, send } from './StripeHttp.js'
import { handle } from './StripeRequest.js'
import type { State } from './StripeRoutes.js'
import * as Tokens from './StripeTokens.js'
import type {
  Account,
  PaymentIntentRecord,
  RecordedRequest,
  RefundRecord,
  Script,
} from './StripeTypes.js'

export type {
  Account,
  Fault,
  Outcome,
  PaymentIntentRecord,
  RecordedRequest,
  RefundRecord,
  Script,
} from './StripeTypes.js'

/**
 * The seller (a Connect platform with one connected account), used when none are given.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe'
 * import { StripeServer } from '@paywire/testkit'
 * declare const local: StripeServer.StripeServer
 * const seller = new Stripe(StripeServer.seller.secretKey, { ...local.sdk })
 * ```
 */
export const seller: Account = {
  id: 'acct_local_seller',
  secretKey: 'sk_test_local_seller',
  networkId: 'profile_local_seller',
  connectedAccounts: ['acct_local_connected'],
}

/**
 * The agent that issues tokens to sellers, used when no accounts are given.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe'
 * import { StripeServer } from '@paywire/testkit'
 * declare const local: StripeServer.StripeServer
 * const agent = new Stripe(StripeServer.agent.secretKey, { ...local.sdk })
 * ```
 */
export const agent: Account = {
  id: 'acct_local_agent',
  secretKey: 'sk_test_local_agent',
  networkId: 'profile_local_agent',
}

/**
 * A running local Stripe API.
 *
 * @example
 * ```ts
 * import { StripeServer } from '@paywire/testkit'
 * const local: StripeServer.StripeServer = await StripeServer.start()
 * console.log(local.url, local.paymentIntents().length)
 * await local.close()
 * ```
 */
export type StripeServer = {
  /** `http://127.0.0.1:<port>`. */
  url: string
  /** The SDK options that point `new Stripe(key, { ...server.sdk })` here. */
  sdk: { host: string; port: number; protocol: 'http' }
  /** The accounts, by id. */
  accounts: ReadonlyMap<string, Account>
  /** Scripts the outcome, faults and pause of payments with a token. */
  script(tokenId: string, script: Script): void
  /** Lets the requests held by a token's `pause` script go on. */
  resume(tokenId: string): void
  /** Ends a `processing` PaymentIntent: it succeeds (the money is taken) or fails. */
  finish(paymentIntentId: string, outcome: 'succeeded' | 'failed'): void
  /** Every PaymentIntent created, oldest first. */
  paymentIntents(): PaymentIntentRecord[]
  /** Every refund made, oldest first. */
  refunds(): RefundRecord[]
  /** The seller's view of a token (`shared_payment.granted_token`), or `undefined`. */
  token(tokenId: string): Record<string, unknown> | undefined
  /** Every request answered, oldest first. */
  requests(): RecordedRequest[]
  /** Stops the server and ends open connections (including held timeouts). */
  close(): Promise<void>
}

/**
 * Starts a local Stripe API on a free port of 127.0.0.1.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe'
 * import { StripeServer } from '@paywire/testkit'
 * const local = await StripeServer.start()
 * const stripe = new Stripe(StripeServer.seller.secretKey, { ...local.sdk, maxNetworkRetries: 0 })
 * const token = await stripe.rawRequest('POST', '/v1/test_helpers/shared_payment/granted_tokens', {
 *   payment_method: 'pm_card_visa',
 *   usage_limits: { currency: 'usd', max_amount: 5000, expires_at: Math.floor(Date.now() / 1000) + 600 },
 * }, { apiVersion: '2026-02-25.preview' })
 * await local.close()
 * ```
 */
export async function start(options: start.Options = {}): Promise<StripeServer> {
  const accounts = new Map(
    (options.accounts ?? [seller, agent]).map((account) => [account.id, account]),
  )
  const byKey = new Map([...accounts.values()].map((account) => [account.secretKey, account]))
  const clock = options.now ?? Date.now
  const state: State = {
    accounts,
    byKey,
    now: () => Math.floor(clock() / 1000),
    defaultApiVersion: options.defaultApiVersion ?? '2025-09-30.clover',
    extraApiVersions: options.apiVersions ?? [],
    hangMs: options.hangMs ?? 30_000,
    searchDelaySeconds: options.searchDelaySeconds ?? 60,
    tokens: new Map(),
    intents: new Map(),
    scripts: new Map(),
    gates: new Map(),
    refunds: new Map(),
    requests: [],
    idempotency: new Map(),
  }
  const server = createServer((request, response) => {
    handle(state, request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, errorBody('api_error', String(error)), {})
    })
  })
  const { port, url, close } = await FreePort.listen(server)
  return {
    url,
    sdk: { host: '127.0.0.1', port, protocol: 'http' },
    accounts,
    script(tokenId, script) {
      state.scripts.set(tokenId, { ...script, faults: [...(script.faults ?? [])] })
      const token = state.tokens.get(tokenId)
      if (script.outcome === 'already_used' && token !== undefined)
        Tokens.deactivate(token, 'consumed', state.now())
      if (script.pause === true && !state.gates.has(tokenId)) {
        let open = () => {}
        const opened = new Promise<void>((resolve) => {
          open = resolve
        })
        state.gates.set(tokenId, { opened, open })
      }
    },
    resume(tokenId) {
      state.gates.get(tokenId)?.open()
      state.gates.delete(tokenId)
    },
    finish(paymentIntentId, outcome) {
      const intent = state.intents.get(paymentIntentId)
      if (intent === undefined) throw new Error(`no PaymentIntent ${paymentIntentId}`)
      const token = intent.tokenId === null ? undefined : state.tokens.get(intent.tokenId)
      Capture.finish(intent, outcome, token, state.now())
    },
    refunds: () =>
      [...state.refunds.values()].map((refund) => ({
        id: refund.id,
        account: refund.account,
        paymentIntent: refund.paymentIntent,
        amount: refund.amount,
        currency: refund.currency,
        status: refund.status,
        metadata: refund.metadata,
      })),
    paymentIntents: () =>
      [...state.intents.values()].map((intent) => ({
        id: intent.id,
        account: intent.account,
        status: intent.status,
        amount: intent.amount,
        currency: intent.currency,
        token: intent.tokenId,
        params: intent.params,
      })),
    token(tokenId) {
      const token = state.tokens.get(tokenId)
      return token === undefined ? undefined : Tokens.toGranted(Tokens.refresh(token, state.now()))
    },
    requests: () => [...state.requests],
    close,
  }
}

export declare namespace start {
  type Options = {
    /** The accounts and their secret keys (default {@link seller} and {@link agent}). */
    accounts?: readonly Account[] | undefined
    /** The clock in milliseconds (default `Date.now`); token expiry follows it. */
    now?: (() => number) | undefined
    /** The version used when a request sends no `Stripe-Version` (the account default). */
    defaultApiVersion?: string | undefined
    /**
     * Versions to accept beyond the ones Stripe released (see StripeVersions.ts), for a
     * version newer than this list; anything else is refused with 400.
     */
    apiVersions?: readonly string[] | undefined
    /** How long a `timeout` fault holds its answer if the client does not give up (default 30 s). */
    hangMs?: number | undefined
    /**
     * How long after its creation a PaymentIntent shows in search results, in seconds of
     * the clock (default 60: Stripe's search is not for read-after-write).
     */
    searchDelaySeconds?: number | undefined
  }
}

/**
 * Grants the seller a shared payment token through Stripe's test helper
 * (`POST /v1/test_helpers/shared_payment/granted_tokens`, preview API) with the seller's SDK
 * instance; resolves its id. Limits default to 5000 usd for ten minutes of `now`.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe'
 * import { StripeServer } from '@paywire/testkit'
 * const local = await StripeServer.start()
 * const seller = new Stripe(StripeServer.seller.secretKey, { ...local.sdk })
 * const spt = await StripeServer.grant(seller, { max_amount: 700 })
 * await local.close()
 * ```
 */
export async function grant(
  stripe: {
    rawRequest(
      method: 'POST',
      path: string,
      params: Record<string, unknown>,
      options: { apiVersion: string },
    ): Promise<unknown>
  },
  limits: grant.Limits = {},
): Promise<string> {
  const { now = Date.now(), payment_method = 'pm_card_visa', seller_details, ...usage } = limits
  const token = (await stripe.rawRequest(
    'POST',
    '/v1/test_helpers/shared_payment/granted_tokens',
    {
      payment_method,
      usage_limits: {
        currency: 'usd',
        max_amount: 5000,
        expires_at: Math.floor(now / 1000) + 600,
        ...usage,
      },
      ...(seller_details === undefined ? {} : { seller_details }),
    },
    { apiVersion: '2026-02-25.preview' },
  )) as { id: string }
  return token.id
}

export declare namespace grant {
  type Limits = {
    currency?: string | undefined
    max_amount?: number | undefined
    /** Unix seconds. */
    expires_at?: number | undefined
    payment_method?: string | undefined
    seller_details?: Record<string, string> | undefined
    /** The clock the default expiry counts from, in milliseconds. */
    now?: number | undefined
  }
}
