// Command-line usage: argument parsing with node:util's parseArgs, turned into one error
// type that names the flag at fault and points at `--help`.
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { Errors } from '@paywire/core'

/**
 * The options of one command, in parseArgs' shape.
 *
 * @example
 * ```ts
 * import { Usage } from '@paywire/cli'
 * const options = { yes: { type: 'boolean', short: 'y' } } satisfies Usage.Options
 * ```
 */
export type Options = NonNullable<ParseArgsConfig['options']>

/**
 * Parses `args` strictly against `options` (unknown flags and missing values refused),
 * allowing positionals.
 *
 * @throws {UsageError} naming the flag at fault and the command's help.
 * @example
 * ```ts
 * import { Usage } from '@paywire/cli'
 * const { values, positionals } = Usage.parse(['-y', 'alice'], { yes: { type: 'boolean', short: 'y' } }, 'account create')
 * ```
 */
export function parse<const options extends Options>(
  args: readonly string[],
  options: options,
  command: string,
): parse.ReturnType<options> {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: true })
  } catch (cause) {
    throw new UsageError(`${(cause as Error).message.split('\n')[0]}`, { command, cause })
  }
}

export declare namespace parse {
  type ReturnType<options extends Options> = globalThis.ReturnType<
    typeof parseArgs<{ args: string[]; options: options; strict: true; allowPositionals: true }>
  >
}

/**
 * The one positional a command takes, or a usage error naming it.
 *
 * @throws {UsageError} when there is not exactly one.
 * @example
 * ```ts
 * import { Usage } from '@paywire/cli'
 * const name = Usage.single(['alice'], 'name', 'account show')
 * ```
 */
export function single(positionals: readonly string[], what: string, command: string): string {
  const [first, ...rest] = positionals
  if (first === undefined) throw new UsageError(`missing <${what}>`, { command })
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`, { command })
  return first
}

/**
 * Raised when the command line or the config file is not valid. The message ends with
 * where to read the usage.
 *
 * @example
 * ```ts
 * import { Usage } from '@paywire/cli'
 * const error = new Usage.UsageError('missing <url>', { command: 'paywire' })
 * error.code // 'ERR_CLI_USAGE'
 * ```
 */
export class UsageError extends Errors.BaseError {
  override readonly name = 'Usage.UsageError'
  readonly code = 'ERR_CLI_USAGE'
  readonly problem = undefined
  /** The command whose usage was wrong, e.g. `account create`. */
  readonly command: string

  constructor(message: string, options: { command: string; cause?: unknown }) {
    const help =
      options.command === 'paywire' ? 'paywire --help' : `paywire ${options.command} --help`
    super(`${message} (see \`${help}\`)`, { cause: options.cause })
    this.command = options.command
  }
}
