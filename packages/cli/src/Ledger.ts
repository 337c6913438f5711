// `paywire ledger`: the payments this CLI made, from the client ledger in the home
// directory's store, with totals per currency.
import { Ledger as ClientLedger } from '@paywire/client'
import * as ExitCode from './ExitCode.js'
import * as Home from './Home.js'
import * as Io from './Io.js'
import * as Money from './Money.js'
import * as Usage from './Usage.js'

/**
 * The help of `paywire ledger`.
 *
 * @example
 * ```ts
 * import { Ledger } from '@paywire/cli'
 * console.log(Ledger.help)
 * ```
 */
export const help = `Usage: paywire ledger [options]

The payments made by \`paywire <url>\` with this home directory, oldest first, and the
totals per currency.

Options:
  --since <duration>   only the last minutes, hours or days: 30m, 12h, 7d
  --status <status>    sent | settled | unconfirmed | refused
  --home <dir>         home directory (default PAYWIRE_HOME or ~/.paywire)
  --json               print { entries, totals } on stdout`

export const flags = {
  since: { type: 'string' },
  status: { type: 'string' },
  home: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies Usage.Options

/**
 * Runs `paywire ledger`.
 *
 * @example
 * ```ts
 * import { Io, Ledger } from '@paywire/cli'
 * const code = await Ledger.run(['--since', '1d'], Io.fromProcess())
 * ```
 */
export async function run(args: readonly string[], io: Io.Io): Promise<ExitCode.ExitCode> {
  const { values, positionals } = Usage.parse(args, flags, 'ledger')
  if (positionals.length > 0)
    throw new Usage.UsageError(`unexpected argument "${positionals[0]}"`, { command: 'ledger' })
  const status = values.status
  if (status !== undefined && !['sent', 'settled', 'unconfirmed', 'refused'].includes(status))
    throw new Usage.UsageError(
      `--status takes sent, settled, unconfirmed or refused, found "${status}"`,
      {
        command: 'ledger',
      },
    )
  const filter: ClientLedger.Filter = {
    ...(values.since === undefined ? {} : { since: Date.now() - duration(values.since) }),
    ...(status === undefined ? {} : { status: status as ClientLedger.Status }),
  }
  const store = Home.store(Home.from({ home: values.home, env: io.env }))
  try {
    const ledger = ClientLedger.from(store)
    const entries = await ledger.list(filter)
    const totals = await ledger.totals(filter)
    if (values.json === true) io.stdout.write(`${JSON.stringify({ entries, totals })}\n`)
    else
      Io.lines(io.stdout, [
        ...entries.map(
          (entry) =>
            `${entry.at}  ${Money.format(entry.amount, entry.currency, entry.method)}  ${entry.status}  ${entry.method}/${entry.intent}  ${entry.url}${entry.receipt === undefined ? '' : `  receipt ${entry.receipt.reference}`}${entry.status === 'refused' && entry.note !== undefined ? `  (${entry.note})` : ''}`,
        ),
        entries.length === 0
          ? 'no payments'
          : `total: ${
              Object.entries(totals)
                .map(([currency, sum]) => {
                  const method = entries.find((entry) => entry.currency === currency)?.method
                  return Money.format(sum, currency, method)
                })
                .join(', ') || 'nothing spent'
            }${entries.some((entry) => entry.status === 'refused') ? ' (refused by the server: not counted)' : ''}`,
      ])
    return ExitCode.ok
  } finally {
    await store.close?.()
  }
}

function duration(text: string): number {
  const match = /^([1-9][0-9]*)(m|h|d)$/.exec(text)
  if (match === null)
    throw new Usage.UsageError(`--since takes a duration such as 30m, 12h or 7d, found "${text}"`, {
      command: 'ledger',
    })
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'm' | 'h' | 'd']
  return Number(match[1]) * unit
}
