// The spending policy: the guard between a server's 402 and the client's money. It
// checks what draft-httpauth-payment §"Amount Verification" asks clients to check
// (amount, recipient, currency, validity window) plus origins, realms and budgets, and
// refuses by default: a currency without a cap is not paid.
import { Amount, Errors, Expires } from '@paywire/core'
import { z } from 'zod'
import { excerpt, quoted } from './internal/Excerpt.js'
import type * as Quote from './Quote.js'

/**
 * The rolling windows a budget can cover.
 *
 * @example
 * ```ts
 * import { Policy } from '@paywire/client'
 * Policy.windows.hour // 3600000 (milliseconds)
 * ```
 */
export const windows = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const

/**
 * A rolling window name.
 *
 * @example
 * ```ts
 * import { Policy } from '@paywire/client'
 * const window: Policy.Window = 'day'
 * ```
 */
export type Window = keyof typeof windows

/**
 * A budget: at most `amount` base units of `currency` over the last `window`, either in
 * total or for each origin separately.
 *
 * @example
 * ```ts
 * import { Policy } from '@paywire/client'
 * const perOrigin: Policy.Budget = { currency: 'usd', amount: '2000', window: 'hour', scope: 'origin' }
 * ```
 */
export type Budget = {
  currency: string
  /** Base-unit integer string. */
  amount: string
  window: Window
  /** `total`: all origins together; `origin`: each origin has this budget of its own. */
  scope: 'total' | 'origin'
}

/**
 * What the approval hook is asked.
 *
 * @example
 * ```ts
 * import { Policy } from '@paywire/client'
 * const approve = async ({ quote, budgets }: Policy.Approval) =>
 *   quote.origin === 'https://api.example.com' && budgets.every((standing) => BigInt(standing.remaining) > 0n)
 * ```
 */
export type Approval = {
  quote: Quote.Quote
  /** Where each applicable budget stands once this payment is counted. */
  budgets: readonly Standing[]
}

/**
 * Where one budget stands: spent (reservations included) and what is left.
 *
 * @example
 * ```ts
 * import { Policy } from '@paywire/client'
 * declare const standing: Policy.Standing
 * console.log(`${standing.remaining} of ${standing.budget.amount} ${standing.budget.currency} left`)
 * ```
 */
export type Standing = { budget: Budget; spent: string; remaining: string }

/**
 * A spending policy. Only `currencies` is required; every other rule is opt-in.
 *
 * @example
 * ```ts
 * import { Policy } from '@paywire/client'
 * const policy: Policy.Policy = {
 *   currencies: { usd: { maxAmount: '500' } },
 *   budgets: [{ currency: 'usd', amount: '10000', window: 'day', scope: 'total' }],
 *   origins: ['https://api.example.com'],
 *   recipients: ['acct_123'],
 * }
 * ```
 */
export type Policy = {
  /**
   * The currencies the client pays in, each with the largest single payment in base
   * units. A currency not listed here is never paid. Compared exactly (case-sensitive).
   */
  currencies: Readonly<Record<string, { maxAmount: string }>>
  /** Rolling budgets, enforced atomically through the client's store. */
  budgets?: readonly Budget[] | undefined
  /** Origins (`https://api.example.com`) that may be paid; all when absent. */
  origins?: readonly string[] | undefined
  /** Recipients that may be paid; all when absent. When set, a request without a recipient is refused. */
  recipients?: readonly string[] | undefined
  /**
   * Accepted challenge realms: `host` (the default) accepts a realm equal to the host
   * (`api.example.com` or `api.example.com:8443`) of the URL that sent the challenge;
   * a list accepts exactly those realms; `any` accepts all.
   */
  realms?: 'host' | 'any' | readonly string[] | undefined
  /** Payments one call of `fetch` may make (across redirects). Default 1. */
  maxPaymentsPerRequest?: number | undefined
  /** Longest accepted time between now and a challenge's `expires`, in seconds. Default 3600. */
  maxValiditySeconds?: number | undefined
  /** Whether a challenge without `expires` may be paid. Default `required`. */
  expires?: 'required' | 'optional' | undefined
  /**
   * Asked last, after every other rule passed and the amount is reserved in the budgets.
   * Resolve `true` to pay. A throw counts as a refusal.
   */
  approve?: ((approval: Approval) => boolean | Promise<boolean>) | undefined
}

/**
 * The rule that refused a payment.
 *
 * @example
 * ```ts
 * import { Policy } from '@paywire/client'
 * declare const error: Policy.RefusedError
 * const rule: Policy.Rule = error.rule // 'budget', 'max-amount', 'expired', ...
 * ```
 */
export type Rule =
  | 'unsupported'
  | 'request-schema'
  | 'unpriced'
  | 'expired'
  | 'validity'
  | 'transport'
  | 'cross-origin'
  | 'digest'
  | 'authorization'
  | 'credential-header'
  | 'origin'
  | 'realm'
  | 'currency'
  | 'max-amount'
  | 'recipient'
  | 'budget'
  | 'payments-per-request'
  | 'approval'

/**
 * Validates a policy and fills in its defaults.
 *
 * @throws {InvalidPolicyError} naming the first invalid member.
 * @example
 * ```ts
 * import { Policy } from '@paywire/client'
 * const policy = Policy.from({
 *   currencies: { usd: { maxAmount: '500' } },
 *   budgets: [{ currency: 'usd', amount: '5000', window: 'day', scope: 'total' }],
 * })
 * ```
 */
export function from(policy: Policy): from.ReturnType {
  const result = schema.safeParse(policy)
  if (!result.success) {
    const issue = result.error.issues[0]
    const where = issue?.path.length ? `policy.${issue.path.join('.')}` : 'policy'
    throw new InvalidPolicyError(`${where}: ${issue?.message ?? 'invalid'}`, {
      cause: result.error,
    })
  }
  for (const budget of policy.budgets ?? [])
    if (!Object.hasOwn(policy.currencies, budget.currency))
      throw new InvalidPolicyError(`budget in "${budget.currency}", which is not a policy currency`)
  return {
    ...policy,
    budgets: policy.budgets ?? [],
    realms: policy.realms ?? 'host',
    maxPaymentsPerRequest: policy.maxPaymentsPerRequest ?? 1,
    maxValiditySeconds: policy.maxValiditySeconds ?? 3600,
    expires: policy.expires ?? 'required',
  }
}

export declare namespace from {
  type ReturnType = Policy & {
    budgets: readonly Budget[]
    realms: 'host' | 'any' | readonly string[]
    maxPaymentsPerRequest: number
    maxValiditySeconds: number
    expires: 'required' | 'optional'
  }
}

/**
 * Checks a quote against the rules that need no state: expiry and validity window,
 * origin, realm, currency, per-payment cap and recipient. Budgets and approval come after, in the client.
 *
 * @throws {RefusedError} for the first rule that refuses.
 * @example
 * ```ts
 * import { Policy, type Quote } from '@paywire/client'
 * declare const quote: Quote.Quote
 * Policy.check(Policy.from({ currencies: { usd: { maxAmount: '500' } } }), quote)
 * ```
 */
export function check(policy: from.ReturnType, quote: Quote.Quote, now: number = Date.now()): void {
  checkValidity(policy, quote, now)
  checkTerms(policy, quote)
}

// @enforces core.client.verify-amount, core.client.verify-recipient, core.client.verify-currency, charge.client.verify-amount, charge.client.verify-currency
/**
 * Checks a quote's terms, without its challenge's validity window: origin, realm,
 * currency, per-payment cap and recipient. What a commitment made outside a 402 answer
 * (a session top-up, under the channel's last challenge) is judged by.
 *
 * @throws {RefusedError} for the first rule that refuses.
 * @example
 * ```ts
 * import { Policy, type Quote } from '@paywire/client'
 * declare const quote: Quote.Quote
 * Policy.checkTerms(Policy.from({ currencies: { usd: { maxAmount: '500' } } }), quote)
 * ```
 */
export function checkTerms(policy: from.ReturnType, quote: Quote.Quote): void {
  if (policy.origins !== undefined && !policy.origins.includes(quote.origin))
    throw new RefusedError('origin', `origin ${quote.origin} is not on the allowlist`, { quote })
  if (!realmAccepted(policy.realms, quote))
    throw new RefusedError('realm', `realm ${quoted(quote.realm)} does not match ${quote.origin}`, {
      quote,
    })
  const currency = Object.hasOwn(policy.currencies, quote.currency)
    ? policy.currencies[quote.currency]
    : undefined
  if (currency === undefined)
    throw new RefusedError('currency', `currency ${quoted(quote.currency)} is not allowed`, {
      quote,
    })
  const limit = Amount.toBigInt(currency.maxAmount)
  if (Amount.toBigInt(quote.amount) > limit)
    throw new RefusedError(
      'max-amount',
      `${quote.amount} ${excerpt(quote.currency)} asked, the largest single payment allowed is ${currency.maxAmount}`,
      { quote, limit: currency.maxAmount },
    )
  if (policy.recipients !== undefined) {
    if (quote.recipient === undefined)
      throw new RefusedError('recipient', 'request names no recipient to check', { quote })
    if (!policy.recipients.includes(quote.recipient))
      throw new RefusedError('recipient', `recipient ${quoted(quote.recipient)} is not allowed`, {
        quote,
      })
  }
}

function realmAccepted(realms: from.ReturnType['realms'], quote: Quote.Quote): boolean {
  if (realms === 'any') return true
  if (realms === 'host') {
    const url = new URL(quote.url)
    return quote.realm === url.host || quote.realm === url.hostname
  }
  return realms.includes(quote.realm)
}

// @enforces core.client.verify-validity, core.client.no-expired
function checkValidity(policy: from.ReturnType, quote: Quote.Quote, now: number): void {
  if (quote.expires === undefined) {
    if (policy.expires === 'required')
      throw new RefusedError('validity', 'challenge has no expires', { quote })
    return
  }
  // No clock-skew allowance in the payer's favour: a client never pays late.
  if (Expires.isExpired(quote.expires, { now, skewSeconds: 0 }))
    throw new RefusedError('expired', `challenge expired at ${quote.expires}`, { quote })
  if (Expires.parse(quote.expires) - now > policy.maxValiditySeconds * 1000)
    throw new RefusedError(
      'validity',
      `challenge valid until ${quote.expires}, more than ${policy.maxValiditySeconds}s ahead`,
      { quote },
    )
}

const amount = z.string().refine((value) => Amount.schema.safeParse(value).success, {
  message: 'expected a base-unit integer string',
})
const origin = z.string().refine((value) => {
  try {
    return new URL(value).origin === value && value !== 'null'
  } catch {
    return false
  }
}, 'expected an origin such as https://api.example.com (scheme, host, optional port)')

const schema = z.object({
  currencies: z.record(z.string().min(1), z.object({ maxAmount: amount })),
  budgets: z
    .array(
      z.object({
        currency: z.string().min(1),
        amount,
        window: z.enum(['minute', 'hour', 'day']),
        scope: z.enum(['total', 'origin']),
      }),
    )
    .optional(),
  origins: z.array(origin).optional(),
  recipients: z.array(z.string().min(1)).optional(),
  realms: z.union([z.enum(['host', 'any']), z.array(z.string())]).optional(),
  maxPaymentsPerRequest: z.number().int().min(1).max(100).optional(),
  maxValiditySeconds: z.number().int().positive().optional(),
  expires: z.enum(['required', 'optional']).optional(),
  approve: z
    .custom<NonNullable<Policy['approve']>>((value) => typeof value === 'function', {
      message: 'expected a function',
    })
    .optional(),
})

/**
 * Raised when a policy is not valid.
 *
 * @example
 * ```ts
 * import { Policy } from '@paywire/client'
 * try {
 *   Policy.from({ currencies: { usd: { maxAmount: '1.5' } } })
 * } catch (error) {
 *   if (error instanceof Policy.InvalidPolicyError) console.log(error.code) // 'ERR_POLICY_INVALID'
 * }
 * ```
 */
export class InvalidPolicyError extends Errors.BaseError {
  override readonly name = 'Policy.InvalidPolicyError'
  readonly code = 'ERR_POLICY_INVALID'
  readonly problem = undefined
}

/**
 * Raised when the client refuses to pay: `rule` says which check refused, `quote` what
 * the server asked (when it could be read), `remaining` what is left in the refusing
 * budget. Nothing was paid and no budget was consumed. Messages carry no credential.
 *
 * @example
 * ```ts
 * import { Client, Policy } from '@paywire/client'
 * declare const client: Client.Client
 * try {
 *   await client.fetch('https://api.example.com/paid')
 * } catch (error) {
 *   if (error instanceof Policy.RefusedError && error.rule === 'budget')
 *     console.log(`asked ${error.quote?.amount}, ${error.remaining} left`)
 * }
 * ```
 */
export class RefusedError extends Errors.BaseError {
  override readonly name = 'Policy.RefusedError'
  readonly code = 'ERR_PAYMENT_REFUSED'
  readonly problem = undefined
  /** The rule that refused. */
  readonly rule: Rule
  /** What the server asked, when the challenge could be read that far. */
  readonly quote: Quote.Quote | undefined
  /** The offered challenge, when one was considered. */
  readonly challenge: RefusedError.Challenge | undefined
  /** The per-payment cap that refused (`max-amount`). */
  readonly limit: string | undefined
  /** The budget that refused (`budget`) and where it stands. */
  readonly budget: Standing | undefined
  /** What is left in the refusing budget, in base units (`budget`). */
  readonly remaining: string | undefined

  constructor(rule: Rule, message: string, details: RefusedError.Details = {}) {
    super(`payment refused (${rule}): ${message}`, { cause: details.cause })
    this.rule = rule
    this.quote = details.quote
    this.limit = details.limit
    this.budget = details.budget
    this.remaining = details.budget?.remaining
    this.challenge =
      details.challenge ??
      (details.quote === undefined
        ? undefined
        : {
            id: details.quote.challengeId,
            method: details.quote.method,
            intent: details.quote.intent,
            realm: details.quote.realm,
          })
  }
}

export declare namespace RefusedError {
  type Challenge = { id: string; method: string; intent: string; realm: string }
  type Details = {
    quote?: Quote.Quote | undefined
    challenge?: Challenge | undefined
    limit?: string | undefined
    budget?: Standing | undefined
    cause?: unknown
  }
}
