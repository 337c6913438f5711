// `paywire payments`: reconciliation of the payments a paywire server recorded in its
// store (docs/security.md, "The after-success model"): list the unfinished ones, show one,
// sweep those left unclaimed past the window (release what is held, refund what was taken
// and never delivered, report what cannot be refunded here, e.g. a Tempo transfer), or
// resolve one by hand. Stripe refunds and releases need the server's Stripe key.
import type { Method, Store } from '@paywire/core'
import { Server as StripeMethod } from '@paywire/method-stripe'
import { Payments as ServerPayments } from '@paywire/server'
import { PostgresStore } from '@paywire/store-postgres'
import { RedisStore } from '@paywire/store-redis'
import { SqliteStore } from '@paywire/store-sqlite'
import Stripe from 'stripe'
import * as ExitCode from './ExitCode.js'
import * as Io from './Io.js'
import * as Usage from './Usage.js'

/**
 * The commands of `paywire payments`, for the help and the shell completions.
 *
 * @example
 * ```ts
 * import { Payments } from '@paywire/cli'
 * Payments.subcommands.includes('list') // true
 * ```
 */
export const subcommands = ['list', 'show', 'sweep', 'resolve'] as const

/**
 * The help of `paywire payments`.
 *
 * @example
 * ```ts
 * import { Payments } from '@paywire/cli'
 * console.log(Payments.help)
 * ```
 */
export const help = `Usage: paywire payments <command> [options]

Reconciles the payments a paywire server recorded in its store:
  list                         the unfinished payments (--all: every record), oldest first
  show <challenge-id>          one payment
  sweep                        reconcile the unclaimed ones: release what is held, refund
                               what was taken and never delivered, report the rest
  resolve <challenge-id> <action>
                               settle one by hand: refund | release | void | refunded | delivered

Options:
  --store <url>                the server's store: redis://..., postgres://..., sqlite:<path>
                               (default PAYWIRE_STORE_URL)
  --prefix <prefix>            the key prefix of a Redis store
  --table <table>              the table of a PostgreSQL store
  --stripe-key <key>           the server's Stripe secret key, for refunds and releases
                               (default STRIPE_SECRET_KEY)
  --stripe-api <url>           another Stripe API (e.g. the local one of \`paywire dev\`)
  --connected <accounts>       Connect accounts payments may live on, comma-separated
  --unclaimed-after <seconds>  the window after which a payment is unclaimed (default 3600)
  --all                        list: every record, finished ones too
  --json                       print JSON on stdout`

export const flags = {
  store: { type: 'string' },
  prefix: { type: 'string' },
  table: { type: 'string' },
  'stripe-key': { type: 'string' },
  'stripe-api': { type: 'string' },
  connected: { type: 'string' },
  'unclaimed-after': { type: 'string' },
  all: { type: 'boolean' },
  json: { type: 'boolean' },
} as const satisfies Usage.Options

const actions = ['refund', 'release', 'void', 'refunded', 'delivered'] as const

/**
 * Runs `paywire payments`.
 *
 * @example
 * ```ts
 * import { Io, Payments } from '@paywire/cli'
 * const code = await Payments.run(['list', '--store', 'redis://127.0.0.1:6379'], Io.fromProcess())
 * ```
 */
export async function run(args: readonly string[], io: Io.Io): Promise<ExitCode.ExitCode> {
  const { values, positionals } = Usage.parse(args, flags, 'payments')
  const [command, ...rest] = positionals
  const usage = (message: string) => new Usage.UsageError(message, { command: 'payments' })
  if (command === undefined) throw usage('missing <command>: list, show, sweep or resolve')
  const window = values['unclaimed-after'] === undefined ? 3_600 : Number(values['unclaimed-after'])
  if (!Number.isInteger(window) || window < 1)
    throw usage('--unclaimed-after takes a whole number of seconds')
  const store = open(values.store ?? io.env.PAYWIRE_STORE_URL, values, usage)
  try {
    const payments = ServerPayments.create({
      store,
      methods: methods(values, io.env),
      unclaimedAfterSeconds: window,
    })
    const print = (json: unknown, text: readonly string[]) => {
      if (values.json === true) io.stdout.write(`${JSON.stringify(json)}\n`)
      else Io.lines(io.stdout, text)
    }
    switch (command) {
      case 'list': {
        if (rest.length > 0) throw usage(`unexpected argument "${rest[0]}"`)
        const listed = await payments.list({ unfinished: values.all !== true })
        print(listed, listed.length === 0 ? ['no payments'] : listed.map(line))
        return ExitCode.ok
      }
      case 'show': {
        const id = Usage.single(rest, 'challenge-id', 'payments show')
        const payment = await payments.get(id)
        if (payment === undefined)
          throw new ServerPayments.NotFoundError(`no payment record for challenge ${id}`)
        print(
          payment,
          Object.entries(payment).map(([name, value]) => `${name}: ${value ?? '-'}`),
        )
        return ExitCode.ok
      }
      case 'sweep': {
        if (rest.length > 0) throw usage(`unexpected argument "${rest[0]}"`)
        const outcomes = await payments.sweep()
        print(
          outcomes,
          outcomes.length === 0
            ? ['nothing to reconcile']
            : outcomes.map(
                (outcome) =>
                  `${outcome.challengeId}  ${outcome.action}${'reference' in outcome && outcome.reference ? `  ${outcome.reference}` : ''}${outcome.detail ? `  ${outcome.detail}` : ''}`,
              ),
        )
        return outcomes.some((outcome) => outcome.action === 'failed')
          ? ExitCode.failed
          : ExitCode.ok
      }
      case 'resolve': {
        const [id, action, extra] = rest
        if (id === undefined || action === undefined)
          throw usage('resolve takes <challenge-id> <action>')
        if (extra !== undefined) throw usage(`unexpected argument "${extra}"`)
        if (!(actions as readonly string[]).includes(action))
          throw usage(`<action> is one of ${actions.join(', ')}, found "${action}"`)
        const payment = await payments.resolve(id, action as (typeof actions)[number])
        print(payment, [line(payment)])
        return ExitCode.ok
      }
      default:
        throw usage(`unknown command "${command}": list, show, sweep or resolve`)
    }
  } finally {
    await store.close?.()
  }
}

function line(payment: ServerPayments.Payment): string {
  return [
    payment.challengeId,
    payment.phase + (payment.unclaimed ? ' (unclaimed)' : ''),
    `${payment.method}/${payment.intent}`,
    `${payment.amount ?? '?'} ${payment.currency ?? ''}`.trim(),
    payment.route,
    payment.updated,
    payment.reference ?? '',
    payment.note ?? '',
  ]
    .filter((field) => field !== '')
    .join('  ')
}

function open(
  url: string | undefined,
  values: { prefix?: string | undefined; table?: string | undefined },
  usage: (message: string) => Error,
): Store.Store {
  if (url === undefined) throw usage('missing --store (or PAYWIRE_STORE_URL)')
  if (/^rediss?:\/\//.test(url)) return RedisStore.create({ url, prefix: values.prefix ?? '' })
  if (/^postgres(ql)?:\/\//.test(url))
    return PostgresStore.create({ connectionString: url, table: values.table })
  if (url.startsWith('sqlite:')) return SqliteStore.create({ path: url.slice('sqlite:'.length) })
  throw usage(`--store takes redis://, postgres:// or sqlite:<path>, found "${url}"`)
}

function methods(
  values: {
    'stripe-key'?: string | undefined
    'stripe-api'?: string | undefined
    connected?: string | undefined
  },
  env: Readonly<Record<string, string | undefined>>,
  // biome-ignore lint/suspicious/noExplicitAny: methods of any kind
): Method.Server<any, any, any>[] {
  const key = values['stripe-key'] ?? env.STRIPE_SECRET_KEY
  if (key === undefined || key === '') return []
  const api = values['stripe-api'] === undefined ? undefined : new URL(values['stripe-api'])
  const stripe = new Stripe(key, {
    maxNetworkRetries: 2,
    ...(api === undefined
      ? {}
      : {
          host: api.hostname,
          port: Number(api.port || (api.protocol === 'https:' ? 443 : 80)),
          protocol: api.protocol === 'https:' ? 'https' : 'http',
        }),
  })
  const connectedAccounts = (values.connected ?? '').split(',').filter((account) => account !== '')
  return [
    StripeMethod.server({
      stripe,
      // Reconciliation only looks payments up, refunds and releases them: no new charges.
      networkId: 'reconciliation',
      connect: { connectedAccounts, settle: () => undefined },
    }),
  ]
}
