// The core Store contract (@paywire/core Store.ts) on Redis 6+ or Valkey, shared by every
// server instance of a realm: claims are `SET NX PX` (atomic on the server), a compare-and-
// swap is one Lua script over the version stored with the value, and every key carries the
// store's prefix. It fails closed: a backend that is down, slow or answering wrongly makes
// every operation reject with Store.UnavailableError, never answer "absent".
import { createHash, randomBytes } from 'node:crypto'
import { Store } from '@paywire/core'
import { Redis, type RedisOptions } from 'ioredis'
import * as Record from './internal/record.js'

import { ClosedError, InvalidOptionError, InvalidValueError } from './internal/record.js'

export { ClosedError, InvalidOptionError, InvalidValueError }

/**
 * Key prefix used when none is given: none, since paywire's own keys already start with
 * `paywire:`. Give each deployment sharing one Redis database a prefix of its own.
 */
export const defaultPrefix = ''
/** Milliseconds a command may take before it fails with Store.UnavailableError, by default. */
export const defaultCommandTimeoutMs = 2_000
/** Redis URL used when none is given (`REDIS_URL` is not read: pass it explicitly). */
export const defaultUrl = 'redis://127.0.0.1:6379'

/**
 * Creates a store on Redis. It opens one connection (reconnecting on its own with capped
 * backoff); `close()` releases it. An operation waits at most `commandTimeoutMs` for a
 * connection attempt under way and as long again for Redis to answer, then rejects with
 * Store.UnavailableError; between reconnection attempts it rejects at once. Commands are never queued offline and never replayed after a
 * dropped connection: a write the caller saw fail must not apply later.
 *
 * @example
 * ```ts
 * import { RedisStore } from '@paywire/store-redis'
 * const store = RedisStore.create({ url: 'redis://127.0.0.1:6379', prefix: 'shop:' })
 * await store.claim('challenge:abc', { ttlSeconds: 330 }) // true once across all instances
 * await store.close()
 * ```
 */
export function create(options: create.Options = {}): RedisStore {
  const prefix = options.prefix ?? defaultPrefix
  const commandTimeoutMs = Record.positive(
    'commandTimeoutMs',
    options.commandTimeoutMs ?? defaultCommandTimeoutMs,
  )
  const client = new Redis(options.url ?? defaultUrl, {
    ...options.redisOptions,
    commandTimeout: commandTimeoutMs,
    connectTimeout: options.redisOptions?.connectTimeout ?? commandTimeoutMs,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableOfflineQueue: false,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, options.maxReconnectDelayMs ?? 1_000),
  })
  client.on('error', (error: Error) => options.onConnectionError?.(error))
  let closed = false
  let connected: Promise<void> | undefined

  // Waits for a connection attempt under way (at start, or a reconnection in progress);
  // between attempts, while Redis is known to be down, fails at once.
  const ready = (): Promise<void> => {
    if (client.status === 'ready') return Promise.resolve()
    if (client.status !== 'connecting' && client.status !== 'connect')
      return Promise.reject(new Error(`not connected (${client.status})`))
    connected ??= new Promise<void>((resolve) =>
      client.once('ready', () => {
        connected = undefined
        resolve()
      }),
    )
    return within(connected, commandTimeoutMs, () => `not connected (${client.status})`)
  }

  const run = async <result>(operation: string, command: () => Promise<result>) => {
    if (closed) throw new ClosedError('redis store is closed')
    try {
      await ready()
      return await command()
    } catch (error) {
      throw new Store.UnavailableError(`redis ${operation} failed: ${describe(error)}`, {
        cause: error,
      })
    }
  }

  return {
    async claim(key, claimOptions) {
      const ms = Record.toMillis(Record.requireTtl(claimOptions?.ttlSeconds))
      const written = await run('claim', () =>
        client.set(prefix + key, pack('true'), 'PX', ms, 'NX'),
      )
      return written === 'OK'
    },
    async get(key) {
      const stored = await run('get', () => client.get(prefix + key))
      return stored === null ? undefined : unpack(stored)
    },
    async put(key, value, putOptions) {
      const ttl = Record.optionalTtl(putOptions?.ttlSeconds)
      const packed = pack(Record.encode(value))
      await run('put', () =>
        ttl === undefined
          ? client.set(prefix + key, packed)
          : client.set(prefix + key, packed, 'PX', Record.toMillis(ttl)),
      )
    },
    async compareAndSwap(key, expected, value, casOptions) {
      const ttl = Record.optionalTtl(casOptions?.ttlSeconds)
      const packed = pack(Record.encode(value))
      const ms = ttl === undefined ? '' : String(Record.toMillis(ttl))
      const mode = expected === null ? 'absent' : 'version'
      const args = [prefix + key, mode, expected ?? '', packed, ms] as const
      const written = await run('compareAndSwap', () =>
        client
          .evalsha(casSha, 1, ...args)
          .catch((error: unknown) =>
            describe(error).startsWith('NOSCRIPT')
              ? client.eval(casScript, 1, ...args)
              : Promise.reject(error),
          ),
      )
      return written === 1
    },
    async delete(key) {
      await run('delete', () => client.del(prefix + key))
    },
    async scan(keyPrefix, scanOptions) {
      // SCAN walks the whole keyspace: a page takes several steps of it (up to 32) until it
      // holds `limit` keys, so that a sparse prefix in a large database needs few pages.
      const limit = Store.pageSize(scanOptions?.limit)
      const pattern = `${globEscape(prefix + keyPrefix)}*`
      const keys: string[] = []
      let cursor = scanOptions?.cursor ?? '0'
      for (let step = 0; step < 32 && keys.length < limit; step++) {
        const [next, found] = await run('scan', () =>
          client.scan(cursor, 'MATCH', pattern, 'COUNT', Math.max(limit, 1_000)),
        )
        for (const key of found) keys.push(key.slice(prefix.length))
        cursor = next
        if (cursor === '0') break
      }
      return { keys, cursor: cursor === '0' ? undefined : cursor }
    },
    async close() {
      if (closed) return
      closed = true
      await client.quit().catch(() => client.disconnect())
    },
    prefix,
  }
}

export declare namespace create {
  type Options = {
    /** `redis://` or `rediss://` URL, with credentials and database (default {@link defaultUrl}). */
    url?: string | undefined
    /** Prepended to every key (default {@link defaultPrefix}); one per realm or deployment. */
    prefix?: string | undefined
    /** Bound on waiting for a connection, and on each command (default {@link defaultCommandTimeoutMs}). */
    commandTimeoutMs?: number | undefined
    /** Longest pause between reconnection attempts (default 1,000 ms). */
    maxReconnectDelayMs?: number | undefined
    /** Connection errors as they happen (operations reject on their own either way). */
    onConnectionError?: ((error: Error) => void) | undefined
    /**
     * Further ioredis options (TLS, username, sentinels...). The store sets its own
     * `commandTimeout`, `maxRetriesPerRequest`, `autoResendUnfulfilledCommands`,
     * `enableOfflineQueue` and `retryStrategy`: those keep it failing closed.
     */
    redisOptions?:
      | Omit<
          RedisOptions,
          | 'commandTimeout'
          | 'maxRetriesPerRequest'
          | 'autoResendUnfulfilledCommands'
          | 'retryStrategy'
          | 'enableOfflineQueue'
          | 'lazyConnect'
          | 'replyMapping'
        >
      | undefined
  }
}

/** The Redis store: the core Store contract plus the prefix its keys carry. */
export type RedisStore = Store.Store & {
  /** The prefix of every key this store writes. */
  readonly prefix: string
  /** Closes the connection; every later operation rejects with {@link ClosedError}. */
  close(): Promise<void>
}

/**
 * Writes the value under the expected version, or under none when the key is absent.
 * KEYS[1] key; ARGV: mode ('absent' | 'version'), expected version, packed value, TTL in ms
 * ('' for none). Returns 1 when written.
 */
const casScript = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == 'absent' then
  if current then return 0 end
else
  if not current then return 0 end
  local space = string.find(current, ' ', 1, true)
  if not space or string.sub(current, 1, space - 1) ~= ARGV[2] then return 0 end
end
if ARGV[4] == '' then
  redis.call('SET', KEYS[1], ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
end
return 1
`

const casSha = createHash('sha1').update(casScript).digest('hex')

/** Resolves as `promise` does, or rejects after `ms` milliseconds. */
function within(promise: Promise<void>, ms: number, reason: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${reason()} within ${ms} ms`)), ms)
    promise.then(() => {
      clearTimeout(timer)
      resolve()
    })
  })
}

/** A stored string: a fresh random version, a space, the value's JSON. */
function pack(json: string): string {
  return `${randomBytes(12).toString('base64url')} ${json}`
}

function unpack(stored: string): Store.Entry {
  const space = stored.indexOf(' ')
  if (space < 1) throw new Store.UnavailableError('redis holds a value this store did not write')
  try {
    return { version: stored.slice(0, space), value: JSON.parse(stored.slice(space + 1)) }
  } catch (error) {
    throw new Store.UnavailableError('redis holds a value this store did not write', {
      cause: error,
    })
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** A literal for a Redis glob pattern (`*`, `?`, `[`, `]` and `\\` escaped). */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`)
}
