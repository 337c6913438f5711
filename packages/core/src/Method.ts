// The contract every payment method implements, independent of transport: a server half
// (build the method's `request`, verify a credential and settle it, return a receipt)
// and a client half (answer a challenge with a credential payload). HTTP is one binding
// of this contract; MCP is another.
import type { z } from 'zod'
import type * as Challenge from './Challenge.js'
import type * as Credential from './Credential.js'
import { BaseError } from './Errors.js'
import type * as Receipt from './Receipt.js'
import type * as Store from './Store.js'

/**
 * The server half of a payment method for one intent.
 *
 * `verify` must check the credential's payload against `request` (the decoded request of
 * the echoed challenge, already checked to be bound to this server), settle the
 * payment, and return the receipt, or throw a paywire error whose problem type says
 * why. The caller has already verified the binding, expiry and single use of the
 * challenge itself.
 */
export type Server<
  input = unknown,
  request = Record<string, unknown>,
  payload = Record<string, unknown>,
> = {
  /** Payment method identifier (`[a-z]+`), e.g. `tempo`. */
  readonly method: string
  /** Intent identifier, e.g. `charge`. */
  readonly intent: string
  /** Schema of the method's `request` object. */
  readonly requestSchema: z.ZodType<request>
  /**
   * Marks a method that moves no real value (the testkit's). Servers refuse to mount
   * such a method unless test methods are explicitly enabled.
   */
  readonly testOnly?: boolean | undefined
  /** Schema of the credential `payload`. */
  readonly payloadSchema: z.ZodType<payload>
  /**
   * Builds the `request` object of a challenge from the route's price; `context` says how
   * the route settles (servers always pass it; a method may ignore it).
   */
  request(input: input, context?: RequestContext): request | Promise<request>
  /** Verifies and settles a credential; returns the receipt. */
  verify(parameters: VerifyParameters<request, payload>): Promise<Receipt.Receipt>
  /**
   * Optional: verifies a credential without settling it, moving no money and consuming
   * no proof; throws the same typed errors as `verify`. Servers that settle only after
   * the protected handler succeeds call `check` before the handler and `verify` after it.
   */
  check?(parameters: VerifyParameters<request, payload>): Promise<void>
  /**
   * Optional, for routes that settle after the handler succeeds: reserves the payment
   * before the handler runs without taking it yet (a card authorisation with manual
   * capture), after the same checks as `check`, and resolves what `verify` needs to take
   * it and `release` to give it back. The server keeps that value in the challenge's
   * payment record (so it must be JSON) and calls `hold` instead of `check` when present.
   * Throws the same typed errors as `verify`.
   */
  hold?(parameters: VerifyParameters<request, payload>): Promise<Store.Value>
  /**
   * Optional: gives back what `hold` reserved, when the handler did not succeed, the
   * access policy denied the payment, or reconciliation found it never delivered.
   * Idempotent: called again for the same challenge, it does nothing more.
   */
  release?(parameters: SettlementParameters<request>): Promise<void>
  /**
   * Optional, for reconciliation: what the payment network says happened to a
   * challenge's payment, found by the keys chosen before any call was made (the challenge
   * id, the attempt id). Resolves `unknown` when it cannot tell yet.
   */
  lookup?(parameters: SettlementParameters<request>): Promise<Lookup>
  /**
   * Optional: gives back a payment that was taken and never delivered (a crash between
   * the payment and the response, a payer who never came back). Idempotent per challenge.
   */
  refund?(parameters: SettlementParameters<request>): Promise<{ reference: string }>
  /**
   * Optional, for intents whose challenge pays for many requests (the session intent,
   * draft-tempo-session §"Voucher Submission Transport"). When present, the server does
   * not claim the challenge once and never calls `verify`: it checks the binding, expiry,
   * body digest and price as for any credential, then calls `redeem` for every request
   * that carries one, on any HTTP method of the challenge's resource. `redeem` decides
   * whether the request is served (`serve`: the handler runs, the receipt goes on its
   * 2xx) or answered at once (`answer`: a management request, e.g. a voucher-only `HEAD`,
   * a top-up or a close), and throws a paywire error (with `problemExtensions`, e.g.
   * `requiredTopUp`, for the problem body) to refuse.
   */
  redeem?(parameters: RedeemParameters<request, payload>): Promise<Redemption>
  /**
   * Optional, for methods whose draft names its own problem for a credential the server
   * refuses before the method sees it (draft-tempo-session: a `topUp` naming an unknown or
   * expired challenge is `session/challenge-not-found`; a malformed session payload is
   * 400). Receives why the server refuses and the credential's payload as sent
   * (unchecked); returns the refusal to send instead of the core one, or `undefined` to
   * keep the core one. A refusal with a status other than 402 carries no challenge.
   */
  refusal?(parameters: { reason: RefusalReason; payload: unknown }): Refusal | undefined
}

/**
 * What a method's `request` is told about the route it prices: whether the route takes the
 * payment before its handler runs (`before-handler`) or only after the handler succeeded
 * (`after-success`). A method offers there only what it can take after the handler, or
 * give back when the handler fails (the Tempo charge offers push mode on an after-success
 * route only when the price asks for it).
 */
export type RequestContext = { settle: 'before-handler' | 'after-success' }

/**
 * Why a server refuses a credential before its method sees it: the echoed challenge is
 * not one this server issued for this resource (`challenge-unknown`), it has expired
 * (`challenge-expired`), or the payload does not fit the method's schema
 * (`payload-malformed`).
 */
export type RefusalReason = 'challenge-unknown' | 'challenge-expired' | 'payload-malformed'

/** A method's own refusal ({@link Server.refusal}): the error and, optionally, its HTTP status. */
export type Refusal = { error: BaseError; status?: number | undefined }

/** What a multi-use method's `redeem` receives: `verify`'s parameters and the request's HTTP method. */
export type RedeemParameters<request, payload> = VerifyParameters<request, payload> & {
  /** The transport's request method (`GET`, `HEAD`, `POST`...), upper-case. */
  requestMethod: string
}

/** What `redeem` decided for one request. */
export type Redemption =
  | {
      /** Serve the request: the handler runs; `receipt` goes on its 2xx response. */
      kind: 'serve'
      receipt: Receipt.Receipt
    }
  | {
      /** A management request: answered with `status` (default 200) and `receipt`, no handler. */
      kind: 'answer'
      receipt: Receipt.Receipt
      status?: number | undefined
    }

/**
 * What the settlement calls (`release`, `lookup`, `refund`) receive: the payment record of
 * a challenge, never its credential.
 */
export type SettlementParameters<request> = {
  challengeId: string
  /** The challenge's decoded request, checked against the method's schema. */
  request: request
  /** The attempt id the payment was made under (see {@link Context.attempt}). */
  attempt: string
  /** What `hold` resolved, if the payment was held. */
  hold: Store.Value | undefined
  /** The receipt, if the payment was taken. */
  receipt: Receipt.Receipt | undefined
  /**
   * What the method recorded before its external call ({@link Context.record}), e.g. the
   * hash of a transaction it was about to broadcast; `undefined` when it recorded nothing.
   */
  reference?: string | undefined
  /** The challenge's realm, when the record kept it. */
  realm?: string | undefined
  /** When the challenge expired (ISO 8601), when the record kept it. */
  expires?: string | undefined
  /** The current time in milliseconds. */
  now(): number
}

/** What a method's `lookup` found about a challenge's payment. */
export type Lookup =
  | {
      /** Money was taken; `reference` names it (a PaymentIntent id, a transaction hash). */
      status: 'paid'
      reference: string
    }
  | {
      /** Money is reserved and not taken (an uncaptured authorisation). */
      status: 'held'
      reference: string
    }
  | {
      /** Nothing was taken and nothing is held. */
      status: 'unpaid'
    }
  | {
      /** The payment network cannot tell yet (still processing, not yet searchable). */
      status: 'unknown'
    }

/** What a server method's `verify` receives. */
export type VerifyParameters<request, payload> = {
  credential: Credential.Credential<payload & Record<string, unknown>>
  challenge: Challenge.Challenge
  request: request
  context: Context
}

/** Services the transport layer gives a method while it verifies. */
export type Context = {
  /**
   * Atomically claims a method-level proof (a transaction hash, a token id) so that it
   * pays for at most one challenge. Resolves `true` for the first claimer only. Claim
   * only as part of a verification that succeeds: a proof claimed by a failing
   * verification would be lost to its rightful owner.
   */
  claim(key: string, options: { ttlSeconds: number }): Promise<boolean>
  /** The current time in milliseconds. */
  now(): number
  /** Aborted when the request is abandoned. */
  signal?: AbortSignal | undefined
  /**
   * The challenge's payment attempt (single-use challenges only). `id` is chosen by the
   * server before the method runs and stays the same for every retry of the same
   * credential: bind external calls to it (an idempotency key, metadata), so that what an
   * interrupted call did can be found. `resumed` is `true` when this request continues an
   * attempt the server recorded earlier for this same credential (a retry after a timeout
   * or a crash): only then may the method accept a payment network's answer to an earlier
   * call (Stripe's `Idempotent-Replayed`) as this payment.
   */
  attempt?: { id: string; resumed: boolean } | undefined
  /**
   * Keeps `reference` (e.g. the hash of a transaction about to be broadcast) in the
   * challenge's payment record before the external call it names is made (single-use
   * challenges only), so that a retry and reconciliation (`lookup`, as
   * {@link SettlementParameters.reference}) can find what the call did after a crash.
   * Rejects (an error whose outcome is unknown) when this request no longer holds the
   * record: the call must not be made then.
   */
  record?: ((reference: string) => Promise<void>) | undefined
  /** What `hold` resolved, when `verify` takes a held payment. */
  hold?: Store.Value | undefined
}

/**
 * The client half of a payment method for one intent.
 */
export type Client<request = Record<string, unknown>, payload = Record<string, unknown>> = {
  /** Payment method identifier (`[a-z]+`). */
  readonly method: string
  /** Intent identifier. */
  readonly intent: string
  /** Schema of the method's `request` object: a challenge that fails it is not paid. */
  readonly requestSchema: z.ZodType<request>
  /** Pays (or authorizes payment of) a challenge and returns the credential's payload. */
  createCredential(
    parameters: CreateCredentialParameters<request>,
  ): Promise<{ payload: payload; source?: string }>
  /**
   * Optional, for intents whose `amount` is not what a credential commits (the session
   * intent prices a unit): the base-unit amount the next credential for this challenge
   * commits, which the paying client checks against its policy and budgets instead of
   * the request's `amount`. A session client answers its deposit when it would open a
   * channel and `'0'` when a voucher within an open channel's deposit pays.
   */
  commitment?(parameters: { challenge: Challenge.Challenge; request: request }): Promise<string>
  /**
   * Optional: whether a 402 answering this method's credential may be answered again with
   * a fresh credential that commits nothing (e.g. a session voucher overtaken by a higher
   * one sent in parallel). The client retries such refusals a few times.
   */
  retryable?(problem: { type?: unknown }): boolean
  /**
   * Optional, for methods that commit more money outside the answer to a 402 (a session
   * top-up): the paying client that pays with this method hands it its {@link Spending}
   * once, when it is created, so those commitments go through the same policy, budgets
   * and ledger as the credentials it builds itself.
   */
  attach?(spending: Spending): void
}

/**
 * What a paying client lends a method that commits money on its own
 * ({@link Client.attach}): one way to spend under the client's policy and budgets.
 */
export type Spending = {
  /**
   * Commits `amount` more for `challenge` outside a 402 answer: checks it against the
   * policy (currency, per-payment cap, origin, realm, recipient, approval) and reserves it
   * in the budgets, atomically, before `sign` runs; throws the client's refusal when it
   * may not be spent (nothing signed, nothing changed). When `sign` throws, the
   * reservation is released. Once `sign` resolves the amount stays counted and is
   * recorded in the ledger; `send` delivers what was signed, and its receipt (or failure)
   * settles the ledger entry.
   */
  spend<signed>(
    parameters: Spending.Parameters,
    steps: { sign(): Promise<signed>; send(signed: signed): Promise<Receipt.Receipt> },
  ): Promise<Receipt.Receipt>
}

export declare namespace Spending {
  type Parameters = {
    /** The challenge the commitment belongs to (method, intent, realm, request). */
    challenge: Challenge.Challenge
    /** Where the commitment is sent: a resource of the server that issued `challenge`. */
    url: string
    /** The base-unit amount committed. */
    amount: string
  }
}

/** What a client method's `createCredential` receives. */
export type CreateCredentialParameters<request> = {
  challenge: Challenge.Challenge
  request: request
  signal?: AbortSignal | undefined
}

/**
 * Identity function that checks a server method against the contract and keeps its types.
 *
 * @example
 * ```ts
 * import { Method, Receipt } from '@paywire/core'
 * import { z } from 'zod'
 * const method = Method.defineServer({
 *   method: 'example',
 *   intent: 'charge',
 *   requestSchema: z.object({ amount: z.string(), currency: z.string() }),
 *   payloadSchema: z.object({ proof: z.string() }),
 *   request: (input: { amount: string }) => ({ amount: input.amount, currency: 'usd' }),
 *   async verify({ credential }) {
 *     return Receipt.from({ method: 'example', reference: credential.payload.proof })
 *   },
 * })
 * ```
 */
export function defineServer<input, request, payload>(
  method: Server<input, request, payload>,
): Server<input, request, payload> {
  return method
}

/**
 * Identity function that checks a client method against the contract and keeps its types.
 *
 * @example
 * ```ts
 * import { Method } from '@paywire/core'
 * import { z } from 'zod'
 * const method = Method.defineClient({
 *   method: 'example',
 *   intent: 'charge',
 *   requestSchema: z.object({ amount: z.string(), currency: z.string() }),
 *   async createCredential() {
 *     return { payload: { proof: 'signed' } }
 *   },
 * })
 * ```
 */
export function defineClient<request, payload>(
  method: Client<request, payload>,
): Client<request, payload> {
  return method
}

/** The payment proof does not verify (wrong amount, recipient, signature, state...). */
export class VerificationFailedError extends BaseError {
  override readonly name = 'Method.VerificationFailedError'
  readonly code = 'ERR_VERIFICATION_FAILED'
  readonly problem = 'verification-failed' as const
}

/** The proof pays less than the request asks. */
export class PaymentInsufficientError extends BaseError {
  override readonly name = 'Method.PaymentInsufficientError'
  readonly code = 'ERR_PAYMENT_INSUFFICIENT'
  readonly problem = 'payment-insufficient' as const
}

/** An authorization the proof relies on has expired (a token, a signed validity window). */
export class PaymentExpiredError extends BaseError {
  override readonly name = 'Method.PaymentExpiredError'
  readonly code = 'ERR_PAYMENT_EXPIRED'
  readonly problem = 'payment-expired' as const
}

/** The credential names a method or intent this server does not accept. */
export class MethodUnsupportedError extends BaseError {
  override readonly name = 'Method.MethodUnsupportedError'
  readonly code = 'ERR_METHOD_UNSUPPORTED'
  readonly problem = 'method-unsupported' as const
}

/**
 * The method cannot tell whether the payment went through (no answer in time, a 5xx, a
 * payment still processing): nothing is refused and nothing is confirmed. Servers keep the
 * challenge's payment record and answer `503` with `Retry-After` (never a fresh
 * challenge), and a retry of the same credential resumes the same attempt. A method's own
 * error class says the same by carrying `outcome = 'unknown'` (see {@link outcomeUnknown}).
 *
 * @example
 * ```ts
 * import { Method } from '@paywire/core'
 * throw new Method.PaymentPendingError('the processor did not answer in time')
 * ```
 */
export class PaymentPendingError extends BaseError {
  override readonly name = 'Method.PaymentPendingError'
  readonly code = 'ERR_PAYMENT_PENDING'
  readonly problem = undefined
  readonly outcome = 'unknown' as const
}

/**
 * Whether an error a method threw leaves the payment's outcome unknown: a
 * {@link PaymentPendingError}, or any error carrying `outcome = 'unknown'`.
 *
 * @example
 * ```ts
 * import { Method } from '@paywire/core'
 * Method.outcomeUnknown(new Method.PaymentPendingError('no answer')) // true
 * Method.outcomeUnknown(new Method.VerificationFailedError('declined')) // false
 * ```
 */
export function outcomeUnknown(error: unknown): boolean {
  return (
    error !== null &&
    typeof error === 'object' &&
    (error as { outcome?: unknown }).outcome === 'unknown'
  )
}
