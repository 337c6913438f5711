// `paywire dev`: the local services to develop against, until interrupted: a Tempo node
// (anvil in Tempo mode, from @paywire/testkit) with its funded dev accounts, and the local
// Stripe-compatible API. It records the node in <home>/dev.json so `paywire <url>
// --account` and `paywire account fund` find it.
import { rmSync } from 'node:fs'
import { StripeServer, TempoNode } from '@paywire/testkit'
import * as AtomicFile from './AtomicFile.js'
import * as ExitCode from './ExitCode.js'
import * as Home from './Home.js'
import * as Io from './Io.js'
import * as Progress from './Progress.js'
import * as Usage from './Usage.js'

/**
 * The help of `paywire dev`.
 *
 * @example
 * ```ts
 * import { Dev } from '@paywire/cli'
 * console.log(Dev.help)
 * ```
 */
export const help = `Usage: paywire dev [options]

Starts a local Tempo node and a local Stripe-compatible API on 127.0.0.1, prints their
URLs and the node's funded dev accounts (keys included: they are public test keys), and
runs until interrupted. Nothing here moves real money.

Options:
  --home <dir>   home directory where the node is recorded for other commands
  --json         print one JSON object as the first stdout line:
                 { rpcUrl, chainId, pathUsd, accounts: [{ address, privateKey }], stripe: { url, accounts } }`

export const flags = {
  home: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies Usage.Options

/**
 * Runs `paywire dev`; resolves once SIGINT or SIGTERM has stopped the services.
 *
 * @example
 * ```ts
 * import { Dev, Io } from '@paywire/cli'
 * await Dev.run(['--json'], Io.fromProcess())
 * ```
 */
export async function run(args: readonly string[], io: Io.Io): Promise<ExitCode.ExitCode> {
  const { values, positionals } = Usage.parse(args, flags, 'dev')
  if (positionals.length > 0)
    throw new Usage.UsageError(`unexpected argument "${positionals[0]}"`, { command: 'dev' })
  const home = Home.from({ home: values.home, env: io.env })
  Home.ensure(home)
  const node = await Progress.during(io.stderr, 'starting the local Tempo node', TempoNode.start())
  let stripe: StripeServer.StripeServer | undefined
  try {
    stripe = await StripeServer.start()
    const record = JSON.stringify({ rpcUrl: node.rpcUrl, chainId: node.chainId })
    await AtomicFile.replace(home.dev, record, { mode: 0o600 })
    const description = {
      rpcUrl: node.rpcUrl,
      chainId: node.chainId,
      pathUsd: TempoNode.pathUsd,
      accounts: node.accounts.map(({ address, privateKey }) => ({ address, privateKey })),
      stripe: {
        url: stripe.url,
        accounts: [...stripe.accounts.values()].map(({ id, secretKey }) => ({ id, secretKey })),
      },
    }
    if (values.json === true) io.stdout.write(`${JSON.stringify(description)}\n`)
    else Io.lines(io.stdout, lines(description))
    await Io.stopped()
  } finally {
    rmSync(home.dev, { force: true })
    await stripe?.close()
    await node.stop()
  }
  return ExitCode.ok
}

function lines(description: {
  rpcUrl: string
  chainId: number
  pathUsd: string
  accounts: Array<{ address: string; privateKey: string }>
  stripe: { url: string; accounts: Array<{ id: string; secretKey: string }> }
}): string[] {
  return [
    `tempo node:  ${description.rpcUrl} (chain ${description.chainId}; pathUSD ${description.pathUsd})`,
    'funded dev accounts (public test keys, each with pathUSD):',
    ...description.accounts.map(
      (account, index) => `  ${index}  ${account.address}  ${account.privateKey}`,
    ),
    `stripe API:  ${description.stripe.url}`,
    ...description.stripe.accounts.map((account) => `  ${account.id}  ${account.secretKey}`),
    '',
    'next: paywire account create alice && paywire account fund alice',
    'press Ctrl-C to stop',
  ]
}
