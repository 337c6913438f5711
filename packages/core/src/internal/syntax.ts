// The syntax rules of single wire fields, each written once: the zod schemas of Challenge
// and Receipt are built from them, and Receipt's compiled check calls them directly, so
// both read the same rule.
import * as Expires from '../Expires.js'

/** @internal A payment method identifier: lowercase ASCII letters (`1*LOWERALPHA`). */
export const methodPattern = /^[a-z]+$/

/** @internal A payment intent identifier (`1*( ALPHA / DIGIT / "-" )`). */
export const intentPattern = /^[A-Za-z0-9-]+$/

/** The last string found to be an RFC 3339 date-time: servers stamp many values alike. */
let lastDateTime: string | undefined

/**
 * @internal Whether a string is an RFC 3339 date-time (`Expires.parse` accepts it). The
 * last valid value is remembered, so a run of equal stamps (one `expires` per route and
 * second, receipts stamped in the same second) is parsed once.
 */
export function isDateTime(value: string): boolean {
  if (value === lastDateTime) return true
  try {
    Expires.parse(value)
  } catch {
    // Expires.parse only throws InvalidExpiresError; the schema reports its own message.
    return false
  }
  lastDateTime = value
  return true
}
