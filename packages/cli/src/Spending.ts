// The spending policy of `paywire <url>`, from the config file's `policy` and the flags:
// `--max-amount 1000:usd` caps one payment per currency (a currency without a cap is never
// paid), `--budget 5000:usd/day` caps the rolling total, `--allow-origin` and
// `--allow-recipient` restrict who is paid. Flags add to the config (a flag's cap replaces
// the config's cap for that currency); the client's `Policy.from` checks the result.
import { Policy, type Quote } from '@paywire/client'
import type * as Config from './Config.js'
import * as Money from './Money.js'
import * as Usage from './Usage.js'

/**
 * The policy flags, in parseArgs' shape.
 *
 * @example
 * ```ts
 * import { Spending } from '@paywire/cli'
 * Object.keys(Spending.flags) // ['max-amount', 'budget', 'allow-origin', 'allow-recipient', 'allow-realm']
 * ```
 */
export const flags = {
  'max-amount': { type: 'string', multiple: true },
  budget: { type: 'string', multiple: true },
  'allow-origin': { type: 'string', multiple: true },
  'allow-recipient': { type: 'string', multiple: true },
  'allow-realm': { type: 'string', multiple: true },
} as const satisfies Usage.Options

/**
 * Help lines for the policy flags.
 *
 * @example
 * ```ts
 * import { Spending } from '@paywire/cli'
 * console.log(Spending.help)
 * ```
 */
export const help = `  --max-amount <amount>:<currency>
                          largest single payment in base units, per currency (repeatable):
                          --max-amount 1000:usd (10.00 USD), --max-amount 10000:pathUSD
                          (0.01 pathUSD). The currency is a token address, an ISO 4217
                          code or a known symbol (pathUSD). A currency without one is
                          never paid.
  --budget <amount>:<currency>[/<window>[/<scope>]]
                          rolling budget (repeatable), kept across runs in the home
                          directory: window minute|hour|day (default day), scope
                          total|origin (default total): --budget 5000:usd/hour/origin
  --allow-origin <origin> pay only these origins (repeatable): --allow-origin https://api.example.com
  --allow-recipient <id>  pay only these recipients (repeatable)
  --allow-realm <realm>   accept challenges of these realms only (repeatable); by default
                          a challenge's realm must be the host of the URL`

/**
 * The policy values of the flags (their raw strings, as parsed).
 *
 * @example
 * ```ts
 * import type { Spending } from '@paywire/cli'
 * const values: Spending.Values = { 'max-amount': ['1000:usd'], budget: ['5000:usd/day'] }
 * ```
 */
export type Values = {
  'max-amount'?: string[] | undefined
  budget?: string[] | undefined
  'allow-origin'?: string[] | undefined
  'allow-recipient'?: string[] | undefined
  'allow-realm'?: string[] | undefined
}

/**
 * The policy: the config's, with the flags added, checked and with its defaults.
 *
 * @throws {Usage.UsageError} naming the flag or member at fault.
 * @example
 * ```ts
 * import { Spending } from '@paywire/cli'
 * const policy = Spending.from({ 'max-amount': ['1000:usd'], budget: ['5000:usd/day'] }, {})
 * policy.budgets[0] // { currency: 'usd', amount: '5000', window: 'day', scope: 'total' }
 * ```
 */
export function from(values: Values, config: Config.Config): Policy.from.ReturnType {
  const base = config.policy ?? { currencies: {} }
  const currencies = { ...(base.currencies ?? {}) }
  for (const flag of values['max-amount'] ?? []) {
    const { amount, currency } = amountOf(flag, '--max-amount', '1000:usd')
    currencies[currency] = { maxAmount: amount }
  }
  const budgets = [...(base.budgets ?? []), ...(values.budget ?? []).map(budgetOf)]
  const origins = joined(base.origins, values['allow-origin'])
  const recipients = joined(base.recipients, values['allow-recipient'])
  const realms =
    values['allow-realm'] === undefined || base.realms === 'any'
      ? base.realms
      : joined(Array.isArray(base.realms) ? base.realms : [], values['allow-realm'])
  try {
    return Policy.from({
      ...base,
      currencies,
      budgets,
      ...(origins === undefined ? {} : { origins }),
      ...(recipients === undefined ? {} : { recipients }),
      ...(realms === undefined ? {} : { realms }),
    })
  } catch (cause) {
    if (!(cause instanceof Policy.InvalidPolicyError)) throw cause
    const hint = cause.message.includes('not a policy currency')
      ? '; every --budget currency needs a --max-amount for it'
      : ''
    throw new Usage.UsageError(`invalid spending policy: ${cause.message}${hint}`, {
      command: 'paywire',
      cause,
    })
  }
}

/**
 * A quote in words, as the CLI prints it.
 *
 * @example
 * ```ts
 * import type { Quote } from '@paywire/client'
 * import { Spending } from '@paywire/cli'
 * declare const quote: Quote.Quote
 * Spending.describe(quote) // '10.00 USD to reference for http://127.0.0.1:8402/paid (test/charge)'
 * ```
 */
export function describe(quote: Quote.Quote): string {
  const to = quote.recipient === undefined ? '' : ` to ${quote.recipient}`
  return `${Money.format(quote.amount, quote.currency, quote.method)}${to} for ${quote.url} (${quote.method}/${quote.intent})`
}

function amountOf(text: string, flag: string, example: string) {
  const match = /^(0|[1-9][0-9]*):(.+)$/.exec(text)
  if (match === null)
    throw new Usage.UsageError(
      `${flag} takes <amount>:<currency> with the amount in base units (e.g. ${example}), found "${text}"`,
      { command: 'paywire' },
    )
  return { amount: match[1] as string, currency: Money.currencyOf(match[2] as string, flag) }
}

function budgetOf(text: string): Policy.Budget {
  const [head = '', window = 'day', scope = 'total', ...rest] = text.split('/')
  const { amount, currency } = amountOf(head, '--budget', '5000:usd/day')
  if (
    !Object.hasOwn(Policy.windows, window) ||
    (scope !== 'total' && scope !== 'origin') ||
    rest.length > 0
  )
    throw new Usage.UsageError(
      `--budget takes <amount>:<currency>[/minute|hour|day[/total|origin]], found "${text}"`,
      { command: 'paywire' },
    )
  return { currency, amount, window: window as Policy.Window, scope }
}

function joined(
  fromConfig: readonly string[] | undefined,
  fromFlags: readonly string[] | undefined,
): string[] | undefined {
  if (fromConfig === undefined && fromFlags === undefined) return undefined
  return [...(fromConfig ?? []), ...(fromFlags ?? [])]
}
