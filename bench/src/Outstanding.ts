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

/** Redis: claims written by a pipelined fill, space from `INFO memory`. */
export async function redis(count: number, timing: Timing): Promise<Outcome> {
  const run = `outstanding-${process.pid}-${Date.now().toString(36)}`
  const prefix = `paywire-bench:${run}:`
  const client = new Redis(services.redis, { maxRetriesPerRequest: 0 })
  const store = RedisStore.create({ url: services.redis, prefix })
  try {
    const empty = await latency(store, `${run}:empty`, timing)
    const before = await usedMemory(client)
    const started = performance.now()
    // What the store writes for a claim: a 16-letter random version, a space, `true`.
    for (let from = 0; from < count; from += 10_000) {
      const pipeline = client.pipeline()
      for (let i = from; i < Math.min(count, from + 10_000); i++)
        pipeline.set(
          `${prefix}${key(run, i)}`,
          `${i.toString(36).padStart(16, 'v')} true`,
          'PX',
          ttlSeconds * 1000,
        )
      await pipeline.exec()
    }
    const fillSeconds = (performance.now() - started) / 1000
    const after = await usedMemory(client)
    const full = await latency(store, `${run}:full`, timing)
    return {
      label: 'Redis (@paywire/store-redis)',
      bytesPerClaim: (after - before) / count,
      empty,
      full,
      fillSeconds,
    }
  } finally {
    await store.close()
    for (let from = 0; from < count; from += 10_000) {
      const pipeline = client.pipeline()
      for (let i = from; i < Math.min(count, from + 10_000); i++)
        pipeline.unlink(`${prefix}${key(run, i)}`)
      await pipeline.exec()
    }
    await client.quit()
  }
}

/** PostgreSQL: the store's own table, filled by one `INSERT ... SELECT`; space from `pg_total_relation_size`. */
export async function postgres(count: number, timing: Timing): Promise<Outcome> {
  const table = 'paywire_bench_outstanding'
  const pool = new pg.Pool({ connectionString: services.postgres, max: 2 })
  await pool.query(`DROP TABLE IF EXISTS ${table}; DROP SEQUENCE IF EXISTS ${table}_version`)
  await pool.query(PostgresStore.migration({ table }))
  const store = PostgresStore.create({
    connectionString: services.postgres,
    table,
    maxConnections: timing.concurrency,
  })
  const run = `outstanding-${process.pid}`
  try {
    const empty = await latency(store, `${run}:empty`, timing)
    const size = async () =>
      Number((await pool.query(`SELECT pg_total_relation_size('${table}') AS bytes`)).rows[0].bytes)
    const before = await size()
    const started = performance.now()
    await pool.query(
      `INSERT INTO ${table} (key, value, version, expires_at)
SELECT 'paywire:challenge:${run}:fill:' || i, 'true'::json, nextval('${table}_version'), now() + interval '${ttlSeconds} seconds'
FROM generate_series(1, $1::int) AS i`,
      [count],
    )
    const fillSeconds = (performance.now() - started) / 1000
    const after = await size()
    const full = await latency(store, `${run}:full`, timing)
    return {
      label: 'PostgreSQL (@paywire/store-postgres)',
      bytesPerClaim: (after - before) / count,
      empty,
      full,
      fillSeconds,
    }
  } finally {
    await store.close()
    await pool.query(`DROP TABLE IF EXISTS ${table}; DROP SEQUENCE IF EXISTS ${table}_version`)
    await pool.end()
  }
}

/** SQLite: the store's file, filled in one transaction; space from the file's size. */
export async function sqlite(count: number, timing: Timing): Promise<Outcome> {
  const path = `${tmpdir()}/paywire-bench-outstanding-${process.pid}.sqlite`
  const remove = () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true })
  }
  remove()
  const store = SqliteStore.create({ path })
  const run = `outstanding-${process.pid}`
  try {
    const empty = await latency(store, `${run}:empty`, timing)
    const size = () =>
      ['', '-wal'].reduce((sum, suffix) => {
        try {
          return sum + statSync(`${path}${suffix}`).size
        } catch {
          return sum
        }
      }, 0)
    const before = size()
    const started = performance.now()
    const db = new Database(path)
    try {
      const expires = Date.now() + ttlSeconds * 1000
      const insert = db.prepare(
        'INSERT INTO paywire_store (key, value, version, expires_at) VALUES (?, ?, ?, ?)',
      )
      const base = 1_000_000_000
      db.transaction(() => {
        for (let i = 0; i < count; i++) insert.run(key(`${run}:fill`, i), 'true', base + i, expires)
        db.prepare(
          `INSERT INTO paywire_store_counter (name, value) VALUES ('version', ?)
ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
        ).run(base + count)
      })()
      db.pragma('wal_checkpoint(TRUNCATE)')
    } finally {
      db.close()
    }
    const fillSeconds = (performance.now() - started) / 1000
    const after = size()
    const full = await latency(store, `${run}:full`, timing)
    return {
      label: 'SQLite (@paywire/store-sqlite)',
      bytesPerClaim: (after - before) / count,
      empty,
      full,
      fillSeconds,
    }
  } finally {
    await store.close()
    remove()
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

async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory')
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN)
}
