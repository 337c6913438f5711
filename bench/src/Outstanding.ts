// Stores holding many outstanding challenges: each paywire store is given `count` claims
// (live, unexpired, as the store itself writes them: the same keys, values, versions and
// expiries, written in bulk by the engine, since a million single claims would take most of
// the run), then measured: the space the engine uses for them, and the latency of new claims
// through the store, empty and full. Everything written is removed afterwards.
import { rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import type { Store } from '@paywire/core'
import { PostgresStore } from '@paywire/store-postgres'
import { RedisStore } from '@paywire/store-redis'
import { SqliteStore } from '@paywire/store-sqlite'
import Database from 'better-sqlite3'
import { Redis } from 'ioredis'
import pg from 'pg'
import { type Measurement, measureConcurrent } from './Harness.js'
import { services } from './scenarios/stores.js'

/** The outcome for one store: bytes per claim, and claim latency empty and full. */
export type Outcome = {
  label: string
  bytesPerClaim: number
  empty: Measurement
  full: Measurement
  fillSeconds: number
}

/** How long to measure claims, and with how many in flight. */
export type Timing = { warmupMs: number; timeMs: number; concurrency: number }

const ttlSeconds = 600
const key = (run: string, i: number) => `paywire:challenge:${run}:${i.toString(36)}`

/** What differs between engines: how to fill one, how to size it, how to clean up. */
type Engine = {
  label: string
  store: Store.Store & { close(): Promise<void> }
  /** Bytes the engine uses now. */
  size(): Promise<number>
  /** Writes `count` claims as the store writes them. */
  fill(count: number): Promise<void>
  /** Removes everything the measurement wrote; runs even when it failed. */
  cleanup(): Promise<void>
}

/** Latency empty, size, fill, size, latency full; then the engine is cleaned up. */
async function measure(engine: Engine, count: number, timing: Timing): Promise<Outcome> {
  const run = `outstanding-${process.pid}-${Date.now().toString(36)}`
  try {
    const empty = await latency(engine.store, `${run}:empty`, timing)
    const before = await engine.size()
    const started = performance.now()
    await engine.fill(count)
    const fillSeconds = (performance.now() - started) / 1000
    const after = await engine.size()
    const full = await latency(engine.store, `${run}:full`, timing)
    return {
      label: engine.label,
      bytesPerClaim: (after - before) / count,
      empty,
      full,
      fillSeconds,
    }
  } finally {
    await engine.store.close()
    await engine.cleanup()
  }
}

/** Redis: claims written by pipelines, space from `INFO memory`. */
export async function redis(count: number, timing: Timing): Promise<Outcome> {
  const prefix = `paywire-bench:outstanding-${process.pid}-${Date.now().toString(36)}:`
  const client = new Redis(services.redis, { maxRetriesPerRequest: 0 })
  const pipelined = async (write: (pipeline: ReturnType<Redis['pipeline']>, i: number) => void) => {
    for (let from = 0; from < count; from += 10_000) {
      const pipeline = client.pipeline()
      for (let i = from; i < Math.min(count, from + 10_000); i++) write(pipeline, i)
      await pipeline.exec()
    }
  }
  return measure(
    {
      label: 'Redis (@paywire/store-redis)',
      store: RedisStore.create({ url: services.redis, prefix }),
      size: async () =>
        Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1] ?? Number.NaN),
      // What the store writes for a claim: a 16-letter random version, a space, `true`.
      fill: () =>
        pipelined((pipeline, i) =>
          pipeline.set(
            `${prefix}${key('fill', i)}`,
            `${i.toString(36).padStart(16, 'v')} true`,
            'PX',
            ttlSeconds * 1000,
          ),
        ),
      cleanup: async () => {
        await pipelined((pipeline, i) => pipeline.unlink(`${prefix}${key('fill', i)}`))
        await client.quit()
      },
    },
    count,
    timing,
  )
}

/** PostgreSQL: the store's own table, filled by one `INSERT ... SELECT`; its total size. */
export async function postgres(count: number, timing: Timing): Promise<Outcome> {
  const table = 'paywire_bench_outstanding'
  const pool = new pg.Pool({ connectionString: services.postgres, max: 2 })
  const drop = `DROP TABLE IF EXISTS ${table}; DROP SEQUENCE IF EXISTS ${table}_version`
  await pool.query(drop)
  await pool.query(PostgresStore.migration({ table }))
  return measure(
    {
      label: 'PostgreSQL (@paywire/store-postgres)',
      store: PostgresStore.create({
        connectionString: services.postgres,
        table,
        maxConnections: timing.concurrency,
      }),
      size: async () =>
        Number(
          (await pool.query(`SELECT pg_total_relation_size('${table}') AS bytes`)).rows[0].bytes,
        ),
      fill: async () => {
        await pool.query(
          `INSERT INTO ${table} (key, value, version, expires_at)
SELECT 'paywire:challenge:fill:' || i, 'true'::json, nextval('${table}_version'), now() + interval '${ttlSeconds} seconds'
FROM generate_series(1, $1::int) AS i`,
          [count],
        )
      },
      cleanup: async () => {
        await pool.query(drop)
        await pool.end()
      },
    },
    count,
    timing,
  )
}

/** SQLite: the store's file, filled in one transaction; the file's size. */
export async function sqlite(count: number, timing: Timing): Promise<Outcome> {
  const path = `${tmpdir()}/paywire-bench-outstanding-${process.pid}.sqlite`
  const remove = () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true })
  }
  remove()
  return measure(
    {
      label: 'SQLite (@paywire/store-sqlite)',
      store: SqliteStore.create({ path }),
      size: async () => {
        // The log folded into the file first, so that both sizes count the same pages.
        const db = new Database(path)
        db.pragma('wal_checkpoint(TRUNCATE)')
        db.close()
        return ['', '-wal'].reduce((sum, suffix) => {
          try {
            return sum + statSync(`${path}${suffix}`).size
          } catch {
            return sum
          }
        }, 0)
      },
      fill: async () => fillSqlite(path, count),
      cleanup: async () => remove(),
    },
    count,
    timing,
  )
}

/** Rows as the SQLite store writes claims, with versions above any it gave, in one transaction. */
function fillSqlite(path: string, count: number): void {
  const db = new Database(path)
  try {
    const expires = Date.now() + ttlSeconds * 1000
    const insert = db.prepare(
      'INSERT INTO paywire_store (key, value, version, expires_at) VALUES (?, ?, ?, ?)',
    )
    const base = 1_000_000_000
    db.transaction(() => {
      for (let i = 0; i < count; i++) insert.run(key('fill', i), 'true', base + i, expires)
      db.prepare(
        `INSERT INTO paywire_store_counter (name, value) VALUES ('version', ?)
ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
      ).run(base + count)
    })()
  } finally {
    db.close()
  }
}

/** Claims of new keys through the store, `timing.concurrency` in flight. */
export function latency(store: Store.Store, run: string, timing: Timing): Promise<Measurement> {
  let i = 0
  return measureConcurrent(
    'store claim (new key each time)',
    'paywire',
    async () => {
      if (!(await store.claim(key(run, i++), { ttlSeconds })))
        throw new Error('claim of a new key refused')
    },
    timing,
  )
}
