// The contract every payment method implements, independent of transport: a server half
// (build the method's `request`, verify a credential and settle it, return a receipt)
// and a client half (answer a challenge with a credential payload). HTTP is one binding
// of this contract; MCP is another.
import type { z } from 'zod'
import type * as Challenge from './Challenge.js'
import type * as Credential from './Credential.js'
import { BaseError } from './Errors.js'
import type * as Receipt from './Receipt.js'

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
  /** Builds the `request` object of a challenge from the route's price. */
  request(input: input): request | Promise<request>
  /** Verifies and settles a credential; returns the receipt. */
  verify(parameters: VerifyParameters<request, payload>): Promise<Receipt.Receipt>
  /**
   * Optional: verifies a credential without settling it, moving no money and consuming
   * no proof; throws the same typed errors as `verify`. Servers that settle only after
   * the protected handler succeeds call `check` before the handler and `verify` after it.
   */
  check?(parameters: VerifyParameters<request, payload>): Promise<void>
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
