// A small benchmark harness: each task is warmed up, then measured for a fixed time in
// batches sized so that one batch takes at least ~20 µs (timer overhead stays negligible).
// Tasks of one scenario are measured in interleaved rounds (A, B, C, A, B, C, ...), so a
// burst of load from other processes on the machine hits every side alike and the ratios
// stay meaningful even when absolute numbers move.

/** One measured task: a synchronous or asynchronous operation, run repeatedly. */
export type Task = {
  name: string
  /** Who runs it: `paywire`, `mppx` or `floor`. */
  side: Side
  fn: () => unknown
}

/** The side a task measures. */
export type Side = 'paywire' | 'mppx' | 'floor'

/** The result of one task. */
export type Measurement = {
  name: string
  side: Side
  /** Operations per second over the whole measured time. */
  opsPerSecond: number
  /** Median time of one operation, in microseconds. */
  p50Us: number
  /** 99th percentile time of one operation, in microseconds. */
  p99Us: number
  /** Operations measured. */
  samples: number
}

/** How long to warm up and measure each task, in milliseconds, and in how many rounds. */
export type Budget = { warmupMs: number; timeMs: number; rounds: number }

/**
 * Measures tasks in interleaved rounds and returns one measurement per task, in order.
 *
 * @example
 * ```ts
 * const [result] = await measure([{ name: 'noop', side: 'floor', fn: () => 0 }], { warmupMs: 10, timeMs: 50, rounds: 1 })
 * ```
 */
export async function measure(tasks: readonly Task[], budget: Budget): Promise<Measurement[]> {
  const states = tasks.map((task) => ({
    task,
    batch: 1,
    ops: 0,
    elapsedNs: 0,
    perOpNs: [] as number[],
  }))
  for (const state of states) {
    state.batch = await calibrate(state.task.fn, budget.warmupMs)
  }
  const slice = budget.timeMs / budget.rounds
  for (let round = 0; round < budget.rounds; round++) {
    for (const state of states) {
      const run = await runFor(state.task.fn, state.batch, slice)
      state.ops += run.ops
      state.elapsedNs += run.elapsedNs
      for (const sample of run.perOpNs) state.perOpNs.push(sample)
    }
  }
  return states.map(({ task, ops, elapsedNs, perOpNs }) => {
    perOpNs.sort((a, b) => a - b)
    return {
      name: task.name,
      side: task.side,
      opsPerSecond: ops / (elapsedNs / 1e9),
      p50Us: percentile(perOpNs, 0.5) / 1000,
      p99Us: percentile(perOpNs, 0.99) / 1000,
      samples: ops,
    }
  })
}

/** The value at quantile `q` of sorted samples. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[index] as number
}

/** Warms a task up for `warmupMs` and returns a batch size that takes at least ~20 µs. */
async function calibrate(fn: () => unknown, warmupMs: number): Promise<number> {
  const started = performance.now()
  let batch = 1
  while (performance.now() - started < warmupMs) {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < batch; i++) {
      const value = fn()
      if (value instanceof Promise) await value
    }
    const ns = Number(process.hrtime.bigint() - t0)
    if (ns < 20_000 && batch < 1 << 16) batch *= 2
  }
  return batch
}

async function runFor(
  fn: () => unknown,
  batch: number,
  timeMs: number,
): Promise<{ ops: number; elapsedNs: number; perOpNs: number[] }> {
  const perOpNs: number[] = []
  let ops = 0
  let elapsedNs = 0
  const budgetNs = timeMs * 1e6
  while (elapsedNs < budgetNs) {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < batch; i++) {
      const value = fn()
      if (value instanceof Promise) await value
    }
    const ns = Number(process.hrtime.bigint() - t0)
    elapsedNs += ns
    ops += batch
    perOpNs.push(ns / batch)
  }
  return { ops, elapsedNs, perOpNs }
}

/**
 * Runs `concurrency` workers calling an asynchronous operation back to back for `timeMs`
 * (after `warmupMs`), timing every call: throughput and latency of a store or a server
 * under a fixed number of requests in flight.
 *
 * @example
 * ```ts
 * const result = await measureConcurrent('noop', 'floor', async () => {}, { warmupMs: 10, timeMs: 50, concurrency: 4 })
 * ```
 */
export async function measureConcurrent(
  name: string,
  side: Side,
  fn: () => Promise<unknown>,
  options: { warmupMs: number; timeMs: number; concurrency: number },
): Promise<Measurement> {
  const worker = async (until: number, samples: number[] | undefined) => {
    while (performance.now() < until) {
      const t0 = process.hrtime.bigint()
      await fn()
      samples?.push(Number(process.hrtime.bigint() - t0))
    }
  }
  const workers = (until: number, samples: number[] | undefined) =>
    Promise.all(Array.from({ length: options.concurrency }, () => worker(until, samples)))
  await workers(performance.now() + options.warmupMs, undefined)
  const samples: number[] = []
  const started = performance.now()
  await workers(started + options.timeMs, samples)
  const elapsedS = (performance.now() - started) / 1000
  samples.sort((a, b) => a - b)
  return {
    name,
    side,
    opsPerSecond: samples.length / elapsedS,
    p50Us: percentile(samples, 0.5) / 1000,
    p99Us: percentile(samples, 0.99) / 1000,
    samples: samples.length,
  }
}
