// The process streams and environment a command runs with: passed in, never read from
// globals inside commands, so a command can run in-process as well as from the binary.

/**
 * Where a command reads and writes.
 *
 * @example
 * ```ts
 * import { Io } from '@paywire/cli'
 * const io: Io.Io = Io.fromProcess()
 * io.stderr.write('hello\n')
 * ```
 */
export type Io = {
  stdin: NodeJS.ReadStream
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WriteStream
  env: NodeJS.ProcessEnv
}

/**
 * The current process's streams and environment.
 *
 * @example
 * ```ts
 * import { Io } from '@paywire/cli'
 * const io = Io.fromProcess()
 * ```
 */
export function fromProcess(): Io {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env }
}

/**
 * Writes lines to a stream.
 *
 * @example
 * ```ts
 * import { Io } from '@paywire/cli'
 * Io.lines(process.stderr, ['one', 'two'])
 * ```
 */
export function lines(stream: NodeJS.WritableStream, text: readonly string[]): void {
  if (text.length > 0) stream.write(`${text.join('\n')}\n`)
}

/**
 * Resolves once the process receives SIGINT or SIGTERM: how a long-running command
 * (`dev`, `serve`, `agent serve`) waits to stop.
 *
 * @example
 * ```ts
 * import { Io } from '@paywire/cli'
 * await Io.stopped()
 * ```
 */
export function stopped(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}
