// The client under test, behind the mpp-tools adapter ABI: its command is spawned once
// per call with one JSON request on stdin; the last line of stdout is its response. Both
// streams are kept, so checks can see what the client wrote besides its answer.
import { spawn } from 'node:child_process'

/** How to start the adapter. */
export type Command = {
  /** The program and its arguments (`node` runs with this process's node). */
  command: readonly string[]
  /** Where it runs (default the current directory). */
  cwd?: string | undefined
}

/** A response of the ABI. */
export type Response =
  | { ok: true; value: unknown }
  | { ok: false; error: { type: string; message: string } }

/** What one call gave. */
export type Outcome = {
  /** The response, when the adapter wrote one. */
  response: Response | undefined
  /** Why there is no response (a crash, a timeout, no JSON). */
  failure: string | undefined
  stdout: string
  stderr: string
  durationMs: number
}

/** Most bytes of stdout or stderr kept. */
const maxOutput = 1_048_576

/**
 * Sends one ABI request to the adapter and waits for it to exit (or `timeoutMs`).
 *
 * @example
 * ```ts
 * import { ClientAdapter } from '@paywire/conformance'
 * const outcome = await ClientAdapter.call(
 *   { command: ['node', 'dist/adapters/paywire/main.js'] },
 *   { schema: 1, op: 'base64url.encode', input: { text: 'hi' } },
 * )
 * outcome.response // { ok: true, value: { text: 'aGk' } }
 * ```
 */
export function call(adapter: Command, request: unknown, timeoutMs = 20_000): Promise<Outcome> {
  const started = performance.now()
  const [program = 'node', ...args] = adapter.command
  return new Promise((resolve) => {
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    let size = 0
    let failure: string | undefined
    const child = spawn(program === 'node' ? process.execPath : program, args, {
      cwd: adapter.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const timer = setTimeout(() => {
      failure = `no answer within ${timeoutMs} ms`
      child.kill('SIGKILL')
    }, timeoutMs)
    const keep = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxOutput) into.push(chunk)
    }
    child.stdout.on('data', keep(stdout))
    child.stderr.on('data', keep(stderr))
    child.stdin.on('error', () => {})
    const finish = (status: number | null) => {
      clearTimeout(timer)
      const out = Buffer.concat(stdout).toString('utf8')
      const err = Buffer.concat(stderr).toString('utf8')
      const durationMs = Math.round(performance.now() - started)
      const parsed = failure === undefined ? lastJson(out) : undefined
      if (parsed === undefined)
        failure ??= `exit ${status}, no JSON response on stdout${err ? ` (stderr: ${err.trim().slice(0, 200)})` : ''}`
      else if (status !== 0) failure = `exit ${status} after a response`
      resolve({
        response: failure === undefined ? parsed : undefined,
        failure,
        stdout: out,
        stderr: err,
        durationMs,
      })
    }
    child.on('error', (error) => {
      failure = `cannot start ${program}: ${error.message}`
      finish(null)
    })
    child.on('close', (status) => {
      if (failure?.startsWith('cannot start')) return
      finish(status)
    })
    child.stdin.end(JSON.stringify(request))
  })
}

function lastJson(stdout: string): Response | undefined {
  const lines = stdout.trim().split('\n')
  try {
    const value = JSON.parse(lines[lines.length - 1] ?? '') as Response
    if (typeof value !== 'object' || value === null || typeof value.ok !== 'boolean')
      return undefined
    if (
      !value.ok &&
      (typeof value.error?.type !== 'string' || typeof value.error.message !== 'string')
    )
      return undefined
    return value
  } catch {
    return undefined
  }
}
