// `paywire conformance ...`: runs the conformance suite of @paywire/conformance, through
// its own `paywire-conformance` executable (the package's documented command line), with
// the arguments as given. Its exit status is passed through unchanged.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Errors } from '@paywire/core'
import type * as ExitCode from './ExitCode.js'
import type * as Io from './Io.js'

/**
 * The commands of `paywire conformance`, for the help and the shell completions.
 *
 * @example
 * ```ts
 * import { Conformance } from '@paywire/cli'
 * Conformance.subcommands.includes('list') // true
 * ```
 */
export const subcommands = ['list', 'server', 'help'] as const

/**
 * The help of `paywire conformance`.
 *
 * @example
 * ```ts
 * import { Conformance } from '@paywire/cli'
 * console.log(Conformance.help)
 * ```
 */
export const help = `Usage: paywire conformance <command> [options]

Runs the conformance suite of @paywire/conformance (its \`paywire-conformance\` command):
  paywire conformance list [--level MUST|SHOULD|MAY] [--json]
  paywire conformance server <url> [--config <file>] [--json <file>] [--junit <file>] ...
  paywire conformance help       the suite's full usage

Exit status is the suite's: 0 nothing failed, 1 a check failed or errored, 2 usage.`

/**
 * Runs `paywire conformance ...args`: the suite's command line, in a child process whose
 * output goes to `io`.
 *
 * @throws {SuiteUnavailableError} when @paywire/conformance or its command is missing.
 * @example
 * ```ts
 * import { Conformance, Io } from '@paywire/cli'
 * const status = await Conformance.run(['server', 'http://127.0.0.1:8402/paid'], Io.fromProcess())
 * ```
 */
export async function run(args: readonly string[], io: Io.Io): Promise<ExitCode.ExitCode> {
  const child = spawn(process.execPath, [command(), ...args], {
    env: io.env,
    stdio: ['inherit', 'pipe', 'pipe'],
  })
  child.stdout.pipe(io.stdout, { end: false })
  child.stderr.pipe(io.stderr, { end: false })
  const status = await new Promise<number>((resolve, reject) => {
    child.once('error', reject)
    // Killed by a signal: no status of its own, reported as a failure.
    child.once('close', (code) => resolve(code ?? 1))
  })
  return (status === 0 || status === 2 ? status : 1) as ExitCode.ExitCode
}

/** The path of the suite's `paywire-conformance` executable. */
function command(): string {
  const require = createRequire(import.meta.url)
  let manifest: string
  try {
    manifest = require.resolve('@paywire/conformance/package.json')
  } catch (cause) {
    throw new SuiteUnavailableError(
      '@paywire/conformance is not installed: install it next to @paywire/cli',
      { cause },
    )
  }
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: Record<string, string> }
  const path = bin?.['paywire-conformance']
  if (path === undefined)
    throw new SuiteUnavailableError(
      'this @paywire/conformance has no paywire-conformance command: update it',
    )
  return join(dirname(manifest), path)
}

/**
 * Raised when the conformance suite is not installed or has no command line.
 *
 * @example
 * ```ts
 * import { Conformance } from '@paywire/cli'
 * new Conformance.SuiteUnavailableError('missing').code // 'ERR_CLI_CONFORMANCE_UNAVAILABLE'
 * ```
 */
export class SuiteUnavailableError extends Errors.BaseError {
  override readonly name = 'Conformance.SuiteUnavailableError'
  readonly code = 'ERR_CLI_CONFORMANCE_UNAVAILABLE'
  readonly problem = undefined
}
