// The shape of a server check and what it is given: the target's routes, HTTP exchanges
// that are recorded as evidence, the payers, and assertions that end a check with the
// exchange that decided it. A check passes by returning, fails by throwing `Failure`,
// and is n/a by throwing `NotApplicable`; anything else thrown is a harness error.
import { Challenge, Credential, Problem } from '@paywire/core'
import type { Config, Route } from './Config.js'
import type * as Exchange from './Exchange.js'
import type * as Journal from './Journal.js'
import { type Payer, type Payment, UnpayableChallengeError } from './Payer.js'

/** Requirement strength of a test: the strongest level among the requirements it checks. */
export type Level = 'MUST' | 'SHOULD' | 'MAY'

/** A catalog entry: what a test checks, never how. */
export type Test = {
  /** Stable id, e.g. `server.challenge.required-params`; never reused for another test. */
  id: string
  /** One line saying what a passing target does. */
  title: string
  /** The group it is reported in (the second segment of the id). */
  group: string
  level: Level
  /** Ids of the spec/requirements entries it checks. */
  requirements: readonly string[]
  /** Capabilities the target must claim (`payment`, `route:body`, `extension:idempotency-key`...). */
  needs: readonly string[]
  tags: readonly string[]
}

/** A test with its implementation. */
export type Check = Test & {
  /** Runs the check; throws {@link Failure} or {@link NotApplicable}. */
  run(context: Context): Promise<Passed | undefined>
  /** Started before the other checks and awaited last (it waits for time to pass). */
  background?: boolean
  /**
   * Run after every other check, background ones included, in catalog order: for checks
   * that judge the whole run ({@link Context.journal}) or must not overlap other traffic.
   */
  final?: boolean
}

/** What a passing check may report. */
export type Passed = { message?: string; evidence?: readonly Exchange.Exchange[] }

/** The paid routes, resolved to requests. */
export type Routes = {
  paid: Route
  other: Route | undefined
  body: Route | undefined
  /** The query-bound route under its two queries. */
  query: readonly [Route, Route] | undefined
  /** A paid route whose access policy denies valid payments. */
  denied: Route | undefined
}

/** What a check is given. */
export type Context = {
  config: Config
  /** Base URL of the target. */
  url: string
  routes: Routes
  /** Payers for the claimed methods the suite can pay (first preferred). */
  payers: readonly Payer[]
  /** fast-check seed of property checks. */
  seed: number
  /** Sends a request to a route (its body by default); recorded as evidence. */
  request(route: Route, init?: RequestInit): Promise<Exchange.Exchange>
  /**
   * Sends an arbitrary request (absolute URL); recorded as evidence. `verbatim` sends every
   * header as given, `Host` included ({@link Exchange.fetchVerbatim}).
   */
  send(request: Exchange.Request, options?: { verbatim?: boolean }): Promise<Exchange.Exchange>
  /** Exchanges made so far by this check. */
  readonly exchanges: readonly Exchange.Exchange[]
  /** Every exchange of the run so far, all checks together. */
  readonly journal: Journal.Journal
  /**
   * The size in bytes of the target's log file (`logFile`) when the run began: the log
   * checks judge only what was written during the run.
   */
  readonly logStart: number
}

/** Per-request options of {@link Context.request}. */
export type RequestInit = {
  authorization?: string | undefined
  headers?: Record<string, string> | undefined
  /** Replaces the route's body. */
  body?: string | undefined
}

/**
 * Defines a check (identity function that fills `group` from the id).
 *
 * @example
 * ```ts
 * import { Check } from '@paywire/conformance'
 * const check = Check.define({
 *   id: 'server.example.answers', title: 'answers', level: 'MUST',
 *   requirements: ['core.status.payment-required'], needs: [], tags: [],
 *   run: async () => undefined,
 * })
 * ```
 */
export function define(check: Omit<Check, 'group'>): Check {
  return { ...check, group: check.id.split('.')[1] ?? check.id }
}

/** Ends a check as failed (a warning for SHOULD and MAY tests). */
export class Failure extends Error {
  override readonly name = 'Check.Failure'
  readonly code = 'ERR_CONFORMANCE_FAILURE'
  readonly evidence: readonly Exchange.Exchange[]
  constructor(message: string, evidence: Exchange.Exchange | readonly Exchange.Exchange[] = []) {
    super(message)
    this.evidence = Array.isArray(evidence) ? evidence : [evidence as Exchange.Exchange]
  }
}

/**
 * Ends a check as an error: the target gave no response at all (refused or dropped the
 * connection, timed out), so the check could not judge it.
 */
export class Unreachable extends Error {
  override readonly name = 'Check.Unreachable'
  readonly code = 'ERR_CONFORMANCE_UNREACHABLE'
  readonly evidence: readonly Exchange.Exchange[]
  constructor(message: string, evidence: Exchange.Exchange) {
    super(message)
    this.evidence = [evidence]
  }
}

/** Ends a check as not applicable to this target. */
export class NotApplicable extends Error {
  override readonly name = 'Check.NotApplicable'
  readonly code = 'ERR_CONFORMANCE_NOT_APPLICABLE'
}

/** A fresh challenge the suite can pay, with the exchange that brought it. */
export type Offer = { exchange: Exchange.Exchange; challenge: Challenge.Challenge; payer: Payer }

/**
 * Sends an unpaid request and returns the Payment challenges of its 402.
 *
 * @throws {Failure} when the answer is not a 402 with parseable Payment challenges.
 *
 * @example
 * ```ts
 * import { Check } from '@paywire/conformance'
 * declare const context: Check.Context
 * const { challenges: offered } = await Check.challenges(context, context.routes.paid)
 * ```
 */
export async function challenges(
  context: Context,
  route: Route,
  init: RequestInit = {},
): Promise<{ exchange: Exchange.Exchange; challenges: Challenge.Challenge[] }> {
  const exchange = await context.request(route, init)
  expectResponse(exchange)
  if (exchange.response?.status !== 402)
    throw new Failure(
      `expected 402 for an unpaid ${route.method} ${route.path}, got ${exchange.response?.status}`,
      exchange,
    )
  return { exchange, challenges: readChallenges(exchange) }
}

/**
 * A fresh challenge of `route` that one of the payers can pay.
 *
 * @throws {Failure} when the target offers none.
 *
 * @example
 * ```ts
 * import { Check } from '@paywire/conformance'
 * declare const context: Check.Context
 * const { challenge, payer } = await Check.offer(context, context.routes.paid)
 * ```
 */
export async function offer(context: Context, route: Route): Promise<Offer> {
  const { exchange, challenges: offered } = await challenges(context, route)
  for (const challenge of offered) {
    const payer = context.payers.find(
      (candidate) => candidate.method === challenge.method && candidate.intent === challenge.intent,
    )
    if (payer !== undefined) return { exchange, challenge, payer }
  }
  throw new Failure(
    `no challenge for a claimed method the suite can pay (${context.payers
      .map((payer) => `${payer.method}/${payer.intent}`)
      .join(', ')}); offered: ${offered.map((c) => `${c.method}/${c.intent}`).join(', ')}`,
    exchange,
  )
}

/**
 * The `Authorization` value of a credential echoing `challenge` with `payment`.
 *
 * @example
 * ```ts
 * import { Check } from '@paywire/conformance'
 * declare const context: Check.Context
 * const { challenge, payer } = await Check.offer(context, context.routes.paid)
 * const header = Check.authorization(challenge, await payer.pay(challenge)) // 'Payment eyJ...'
 * ```
 */
export function authorization(challenge: Challenge.Challenge, payment: Payment): string {
  return Credential.toAuthorization(
    Credential.from({ challenge, payload: payment.payload, source: payment.source }),
  )
}

/**
 * Pays `echo`, a changed copy of the offered challenge, as echoed; when the payer cannot pay
 * it as echoed (a tampered request no longer a valid one for its method), pays the
 * challenge as issued instead. Either way the credential echoes `echo`.
 *
 * @example
 * ```ts
 * import { Check } from '@paywire/conformance'
 * declare const context: Check.Context
 * const found = await Check.offer(context, context.routes.paid)
 * const echo = { ...found.challenge, realm: 'elsewhere.example' }
 * const header = Check.authorization(echo, await Check.payAsEchoed(found, echo))
 * ```
 */
export async function payAsEchoed(found: Offer, echo: Challenge.Challenge): Promise<Payment> {
  try {
    return await found.payer.pay(echo)
  } catch (error) {
    if (!(error instanceof UnpayableChallengeError)) throw error
    return found.payer.pay(found.challenge)
  }
}

/**
 * Buys `route` once: a fresh challenge, paid.
 *
 * @example
 * ```ts
 * import { Check } from '@paywire/conformance'
 * declare const context: Check.Context
 * const { authorization } = await Check.buy(context, context.routes.paid)
 * Check.expectPaid(await context.request(context.routes.paid, { authorization }), 'a paid request')
 * ```
 */
export async function buy(
  context: Context,
  route: Route,
): Promise<Offer & { authorization: string }> {
  const found = await offer(context, route)
  return {
    ...found,
    authorization: authorization(found.challenge, await found.payer.pay(found.challenge)),
  }
}

/**
 * The Payment challenges of a response (parsed strictly with @paywire/core).
 *
 * @example
 * ```ts
 * import { Check } from '@paywire/conformance'
 * declare const context: Check.Context
 * const exchange = await context.request(context.routes.paid)
 * const [first] = Check.readChallenges(exchange)
 * ```
 */
export function readChallenges(exchange: Exchange.Exchange): Challenge.Challenge[] {
  const header = exchange.headers.get('www-authenticate')
  if (header === null) throw new Failure('the 402 carries no WWW-Authenticate header', exchange)
  let parsed: Challenge.Challenge[]
  try {
    parsed = Challenge.deserializeList(header)
  } catch (error) {
    throw new Failure(`WWW-Authenticate does not parse: ${(error as Error).message}`, exchange)
  }
  if (parsed.length === 0)
    throw new Failure('WWW-Authenticate holds no Payment challenge', exchange)
  return parsed
}

/**
 * Ends the check as an error ({@link Unreachable}) unless a response arrived.
 *
 * @example
 * ```ts
 * import { Check } from '@paywire/conformance'
 * declare const exchange: import('@paywire/conformance').Exchange.Exchange
 * Check.expectResponse(exchange)
 * exchange.response.status // a number from here on
 * ```
 */
export function expectResponse(
  exchange: Exchange.Exchange,
): asserts exchange is Exchange.Exchange & { response: Response } {
  if (exchange.response === undefined)
    throw new Unreachable(`no response: ${exchange.error ?? 'unknown error'}`, exchange)
}

/**
 * Fails unless the request was refused cleanly: not 2xx, not 5xx, no receipt-bearing success.
 *
 * @example
 * ```ts
 * import { Check } from '@paywire/conformance'
 * declare const context: Check.Context
 * const exchange = await context.request(context.routes.paid, { authorization: 'Payment x' })
 * Check.expectRejected(exchange, 'a bogus credential')
 * ```
 */
export function expectRejected(exchange: Exchange.Exchange, what: string): void {
  expectResponse(exchange)
  const status = exchange.response.status
  if (status >= 200 && status < 300) throw new Failure(`${what} was accepted (${status})`, exchange)
  if (status >= 500) throw new Failure(`${what} broke the target (${status})`, exchange)
}

/**
 * Fails unless the response is a success (2xx).
 *
 * @example
 * ```ts
 * import { Check } from '@paywire/conformance'
 * declare const context: Check.Context
 * const { authorization } = await Check.buy(context, context.routes.paid)
 * Check.expectPaid(await context.request(context.routes.paid, { authorization }), 'a paid request')
 * ```
 */
export function expectPaid(exchange: Exchange.Exchange, what: string): void {
  expectResponse(exchange)
  const status = exchange.response.status
  if (status < 200 || status >= 300)
    throw new Failure(`${what} was refused (${status}${problemSuffix(exchange)})`, exchange)
}

/**
 * Fails unless the response is the refusal the status table prescribes: `status` (402 by
 * default) with a fresh Payment challenge (for 402) and a problem body whose `type` is one
 * of `problems`, with a `title` and the same `status`.
 *
 * @example
 * ```ts
 * import { Check } from '@paywire/conformance'
 * declare const context: Check.Context
 * const exchange = await context.request(context.routes.paid, { authorization: 'Payment e30' })
 * Check.expectRefusal(exchange, 'an empty credential', { problems: ['malformed-credential'] })
 * ```
 */
export function expectRefusal(
  exchange: Exchange.Exchange,
  what: string,
  expected: { problems: readonly Problem.Slug[]; status?: readonly number[] },
): Problem.Problem {
  expectRejected(exchange, what)
  const statuses = expected.status ?? [402]
  const status = exchange.response?.status ?? 0
  if (!statuses.includes(status))
    throw new Failure(
      `${what}: expected ${statuses.join(' or ')}, got ${status}${problemSuffix(exchange)}`,
      exchange,
    )
  if (status === 402) readChallenges(exchange)
  const problem = readProblem(exchange)
  const types = expected.problems.map((slug) => Problem.baseUri + slug)
  if (!types.includes(problem.type))
    throw new Failure(
      `${what}: expected problem type ${types.join(' or ')}, got ${problem.type}`,
      exchange,
    )
  if (problem.title.trim() === '') throw new Failure(`${what}: problem title is empty`, exchange)
  if (problem.status !== status)
    throw new Failure(
      `${what}: problem status ${problem.status} differs from the HTTP status ${status}`,
      exchange,
    )
  return problem
}

/**
 * The RFC 9457 body of a response.
 *
 * @example
 * ```ts
 * import { Check } from '@paywire/conformance'
 * declare const context: Check.Context
 * const exchange = await context.request(context.routes.paid)
 * Check.readProblem(exchange).type // 'https://paymentauth.org/problems/payment-required'
 * ```
 */
export function readProblem(exchange: Exchange.Exchange): Problem.Problem {
  try {
    return Problem.parse(exchange.body)
  } catch {
    throw new Failure(
      'the body is not an RFC 9457 problem (a JSON object with type, title and status)',
      exchange,
    )
  }
}

function problemSuffix(exchange: Exchange.Exchange): string {
  try {
    return `, ${Problem.parse(exchange.body).type}`
  } catch {
    return ''
  }
}
