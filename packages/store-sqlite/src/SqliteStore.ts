// The core Store contract (@paywire/core Store.ts) in one SQLite file, for a single node
// that must keep what was paid across restarts: write-ahead log, full sync on commit, one
// immediate transaction per operation (atomic across every connection and process that
// opens the file), versions from a counter that never repeats. It fails closed: a file
// that cannot be opened or stays locked past the busy timeout makes every operation reject
// with Store.UnavailableError, never answer "absent".
import { Store } from '@paywire/core'
import Database from 'better-sqlite3'
import * as Record from './internal/record.js'

import { ClosedError, InvalidOptionError, InvalidValueError } from './internal/record.js'

export { ClosedError, InvalidOptionError, InvalidValueError }

/** Milliseconds an operation waits for another connection's write lock, by default. */
export const defaultBusyTimeoutMs = 1_000
/** Milliseconds between deletions of expired rows, by default. */
export const defaultCleanupIntervalMs = 60_000

/**
 * Creates a store in the SQLite file at `path` (created with its tables if absent). The file
 * is opened on first use and again after a failure, so a store whose file was unreachable
 * recovers without a restart. better-sqlite3 is synchronous: an operation that waits for a
 * lock blocks the event loop for up to `busyTimeoutMs`.
 *
 * @example
 * ```ts
 * import { SqliteStore } from '@paywire/store-sqlite'
 * const store = SqliteStore.create({ path: './paywire.db' })
 * await store.claim('challenge:abc', { ttlSeconds: 330 }) // true once, even after a restart
 * await store.close()
 * ```
 */
export function create(options: create.Options): SqliteStore {
  const busyTimeoutMs = Record.positive(
    'busyTimeoutMs',
    options.busyTimeoutMs ?? defaultBusyTimeoutMs,
  )
  const now = options.now ?? Date.now
  if (
    options.path === '' ||
    options.path === ':memory:' ||
    options.path.startsWith('file::memory:')
  )
    throw new InvalidOptionError(
      'path must name a file: an in-memory SQLite database keeps nothing (use @paywire/store-memory)',
    )
  let database: Connection | undefined
  let closed = false

  const connection = (): Connection => {
    database ??= connect(options.path, busyTimeoutMs)
    return database
  }

  const run = <result>(operation: string, body: (db: Connection) => result): result => {
    if (closed) throw new ClosedError('sqlite store is closed')
    try {
      return body(connection())
    } catch (error) {
      database?.db.close()
      database = undefined
      throw new Store.UnavailableError(`sqlite ${operation} failed: ${describe(error)}`, {
        cause: error,
      })
    }
  }

  const write = (key: string, json: string, ttlSeconds: number | undefined, db: Connection) => {
    const expiresAt = ttlSeconds === undefined ? null : now() + Record.toMillis(ttlSeconds)
    const { value: version } = db.nextVersion.get() as { value: number }
    db.upsert.run(key, json, version, expiresAt)
  }

  const liveVersion = (key: string, db: Connection): number | undefined =>
    (db.select.get(key, now()) as Row | undefined)?.version

  const deleteExpired = async () =>
    run('deleteExpired', (db) => db.deleteExpired.run(now()).changes)

  const cleanupIntervalMs = options.cleanupIntervalMs ?? defaultCleanupIntervalMs
  const cleanup =
    cleanupIntervalMs > 0
      ? setInterval(
          () => void deleteExpired().catch((error: unknown) => options.onError?.(error as Error)),
          cleanupIntervalMs,
        ).unref()
      : undefined

  return {
    async claim(key, claimOptions) {
      const ttl = Record.requireTtl(claimOptions?.ttlSeconds)
      return run(
        'claim',
        (db) =>
          // A live key seen without a lock is already a lost claim; only a free key pays for
          // a write transaction, in which it is checked again.
          liveVersion(key, db) === undefined &&
          db.db
            .transaction(() => {
              if (liveVersion(key, db) !== undefined) return false
              write(key, 'true', ttl, db)
              return true
            })
            .immediate(),
      )
    },
    async get(key) {
      const row = run('get', (db) => db.select.get(key, now()) as Row | undefined)
      return row === undefined
        ? undefined
        : { value: JSON.parse(row.value), version: String(row.version) }
    },
    async put(key, value, putOptions) {
      const ttl = Record.optionalTtl(putOptions?.ttlSeconds)
      const json = Record.encode(value)
      run('put', (db) => db.db.transaction(() => write(key, json, ttl, db)).immediate())
    },
    async compareAndSwap(key, expected, value, casOptions) {
      const ttl = Record.optionalTtl(casOptions?.ttlSeconds)
      const json = Record.encode(value)
      const matches = (db: Connection) => {
        const current = liveVersion(key, db)
        return (current === undefined ? null : String(current)) === expected
      }
      return run(
        'compareAndSwap',
        (db) =>
          // As for claims: a mismatch seen without a lock fails at once.
          matches(db) &&
          db.db
            .transaction(() => {
              if (!matches(db)) return false
              write(key, json, ttl, db)
              return true
            })
            .immediate(),
      )
    },
    async delete(key) {
      run('delete', (db) => db.remove.run(key))
    },
    async scan(prefix, scanOptions) {
      const limit = Store.pageSize(scanOptions?.limit)
      const rows = run(
        'scan',
        (db) =>
          db.scan.all(prefix, prefix, scanOptions?.cursor ?? '', now(), limit + 1) as Array<{
            key: string
          }>,
      )
      const page = rows.slice(0, limit).map((row) => row.key)
      return { keys: page, cursor: rows.length > limit ? page.at(-1) : undefined }
    },
    deleteExpired,
    async close() {
      if (closed) return
      closed = true
      clearInterval(cleanup)
      database?.db.close()
      database = undefined
    },
  }
}

export declare namespace create {
  type Options = {
    /** The database file (created if absent); in-memory databases are refused. */
    path: string
    /** Milliseconds to wait for another connection's write lock (default {@link defaultBusyTimeoutMs}). */
    busyTimeoutMs?: number | undefined
    /** Milliseconds between deletions of expired rows; 0 never (default {@link defaultCleanupIntervalMs}). */
    cleanupIntervalMs?: number | undefined
    /** Errors of the background cleanup. */
    onError?: ((error: Error) => void) | undefined
    /** The clock, in milliseconds (default `Date.now`). */
    now?: (() => number) | undefined
  }
}

/** The SQLite store: the core Store contract plus an on-demand expiry cleanup. */
export type SqliteStore = Store.Store & {
  /** Deletes every expired row now; resolves how many went. */
  deleteExpired(): Promise<number>
  /** Closes the file; every later operation rejects with {@link ClosedError}. */
  close(): Promise<void>
}

type Row = { value: string; version: number }

type Connection = ReturnType<typeof connect>

/** Opens the file, sets it up for durability and prepares the statements. */
function connect(path: string, busyTimeoutMs: number) {
  const db = new Database(path, { timeout: busyTimeoutMs })
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.exec(schema)
    return {
      db,
      select: db.prepare(
        'SELECT value, version FROM paywire_store WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)',
      ),
      upsert:
        db.prepare(`INSERT INTO paywire_store (key, value, version, expires_at) VALUES (?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version, expires_at = excluded.expires_at`),
      nextVersion: db.prepare(`INSERT INTO paywire_store_counter (name, value) VALUES ('version', 1)
ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value`),
      remove: db.prepare('DELETE FROM paywire_store WHERE key = ?'),
      scan: db.prepare(`SELECT key FROM paywire_store WHERE substr(key, 1, length(?)) = ?
AND key > ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY key LIMIT ?`),
      deleteExpired: db.prepare('DELETE FROM paywire_store WHERE expires_at <= ?'),
    }
  } catch (error) {
    db.close()
    throw error
  }
}

const schema = `
CREATE TABLE IF NOT EXISTS paywire_store (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  version INTEGER NOT NULL,
  expires_at INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS paywire_store_expires_at ON paywire_store (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS paywire_store_counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
`

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
