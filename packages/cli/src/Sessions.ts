// `paywire sessions list|show|close`: the Tempo session channels (draft-tempo-session) this
// home's requests opened. `show` adds the escrow's view of a channel when its node answers;
// `close` sends the session `close` credential to the resource the channel was opened on
// (the server closes on chain, capturing what it served and refunding the rest). Amounts
// print in the token's units (`0.01 pathUSD`); `--json` keeps base units.
import { Errors, type Store } from '@paywire/core'
import type { Address, Hex } from 'viem'
import * as Channels from './Channels.js'
import * as ExitCode from './ExitCode.js'
import * as Home from './Home.js'
import * as Io from './Io.js'
import * as Keystore from './Keystore.js'
import * as Money from './Money.js'
import * as Progress from './Progress.js'
import * as Prompt from './Prompt.js'
import * as Rpc from './Rpc.js'
import * as Usage from './Usage.js'

/**
 * The commands of `paywire sessions`, for the help and the shell completions.
 *
 * @example
 * ```ts
 * import { Sessions } from '@paywire/cli'
 * Sessions.subcommands.includes('list') // true
 * ```
 */
export const subcommands = ['list', 'show', 'close'] as const

/**
 * The help of `paywire sessions`.
 *
 * @example
 * ```ts
 * import { Sessions } from '@paywire/cli'
 * console.log(Sessions.help)
 * ```
 */
export const help = `Usage: paywire sessions <command> [options]

The Tempo session channels (payment channels) \`paywire <url> --account\` opened with this
home. A channel holds a deposit in the escrow; each request is paid by a voucher signed
within it; closing it pays the server what it served and returns the rest.

Commands:
  list                  the channels: id, server, payee, token, deposit, signed, remaining, status
  show <channel>        one channel (id or the start of it), and the escrow's view of it
                        when its node answers
  close <channel>       ask the server the channel was opened on to close it; prints the
                        close receipt and what came back to the payer
         --yes          close without asking

Options:
  --tempo-rpc <url>     the node to read the escrow on (default: the one the channel was
                        opened with)
  --home <dir>          home directory (default PAYWIRE_HOME or ~/.paywire)
  --json                print JSON on stdout`

export const flags = {
  yes: { type: 'boolean', short: 'y' },
  'tempo-rpc': { type: 'string' },
  home: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies Usage.Options

/**
 * Runs `paywire sessions ...args`.
 *
 * @example
 * ```ts
 * import { Io, Sessions } from '@paywire/cli'
 * const code = await Sessions.run(['list'], Io.fromProcess())
 * ```
 */
export async function run(args: readonly string[], io: Io.Io): Promise<ExitCode.ExitCode> {
  const [command, ...rest] = args
  const name = `sessions ${command ?? ''}`.trim()
  const { values, positionals } = Usage.parse(rest, flags, name)
  const home = Home.from({ home: values.home, env: io.env })
  const json = values.json === true
  const print = (value: unknown, lines: string[]) =>
    json ? io.stdout.write(`${JSON.stringify(value)}\n`) : Io.lines(io.stdout, lines)
  if (command !== 'list' && command !== 'show' && command !== 'close')
    throw new Usage.UsageError(
      command === undefined ? 'missing <command>' : `unknown command "sessions ${command}"`,
      { command: 'sessions' },
    )
  const store = Home.store(home)
  try {
    if (command === 'list') {
      if (positionals.length > 0)
        throw new Usage.UsageError(`unexpected argument "${positionals[0]}"`, { command: name })
      const channels = await Channels.list(store)
      print(
        { channels },
        channels.length === 0
          ? ['no session channels: `paywire <url> --account <name>` opens one when a server asks']
          : table(channels),
      )
      return ExitCode.ok
    }
    const channel = await Channels.find(store, Usage.single(positionals, 'channel', name))
    const rpcUrl = values['tempo-rpc'] ?? channel.rpcUrl
    if (command === 'show') {
      const onChain = await escrowView(rpcUrl, channel, io)
      const view =
        'error' in onChain
          ? { onChain: null, onChainError: onChain.error }
          : { onChain: onChain.state, onChainError: null }
      print({ channel, ...view, rpcUrl }, [
        ...describe(channel),
        ...('error' in onChain
          ? [`on chain: unknown (${onChain.error})`]
          : [
              `on chain (${rpcUrl}): deposit ${human(onChain.state.deposit, channel)}, settled ${human(onChain.state.settled, channel)}, close requested ${onChain.state.closeRequestedAt === '0' ? 'no' : `at ${onChain.state.closeRequestedAt}`}, ${onChain.state.exists ? (onChain.state.finalized ? 'finalized' : 'open') : 'not opened'}`,
            ]),
      ])
      return ExitCode.ok
    }
    return await close(channel, { store, rpcUrl, io, yes: values.yes === true, print, home })
  } finally {
    await store.close?.()
  }
}

type Print = (value: unknown, lines: string[]) => unknown
type OnChain = {
  exists: boolean
  deposit: string
  settled: string
  closeRequestedAt: string
  finalized: boolean
}

type CloseContext = {
  store: Store.Store
  rpcUrl: string
  io: Io.Io
  yes: boolean
  print: Print
  home: Home.Home
}

async function close(channel: Channels.Channel, context: CloseContext): Promise<ExitCode.ExitCode> {
  const { store, rpcUrl, io, print, home } = context
  if (channel.status !== 'open')
    throw new ChannelEndedError(`channel ${channel.channelId} is already ${channel.status}`)
  const url = new URL(channel.url)
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
  if (url.protocol !== 'https:' && !loopback)
    throw new ChannelEndedError(
      `the channel was opened on ${url.origin}: a close credential is sent only over https (plain http only to loopback)`,
    )
  const terminal = { input: io.stdin, output: io.stderr }
  if (!context.yes) await confirm(channel, url, terminal)
  const account = Keystore.get(home.keystore, channel.account)
  if (account.address.toLowerCase() !== channel.payer)
    throw new ChannelEndedError(
      `account ${channel.account} is now ${account.address}, not the channel's payer ${channel.payer}`,
    )
  const passphrase = await Prompt.passphrase(terminal, io.env)
  const privateKey = await Progress.during(
    io.stderr,
    `unlocking ${channel.account}`,
    Keystore.unlock(home.keystore, channel.account, passphrase),
  )
  const { Client } = await import('@paywire/method-tempo-session')
  const { createPublicClient, http } = await import('viem')
  const session = Client.client({
    privateKey,
    client: createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) }),
    chainId: channel.chainId,
    escrow: channel.escrow as Address,
    currency: channel.currency as Address,
    store: Channels.payerStore(store, channel.payer),
  })
  const closing = session.close({
    url: channel.url,
    channelId: channel.channelId as Hex,
    cumulativeAmount: BigInt(channel.signed),
  })
  let receipt: Awaited<typeof closing>
  try {
    receipt = await Progress.during(io.stderr, `closing on ${url.origin}`, closing)
  } catch (error) {
    const code = error instanceof Errors.BaseError ? error.code : undefined
    if (code !== 'ERR_SESSION_MANAGEMENT_REFUSED' && code !== 'ERR_SESSION_PAYER_UNKNOWN_CHANNEL')
      throw error
    // The server would not close it: the escrow says whether the channel is gone.
    return dropGone(channel, error as Errors.BaseError, context)
  }
  const onChain = await escrowView(rpcUrl, channel, io)
  const spent = typeof receipt.spent === 'string' ? receipt.spent : undefined
  const captured = 'error' in onChain ? spent : onChain.state.settled
  const refunded =
    'error' in onChain
      ? undefined
      : (BigInt(onChain.state.deposit) - BigInt(onChain.state.settled)).toString()
  const record = await Channels.end(store, channel, {
    status: 'closed',
    captured,
    refunded,
    txHash: typeof receipt.txHash === 'string' ? receipt.txHash : undefined,
  })
  print({ channel: record, receipt, onChain: 'error' in onChain ? null : onChain.state }, [
    `closed channel ${channel.channelId} on ${url.origin}`,
    `  paid to ${channel.payee}: ${captured === undefined ? 'unknown' : human(captured, channel)}`,
    refunded === undefined
      ? `  returned to ${channel.account}: unknown (${'error' in onChain ? onChain.error : ''})`
      : `  returned to ${channel.account} (${channel.payer}): ${human(refunded, channel)}`,
    'receipt:',
    ...Object.entries(receipt).map(
      ([name, value]) => `  ${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`,
    ),
  ])
  return ExitCode.ok
}

/** Asks before closing; a script without `--yes`, or a "no", closes nothing. */
async function confirm(channel: Channels.Channel, url: URL, terminal: Prompt.Terminal) {
  const question = `Close channel ${channel.channelId} on ${url.origin}? (deposit ${human(channel.deposit, channel)}, signed ${human(channel.signed, channel)}: the server keeps what it served, the rest returns to ${channel.account})`
  const confirmed = await Prompt.confirm(terminal, question, 'pass --yes').catch((error) => {
    if (error instanceof Prompt.NotInteractiveError)
      throw new NotConfirmedError(
        `closing channel ${channel.channelId} needs confirmation, and there is no terminal to ask`,
        { cause: error },
      )
    throw error
  })
  if (!confirmed) throw new NotConfirmedError('not closed: declined at the confirmation')
}

/**
 * After the server refused a close: drops the channel when the escrow shows it finalized
 * or never opened; otherwise the refusal stands (nothing moved).
 */
async function dropGone(
  channel: Channels.Channel,
  error: Errors.BaseError,
  context: CloseContext,
): Promise<ExitCode.ExitCode> {
  const onChain = await escrowView(context.rpcUrl, channel, context.io)
  if ('error' in onChain || (onChain.state.exists && !onChain.state.finalized))
    throw new CloseRefusedError(
      `${error.message}; the channel is ${'error' in onChain ? `of unknown state (${onChain.error})` : 'still open on chain'}`,
      { cause: error },
    )
  const { state } = onChain
  const record = await Channels.end(context.store, channel, {
    status: 'gone',
    deposit: state.deposit,
    ...(state.exists
      ? {
          captured: state.settled,
          refunded: (BigInt(state.deposit) - BigInt(state.settled)).toString(),
        }
      : {}),
  })
  context.print({ channel: record, receipt: null, onChain: state }, [
    `the server reports channel ${channel.channelId} gone, and on chain it is ${state.exists ? `already closed (settled ${human(state.settled, channel)} of ${human(state.deposit, channel)})` : 'not there (never opened)'}`,
    'dropped it from this home; nothing more to do',
  ])
  return ExitCode.ok
}

/** The escrow's `getChannel` view, or why it could not be read. */
async function escrowView(
  rpcUrl: string,
  channel: Channels.Channel,
  io: Io.Io,
): Promise<{ state: OnChain } | { error: string }> {
  const { Escrow } = await import('@paywire/escrow')
  const { createPublicClient, http } = await import('viem')
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) })
  try {
    const state = await Progress.during(
      io.stderr,
      `reading the escrow on ${rpcUrl}`,
      Rpc.reached(
        rpcUrl,
        client.readContract({
          address: channel.escrow as Address,
          abi: Escrow.abi,
          functionName: 'getChannel',
          args: [channel.channelId as Hex],
        }),
      ),
    )
    return {
      state: {
        exists: !/^0x0{40}$/.test(state.payer),
        deposit: state.deposit.toString(),
        settled: state.settled.toString(),
        closeRequestedAt: state.closeRequestedAt.toString(),
        finalized: state.finalized,
      },
    }
  } catch (error) {
    if (error instanceof Rpc.NodeUnreachableError) return { error: `no node answers at ${rpcUrl}` }
    throw error
  }
}

/** An amount of the channel's token in its units, e.g. `0.01 pathUSD` (TIP-20: 6 decimals). */
function human(amount: string, channel: Channels.Channel): string {
  return Money.format(amount, channel.currency, 'tempo')
}

function describe(channel: Channels.Channel): string[] {
  return [
    `channel: ${channel.channelId}`,
    `status: ${channel.status}`,
    `server: ${channel.origin} (realm ${channel.realm})`,
    `opened on: ${channel.url} at ${channel.openedAt}`,
    `payer: ${channel.account} (${channel.payer})`,
    `payee: ${channel.payee}`,
    `token: ${channel.currency}`,
    `escrow: ${channel.escrow} on chain ${channel.chainId}`,
    `deposit: ${human(channel.deposit, channel)}`,
    `signed: ${human(channel.signed, channel)}`,
    `remaining: ${human(channel.remaining, channel)}`,
    ...(channel.closed === undefined
      ? []
      : [
          `closed: ${channel.closed.at}${channel.closed.captured === undefined ? '' : `, paid ${human(channel.closed.captured, channel)}`}${channel.closed.refunded === undefined ? '' : `, returned ${human(channel.closed.refunded, channel)}`}${channel.closed.txHash === undefined ? '' : ` in ${channel.closed.txHash}`}`,
        ]),
  ]
}

function table(channels: readonly Channels.Channel[]): string[] {
  const short = (text: string) => `${text.slice(0, 10)}…`
  const rows = [
    ['CHANNEL', 'SERVER', 'PAYEE', 'TOKEN', 'DEPOSIT', 'SIGNED', 'REMAINING', 'STATUS'],
    ...channels.map((channel) => [
      short(channel.channelId),
      channel.realm === new URL(channel.origin).host
        ? channel.origin
        : `${channel.origin} (${channel.realm})`,
      short(channel.payee),
      short(channel.currency),
      human(channel.deposit, channel),
      human(channel.signed, channel),
      human(channel.remaining, channel),
      channel.status,
    ]),
  ]
  const widths = rows[0]?.map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  ) as number[]
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  )
}

/**
 * Raised when a channel cannot be closed from here: already closed, or its server is not
 * reachable safely.
 *
 * @example
 * ```ts
 * import { Sessions } from '@paywire/cli'
 * new Sessions.ChannelEndedError('already closed').code // 'ERR_CLI_CHANNEL_ENDED'
 * ```
 */
export class ChannelEndedError extends Errors.BaseError {
  override readonly name = 'Sessions.ChannelEndedError'
  readonly code = 'ERR_CLI_CHANNEL_ENDED'
  readonly problem = undefined
}

/**
 * Raised when a close was not confirmed (declined, or no terminal to ask and no `--yes`).
 *
 * @example
 * ```ts
 * import { Sessions } from '@paywire/cli'
 * new Sessions.NotConfirmedError('not closed').code // 'ERR_CLI_NOT_CONFIRMED'
 * ```
 */
export class NotConfirmedError extends Errors.BaseError {
  override readonly name = 'Sessions.NotConfirmedError'
  readonly code = 'ERR_CLI_NOT_CONFIRMED'
  readonly problem = undefined
}

/**
 * Raised when the server does not close a channel that is still open on chain.
 *
 * @example
 * ```ts
 * import { Sessions } from '@paywire/cli'
 * new Sessions.CloseRefusedError('the server answered close with 500').code // 'ERR_CLI_CLOSE_REFUSED'
 * ```
 */
export class CloseRefusedError extends Errors.BaseError {
  override readonly name = 'Sessions.CloseRefusedError'
  readonly code = 'ERR_CLI_CLOSE_REFUSED'
  readonly problem = undefined
}
