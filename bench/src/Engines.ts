// The raw engines under paywire's stores, doing the same atomic operation as a claim with
// the same client libraries: Redis `SET key 1 PX ttl NX` (ioredis), PostgreSQL `INSERT ...
// ON CONFLICT DO NOTHING` (pg, a prepared statement), SQLite the same (better-sqlite3, a
// prepared statement, write-ahead log). Each `claim` answers whether the key was new.
import Database from 'better-sqlite3'
import { Redis } from 'ioredis'
import pg from 'pg'

/** A raw engine: claims of new keys, nothing else. */
export type Engine = {
  claim(key: string, ttlMs: number): Promise<boolean>
  /** Claims of `keys` in one round trip where the engine has one (a Redis pipeline). */
  claimBatch(keys: readonly string[], ttlMs: number): Promise<number>
  close(): Promise<void>
}

/** Redis through ioredis, as @paywire/store-redis talks to it. */
export async function redis(url: string): Promise<Engine & { client: Redis }> {
  const client = new Redis(url, { maxRetriesPerRequest: 0, lazyConnect: true })
  await client.connect()
  return {
    client,
    async claim(key, ttlMs) {
      return (await client.set(key, '1', 'PX', ttlMs, 'NX')) === 'OK'
    },
    async claimBatch(keys, ttlMs) {
      const pipeline = client.pipeline()
      for (const key of keys) pipeline.set(key, '1', 'PX', ttlMs, 'NX')
      const results = (await pipeline.exec()) ?? []
      return results.filter(([error, reply]) => error === null && reply === 'OK').length
    },
    async close() {
      await client.quit()
    },
  }
}

/** PostgreSQL through a pg pool of `connections`, its own table (dropped on close). */
export async function postgres(
  connectionString: string,
  table: string,
  connections: number,
): Promise<Engine> {
  const pool = new pg.Pool({ connectionString, max: connections })
  await pool.query(`DROP TABLE IF EXISTS ${table}`)
  await pool.query(`CREATE TABLE ${table} (key text PRIMARY KEY, expires_at timestamptz NOT NULL)`)
  const insert = {
    name: `bench_raw_claim_${table}`,
    text: `INSERT INTO ${table} (key, expires_at) VALUES ($1, now() + $2::bigint * interval '1 millisecond') ON CONFLICT DO NOTHING`,
  }
  const claim = async (key: string, ttlMs: number) =>
    (await pool.query({ ...insert, values: [key, ttlMs] })).rowCount === 1
  return {
    claim,
    async claimBatch(keys, ttlMs) {
      const claimed = await Promise.all(keys.map((key) => claim(key, ttlMs)))
      return claimed.filter(Boolean).length
    },
    async close() {
      await pool.query(`DROP TABLE IF EXISTS ${table}`)
      await pool.end()
    },
  }
}

/** SQLite through better-sqlite3 in WAL mode, with `synchronous` FULL (as the store) or NORMAL. */
export function sqlite(path: string, synchronous: 'FULL' | 'NORMAL'): Engine {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${synchronous}`)
  db.exec(
    'CREATE TABLE IF NOT EXISTS raw_claims (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) STRICT',
  )
  const insert = db.prepare(
    'INSERT INTO raw_claims (key, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING',
  )
  const claim = async (key: string, ttlMs: number) =>
    insert.run(key, Date.now() + ttlMs).changes === 1
  return {
    claim,
    async claimBatch(keys, ttlMs) {
      let claimed = 0
      for (const key of keys) if (await claim(key, ttlMs)) claimed++
      return claimed
    },
    async close() {
      db.close()
    },
  }
}
