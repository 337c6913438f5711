// What this store accepts before it writes to SQLite: JSON values (encoded once, so a caller
// keeps no reference into stored state and amounts stay strings) and positive TTLs.
import { Errors, type Store } from '@paywire/core'

/** Validates a value as JSON and encodes it. */
export function encode(value: Store.Value): string {
  assertJson(value, 0)
  return JSON.stringify(value)
}

/** A claim's TTL: required and positive. */
export function requireTtl(ttlSeconds: number | undefined): number {
  if (ttlSeconds === undefined) throw new InvalidOptionError('claim requires ttlSeconds')
  return positive('ttlSeconds', ttlSeconds)
}

/** An optional TTL: positive when given. */
export function optionalTtl(ttlSeconds: number | undefined): number | undefined {
  return ttlSeconds === undefined ? undefined : positive('ttlSeconds', ttlSeconds)
}

/** A positive finite number option. */
export function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidOptionError(`${name} must be a positive number, found ${value}`)
  return value
}

/** Seconds to whole milliseconds, rounded up so a TTL never ends early. */
export function toMillis(seconds: number): number {
  return Math.ceil(seconds * 1000)
}

function assertJson(value: unknown, depth: number): void {
  if (depth > 64) throw new InvalidValueError('value nests deeper than 64 levels')
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidValueError('value holds a non-finite number')
    return
  }
  if (Array.isArray(value)) {
    for (const item of value) assertJson(item, depth + 1)
    return
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) assertJson(item, depth + 1)
    return
  }
  throw new InvalidValueError(`value holds a ${typeof value}, which JSON cannot carry`)
}

/** Raised by every operation after the store was closed. */
export class ClosedError extends Errors.BaseError {
  override readonly name = 'SqliteStore.ClosedError'
  readonly code = 'ERR_STORE_CLOSED'
  readonly problem = undefined
}

/** Raised when a value is not JSON (a function, `undefined`, `NaN`, a class instance...). */
export class InvalidValueError extends Errors.BaseError {
  override readonly name = 'SqliteStore.InvalidValueError'
  readonly code = 'ERR_STORE_VALUE_INVALID'
  readonly problem = undefined
}

/** Raised for an invalid option (a TTL or timeout that is not a positive number). */
export class InvalidOptionError extends Errors.BaseError {
  override readonly name = 'SqliteStore.InvalidOptionError'
  readonly code = 'ERR_STORE_OPTION_INVALID'
  readonly problem = undefined
}
