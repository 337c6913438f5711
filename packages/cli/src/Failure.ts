// What a failed command tells its user: the exit code, the message, and what to do next;
// for `--json`, the same as one JSON object a script can branch on (`code`, `rule`, ...).
import { Policy } from '@paywire/client'
import { Errors } from '@paywire/core'
import * as ExitCode from './ExitCode.js'
import * as Money from './Money.js'
import * as Prompt from './Prompt.js'
import * as Spending from './Spending.js'

/**
 * A failure as reported.
 *
 * @example
 * ```ts
 * import { Failure } from '@paywire/cli'
 * const failure: Failure.Failure = Failure.from(new Error('boom'))
 * failure.exitCode // 1
 * ```
 */
export type Failure = {
  exitCode: ExitCode.ExitCode
  /** Stable code of the error (`ERR_PAYMENT_REFUSED`, ...), when it has one. */
  code: string | undefined
  message: string
  /** What to do next, when there is something to say. */
  hint: string | undefined
  /** The refusing rule and what was asked, for refusals. */
  refusal: { rule: Policy.Rule; quote: unknown; remaining: string | undefined } | undefined
}

/**
 * Describes an error thrown by a command.
 *
 * @example
 * ```ts
 * import { Failure, Usage } from '@paywire/cli'
 * Failure.from(new Usage.UsageError('missing <url>', { command: 'paywire' })).exitCode // 2
 * ```
 */
export function from(error: unknown): Failure {
  if (error instanceof Policy.RefusedError) return refused(error)
  const network = networkReason(error)
  if (network !== undefined)
    return {
      exitCode: ExitCode.unreachable,
      code: undefined,
      message: `cannot reach the server: ${network}`,
      hint: 'check the URL, and that the server is running',
      refusal: undefined,
    }
  const message = error instanceof Error ? error.message : String(error)
  const code = error instanceof Errors.BaseError ? error.code : undefined
  const known = code === undefined ? undefined : byCode[code]
  if (known === undefined)
    return {
      exitCode: ExitCode.failed,
      code,
      message,
      hint: 'unexpected: rerun with PAYWIRE_DEBUG=1 to see where it failed',
      refusal: undefined,
    }
  return { exitCode: known.exitCode, code, message, hint: known.hint, refusal: undefined }
}

/** Exit codes (and hints) of the errors commands raise, by their stable `code`. */
const byCode: Record<string, { exitCode: ExitCode.ExitCode; hint?: string }> = {
  ERR_CLI_USAGE: { exitCode: ExitCode.usage },
  ERR_CLIENT_OPTIONS_INVALID: { exitCode: ExitCode.usage },
  ERR_BODY_TOO_LARGE: { exitCode: ExitCode.usage },
  ERR_CLI_NO_METHOD: { exitCode: ExitCode.refused },
  ERR_CLI_NO_AGENT: {
    exitCode: ExitCode.usage,
    hint: '`paywire agent create` makes the agent key that --sign-as-agent signs with',
  },
  ERR_AGENT_SIGNATURE_MALFORMED: { exitCode: ExitCode.usage },
  ERR_AGENT_KEY_INVALID: { exitCode: ExitCode.usage },
  ERR_REDIRECT: { exitCode: ExitCode.refused },
  ERR_CLI_NOT_INTERACTIVE: { exitCode: ExitCode.keystore },
  ERR_CLI_PASSPHRASE_MISMATCH: { exitCode: ExitCode.keystore },
  ERR_KEYSTORE_PASSPHRASE: { exitCode: ExitCode.keystore },
  ERR_KEYSTORE_ACCOUNT_NOT_FOUND: { exitCode: ExitCode.keystore },
  ERR_KEYSTORE_ACCOUNT_EXISTS: { exitCode: ExitCode.keystore },
  ERR_KEYSTORE_INVALID_KEY: { exitCode: ExitCode.keystore },
  ERR_KEYSTORE_WEAK_PASSPHRASE: { exitCode: ExitCode.keystore },
  ERR_KEYSTORE_PERMISSIONS: { exitCode: ExitCode.keystore },
  ERR_KEYSTORE_CORRUPT: { exitCode: ExitCode.keystore },
  ERR_CLI_NODE_UNREACHABLE: { exitCode: ExitCode.unreachable },
  ERR_DISCOVERY_DOCUMENT_INVALID: {
    exitCode: ExitCode.unreachable,
    hint: 'the origin serves no valid discovery document at /openapi.json; nothing was paid',
  },
  ERR_PAYMENT_INFO_INVALID: {
    exitCode: ExitCode.unreachable,
    hint: 'the origin serves no valid discovery document at /openapi.json; nothing was paid',
  },
  ERR_CLI_LOCK_TIMEOUT: {
    exitCode: ExitCode.failed,
    hint: 'another paywire process kept the file locked; nothing was written, try again',
  },
  ERR_CLI_CONFORMANCE_UNAVAILABLE: { exitCode: ExitCode.failed },
  ERR_CLI_CHANNEL_NOT_FOUND: {
    exitCode: ExitCode.usage,
    hint: '`paywire sessions list` shows the channels of this home (--home)',
  },
  ERR_CLI_CHANNEL_ENDED: {
    exitCode: ExitCode.usage,
    hint: '`paywire sessions show <channel>` shows its state, on chain too',
  },
  ERR_CLI_CHANNEL_CORRUPT: {
    exitCode: ExitCode.failed,
    hint: 'the channel index in <home>/paywire.db was written by something else; nothing was paid',
  },
  ERR_CLI_NOT_CONFIRMED: {
    exitCode: ExitCode.refused,
    hint: 'pass --yes to go ahead without asking; nothing was done',
  },
  ERR_CLI_CLOSE_REFUSED: {
    exitCode: ExitCode.refused,
    hint: 'nothing moved; try again later, and check the server with `paywire sessions show <channel>`',
  },
  ERR_CLI_CHANNEL_CHANGED: { exitCode: ExitCode.refused },
  ERR_CLI_UNTRUSTED_ESCROW: {
    exitCode: ExitCode.refused,
    hint: 'nothing was signed; if you trust that escrow, pass --tempo-escrow <address>',
  },
  ERR_SESSION_PAYER_POLICY: {
    exitCode: ExitCode.refused,
    hint: 'the session channel cannot pay this: close it with `paywire sessions close <channel>` and the next request opens a new one (see `paywire sessions list`)',
  },
  ERR_TEMPO_CHAIN_UNAVAILABLE: {
    exitCode: ExitCode.unreachable,
    hint: 'is the Tempo node running? start one with `paywire dev`, or pass --tempo-rpc <url>',
  },
  ERR_STORE_UNAVAILABLE: {
    exitCode: ExitCode.unreachable,
    hint: 'the ledger lives in <home>/paywire.db: check the directory is writable (--home)',
  },
}

/**
 * The lines printed on stderr for a failure.
 *
 * @example
 * ```ts
 * import { Failure } from '@paywire/cli'
 * Failure.toLines(Failure.from(new Error('boom'))) // ['paywire: boom', '  next: unexpected: ...']
 * ```
 */
export function toLines(failure: Failure): string[] {
  const lines = [`paywire: ${failure.message}`]
  if (failure.hint !== undefined) lines.push(`  next: ${failure.hint}`)
  return lines
}

/**
 * The JSON object printed on stdout for a failure under `--json`.
 *
 * @example
 * ```ts
 * import { Failure } from '@paywire/cli'
 * Failure.toJson(Failure.from(new Error('boom'))) // { error: { code: null, exitCode: 1, message: 'boom', ... } }
 * ```
 */
export function toJson(failure: Failure) {
  return {
    error: {
      code: failure.code ?? null,
      exitCode: failure.exitCode,
      message: failure.message,
      hint: failure.hint ?? null,
      rule: failure.refusal?.rule ?? null,
      quote: failure.refusal?.quote ?? null,
      remaining: failure.refusal?.remaining ?? null,
    },
  }
}

/**
 * A policy refusal in words, with amounts in the currency's units (base units stay in
 * `--json`) and never a negative amount left.
 *
 * @example
 * ```ts
 * import type { Policy } from '@paywire/client'
 * import { Failure } from '@paywire/cli'
 * declare const error: Policy.RefusedError
 * Failure.refusalMessage(error) // 'payment refused (max-amount): 10.00 USD asked, ...'
 * ```
 */
export function refusalMessage(error: Policy.RefusedError): string {
  const { quote } = error
  const money = (amount: string) =>
    quote === undefined ? amount : Money.format(amount, quote.currency, quote.method)
  const budget = error.budget?.budget
  if (error.rule === 'budget' && quote !== undefined && budget !== undefined)
    return `payment refused (budget): ${money(quote.amount)} asked, ${money(error.remaining ?? '0')} left of ${money(budget.amount)} in the ${budget.scope} budget over the last ${budget.window}`
  if (error.rule === 'max-amount' && quote !== undefined && error.limit !== undefined)
    return `payment refused (max-amount): ${money(quote.amount)} asked, the largest single payment allowed is ${money(error.limit)}`
  return error.message
}

function refused(error: Policy.RefusedError): Failure {
  const { quote } = error
  let message = refusalMessage(error)
  let hint: string | undefined
  const money = (amount: string | undefined) =>
    quote === undefined || amount === undefined
      ? (amount ?? '0')
      : Money.format(amount, quote.currency, quote.method)
  switch (error.rule) {
    case 'budget': {
      hint = `${money(error.remaining)} left in that budget; wait for the window to pass, or raise --budget`
      break
    }
    case 'max-amount':
      hint = `to pay it, allow it: --max-amount ${quote?.amount}:${quote?.currency}`
      break
    case 'currency':
      hint = `to pay in ${quote?.currency}, give a cap: --max-amount ${quote?.amount}:${quote?.currency}`
      break
    case 'origin':
      hint = `to pay this origin, add --allow-origin ${quote?.origin}`
      break
    case 'realm':
      hint = `to accept this realm, add --allow-realm ${quote?.realm}`
      break
    case 'recipient':
      hint = 'to pay this recipient, add --allow-recipient <id>'
      break
    case 'transport':
      hint = 'credentials are sent only over https (plain http only to loopback)'
      break
    case 'unsupported':
      hint = 'configure a method the server accepts (see `paywire --help`, Methods)'
      break
    case 'approval':
      if (error.cause instanceof Prompt.NotInteractiveError) {
        message = `payment of ${quote === undefined ? 'the request' : Spending.describe(quote)} needs confirmation, and there is no terminal to ask`
        hint =
          'pass --yes to pay without asking (the spending policy still applies); nothing was paid'
      } else message = 'payment declined at the confirmation; nothing was paid'
      break
  }
  return {
    exitCode: ExitCode.refused,
    code: error.code,
    message,
    hint,
    refusal: { rule: error.rule, quote: quote ?? null, remaining: error.remaining },
  }
}

function networkReason(error: unknown): string | undefined {
  if (!(error instanceof TypeError) || error.message !== 'fetch failed') return undefined
  const cause = error.cause as { code?: string; message?: string } | undefined
  return cause?.code ?? cause?.message ?? 'fetch failed'
}
