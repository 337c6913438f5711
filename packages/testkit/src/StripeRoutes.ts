// The endpoints of the local Stripe API (StripeServer.ts) and the state they share:
// PaymentIntents (create, confirm, capture, cancel, retrieve, search), refunds (create,
// list), granted tokens (retrieve, and the test helpers create and revoke), and issued
// tokens (create, retrieve, revoke).
import { ApiError, noSuch } from './StripeApiError.js'
import * as Capture from './StripeCapture.js'
import type * as StripeForm from './StripeForm.js'
import type { Idempotency } from './StripeIdempotency.js'
import * as PaymentIntents from './StripePaymentIntents.js'
import * as Refunds from './StripeRefunds.js'
import * as Tokens from './StripeTokens.js'
import type { Account, Fault, RecordedRequest, Script } from './StripeTypes.js'

/** @internal Everything a running local API holds. */
export type State = {
  accounts: ReadonlyMap<string, Account>
  byKey: ReadonlyMap<string, Account>
  /** Unix seconds. */
  now(): number
  defaultApiVersion: string
  /** Versions accepted beyond Stripe's released ones. */
  extraApiVersions: readonly string[]
  hangMs: number
  /** How long after its creation a PaymentIntent becomes searchable, in seconds. */
  searchDelaySeconds: number
  tokens: Map<string, Tokens.Token>
  intents: Map<string, PaymentIntents.PaymentIntent>
  scripts: Map<
    string,
    { outcome?: Script['outcome']; declineCode?: string | undefined; faults: Fault[] }
  >
  /** Paused tokens: requests paying with them wait until the gate opens. */
  gates: Map<string, { opened: Promise<void>; open(): void }>
  refunds: Map<string, Refunds.Refund>
  requests: RecordedRequest[]
  idempotency: Map<string, Idempotency>
}

/** @internal What a route needs about the request. */
export type Call = {
  method: string
  path: string
  params: StripeForm.Params
  caller: Account
  /** `Stripe-Account` (Connect), else the caller's id. */
  account: string
  apiVersion: string
}

/** @internal A status and a JSON body; `saved` when an idempotency key keeps it. */
export type Answer = { status: number; body: unknown; saved: boolean }

type Route = {
  method: 'GET' | 'POST'
  pattern: RegExp
  run(state: State, call: Call, id: string): unknown
}

const routes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/v1\/payment_intents$/,
    run(state, call) {
      const context = intentContext(state, call)
      const intent = PaymentIntents.create(call.params, context)
      state.intents.set(intent.id, intent)
      if (call.params.confirm === 'true') PaymentIntents.confirm(intent, context)
      return PaymentIntents.toJson(intent)
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/payment_intents\/search$/,
    run: (state, call) =>
      PaymentIntents.search(
        [...state.intents.values()].filter((intent) => intent.account === call.account),
        call.params,
        state.now() - state.searchDelaySeconds,
      ),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/payment_intents\/([^/]+)$/,
    run: (state, call, id) => PaymentIntents.toJson(intent(state, call, id)),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/payment_intents\/([^/]+)\/confirm$/,
    run: (state, call, id) =>
      PaymentIntents.toJson(
        PaymentIntents.confirm(intent(state, call, id), intentContext(state, call)),
      ),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/payment_intents\/([^/]+)\/capture$/,
    run: (state, call, id) =>
      PaymentIntents.toJson(
        Capture.capture(intent(state, call, id), call.params, intentContext(state, call)),
      ),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/payment_intents\/([^/]+)\/cancel$/,
    run: (state, call, id) =>
      PaymentIntents.toJson(
        Capture.cancel(intent(state, call, id), call.params, intentContext(state, call)),
      ),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/refunds$/,
    run(state, call) {
      const refund = Refunds.create(call.params, {
        account: call.account,
        now: state.now(),
        intent: (id) => intent(state, call, id),
        refunded: (id) => [...state.refunds.values()].filter((entry) => entry.paymentIntent === id),
      })
      state.refunds.set(refund.id, refund)
      return Refunds.toJson(refund)
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/refunds$/,
    run: (state, call) =>
      Refunds.list(
        [...state.refunds.values()].filter((refund) => refund.account === call.account),
        call.params,
      ),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/shared_payment\/granted_tokens\/([^/]+)$/,
    run: (state, call, id) => Tokens.toGranted(granted(state, call, id)),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/test_helpers\/shared_payment\/granted_tokens$/,
    run: (state, call) => Tokens.toGranted(newToken(state, call, call.caller.networkId)),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/test_helpers\/shared_payment\/granted_tokens\/([^/]+)\/revoke$/,
    run(state, call, id) {
      const token = granted(state, call, id)
      Tokens.deactivate(token, 'revoked', state.now())
      return Tokens.toGranted(token)
    },
  },
  {
    method: 'POST',
    pattern: /^\/v1\/shared_payment\/issued_tokens$/,
    run: (state, call) => Tokens.toIssued(newToken(state, call, undefined)),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/shared_payment\/issued_tokens\/([^/]+)$/,
    run: (state, call, id) => Tokens.toIssued(issued(state, call, id)),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/shared_payment\/issued_tokens\/([^/]+)\/revoke$/,
    run(state, call, id) {
      const token = issued(state, call, id)
      Tokens.deactivate(token, 'revoked', state.now())
      return Tokens.toIssued(token)
    },
  },
]

/** @internal Runs the endpoint of a call; Stripe errors become answers, saved or not. */
export function run(state: State, call: Call): Answer {
  for (const route of routes) {
    const match = route.method === call.method ? route.pattern.exec(call.path) : null
    if (match === null) continue
    try {
      return { status: 200, body: route.run(state, call, match[1] ?? ''), saved: true }
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      return { status: error.status, body: { error: error.body }, saved: error.saved }
    }
  }
  return {
    status: 404,
    body: {
      error: {
        type: 'invalid_request_error',
        message: `Unrecognized request URL (${call.method}: ${call.path}).`,
      },
    },
    saved: false,
  }
}

/** @internal The next scripted fault of the token a payment request names, if any. */
export function nextFault(state: State, call: Call): Fault | undefined {
  if (call.method !== 'POST') return undefined
  const tokenId = tokenOf(state, call)
  return tokenId === undefined ? undefined : state.scripts.get(tokenId)?.faults.shift()
}

/** @internal The token a PaymentIntent request pays with (create, confirm, capture), if any. */
export function tokenOf(state: State, call: Call): string | undefined {
  if (call.method !== 'POST') return undefined
  if (call.path === '/v1/payment_intents') {
    const data = call.params.payment_method_data
    const nested =
      data !== undefined && typeof data === 'object' && !Array.isArray(data)
        ? data.shared_payment_granted_token
        : undefined
    const named = call.params.shared_payment_granted_token ?? nested
    return typeof named === 'string' ? named : undefined
  }
  const match = /^\/v1\/payment_intents\/([^/]+)\/(confirm|capture)$/.exec(call.path)
  return match === null ? undefined : (state.intents.get(match[1] as string)?.tokenId ?? undefined)
}

function intent(state: State, call: Call, id: string): PaymentIntents.PaymentIntent {
  const found = state.intents.get(id)
  if (found === undefined || found.account !== call.account) throw noSuch('payment_intent', id)
  return found
}

function granted(state: State, call: Call, id: string): Tokens.Token {
  const token = state.tokens.get(id)
  if (token === undefined || !Tokens.grantedTo(token, call.caller))
    throw noSuch('shared_payment.granted_token', id)
  return Tokens.refresh(token, state.now())
}

function issued(state: State, call: Call, id: string): Tokens.Token {
  const token = state.tokens.get(id)
  if (token === undefined || token.issuer !== call.caller.id)
    throw noSuch('shared_payment.issued_token', id)
  return Tokens.refresh(token, state.now())
}

function newToken(state: State, call: Call, defaultSeller: string | undefined): Tokens.Token {
  const token = Tokens.create(call.params, {
    id: `spt_${PaymentIntents.randomId()}`,
    issuer: call.caller,
    now: state.now(),
    defaultSeller,
  })
  state.tokens.set(token.id, token)
  return token
}

/** @internal What the PaymentIntent endpoints need of a call. */
export function intentContext(state: State, call: Call): PaymentIntents.Context {
  return {
    seller: call.caller,
    account: call.account,
    apiVersion: call.apiVersion,
    now: state.now(),
    token: (id) => state.tokens.get(id),
    outcome(token, paymentMethod) {
      const script = token === undefined ? undefined : state.scripts.get(token.id)
      const method = token?.paymentMethod ?? paymentMethod ?? ''
      const fallback = PaymentIntents.testPaymentMethods[method] ?? {
        outcome: 'succeeded',
        declineCode: '',
      }
      if (script?.outcome === undefined || script.outcome === 'already_used') return fallback
      return { outcome: script.outcome, declineCode: script.declineCode ?? 'generic_decline' }
    },
  }
}
