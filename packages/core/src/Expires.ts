// The `expires` challenge parameter: an RFC 3339 date-time (draft-httpauth-payment
// §"Optional Parameters"). Strict parsing, and expiry checks with a bounded clock skew.
import { BaseError } from './Errors.js'

const pattern =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/

/** Default tolerance for clocks that disagree, in seconds. */
export const defaultSkewSeconds = 30

/**
 * Parses an RFC 3339 date-time (`2025-01-15T12:05:00Z`, with optional fraction and
 * numeric offset) into milliseconds since the epoch.
 *
 * @throws {InvalidExpiresError} for anything else, including impossible dates.
 * @example
 * ```ts
 * import { Expires } from '@paywire/core'
 * Expires.parse('2025-01-15T12:05:00Z') // 1736942700000
 * ```
 */
export function parse(value: string): number {
  const match = value.length <= 64 ? pattern.exec(value) : null
  if (!match)
    throw new InvalidExpiresError(
      `expires must be an RFC 3339 date-time, found "${value.slice(0, 40)}"`,
    )
  const [, y, mo, d, h, mi, s, fraction, , sign, oh, om] = match as unknown as string[]
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const [hour, minute, second] = [Number(h), Number(mi), Number(s)]
  const offsetHours = oh === undefined ? 0 : Number(oh)
  const offsetMinutes = om === undefined ? 0 : Number(om)
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 60 ||
    offsetHours > 23 ||
    offsetMinutes > 59
  )
    throw new InvalidExpiresError(`expires "${value}" is not a valid date-time`)
  const offset = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000
  const millis = fraction ? Math.floor(Number(`0${fraction}`) * 1000) : 0
  // A leap second (:60) is read as the last instant of its minute.
  return (
    Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59)) +
    millis -
    offset +
    (second === 60 ? 999 : 0)
  )
}

/**
 * Formats an instant as the RFC 3339 string paywire emits: UTC, second precision.
 *
 * @example
 * ```ts
 * import { Expires } from '@paywire/core'
 * Expires.format(new Date('2025-01-15T12:05:00.123Z')) // '2025-01-15T12:05:00Z'
 * ```
 */
export function format(instant: Date | number): string {
  const ms = typeof instant === 'number' ? instant : instant.getTime()
  // Second precision: every instant of one second has the same text, made once (a server
  // stamps each receipt and challenge with the time of the request).
  const second = Math.floor(ms / 1000)
  if (second === formatted.second) return formatted.text
  const text = `${(typeof instant === 'number' ? new Date(instant) : instant).toISOString().slice(0, 19)}Z`
  formatted = { second, text }
  return text
}

/** The last second {@link format} wrote, and its text. */
let formatted = { second: Number.NaN, text: '' }

/**
 * An `expires` value a number of seconds from now.
 *
 * @example
 * ```ts
 * import { Expires } from '@paywire/core'
 * const expires = Expires.inSeconds(300) // five minutes from now
 * ```
 */
export function inSeconds(seconds: number, now: number = Date.now()): string {
  return format(now + seconds * 1000)
}

/**
 * Whether an `expires` value lies in the past, allowing `skewSeconds` of clock disagreement.
 *
 * @throws {InvalidExpiresError} if the value is not RFC 3339.
 * @example
 * ```ts
 * import { Expires } from '@paywire/core'
 * Expires.isExpired('2000-01-01T00:00:00Z') // true
 * ```
 */
export function isExpired(value: string, options: isExpired.Options = {}): boolean {
  const now = options.now ?? Date.now()
  const skew = (options.skewSeconds ?? defaultSkewSeconds) * 1000
  return parse(value) + skew < now
}

export declare namespace isExpired {
  type Options = {
    /** The current time in milliseconds. Default `Date.now()`. */
    now?: number
    /** Allowed clock disagreement in seconds. Default {@link defaultSkewSeconds}. */
    skewSeconds?: number
  }
}

/**
 * Throws {@link ExpiredError} when an `expires` value lies in the past (beyond the skew).
 *
 * @example
 * ```ts
 * import { Expires } from '@paywire/core'
 * Expires.assert(Expires.inSeconds(60)) // passes
 * ```
 */
export function assert(value: string, options: isExpired.Options = {}): void {
  if (isExpired(value, options)) throw new ExpiredError(`challenge expired at ${value}`)
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return [4, 6, 9, 11].includes(month) ? 30 : 31
}

/** Raised when `expires` is not an RFC 3339 date-time. */
export class InvalidExpiresError extends BaseError {
  override readonly name = 'Expires.InvalidExpiresError'
  readonly code = 'ERR_EXPIRES_INVALID'
  readonly problem = 'malformed-credential' as const
}

/**
 * Raised when a challenge has expired. draft-httpauth-payment-01's status table answers an
 * expired challenge with `payment-expired` (-00 folded it into `invalid-challenge`, which
 * -01 narrows to unknown or already used ids).
 */
export class ExpiredError extends BaseError {
  override readonly name = 'Expires.ExpiredError'
  readonly code = 'ERR_CHALLENGE_EXPIRED'
  readonly problem = 'payment-expired' as const
}
