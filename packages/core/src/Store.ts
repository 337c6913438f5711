// The storage contract servers and clients keep their state in: single-use claims
// (replay protection), plain records (idempotent responses, ledgers) and records updated
// under compare-and-swap (session accounting, budgets). Implementations live in the
// store-* packages; every one of them runs the testkit's contract suite.
import { BaseError } from './Errors.js'

/** A JSON value as stored. Amounts are decimal strings, never numbers or bigints. */
export type Value = null | boolean | number | string | Value[] | { [key: string]: Value }

/** How deep a stored value may nest. */
export const maxDepth = 64

/**
 * Why a value cannot be stored as JSON (a function, `undefined`, a non-finite number, a
 * class instance, nesting deeper than {@link maxDepth}), or `undefined` when it can. Every
 * store checks values with it before writing, and throws its own error with this text.
 *
 * @example
 * ```ts
 * import { Store } from '@paywire/core'
 * Store.invalidValue({ amount: '10' }) // undefined
 * Store.invalidValue({ amount: 10n }) // 'value holds a bigint, which JSON cannot carry'
 * ```
 */
export function invalidValue(value: unknown): string | undefined {
  return describe(value, 0)
}

function describe(value: unknown, depth: number): string | undefined {
  if (depth > maxDepth) return `value nests deeper than ${maxDepth} levels`
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined
  if (typeof value === 'number')
    return Number.isFinite(value) ? undefined : 'value holds a non-finite number'
  const items = Array.isArray(value)
    ? value
    : typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype
      ? Object.values(value)
      : undefined
  if (items === undefined) return `value holds a ${typeof value}, which JSON cannot carry`
  for (const item of items) {
    const problem = describe(item, depth + 1)
    if (problem !== undefined) return problem
  }
  return undefined
}

/** A stored value with the version that {@link Store.compareAndSwap} compares against. */
export type Entry<value extends Value = Value> = {
  value: value
  /** Opaque version, changed by every write of the key. */
  version: string
}

/**
 * A key-value store with the atomic operations payments need. Every operation is atomic
 * with respect to every other operation on the same key, across all processes that
 * share the store. A store that cannot reach its backend rejects (fails closed); it
 * never answers as if a key were absent.
 *
 * @example
 * ```ts
 * import type { Store } from '@paywire/core'
 * declare const store: Store.Store
 * if (await store.claim('challenge:abc', { ttlSeconds: 300 })) {
 *   // first and only redemption of challenge abc
 * }
 * ```
 */
export type Store = {
  /**
   * Creates `key` if it is absent (with the value `true`); resolves `true` only for the
   * caller that created it. Of N concurrent claims of one key, exactly one wins.
   */
  claim(key: string, options: { ttlSeconds: number }): Promise<boolean>
  /** Reads a key; `undefined` when absent or expired. */
  get(key: string): Promise<Entry | undefined>
  /** Writes a key unconditionally. */
  put(key: string, value: Value, options?: { ttlSeconds?: number | undefined }): Promise<void>
  /**
   * Writes `value` only if the key's current version is `expected` (`null`: only if the
   * key is absent). Resolves `true` when written.
   */
  compareAndSwap(
    key: string,
    expected: string | null,
    value: Value,
    options?: { ttlSeconds?: number | undefined },
  ): Promise<boolean>
  /** Removes a key (and releases a claim). Removing an absent key is not an error. */
  delete(key: string): Promise<void>
  /**
   * Optional: the live keys that start with `prefix`, one page at a time (pass the
   * `cursor` of the previous page; it is `undefined` after the last). Keys written or
   * removed while scanning may or may not appear. For reconciliation and operator tools,
   * never for request handling: it may visit the whole store.
   */
  scan?(prefix: string, options?: ScanOptions): Promise<ScanPage>
  /** Releases connections and timers. */
  close?(): Promise<void>
}

/** Options of {@link Store.scan}. */
export type ScanOptions = {
  /** Where the previous page ended (`undefined`: from the start). */
  cursor?: string | undefined
  /** About how many keys a page holds (default 100; a page may hold fewer or more). */
  limit?: number | undefined
}

/** One page of {@link Store.scan}. */
export type ScanPage = {
  keys: string[]
  /** Pass it to get the next page; `undefined` when there is none. */
  cursor: string | undefined
}

/**
 * The page size of a {@link Store.scan}: `limit` if it is a whole number from 1 to 1,000,
 * else 100.
 *
 * @example
 * ```ts
 * import { Store } from '@paywire/core'
 * Store.pageSize(undefined) // 100
 * Store.pageSize(25) // 25
 * ```
 */
export function pageSize(limit: number | undefined): number {
  return limit !== undefined && Number.isInteger(limit) && limit >= 1 && limit <= 1_000
    ? limit
    : 100
}

/**
 * Updates a record atomically: reads it, applies `apply` (which must be pure: it may
 * run again after a lost race) and writes the result under compare-and-swap, retrying
 * on conflict. `apply` returns the new value, or `undefined` to leave the record as is.
 * Resolves the value in effect after the update.
 *
 * @throws {ConflictError} when `maxAttempts` races are lost in a row.
 * @example
 * ```ts
 * import { Store } from '@paywire/core'
 * declare const store: Store.Store
 * await Store.update(store, 'budget:day', (current) => String(BigInt((current as string | undefined) ?? '0') + 5n))
 * ```
 */
export async function update(
  store: Store,
  key: string,
  apply: (current: Value | undefined) => Value | undefined,
  options: update.Options = {},
): Promise<Value | undefined> {
  const maxAttempts = options.maxAttempts ?? 100
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const entry = await store.get(key)
    const next = apply(entry?.value)
    if (next === undefined) return entry?.value
    const written = await store.compareAndSwap(key, entry?.version ?? null, next, {
      ttlSeconds: options.ttlSeconds,
    })
    if (written) return next
  }
  throw new ConflictError(`update of a record lost ${maxAttempts} races in a row`)
}

export declare namespace update {
  type Options = {
    /** Attempts before giving up (default 100). */
    maxAttempts?: number | undefined
    /** TTL of the written record. */
    ttlSeconds?: number | undefined
  }
}

/** Raised when an atomic update keeps losing races. */
export class ConflictError extends BaseError {
  override readonly name = 'Store.ConflictError'
  readonly code = 'ERR_STORE_CONFLICT'
  readonly problem = undefined
}

/**
 * Raised by stores when their backend cannot be reached or answers wrongly. Callers fail
 * closed on it: no payment is accepted while the store is down.
 */
export class UnavailableError extends BaseError {
  override readonly name = 'Store.UnavailableError'
  readonly code = 'ERR_STORE_UNAVAILABLE'
  readonly problem = undefined
}
