// Questions asked on the terminal: a confirmation before paying, and a passphrase read
// without echo. Only when stdin and stderr are a TTY; a script gets an error that says
// which flag or variable to use instead, never a hang on a prompt nobody sees.
import { Errors } from '@paywire/core'

/**
 * The terminal the CLI talks to (the process's stdin and stderr by default).
 *
 * @example
 * ```ts
 * import { Prompt } from '@paywire/cli'
 * const terminal: Prompt.Terminal = { input: process.stdin, output: process.stderr }
 * ```
 */
export type Terminal = { input: NodeJS.ReadStream; output: NodeJS.WriteStream }

/**
 * Whether questions can be asked: stdin and stderr are both a TTY.
 *
 * @example
 * ```ts
 * import { Prompt } from '@paywire/cli'
 * if (!Prompt.interactive({ input: process.stdin, output: process.stderr })) console.error('pass --yes')
 * ```
 */
export function interactive(terminal: Terminal): boolean {
  return terminal.input.isTTY === true && terminal.output.isTTY === true
}

/**
 * Asks a yes/no question; resolves `true` only for `y` or `yes`.
 *
 * @throws {NotInteractiveError} when there is no terminal to ask on.
 * @example
 * ```ts
 * import { Prompt } from '@paywire/cli'
 * const yes = await Prompt.confirm({ input: process.stdin, output: process.stderr }, 'Pay 1000 usd?', 'pass --yes')
 * ```
 */
export async function confirm(terminal: Terminal, question: string, instead: string) {
  if (!interactive(terminal))
    throw new NotInteractiveError(`cannot ask "${question}": not a terminal; ${instead}`)
  const answer = await readLine(terminal, `${question} [y/N] `, true)
  return /^(y|yes)$/i.test(answer.trim())
}

/**
 * The passphrase: `PAYWIRE_PASSPHRASE` when set, else read from the terminal without
 * echo (asked twice when `confirmNew`).
 *
 * @throws {NotInteractiveError} when neither is available.
 * @throws {PassphraseMismatchError} when the two entries of a new passphrase differ.
 * @example
 * ```ts
 * import { Prompt } from '@paywire/cli'
 * const passphrase = await Prompt.passphrase({ input: process.stdin, output: process.stderr }, process.env)
 * ```
 */
export async function passphrase(
  terminal: Terminal,
  env: NodeJS.ProcessEnv,
  options: { confirmNew?: boolean } = {},
): Promise<string> {
  const fromEnv = env.PAYWIRE_PASSPHRASE
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  if (!interactive(terminal))
    throw new NotInteractiveError(
      'the keystore passphrase is needed: set PAYWIRE_PASSPHRASE or run on a terminal',
    )
  const first = await readLine(terminal, 'Keystore passphrase: ', false)
  if (options.confirmNew !== true) return first
  const second = await readLine(terminal, 'Repeat the passphrase: ', false)
  if (first !== second) throw new PassphraseMismatchError('the two passphrases differ')
  return first
}

/** Reads one line from a TTY, echoing it or not; Ctrl-C and Ctrl-D abort. */
function readLine(terminal: Terminal, question: string, echo: boolean): Promise<string> {
  const { input, output } = terminal
  return new Promise((resolve, reject) => {
    let line = ''
    const wasRaw = input.isRaw
    // Raw (no echo) before the question shows: nothing typed after it is ever echoed.
    input.setRawMode(true)
    output.write(question)
    input.resume()
    const done = (error: Error | undefined) => {
      input.setRawMode(wasRaw)
      input.pause()
      input.off('data', onData)
      output.write('\n')
      if (error === undefined) resolve(line)
      else reject(error)
    }
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return done(undefined)
        if (char === '\u0003' || char === '\u0004')
          return done(new NotInteractiveError('cancelled at the prompt'))
        if (char === '\u007f' || char === '\b') {
          if (line.length > 0 && echo) output.write('\b \b')
          line = line.slice(0, -1)
        } else if (char >= ' ') {
          line += char
          if (echo) output.write(char)
        }
      }
    }
    input.on('data', onData)
  })
}

/**
 * Raised when a question would have to be asked but there is no terminal (or it was
 * cancelled). The message names the flag or variable to use instead.
 *
 * @example
 * ```ts
 * import { Prompt } from '@paywire/cli'
 * const error = new Prompt.NotInteractiveError('pass --yes')
 * error.code // 'ERR_CLI_NOT_INTERACTIVE'
 * ```
 */
export class NotInteractiveError extends Errors.BaseError {
  override readonly name = 'Prompt.NotInteractiveError'
  readonly code = 'ERR_CLI_NOT_INTERACTIVE'
  readonly problem = undefined
}

/** Raised when the two entries of a new passphrase differ. */
export class PassphraseMismatchError extends Errors.BaseError {
  override readonly name = 'Prompt.PassphraseMismatchError'
  readonly code = 'ERR_CLI_PASSPHRASE_MISMATCH'
  readonly problem = undefined
}
