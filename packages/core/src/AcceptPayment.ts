// The `Accept-Payment` request field: the method/intent pairs a client can pay with,
// weighted like other HTTP negotiation fields, and the server-side negotiation that
// orders a server's offers by them.
import { z } from 'zod'
import { BaseError } from './Errors.js'

/** The field name, as sent by clients. */
export const headerName = 'Accept-Payment'

/** One `payment-range`: a method (or `*`), an intent (or `*`) and a weight in [0, 1]. */
export const rangeSchema = z.object({
  method: z.string().regex(/^(?:[a-z]+|\*)$/),
  intent: z.string().regex(/^(?:[A-Za-z0-9-]+|\*)$/),
  q: z.number().min(0).max(1),
})

export type Range = z.infer<typeof rangeSchema>

/** What a server can offer: one method and intent pair (a challenge it could send). */
export type Offer = { method: string; intent: string }

/** Upper bound on the field length read by {@link parse}. */
export const maxLength = 4096

/**
 * Parses an `Accept-Payment` field value. Omitted weights are `q=1`.
 *
 * @throws {InvalidHeaderError} when the value does not follow the grammar.
 * @example
 * ```ts
 * import { AcceptPayment } from '@paywire/core'
 * AcceptPayment.parse('tempo/*, stripe/charge;q=0.5')
 * // [{ method: 'tempo', intent: '*', q: 1 }, { method: 'stripe', intent: 'charge', q: 0.5 }]
 * ```
 */
export function parse(value: string): Range[] {
  if (value.length > maxLength)
    throw new InvalidHeaderError(`${headerName} exceeds ${maxLength} characters`)
  const ranges: Range[] = []
  for (const raw of value.split(',')) {
    const element = raw.trim()
    // `#rule` allows empty list elements.
    if (element === '') continue
    ranges.push(parseRange(element))
  }
  if (ranges.length === 0) throw new InvalidHeaderError(`${headerName} holds no payment-range`)
  return ranges
}

/**
 * Formats ranges as an `Accept-Payment` field value (weights of 1 are left out).
 *
 * @throws {InvalidHeaderError} when a range is not valid.
 * @example
 * ```ts
 * import { AcceptPayment } from '@paywire/core'
 * AcceptPayment.serialize([{ method: 'tempo', intent: '*', q: 1 }, { method: 'stripe', intent: 'charge', q: 0.5 }])
 * // 'tempo/*, stripe/charge;q=0.5'
 * ```
 */
export function serialize(ranges: readonly Range[]): string {
  return ranges
    .map((range) => {
      const result = rangeSchema.safeParse(range)
      if (!result.success) throw new InvalidHeaderError('invalid payment-range')
      const weight = Math.round(range.q * 1000) / 1000
      return weight === 1
        ? `${range.method}/${range.intent}`
        : `${range.method}/${range.intent};q=${weight}`
    })
    .join(', ')
}

/**
 * Orders a server's offers by a client's `Accept-Payment`, as the core draft recommends:
 * offers no range accepts (or accepts only with `q=0`) are dropped, the rest are ordered
 * by descending weight, ties keep the server's order, and when several ranges match an
 * offer the most specific one decides its weight (`tempo/charge` over `tempo/*` over
 * `*​/charge` over `*​/*`).
 *
 * With no header, a malformed header, or a header that matches none of the offers, the
 * offers come back unchanged: the draft lets servers ignore such headers, and a client
 * is better served by the full set than by none.
 *
 * @example
 * ```ts
 * import { AcceptPayment } from '@paywire/core'
 * const offers = [{ method: 'stripe', intent: 'charge' }, { method: 'tempo', intent: 'charge' }]
 * AcceptPayment.negotiate(offers, 'tempo/*, stripe/charge;q=0.5') // tempo first, then stripe
 * ```
 */
export function negotiate<offer extends Offer>(
  offers: readonly offer[],
  header: string | null | undefined,
): offer[] {
  if (header === null || header === undefined) return [...offers]
  let ranges: Range[]
  try {
    ranges = parse(header)
  } catch {
    return [...offers]
  }
  const ranked: Array<{ offer: offer; q: number; index: number }> = []
  offers.forEach((offer, index) => {
    const q = weight(ranges, offer)
    if (q > 0) ranked.push({ offer, q, index })
  })
  if (ranked.length === 0) return [...offers]
  ranked.sort((a, b) => b.q - a.q || a.index - b.index)
  return ranked.map((entry) => entry.offer)
}

/**
 * The weight a client gives to an offer: that of the most specific matching range (the
 * first listed among equally specific ones), or 0 when none matches.
 *
 * @example
 * ```ts
 * import { AcceptPayment } from '@paywire/core'
 * AcceptPayment.weight(AcceptPayment.parse('tempo/*;q=0.4, tempo/charge'), { method: 'tempo', intent: 'charge' }) // 1
 * ```
 */
export function weight(ranges: readonly Range[], offer: Offer): number {
  let best = -1
  let q = 0
  for (const range of ranges) {
    const methodMatches = range.method === '*' || range.method === offer.method
    const intentMatches = range.intent === '*' || range.intent === offer.intent
    if (!methodMatches || !intentMatches) continue
    const specificity = (range.method === '*' ? 0 : 2) + (range.intent === '*' ? 0 : 1)
    if (specificity > best) {
      best = specificity
      q = range.q
    }
  }
  return q
}

/** Raised when an `Accept-Payment` value does not follow the grammar. */
export class InvalidHeaderError extends BaseError {
  override readonly name = 'AcceptPayment.InvalidHeaderError'
  readonly code = 'ERR_ACCEPT_PAYMENT_INVALID'
  readonly problem = undefined
}

// Both patterns are anchored and free of nested quantifiers, and run on one list
// element of a field capped at `maxLength`, so their time is linear.
const tokenPattern = /^(?:([a-z]+)|\*)\/(?:([A-Za-z0-9-]+)|\*)$/
const qvaluePattern = /^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/

function parseRange(element: string): Range {
  const semicolon = element.indexOf(';')
  const token = (semicolon === -1 ? element : element.slice(0, semicolon)).trimEnd()
  const match = tokenPattern.exec(token)
  if (match === null) throw new InvalidHeaderError(`invalid payment-range "${truncate(token)}"`)
  const [, method, intent] = match
  let q = 1
  if (semicolon !== -1) {
    // weight = OWS ";" OWS "q=" qvalue
    const parameter = element.slice(semicolon + 1).trimStart()
    if (parameter[0] !== 'q' && parameter[0] !== 'Q')
      throw new InvalidHeaderError(`unexpected parameter in "${truncate(element)}"`)
    if (parameter[1] !== '=')
      throw new InvalidHeaderError(`invalid weight in "${truncate(element)}"`)
    const qvalue = parameter.slice(2)
    if (!qvaluePattern.test(qvalue))
      throw new InvalidHeaderError(`invalid weight in "${truncate(element)}"`)
    q = Number(qvalue)
  }
  return { method: method ?? '*', intent: intent ?? '*', q }
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}
