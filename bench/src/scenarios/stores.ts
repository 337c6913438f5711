// Scenario 6: stores. Single-use claims per second (each claim a new key, as each paid
// request claims its challenge) with 16 claims in flight, for each paywire store against
// its raw engine doing the same atomic operation with the same client library, in one run
// (src/Engines.ts): Redis `SET NX PX` with 16 in flight (ioredis writes them back to back: a
// pipeline), and in a tight loop of explicit pipelines (the engine's ceiling), PostgreSQL
// `INSERT ... ON CONFLICT DO NOTHING` (prepared, 16 connections), SQLite the same in WAL mode
// (synchronous FULL as the store, and NORMAL). The memory store
// is compared with mppx's (mppx 0.11.0 has no PostgreSQL or SQLite store, and its Redis
// adapter has no atomic claim unless the client brings its own `update`). A store whose
// package or service is not available is reported as skipped, with the reason.
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import type { Store } from '@paywire/core'
import { Store as MppxStore } from 'mppx'
import * as Engines from '../Engines.js'
import { type Measurement, measureConcurrent, type Side } from '../Harness.js'
import { atMost, type Row, type ScenarioResult } from '../Report.js'

const concurrency = 16
const ttlSeconds = 120
/** Explicit Redis pipelines kept in flight at once: the engine's ceiling, not a like-for-like. */
const pipelinesInFlight = 4

type Timing = { warmupMs: number; timeMs: number; concurrency: number }
type Opened = Store.Store & { close?(): Promise<void> }
type Backend = {
  label: string
  open: () => Promise<Opened>
  /** The raw engines to compare with, each measured as its `claim` runs. */
  raw: () => Promise<Array<{ label: string; engine: Engines.Engine; batch?: number }>>
}

/** Where the services are: the local ones of `.ci/run` unless the environment says otherwise. */
export const services = {
  redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  postgres: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
}

/** Runs scenario 6. */
export async function run(quick: boolean): Promise<ScenarioResult> {
  const timing: Timing = quick
    ? { warmupMs: 50, timeMs: 200, concurrency }
    : { warmupMs: 300, timeMs: 2_000, concurrency }
  const run = `${process.pid}-${Date.now().toString(36)}`
  const sqlitePath = `${tmpdir()}/paywire-bench-${run}.sqlite`
  const rawSqlite = (synchronous: 'FULL' | 'NORMAL') =>
    `${tmpdir()}/paywire-bench-raw-${synchronous}-${run}.sqlite`
  const backends: Backend[] = [
    {
      label: 'memory (@paywire/store-memory)',
      open: async () =>
        (await import('@paywire/store-memory')).MemoryStore.create({ maxEntries: 10_000_000 }),
      raw: async () => [],
    },
    {
      label: 'Redis (@paywire/store-redis)',
      open: async () =>
        (await import('@paywire/store-redis')).RedisStore.create({
          url: services.redis,
          prefix: `paywire-bench:${run}:`,
        }),
      raw: async () => [
        {
          label: `raw SET NX PX, ${concurrency} commands in flight (ioredis pipelines them)`,
          engine: await Engines.redis(services.redis),
        },
        {
          label: `raw SET NX PX, explicit pipelines of ${concurrency}, ${pipelinesInFlight} in flight`,
          engine: await Engines.redis(services.redis),
          batch: concurrency,
        },
      ],
    },
    {
      label: 'PostgreSQL (@paywire/store-postgres)',
      open: async () =>
        (await import('@paywire/store-postgres')).PostgresStore.create({
          connectionString: services.postgres,
          table: 'paywire_bench_store',
          maxConnections: concurrency,
        }),
      raw: async () => [
        {
          label: `raw INSERT ... ON CONFLICT DO NOTHING (prepared, ${concurrency} connections)`,
          engine: await Engines.postgres(services.postgres, 'paywire_bench_raw', concurrency),
        },
      ],
    },
    {
      label: 'SQLite (@paywire/store-sqlite)',
      open: async () =>
        (await import('@paywire/store-sqlite')).SqliteStore.create({ path: sqlitePath }),
      raw: async () => [
        {
          label: 'raw INSERT ... ON CONFLICT DO NOTHING (WAL, synchronous FULL)',
          engine: Engines.sqlite(rawSqlite('FULL'), 'FULL'),
        },
        {
          label: 'raw INSERT ... ON CONFLICT DO NOTHING (WAL, synchronous NORMAL)',
          engine: Engines.sqlite(rawSqlite('NORMAL'), 'NORMAL'),
        },
      ],
    },
  ]
  const rows: Row[] = []
  const skipped: string[] = []
  try {
    for (const backend of backends) {
      const row = await measureBackend(backend, timing, run).catch((error: unknown) => {
        skipped.push(
          `${backend.label}: not available (${error instanceof Error ? error.message : String(error)})`,
        )
        return undefined
      })
      if (row !== undefined) rows.push(row)
    }
  } finally {
    for (const path of [sqlitePath, rawSqlite('FULL'), rawSqlite('NORMAL')])
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true })
  }
  const memoryRow = rows.find((row) => row.case.startsWith('memory'))
  if (memoryRow !== undefined) {
    const mppx = await mppxMemory(timing, run)
    memoryRow.measurements.push({ ...mppx, label: `${mppx.name}, Store.memory()` })
    memoryRow.ratios.push({
      name: 'paywire / mppx throughput (no target is set for the memory store)',
      value: (memoryRow.measurements[0]?.opsPerSecond ?? Number.NaN) / mppx.opsPerSecond,
    })
  }
  return {
    scenario: 6,
    title: `Stores: claims/s, ${concurrency} in flight, against their raw engines`,
    rows,
    skipped,
  }
}

async function measureBackend(backend: Backend, timing: Timing, run: string): Promise<Row> {
  const store = await backend.open()
  const measurements: Array<Omit<Measurement, 'name'> & { label: string }> = []
  try {
    // A store that cannot reach its backend fails here, before anything is measured.
    if (!(await store.claim(`paywire:bench:probe:${run}`, { ttlSeconds: 60 })))
      throw new Error('the probe claim was refused')
    let i = 0
    const measured = await measureConcurrent(
      'store claim (new key each time)',
      'paywire',
      async () => {
        if (!(await store.claim(`paywire:challenge:${run}:${i++}`, { ttlSeconds })))
          throw new Error('claim of a new key refused')
      },
      timing,
    )
    measurements.push({ ...measured, label: measured.name })
  } finally {
    await store.close?.()
  }
  const raws = await backend.raw()
  const ratios: Row['ratios'] = []
  for (const [index, { label, engine, batch }] of raws.entries()) {
    try {
      const measured = await measureRaw(label, engine, timing, `${run}:${index}`, batch)
      measurements.push({ ...measured, label })
    } finally {
      await engine.close()
    }
  }
  const [claims, raw] = measurements as [(typeof measurements)[number], ...typeof measurements]
  if (raw !== undefined)
    ratios.push(atMost('raw engine / store claims/s', raw.opsPerSecond / claims.opsPerSecond, 2))
  return {
    scenario: 6,
    case: backend.label,
    unit: 'claims/s',
    measurements,
    ratios,
    notes:
      raws.length === 0
        ? []
        : [
            `the first raw row is the target: the same operation through the same client library with the same ${concurrency} in flight; a pipelined row's latencies are per round trip of ${concurrency} commands`,
          ],
  }
}

/** Claims of new keys on a raw engine: one at a time with 16 in flight, or in batches. */
async function measureRaw(
  label: string,
  engine: Engines.Engine,
  timing: Timing,
  run: string,
  batch: number | undefined,
): Promise<Measurement> {
  let i = 0
  const side: Side = 'floor'
  const ttlMs = ttlSeconds * 1000
  if (batch === undefined)
    return measureConcurrent(
      label,
      side,
      async () => {
        if (!(await engine.claim(`paywire-bench-raw:${run}:${i++}`, ttlMs)))
          throw new Error('raw claim of a new key refused')
      },
      timing,
    )
  const measured = await measureConcurrent(
    label,
    side,
    async () => {
      const keys = Array.from({ length: batch }, () => `paywire-bench-raw:${run}:${i++}`)
      if ((await engine.claimBatch(keys, ttlMs)) !== batch)
        throw new Error('raw claim of a new key refused')
    },
    { ...timing, concurrency: pipelinesInFlight },
  )
  return {
    ...measured,
    opsPerSecond: measured.opsPerSecond * batch,
    samples: measured.samples * batch,
  }
}

async function mppxMemory(timing: Timing, run: string): Promise<Measurement> {
  const store = MppxStore.memory()
  let j = 0
  const expires = Date.now() + ttlSeconds * 1000
  return measureConcurrent(
    'Store.tryClaim (new key each time)',
    'mppx',
    async () => {
      if (!(await MppxStore.tryClaim(store, `mppx:challenge:${run}:${j++}`, expires)))
        throw new Error('claim of a new key refused')
    },
    timing,
  )
}
