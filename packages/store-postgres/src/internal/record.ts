// What this store accepts before it talks to PostgreSQL: JSON values (encoded once, so a caller
// keeps no reference into stored state and amounts stay strings) and positive TTLs.
import { Errors, Store } from '@paywire/core'

/** Validates a value as JSON and encodes it. */
export function encode(value: Store.Value): string {
  const problem = Store.invalidValue(value)
  if (problem !== undefined) throw new InvalidValueError(problem)
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

/** Raised by every operation after the store was closed. */
export class ClosedError extends Errors.BaseError {
  override readonly name = 'PostgresStore.ClosedError'
  readonly code = 'ERR_STORE_CLOSED'
  readonly problem = undefined
}

/** Raised when a value is not JSON (a function, `undefined`, `NaN`, a class instance...). */
export class InvalidValueError extends Errors.BaseError {
  override readonly name = 'PostgresStore.InvalidValueError'
  readonly code = 'ERR_STORE_VALUE_INVALID'
  readonly problem = undefined
}

/** Raised for an invalid option (a TTL or timeout that is not a positive number). */
export class InvalidOptionError extends Errors.BaseError {
  override readonly name = 'PostgresStore.InvalidOptionError'
  readonly code = 'ERR_STORE_OPTION_INVALID'
  readonly problem = undefined
}
