// A local Stripe-compatible API for tests: the parts of Stripe's v1 API that a server
// charging shared payment tokens (draft-stripe-charge-00) and an agent issuing them use,
// over real HTTP on 127.0.0.1, so the official `stripe` SDK talks to it through its
// `host`/`port`/`protocol` options exactly as it talks to Stripe. It keeps Stripe's rules
// (secret-key auth, form bodies, idempotency keys, error bodies and statuses) and lets a
// test script each token's outcome and faults. docs/stripe-local.md lists what it covers.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import * as FreePort from './FreePort.js'
import { ApiError, invalid } from './StripeApiError.js'
import * as StripeForm from './StripeForm.js'
import {
  authenticate,
  canonical,
  errorBody,
  hold,
  parseParams,
  readBody,
  send,
} from './StripeHttp.js'
import { handleIdempotent } from './StripeIdempotency.js'
import { type Call, nextFault, run, type State } from './StripeRoutes.js'
import * as Tokens from './StripeTokens.js'

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
 * A fault injected before (429, 500) or after (timeout: no answer) a request runs.
 *
 * @example
 * ```ts
 * import type { StripeServer } from '@paywire/testkit'
 * const faults: StripeServer.Fault[] = ['rate_limit', 'server_error', 'timeout']
 * ```
 */
export type Fault = 'rate_limit' | 'server_error' | 'timeout'

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
  /** Scripts the outcome and faults of payments with a token. */
  script(tokenId: string, script: Script): void
  /** Every PaymentIntent created, oldest first. */
  paymentIntents(): PaymentIntentRecord[]
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
    hangMs: options.hangMs ?? 30_000,
    tokens: new Map(),
    intents: new Map(),
    scripts: new Map(),
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
    },
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
    /** How long a `timeout` fault holds its answer if the client does not give up (default 30 s). */
    hangMs?: number | undefined
  }
}

async function handle(state: State, request: IncomingMessage, response: ServerResponse) {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1')
  const raw = await readBody(request)
  const header = (name: string) => {
    const value = request.headers[name]
    return Array.isArray(value) ? value[0] : value
  }
  const record: RecordedRequest = {
    method: request.method ?? 'GET',
    path: url.pathname,
    params: {},
    apiVersion: header('stripe-version'),
    stripeAccount: header('stripe-account'),
    idempotencyKey: header('idempotency-key'),
    auth: undefined,
    status: 0,
    replayed: false,
    fault: undefined,
  }
  state.requests.push(record)
  const headers: Record<string, string> = {}
  const reply = (status: number, body: unknown) => {
    record.status = status
    send(response, status, body, headers)
  }
  try {
    const call = admit(state, record, header('authorization'), { raw, url, headers })
    const fault = inject(state, call, record, headers)
    const answer = execute(state, call, record, headers)
    if (fault === 'timeout') await hold(response, state.hangMs)
    if (!response.destroyed) reply(answer.status, answer.body)
  } catch (error) {
    if (error instanceof ApiError) reply(error.status, { error: error.body })
    else if (error instanceof StripeForm.InvalidFormError)
      reply(400, errorBody('invalid_request_error', error.message))
    else throw error
  }
}

/** Authenticates the key, checks `Stripe-Version` and `Stripe-Account`, reads the parameters. */
function admit(
  state: State,
  record: RecordedRequest,
  authorization: string | undefined,
  input: { raw: string; url: URL; headers: Record<string, string> },
): Call {
  const { caller, auth } = authenticate(state.byKey, authorization)
  record.auth = auth
  const apiVersion = record.apiVersion ?? state.defaultApiVersion
  if (!/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/.test(apiVersion))
    throw invalid(`Invalid Stripe API version: ${apiVersion}`, undefined, 'api_version_invalid')
  input.headers['stripe-version'] = apiVersion
  if (record.stripeAccount !== undefined) {
    if (!(caller.connectedAccounts ?? []).includes(record.stripeAccount))
      throw new ApiError(403, {
        type: 'invalid_request_error',
        code: 'account_invalid',
        message: `The provided key does not have access to account '${record.stripeAccount}' (or that account does not exist).`,
      })
    input.headers['stripe-account'] = record.stripeAccount
  }
  record.params = parseParams(record.method, input.raw, input.url)
  return {
    method: record.method,
    path: record.path,
    params: record.params,
    caller,
    account: record.stripeAccount ?? caller.id,
    apiVersion,
  }
}

/** Applies the next scripted fault: 429 and 500 are thrown before anything runs. */
function inject(
  state: State,
  call: Call,
  record: RecordedRequest,
  headers: Record<string, string>,
): Fault | undefined {
  const fault = nextFault(state, call)
  record.fault = fault
  if (fault === 'rate_limit')
    throw new ApiError(429, {
      type: 'invalid_request_error',
      code: 'rate_limit',
      message: 'Too many requests hit the API too quickly. Retry with exponential backoff.',
    })
  if (fault === 'server_error') {
    headers['stripe-should-retry'] = 'true'
    throw new ApiError(500, {
      type: 'api_error',
      message: 'An unknown error occurred before the request was processed.',
    })
  }
  return fault
}

/** Runs the endpoint, under the idempotency key of a POST when one is sent. */
function execute(
  state: State,
  call: Call,
  record: RecordedRequest,
  headers: Record<string, string>,
): { status: number; body: unknown } {
  const key = record.idempotencyKey
  if (key === undefined || call.method !== 'POST') return run(state, call)
  headers['idempotency-key'] = key
  const answer = handleIdempotent(state.idempotency, {
    scope: `${call.caller.id}|${call.account}|${key}`,
    fingerprint: `${call.method} ${call.path} ${canonical(call.params)}`,
    run: () => run(state, call),
  })
  if (answer.replayed) {
    record.replayed = true
    headers['idempotent-replayed'] = 'true'
  }
  return answer
}
