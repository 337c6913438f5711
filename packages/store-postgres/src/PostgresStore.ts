// The core Store contract (@paywire/core Store.ts) on PostgreSQL, shared by every server
// instance of a realm: one table (key, JSON value, version from a sequence, expiry), claims
// by `INSERT ... ON CONFLICT` that also takes over expired rows, compare-and-swap by an
// `UPDATE ... WHERE version = $expected`, and a periodic delete of expired rows. It fails
// closed: an unreachable or slow database makes every operation reject with
// Store.UnavailableError, never answer "absent".
import { Store } from '@paywire/core'
import pg from 'pg'
import * as Record from './internal/record.js'
import { ClosedError, InvalidOptionError, InvalidValueError } from './internal/record.js'
import * as Sql from './internal/sql.js'

export { ClosedError, InvalidOptionError, InvalidValueError }

/** Table used when none is given. */
export const defaultTable = 'paywire_store'
/** Milliseconds a connection attempt or a statement may take, by default. */
export const defaultTimeoutMs = 2_000
/** Milliseconds between deletions of expired rows, by default. */
export const defaultCleanupIntervalMs = 60_000
/** Expired rows deleted at most per cleanup statement. */
export const cleanupBatch = 1_000

/**
 * Creates a store on PostgreSQL with its own connection pool; `close()` ends it. Before its
 * first operation it runs its migration (idempotent, serialized across instances by an
 * advisory lock) unless `migrate: false`, for databases where the table is created ahead
 * of time from {@link migration}.
 *
 * @example
 * ```ts
 * import { PostgresStore } from '@paywire/store-postgres'
 * const store = PostgresStore.create({ connectionString: 'postgres://paywire@db/payments' })
 * await store.claim('challenge:abc', { ttlSeconds: 330 }) // true once across all instances
 * await store.close()
 * ```
 */
export function create(options: create.Options = {}): PostgresStore {
  const names = Sql.names(options.schema ?? 'public', options.table ?? defaultTable)
  const sql = Sql.statements(names)
  const timeoutMs = Record.positive('timeoutMs', options.timeoutMs ?? defaultTimeoutMs)
  const pool = new pg.Pool({
    ...options.poolOptions,
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
    lock_timeout: timeoutMs,
    keepAlive: true,
  })
  pool.on('error', (error) => options.onError?.(error))
  let closed = false
  let migrated: Promise<void> | undefined =
    options.migrate === false ? Promise.resolve() : undefined

  const migrate = async () => {
    const client = await pool.connect()
    let failed = false
    try {
      await client.query('BEGIN')
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [names.lockKey])
      await client.query(Sql.migration(names))
      await client.query('COMMIT')
    } catch (error) {
      failed = true
      throw error
    } finally {
      // A connection that failed mid-transaction is discarded, not returned to the pool.
      client.release(failed)
    }
  }

  const query = async (operation: Sql.Operation, values: unknown[]) => {
    if (closed) throw new ClosedError('postgres store is closed')
    try {
      migrated ??= migrate().catch((error: unknown) => {
        migrated = undefined
        throw error
      })
      await migrated
      return await pool.query({ name: sql[operation].name, text: sql[operation].text, values })
    } catch (error) {
      throw new Store.UnavailableError(
        `postgres ${sql[operation].label} failed: ${describe(error)}`,
        {
          cause: error,
        },
      )
    }
  }

  const deleteExpired = async () => {
    const result = await query('deleteExpired', [cleanupBatch])
    return result.rowCount ?? 0
  }

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
      const ms = Record.toMillis(Record.requireTtl(claimOptions?.ttlSeconds))
      const result = await query('insertOrTakeOver', [key, 'true', ms])
      return result.rowCount === 1
    },
    async get(key) {
      const result = await query('get', [key])
      // Read as text and parsed here, whatever JSON parser `pg` was configured with.
      const row = result.rows[0] as { value: string; version: string } | undefined
      return row === undefined ? undefined : { value: JSON.parse(row.value), version: row.version }
    },
    async put(key, value, putOptions) {
      const ms = toMillisOrNull(Record.optionalTtl(putOptions?.ttlSeconds))
      await query('put', [key, Record.encode(value), ms])
    },
    async compareAndSwap(key, expected, value, casOptions) {
      const ms = toMillisOrNull(Record.optionalTtl(casOptions?.ttlSeconds))
      const json = Record.encode(value)
      if (expected === null) {
        const result = await query('insertOrTakeOver', [key, json, ms])
        return result.rowCount === 1
      }
      if (!/^[1-9][0-9]{0,17}$/.test(expected)) return false
      const result = await query('swap', [key, json, ms, expected])
      return result.rowCount === 1
    },
    async delete(key) {
      await query('delete', [key])
    },
    async scan(prefix, scanOptions) {
      const limit = Store.pageSize(scanOptions?.limit)
      const result = await query('scan', [prefix, scanOptions?.cursor ?? '', limit + 1])
      const keys = (result.rows as Array<{ key: string }>).map((row) => row.key)
      const page = keys.slice(0, limit)
      return { keys: page, cursor: keys.length > limit ? page.at(-1) : undefined }
    },
    deleteExpired,
    async close() {
      if (closed) return
      closed = true
      clearInterval(cleanup)
      await pool.end()
    },
  }
}

export declare namespace create {
  type Options = {
    /** `postgres://` URL (default: the `PG*` environment variables, as `pg` reads them). */
    connectionString?: string | undefined
    /** Schema of the table (default `public`). */
    schema?: string | undefined
    /** The table (default {@link defaultTable}); its sequence and index are named after it. */
    table?: string | undefined
    /** Run the migration before the first operation (default `true`). */
    migrate?: boolean | undefined
    /** Bound on connecting, on each statement and on lock waits (default {@link defaultTimeoutMs}). */
    timeoutMs?: number | undefined
    /** Connections in the pool at most (default 10). */
    maxConnections?: number | undefined
    /** Milliseconds between deletions of expired rows; 0 never (default {@link defaultCleanupIntervalMs}). */
    cleanupIntervalMs?: number | undefined
    /** Errors of idle connections and of the background cleanup. */
    onError?: ((error: Error) => void) | undefined
    /** Further `pg` pool options (TLS, host, user...); the store sets its own timeouts. */
    poolOptions?:
      | Omit<
          pg.PoolConfig,
          | 'connectionTimeoutMillis'
          | 'query_timeout'
          | 'statement_timeout'
          | 'lock_timeout'
          | 'max'
          | 'connectionString'
        >
      | undefined
  }
}

/** The PostgreSQL store: the core Store contract plus an on-demand expiry cleanup. */
export type PostgresStore = Store.Store & {
  /** Deletes up to {@link cleanupBatch} expired rows now; resolves how many went. */
  deleteExpired(): Promise<number>
  /** Ends the pool; every later operation rejects with {@link ClosedError}. */
  close(): Promise<void>
}

/**
 * The migration as SQL, for applying it ahead of time (then create the store with
 * `migrate: false`). Idempotent.
 *
 * @example
 * ```ts
 * import { PostgresStore } from '@paywire/store-postgres'
 * console.log(PostgresStore.migration({ table: 'paywire_store' }))
 * ```
 */
export function migration(options: migration.Options = {}): string {
  return Sql.migration(Sql.names(options.schema ?? 'public', options.table ?? defaultTable))
}

export declare namespace migration {
  type Options = { schema?: string | undefined; table?: string | undefined }
}

function toMillisOrNull(ttlSeconds: number | undefined): number | null {
  return ttlSeconds === undefined ? null : Record.toMillis(ttlSeconds)
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
