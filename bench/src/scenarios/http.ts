// Scenario 5: HTTP over loopback. The same route, `GET /paid`, served unpaid (the floor)
// and paid, for the Node `http` and Hono bindings; the server runs in its own process and
// autocannon drives it from this one, for a bounded time. paywire's session method has no
// HTTP binding in this tree yet, so each paid request carries its own credential (the
// testkit's test method, charge intent): binding check, expiry, price, single-use claim, method verification and
// receipt on every request. Unpaid and paid runs alternate, twice each.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import * as Http from '../Http.js'
import { atLeast, below, type Row, type ScenarioResult } from '../Report.js'

const serverScript = fileURLToPath(new URL('../httpServer.ts', import.meta.url))
const connections = 10

type Run = {
  requests: number
  seconds: number
  non2xx: number
  errors: number
  p50: number[]
  p99: number[]
  mean: number[]
}

/** Runs scenario 5. */
export async function run(quick: boolean): Promise<ScenarioResult> {
  const duration = quick ? 1 : 5
  const warmup = quick ? 0.5 : 1.5
  const rounds = quick ? 1 : 2
  const rows: Row[] = []
  for (const binding of ['node', 'hono'] as const) {
    // Enough credentials for the fastest paid runs we expect (warm-up included), never reused.
    const pool = await Http.credentials(quick ? 10_000 : 160_000)
    let next = 0
    let wrapped = false
    const totals: Record<'unpaid' | 'paid', Run> = {
      unpaid: { requests: 0, seconds: 0, non2xx: 0, errors: 0, p50: [], p99: [], mean: [] },
      paid: { requests: 0, seconds: 0, non2xx: 0, errors: 0, p50: [], p99: [], mean: [] },
    }
    for (let round = 0; round < rounds; round++)
      for (const mode of ['unpaid', 'paid'] as const) {
        const server = await start(binding, mode)
        try {
          const result = await autocannon({
            url: `http://127.0.0.1:${server.port}`,
            connections,
            duration,
            // Not counted: lets the server's JIT settle before the measured seconds.
            warmup: { connections, duration: warmup },
            requests: [
              {
                method: 'GET',
                path: '/paid',
                setupRequest: (request) => {
                  // The unpaid route ignores the header: it gets the same bytes, reused.
                  if (next === pool.length) {
                    next = 0
                    if (mode === 'paid') wrapped = true
                  }
                  const authorization = pool[mode === 'paid' ? next++ : 0] as string
                  return { ...request, headers: { ...request.headers, authorization } }
                },
              },
            ],
            // `warmup` is an autocannon option its published types do not list yet.
          } as autocannon.Options)
          const total = totals[mode]
          total.requests += result.requests.total
          total.seconds += result.duration
          total.non2xx += result.non2xx
          total.errors += result.errors + result.timeouts
          total.p50.push(result.latency.p50)
          total.p99.push(result.latency.p99)
          total.mean.push(result.latency.mean)
        } finally {
          const exited = once(server.process, 'exit')
          server.process.kill('SIGTERM')
          const timer = setTimeout(() => server.process.kill('SIGKILL'), 5_000)
          await exited
          clearTimeout(timer)
        }
      }
    // Only 2xx answers count: a refused (402) request is not a served one.
    const rate = (r: Run) => (r.requests - r.non2xx) / r.seconds
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length
    const unpaid = totals.unpaid
    const paid = totals.paid
    const entry = (side: 'floor' | 'paywire', label: string, r: Run) => ({
      side,
      label,
      opsPerSecond: rate(r),
      p50Us: mean(r.p50) * 1000,
      p99Us: mean(r.p99) * 1000,
      samples: r.requests,
    })
    const notes: string[] = []
    if (wrapped) notes.push('the credential pool wrapped: some paid requests were replays (402)')
    if (paid.non2xx > 0 || paid.errors > 0)
      notes.push(`paid route: ${paid.non2xx} non-2xx answers and ${paid.errors} errors/timeouts`)
    if (unpaid.non2xx > 0 || unpaid.errors > 0)
      notes.push(
        `unpaid route: ${unpaid.non2xx} non-2xx answers and ${unpaid.errors} errors/timeouts`,
      )
    notes.push(
      `${connections} connections, ${rounds} x ${duration} s per side after ${warmup} s of warm-up; a fresh credential per paid request (paywire's session method has no HTTP binding in this tree yet)`,
    )
    rows.push({
      scenario: 5,
      case:
        binding === 'node'
          ? 'Node http binding (paywall middleware)'
          : 'Hono binding (@hono/node-server)',
      unit: 'req/s',
      measurements: [
        entry('floor', 'GET /paid, unpaid (same handler)', unpaid),
        entry('paywire', 'GET /paid, paid (credential per request)', paid),
      ],
      ratios: [
        atLeast('paid / unpaid req/s', rate(paid) / rate(unpaid), 0.85),
        below('added p50 (ms; autocannon reports whole ms)', mean(paid.p50) - mean(unpaid.p50), 1),
        {
          name: 'added mean latency (ms, informative)',
          value: mean(paid.mean) - mean(unpaid.mean),
        },
      ],
      notes,
    })
  }
  return {
    scenario: 5,
    title: 'HTTP over loopback: paid route against the same route unpaid',
    rows,
    skipped: [],
  }
}

async function start(
  binding: string,
  mode: string,
): Promise<{ port: number; process: ChildProcess }> {
  // BENCH_SERVER_CPU_PROF=<dir> profiles each server process (see README: Profiling).
  const profile = process.env.BENCH_SERVER_CPU_PROF
  const flags = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}/${binding}-${mode}`] : []
  const child = spawn(
    process.execPath,
    [...flags, ...process.execArgv, serverScript, binding, mode],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const stop = () => child.kill('SIGKILL')
  process.once('exit', stop)
  child.once('exit', () => process.off('exit', stop))
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      const line = buffer.split('\n').find((candidate) => candidate.startsWith('{'))
      if (line !== undefined) resolve((JSON.parse(line) as { port: number }).port)
    })
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
  })
  return { port, process: child }
}
