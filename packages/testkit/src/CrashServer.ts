// A server process that kills itself at a chosen step, for crash tests: the test starts a
// script (run with `node --conditions=@paywire/source --import tsx`) that prints `ready`
// once it listens, and arms one step through the environment; the script calls
// `CrashServer.reached(step)` at each step of its work and dies there with SIGKILL (no
// cleanup, no flush) when that step is armed. Restarted with nothing armed, it carries on
// from what its durable store kept.
import { type ChildProcess, spawn } from 'node:child_process'

/** A running server process. */
export type Running = {
  /** Resolves with the signal that ended the process (`SIGKILL` after a crash). */
  exited: Promise<NodeJS.Signals | null>
  /** Kills the process and waits for it to end. */
  stop(): Promise<void>
}

/** The environment variables that arm a step: the step, and on which reaching it dies. */
export const env = { step: 'PAYWIRE_CRASH_AT', on: 'PAYWIRE_CRASH_ON' } as const

const running = new Set<ChildProcess>()

/**
 * Starts `script` from `cwd` with `environment` added (and `crashAt`/`crashOn` armed);
 * resolves once it prints `ready`, rejects with its stderr if it exits before.
 *
 * @example
 * ```ts
 * import { CrashServer } from '@paywire/testkit'
 * const server = await CrashServer.start({ script: 'test/server.ts', cwd: '.', environment: {}, crashAt: 'handler' })
 * await server.exited // 'SIGKILL' once the step is reached
 * ```
 */
export async function start(options: start.Options): Promise<Running> {
  const child = spawn(
    process.execPath,
    ['--conditions=@paywire/source', '--import', 'tsx', options.script],
    {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ...options.environment,
        [env.step]: options.crashAt ?? '',
        [env.on]: String(options.crashOn ?? 1),
      },
    },
  )
  running.add(child)
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => {
      running.delete(child)
      resolve(signal)
    }),
  )
  let stderr = ''
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk)
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      if (String(chunk).includes('ready')) resolve()
    })
    void exited.then(() => reject(new Error(`the server exited before listening: ${stderr}`)))
  })
  return {
    exited,
    async stop() {
      child.kill('SIGKILL')
      await exited
    },
  }
}

export declare namespace start {
  type Options = {
    /** The server script (absolute, or relative to `cwd`). */
    script: string
    /** Where it runs (the workspace root, so `tsx` and the source condition resolve). */
    cwd: string
    /** Added to the process's environment. */
    environment: Record<string, string>
    /** The step to die at; none by default. */
    crashAt?: string | undefined
    /** Die the n-th time the step is reached (default 1). */
    crashOn?: number | undefined
  }
}

/**
 * Kills every server process this module started and that is still running (for a test
 * file's `afterAll`).
 *
 * @example
 * ```ts
 * import { CrashServer } from '@paywire/testkit'
 * import { afterAll } from 'vitest'
 * afterAll(() => CrashServer.stopAll())
 * ```
 */
export function stopAll(): void {
  for (const child of running) child.kill('SIGKILL')
}

/**
 * In the server script: the step armed by the environment (checked against `steps`), and
 * a `reached(step)` that dies the armed-th time the armed step is reached.
 *
 * @example
 * ```ts
 * import { CrashServer } from '@paywire/testkit'
 * const steps = ['verified', 'handler'] as const
 * const { reached } = CrashServer.arm(steps)
 * await reached('verified')
 * ```
 */
export function arm<step extends string>(
  steps: readonly step[],
): { armed: step | undefined; reached(step: step): Promise<void> } {
  const armed = (process.env[env.step] || undefined) as step | undefined
  if (armed !== undefined && !steps.includes(armed)) throw new Error(`unknown ${env.step} ${armed}`)
  let remaining = Number(process.env[env.on] ?? '1')
  return {
    armed,
    async reached(step) {
      if (step !== armed) return
      remaining -= 1
      if (remaining > 0) return
      process.kill(process.pid, 'SIGKILL')
      await new Promise(() => undefined)
    },
  }
}

/**
 * In the server script: a required environment variable (the test hands each setting in).
 *
 * @throws {Error} naming the variable when it is missing or empty.
 * @example
 * ```ts
 * import { CrashServer } from '@paywire/testkit'
 * const port = Number(CrashServer.setting('CRASH_PORT'))
 * ```
 */
export function setting(name: string): string {
  const value = process.env[name]
  if (value === undefined || value === '') throw new Error(`${name} is not set`)
  return value
}
