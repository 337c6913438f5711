// What a challenge asks the client to pay, read from its `request` (never from its
// `description`: draft-httpauth-payment §"Amount Verification"). Only the charge intent
// (draft-payment-intent-charge) states a price the client can check before paying.
import { type Challenge, Charge, Errors } from '@paywire/core'

/**
 * A payment a server asks for: the facts the spending policy, the approval hook, errors
 * and the ledger work with. Amounts are base-unit integer strings.
 *
 * @example
 * ```ts
 * import { Quote } from '@paywire/client'
 * declare const quote: Quote.Quote
 * console.log(`${quote.origin} asks ${quote.amount} ${quote.currency} via ${quote.method}`)
 * ```
 */
export type Quote = {
  /** The URL whose response carried the challenge (without user info or fragment). */
  url: string
  /** Origin of {@link Quote.url}, e.g. `https://api.example.com`. */
  origin: string
  /** The challenge's `id`. */
  challengeId: string
  /** The challenge's protection space. */
  realm: string
  /** Payment method identifier, e.g. `tempo`. */
  method: string
  /** Payment intent, e.g. `charge`. */
  intent: string
  /** Amount in base units of {@link Quote.currency}. */
  amount: string
  /** Currency or asset identifier, as the request states it. */
  currency: string
  /** Recipient, when the request names one. */
  recipient: string | undefined
  /** The challenge's `expires`, when present. */
  expires: string | undefined
  /** Display text from the server. Shown to people, never used for a decision. */
  description: string | undefined
}

/**
 * Intents whose request states the full amount paid.
 *
 * @example
 * ```ts
 * import { Quote } from '@paywire/client'
 * Quote.pricedIntents // ['charge']
 * ```
 */
export const pricedIntents = [Charge.intent] as const

/**
 * Reads the quote of a challenge whose request passed its method's schema.
 *
 * @throws {UnpricedChallengeError} when the intent states no price the client can check,
 *   or the request lacks a valid `amount` and `currency`.
 * @example
 * ```ts
 * import { Challenge } from '@paywire/core'
 * import { Quote } from '@paywire/client'
 * declare const challenge: Challenge.Challenge
 * const quote = Quote.from({ challenge, request: Challenge.decodeRequest(challenge), url: new URL('https://api.example.com/paid') })
 * quote.amount // '1000'
 * ```
 */
export function from(parameters: from.Parameters): Quote {
  const { challenge, request, url } = parameters
  if (
    parameters.commitment === undefined &&
    !(pricedIntents as readonly string[]).includes(challenge.intent)
  )
    throw new UnpricedChallengeError(
      `intent "${challenge.intent}" states no price the client can check`,
    )
  const result = Charge.requestSchema.safeParse(request)
  if (!result.success)
    throw new UnpricedChallengeError('request lacks a valid amount and currency', {
      cause: result.error,
    })
  return {
    url: display(url),
    origin: url.origin,
    challengeId: challenge.id,
    realm: challenge.realm,
    method: challenge.method,
    intent: challenge.intent,
    amount: parameters.commitment ?? result.data.amount,
    currency: result.data.currency,
    recipient: result.data.recipient,
    expires: challenge.expires,
    description: challenge.description,
  }
}

export declare namespace from {
  type Parameters = {
    challenge: Challenge.Challenge
    /** The decoded request, already checked against the method's schema. */
    request: unknown
    /** The URL that answered with the challenge. */
    url: URL
    /**
     * What the credential commits, when its method says so (`Method.Client.commitment`,
     * e.g. a session's deposit): the quote's amount, for any intent.
     */
    commitment?: string | undefined
  }
}

/**
 * A URL as paywire records and reports it: user info and fragment removed.
 *
 * @example
 * ```ts
 * import { Quote } from '@paywire/client'
 * Quote.display(new URL('https://user:pw@api.example.com/a?b=1#c')) // 'https://api.example.com/a?b=1'
 * ```
 */
export function display(url: URL): string {
  const copy = new URL(url.href)
  copy.username = ''
  copy.password = ''
  copy.hash = ''
  return copy.href
}

/**
 * Raised when a challenge's request does not state an amount and currency to check.
 *
 * @example
 * ```ts
 * import { Challenge } from '@paywire/core'
 * import { Quote } from '@paywire/client'
 * declare const challenge: Challenge.Challenge
 * try {
 *   Quote.from({ challenge, request: {}, url: new URL('https://api.example.com/') })
 * } catch (error) {
 *   if (error instanceof Quote.UnpricedChallengeError) console.log(error.code) // 'ERR_CHALLENGE_UNPRICED'
 * }
 * ```
 */
export class UnpricedChallengeError extends Errors.BaseError {
  override readonly name = 'Quote.UnpricedChallengeError'
  readonly code = 'ERR_CHALLENGE_UNPRICED'
  readonly problem = undefined
}
