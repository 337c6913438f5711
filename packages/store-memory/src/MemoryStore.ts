// A bounded in-memory implementation of the core Store contract (@paywire/core Store.ts)
// for one process: single-use claims, TTL expiry, compare-and-swap with versions, and
// JSON values copied in and out so no caller can change stored state by reference.
// When full it never drops a live entry (a claim dropped early would allow a replay):
// it removes expired entries, and if none are left to remove it refuses the write.
import { Errors, Store } from '@paywire/core'

/** Entries held at most, by default. */
export const defaultMaxEntries = 100_000

/**
 * Creates an in-memory store. Every operation completes without yielding between its
 * read and its write, so operations on one key are atomic within the process.
 *
 * @example
 * ```ts
 * import { MemoryStore } from '@paywire/store-memory'
 * const store = MemoryStore.create({ maxEntries: 10_000 })
 * await store.claim('challenge:abc', { ttlSeconds: 330 }) // true, then false for every later claim
 * ```
 */
export function create(options: create.Options = {}): MemoryStore {
  const maxEntries = options.maxEntries ?? defaultMaxEntries
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1)
    throw new InvalidOptionError(`maxEntries must be a positive integer, found ${maxEntries}`)
  const now = options.now ?? Date.now
  const entries = new Map<string, Slot>()
  let nextVersion = 0
  let closed = false

  const live = (key: string): Slot | undefined => {
    const slot = entries.get(key)
    if (slot === undefined) return undefined
    if (slot.expiresAt !== undefined && slot.expiresAt <= now()) {
      entries.delete(key)
      return undefined
    }
    return slot
  }

  const write = (key: string, value: Store.Value, ttlSeconds: number | undefined): void => {
    const json = encode(value)
    const expiresAt = ttlSeconds === undefined ? undefined : now() + toMillis(ttlSeconds)
    if (!entries.has(key) && entries.size >= maxEntries) makeRoom()
    entries.set(key, { json, version: String(++nextVersion), expiresAt })
  }

  const makeRoom = (): void => {
    const at = now()
    for (const [key, slot] of entries)
      if (slot.expiresAt !== undefined && slot.expiresAt <= at) entries.delete(key)
    if (entries.size >= maxEntries)
      throw new StoreFullError(
        `memory store holds ${entries.size} live entries (maxEntries ${maxEntries}); refusing to drop one`,
      )
  }

  const open = (): void => {
    if (closed) throw new ClosedError('memory store is closed')
  }

  return {
    async claim(key, claimOptions) {
      open()
      const ttlSeconds = requireTtl(claimOptions?.ttlSeconds)
      if (live(key) !== undefined) return false
      write(key, true, ttlSeconds)
      return true
    },
    async get(key) {
      open()
      const slot = live(key)
      return slot === undefined
        ? undefined
        : { value: JSON.parse(slot.json), version: slot.version }
    },
    async put(key, value, putOptions) {
      open()
      const ttlSeconds = optionalTtl(putOptions?.ttlSeconds)
      live(key)
      write(key, value, ttlSeconds)
    },
    async compareAndSwap(key, expected, value, casOptions) {
      open()
      const ttlSeconds = optionalTtl(casOptions?.ttlSeconds)
      const slot = live(key)
      const current = slot === undefined ? null : slot.version
      if (current !== expected) return false
      write(key, value, ttlSeconds)
      return true
    },
    async delete(key) {
      open()
      entries.delete(key)
    },
    async scan(prefix, scanOptions) {
      open()
      const limit = Store.pageSize(scanOptions?.limit)
      const after = scanOptions?.cursor
      const keys = [...entries.keys()]
        .filter((key) => key.startsWith(prefix) && (after === undefined || key > after))
        .filter((key) => live(key) !== undefined)
        .sort()
      const page = keys.slice(0, limit)
      return { keys: page, cursor: keys.length > limit ? page.at(-1) : undefined }
    },
    async close() {
      closed = true
      entries.clear()
    },
    size() {
      return entries.size
    },
  }
}

export declare namespace create {
  type Options = {
    /** Most entries held at once (default {@link defaultMaxEntries}). */
    maxEntries?: number | undefined
    /** The clock, in milliseconds (default `Date.now`). */
    now?: (() => number) | undefined
  }
}

/** The in-memory store: the core Store contract plus a count of the entries it holds. */
export type MemoryStore = Store.Store & {
  /** Entries held, counting expired ones not yet removed. */
  size(): number
  /** Empties the store; every later operation rejects with {@link ClosedError}. */
  close(): Promise<void>
}

type Slot = { json: string; version: string; expiresAt: number | undefined }

function encode(value: Store.Value): string {
  const problem = Store.invalidValue(value)
  if (problem !== undefined) throw new InvalidValueError(problem)
  return JSON.stringify(value)
}

function requireTtl(ttlSeconds: number | undefined): number {
  if (ttlSeconds === undefined) throw new InvalidOptionError('claim requires ttlSeconds')
  return toTtl(ttlSeconds)
}

function optionalTtl(ttlSeconds: number | undefined): number | undefined {
  return ttlSeconds === undefined ? undefined : toTtl(ttlSeconds)
}

function toTtl(ttlSeconds: number): number {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0)
    throw new InvalidOptionError(`ttlSeconds must be a positive number, found ${ttlSeconds}`)
  return ttlSeconds
}

function toMillis(seconds: number): number {
  return Math.ceil(seconds * 1000)
}

/** Raised when the store is full of live entries: it refuses rather than drop one. */
export class StoreFullError extends Errors.BaseError {
  override readonly name = 'MemoryStore.StoreFullError'
  readonly code = 'ERR_STORE_FULL'
  readonly problem = undefined
}

/** Raised by every operation after the store was closed. */
export class ClosedError extends Errors.BaseError {
  override readonly name = 'MemoryStore.ClosedError'
  readonly code = 'ERR_STORE_CLOSED'
  readonly problem = undefined
}

/** Raised when a value is not JSON (a function, `undefined`, `NaN`, a class instance...). */
export class InvalidValueError extends Errors.BaseError {
  override readonly name = 'MemoryStore.InvalidValueError'
  readonly code = 'ERR_STORE_VALUE_INVALID'
  readonly problem = undefined
}

/** Raised for an invalid option (a TTL that is not a positive number, a bad bound). */
export class InvalidOptionError extends Errors.BaseError {
  override readonly name = 'MemoryStore.InvalidOptionError'
  readonly code = 'ERR_STORE_OPTION_INVALID'
  readonly problem = undefined
}
