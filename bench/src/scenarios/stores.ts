// Scenario 6: stores. Single-use claims per second (each claim a new key, as each paid
// request claims its challenge) with 16 claims in flight, for each paywire store, and for
// mppx's memory store (mppx 0.11.0 has no PostgreSQL or SQLite store, and its Redis
// adapter has no atomic claim unless the client brings its own `update`). A store whose
// package or service is not available is reported as skipped, with the reason.
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import type { Store } from '@paywire/core'
import { Store as MppxStore } from 'mppx'
import { type Measurement, measureConcurrent } from '../Harness.js'
import type { Row, ScenarioResult } from '../Report.js'

const concurrency = 16

type Candidate = { label: string; open: () => Promise<Store.Store & { close?(): Promise<void> }> }

/** Runs scenario 6. */
export async function run(quick: boolean): Promise<ScenarioResult> {
  const timing = quick
    ? { warmupMs: 50, timeMs: 200, concurrency }
    : { warmupMs: 500, timeMs: 3_000, concurrency }
  const run = `${process.pid}-${Date.now().toString(36)}`
  const sqlitePath = `${tmpdir()}/paywire-bench-${run}.sqlite`
  const candidates: Candidate[] = [
    {
      label: 'memory (@paywire/store-memory)',
      open: async () =>
        (await import('@paywire/store-memory')).MemoryStore.create({ maxEntries: 10_000_000 }),
    },
    {
      label: 'Redis (@paywire/store-redis)',
      open: async () =>
        (await import('@paywire/store-redis')).RedisStore.create({
          url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
          prefix: `paywire-bench:${run}:`,
        }),
    },
    {
      label: 'PostgreSQL (@paywire/store-postgres)',
      open: async () =>
        (await import('@paywire/store-postgres')).PostgresStore.create({
          connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
          table: 'paywire_bench_store',
          maxConnections: concurrency,
        }),
    },
    {
      label: 'SQLite (@paywire/store-sqlite)',
      open: async () =>
        (await import('@paywire/store-sqlite')).SqliteStore.create({ path: sqlitePath }),
    },
  ]
  const rows: Row[] = []
  const skipped: string[] = []
  let memory: Measurement | undefined
  for (const candidate of candidates) {
    let store: Awaited<ReturnType<Candidate['open']>>
    try {
      store = await candidate.open()
      // A store that cannot reach its backend fails here, before anything is measured.
      if (!(await store.claim(`paywire:bench:probe:${run}`, { ttlSeconds: 60 })))
        throw new Error('the probe claim was refused')
    } catch (error) {
      skipped.push(
        `${candidate.label}: not available (${error instanceof Error ? error.message : String(error)})`,
      )
      continue
    }
    let i = 0
    try {
      const measured = await measureConcurrent(
        'claim (new key each time)',
        'paywire',
        async () => {
          if (!(await store.claim(`paywire:challenge:${run}:${i++}`, { ttlSeconds: 120 })))
            throw new Error('claim of a new key refused')
        },
        timing,
      )
      if (candidate.label.startsWith('memory')) memory = measured
      rows.push({
        scenario: 6,
        case: candidate.label,
        unit: 'claims/s',
        measurements: [{ ...measured, label: measured.name }],
        ratios: [],
        notes: [],
      })
    } finally {
      await store.close?.()
    }
  }
  rmSync(sqlitePath, { force: true })
  for (const suffix of ['-wal', '-shm']) rmSync(`${sqlitePath}${suffix}`, { force: true })

  const mppxStore = MppxStore.memory()
  let j = 0
  const expires = Date.now() + 120_000
  const mppx = await measureConcurrent(
    'Store.tryClaim (new key each time)',
    'mppx',
    async () => {
      if (!(await MppxStore.tryClaim(mppxStore, `mppx:challenge:${run}:${j++}`, expires)))
        throw new Error('claim of a new key refused')
    },
    timing,
  )
  const memoryRow = rows.find((row) => row.case.startsWith('memory'))
  if (memoryRow !== undefined && memory !== undefined) {
    memoryRow.measurements.push({ ...mppx, label: `${mppx.name}, Store.memory()` })
    memoryRow.ratios.push({
      name: 'paywire / mppx throughput (no target is set for stores)',
      value: memory.opsPerSecond / mppx.opsPerSecond,
    })
  }
  for (const row of rows)
    if (!row.case.startsWith('memory'))
      row.notes.push('mppx 0.11.0 has no atomic claim for this backend: no comparison')
  return { scenario: 6, title: `Stores: claims/s, ${concurrency} in flight`, rows, skipped }
}
