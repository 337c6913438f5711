// Load over loopback for the HTTP scenarios: starts a server process (httpServer.ts) and
// drives `GET /paid` with autocannon from this process for a bounded time, each request
// carrying the `authorization` its connection asks for. Only 2xx answers count as served.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import type { Measurement, Side } from './Harness.js'
import type * as Http from './Http.js'

const serverScript = fileURLToPath(new URL('./httpServer.ts', import.meta.url))

/** A running server process. */
export type Server = { port: number; process: ChildProcess; stop(): Promise<void> }

/**
 * Starts a server process and waits until it listens. `BENCH_SERVER_CPU_PROF=<dir>` writes
 * a CPU profile of each server process under `<dir>/<binding>-<label>` (sampled every
 * `BENCH_SERVER_CPU_PROF_INTERVAL` µs, default 1000; see README: Profiling).
 */
export async function start(config: Http.Server, label: string = config.library): Promise<Server> {
  const profile = process.env.BENCH_SERVER_CPU_PROF
  const interval = process.env.BENCH_SERVER_CPU_PROF_INTERVAL ?? '1000'
  const flags = profile
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${profile}/${config.binding}-${label}`,
        `--cpu-prof-interval=${interval}`,
      ]
    : []
  const child = spawn(
    process.execPath,
    [...flags, ...process.execArgv, serverScript, JSON.stringify(config)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const kill = () => child.kill('SIGKILL')
  process.once('exit', kill)
  child.once('exit', () => process.off('exit', kill))
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      const line = buffer.split('\n').find((candidate) => candidate.startsWith('{'))
      if (line !== undefined) resolve((JSON.parse(line) as { port: number }).port)
    })
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
  })
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
  return { port, process: child, stop }
}

/** One load run's outcome. */
export type Run = {
  /** 2xx answers per second. */
  served: number
  requests: number
  seconds: number
  non2xx: number
  errors: number
  /** Latency percentiles and mean, in milliseconds (autocannon reports whole ms, mean exact). */
  p50: number
  p99: number
  mean: number
}

/** How to drive one run. */
export type Drive = {
  port: number
  connections: number
  /** Measured seconds, after `warmup` seconds that are not counted. */
  duration: number
  warmup: number
  /**
   * The `Authorization` value of the next request on a connection; `connection` is an
   * object autocannon keeps per connection (a payer's state: its channel, its next voucher).
   */
  authorization?: ((connection: Record<string, unknown>) => string) | undefined
  /** How long to wait for an answer, in seconds (default 10). */
  timeout?: number | undefined
}

/** Drives `GET /paid` for `warmup` + `duration` seconds. */
export async function drive(options: Drive): Promise<Run> {
  const { authorization } = options
  const result = await autocannon({
    url: `http://127.0.0.1:${options.port}`,
    connections: options.connections,
    duration: options.duration,
    timeout: options.timeout ?? 10,
    // Not counted: lets the server's JIT settle before the measured seconds.
    warmup: { connections: options.connections, duration: options.warmup },
    requests: [
      authorization === undefined
        ? { method: 'GET', path: '/paid' }
        : {
            method: 'GET',
            path: '/paid',
            setupRequest: (request, context) => ({
              ...request,
              headers: {
                ...request.headers,
                authorization: authorization(context as Record<string, unknown>),
              },
            }),
          },
    ],
    // `warmup` is an autocannon option its published types do not list yet.
  } as autocannon.Options)
  return {
    served: (result.requests.total - result.non2xx) / result.duration,
    requests: result.requests.total,
    seconds: result.duration,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
    mean: result.latency.mean,
  }
}

/**
 * Starts several servers at once (start-up dominates short runs on a busy machine), runs
 * `body` with them, and stops them all. A server waits idle while another is driven.
 */
export async function withServers<result>(
  configs: readonly Http.Server[],
  body: (servers: Server[]) => Promise<result>,
): Promise<result> {
  const started = await Promise.allSettled(configs.map((config) => start(config)))
  const servers = started.flatMap((outcome) =>
    outcome.status === 'fulfilled' ? [outcome.value] : [],
  )
  try {
    const failed = started.find((outcome) => outcome.status === 'rejected')
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
    return await body(servers)
  } finally {
    await Promise.all(servers.map((server) => server.stop()))
  }
}

/** Starts a server, drives it once, stops it. */
export function run(config: Http.Server, options: Omit<Drive, 'port'>): Promise<Run> {
  return withServers([config], ([server]) => drive({ ...options, port: (server as Server).port }))
}

/** `pool` cut into `count` equal parts: credentials for as many runs on one server. */
export function slices<value>(pool: readonly value[], count: number): value[][] {
  const size = Math.floor(pool.length / count)
  return Array.from({ length: count }, (_, index) => pool.slice(index * size, (index + 1) * size))
}

/** Runs over several rounds, added up: served per second over all measured seconds. */
export function total(runs: readonly Run[]): Run {
  const sum = (pick: (run: Run) => number) => runs.reduce((acc, run) => acc + pick(run), 0)
  const mean = (pick: (run: Run) => number) => sum(pick) / runs.length
  const requests = sum((run) => run.requests)
  const non2xx = sum((run) => run.non2xx)
  const seconds = sum((run) => run.seconds)
  return {
    served: (requests - non2xx) / seconds,
    requests,
    seconds,
    non2xx,
    errors: sum((run) => run.errors),
    p50: mean((run) => run.p50),
    p99: mean((run) => run.p99),
    mean: mean((run) => run.mean),
  }
}

/** A run as a table measurement (latencies in µs). */
export function measurement(
  side: Side,
  label: string,
  run: Run,
): Omit<Measurement, 'name'> & { label: string } {
  return {
    label,
    side,
    opsPerSecond: run.served,
    p50Us: run.p50 * 1000,
    p99Us: run.p99 * 1000,
    samples: run.requests,
  }
}

/** Notes on answers that were not served, never hidden. */
export function faults(label: string, run: Run): string[] {
  return run.non2xx > 0 || run.errors > 0
    ? [`${label}: ${run.non2xx} non-2xx answers and ${run.errors} errors/timeouts`]
    : []
}

/**
 * Hands out `pool` values in turn; once all are spent it starts again and says so
 * (`wrapped`), so that a reused credential is reported, never silently counted.
 */
export function spender(pool: readonly string[]): { next(): string; wrapped: boolean } {
  let index = 0
  const state = {
    wrapped: false,
    next() {
      if (index === pool.length) {
        index = 0
        state.wrapped = true
      }
      return pool[index++] as string
    },
  }
  return state
}
