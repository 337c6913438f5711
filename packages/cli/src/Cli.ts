// The `paywire` command: routes to a subcommand (or to the request command for a URL),
// prints failures with what to do next (or as JSON under `--json`), and resolves the exit
// code. Subcommands that cannot work yet are absent rather than stubs.
import { createRequire } from 'node:module'
import * as ExitCode from './ExitCode.js'
import * as Failure from './Failure.js'
import * as Io from './Io.js'
import type * as Usage from './Usage.js'

/**
 * The top-level help.
 *
 * @example
 * ```ts
 * import { Cli } from '@paywire/cli'
 * console.log(Cli.help)
 * ```
 */
export const help = `paywire: pay HTTP 402 Payment challenges from the command line

Usage:
  paywire <url> [options]        request a URL, paying under a spending policy
  paywire account <command>      create, list, show and fund keystore accounts
  paywire agent <command>        the agent identity requests are signed with (Web Bot Auth)
  paywire ledger                 the payments made, with totals
  paywire sessions <command>     list, show and close Tempo session channels
  paywire payments <command>     reconcile the payments a paywire server recorded
  paywire dev                    run a local Tempo node and Stripe API
  paywire serve                  run a paid demo API
  paywire conformance <command>  run the conformance suite (@paywire/conformance)
  paywire discover <url>         the paid operations an origin's discovery document lists
  paywire completion <shell>     a completion script for bash, zsh or fish
  paywire <command> --help       the options of a command

${ExitCode.help}`

/**
 * One command of `paywire`: how it runs, its help, and (for the shell completions) its
 * flags and its own commands.
 *
 * @example
 * ```ts
 * import type { Cli } from '@paywire/cli'
 * const command: Cli.Command = { help: 'Usage: paywire hello', run: async () => 0 }
 * ```
 */
export type Command = {
  run(args: readonly string[], io: Io.Io): Promise<ExitCode.ExitCode>
  help: string
  flags?: Usage.Options | undefined
  subcommands?: readonly string[] | undefined
}

/**
 * The subcommands, loaded when used so that each starts with only what it needs. Any other
 * first argument is the URL of `paywire <url>` (`Request`).
 *
 * @example
 * ```ts
 * import { Cli } from '@paywire/cli'
 * Object.keys(Cli.commands) // ['account', 'agent', ...]
 * ```
 */
export const commands: Record<string, () => Promise<Command>> = {
  account: () => import('./Account.js'),
  agent: () => import('./Agent.js'),
  ledger: () => import('./Ledger.js'),
  sessions: () => import('./Sessions.js'),
  payments: () => import('./Payments.js'),
  dev: () => import('./Dev.js'),
  serve: () => import('./Serve.js'),
  conformance: () => import('./Conformance.js'),
  discover: () => import('./Discover.js'),
  completion: () => import('./Completion.js'),
}

/**
 * Runs `paywire ...args` and resolves the exit code; never rejects.
 *
 * @example
 * ```ts
 * import { Cli, Io } from '@paywire/cli'
 * process.exitCode = await Cli.run(process.argv.slice(2), Io.fromProcess())
 * ```
 */
export async function run(args: readonly string[], io: Io.Io): Promise<ExitCode.ExitCode> {
  const [first, ...rest] = args
  if (first === undefined) {
    Io.lines(io.stderr, [help])
    return ExitCode.usage
  }
  if (first === 'help' || first === '--help' || first === '-h') {
    Io.lines(io.stdout, [help])
    return ExitCode.ok
  }
  if (first === '--version') {
    io.stdout.write(`paywire ${version()}\n`)
    return ExitCode.ok
  }
  const subcommand = Object.hasOwn(commands, first) ? commands[first] : undefined
  const command: Command = await (subcommand ?? (() => import('./Request.js')))()
  if (rest.includes('--help') || rest.includes('-h')) {
    Io.lines(io.stdout, [command.help])
    return ExitCode.ok
  }
  try {
    return await command.run(subcommand === undefined ? args : rest, io)
  } catch (error) {
    const failure = Failure.from(error)
    if (args.includes('--json')) io.stdout.write(`${JSON.stringify(Failure.toJson(failure))}\n`)
    Io.lines(io.stderr, Failure.toLines(failure))
    if (io.env.PAYWIRE_DEBUG && error instanceof Error) io.stderr.write(`${error.stack}\n`)
    return failure.exitCode
  }
}

function version(): string {
  const require = createRequire(import.meta.url)
  return (require('../package.json') as { version: string }).version
}
