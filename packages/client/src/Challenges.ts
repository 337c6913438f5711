// Reading a 402 from the client's side (draft-httpauth-payment §"Intent Negotiation",
// §"Client Payment Preferences", appendix "Multiple Payment Options"): every Payment
// challenge is parsed on its own, those the client has no method for are set aside as
// unsupported, and the rest are ranked by the client's Accept-Payment preferences.
import { AcceptPayment, AuthParams, Challenge, type Method } from '@paywire/core'
import * as Policy from './Policy.js'
import * as Quote from './Quote.js'

/**
 * A challenge the client can answer, with the method that answers it.
 *
 * @example
 * ```ts
 * import { Challenges } from '@paywire/client'
 * declare const candidate: Challenges.Candidate
 * console.log(candidate.challenge.id, candidate.method.method, candidate.q)
 * ```
 */
export type Candidate = {
  challenge: Challenge.Challenge
  method: Method.Client
  /** The client's weight for this method and intent (0 < q ≤ 1). */
  q: number
}

/**
 * What a 402 offered: the valid Payment challenges, and how many could not be read.
 *
 * @example
 * ```ts
 * import { Challenges } from '@paywire/client'
 * declare const response: Response
 * const { challenges, invalid }: Challenges.Offered = Challenges.fromResponse(response)
 * ```
 */
export type Offered = { challenges: Challenge.Challenge[]; invalid: number }

// @enforces core.challenge.id.reject-empty, core.challenge.id.non-empty, core.challenge.method.lowercase, core.challenge.unknown-params, core.versioning.ignore-unknown, core.size.challenge-4kb
/**
 * Parses every Payment challenge of a response's `WWW-Authenticate` field. A challenge
 * that is not valid (missing or empty `id`, bad `request`...) is counted and skipped, so
 * one bad challenge does not hide the good ones; unknown parameters are ignored.
 *
 * @example
 * ```ts
 * import { Challenges } from '@paywire/client'
 * declare const response: Response
 * const { challenges } = Challenges.fromResponse(response)
 * ```
 */
export function fromResponse(response: Response): Offered {
  const header = response.headers.get('www-authenticate')
  if (header === null) return { challenges: [], invalid: 0 }
  let entries: AuthParams.Entry[]
  try {
    entries = AuthParams.parseChallenges(header)
  } catch {
    // The whole field is unreadable: no challenge can be trusted.
    return { challenges: [], invalid: 1 }
  }
  const challenges: Challenge.Challenge[] = []
  let invalid = 0
  for (const entry of entries) {
    if (entry.scheme.toLowerCase() !== Challenge.scheme.toLowerCase()) continue
    try {
      if (!('params' in entry)) throw new Challenge.InvalidChallengeError('token68 challenge')
      challenges.push(Challenge.validated({ ...entry.params }))
    } catch {
      invalid++
    }
  }
  return { challenges, invalid }
}

/**
 * Keeps the challenges the client has a method for (same method and intent) and that its
 * preferences do not exclude (`q=0`), ordered by descending weight; equal weights keep
 * the server's order.
 *
 * @example
 * ```ts
 * import type { Challenge } from '@paywire/core'
 * import { TestMethod } from '@paywire/testkit'
 * import { Challenges } from '@paywire/client'
 * declare const challenges: Challenge.Challenge[]
 * const methods = [TestMethod.client({ key: 'k' })]
 * const ranked = Challenges.rank(challenges, methods, Challenges.defaultAccept(methods))
 * ```
 */
export function rank(
  challenges: readonly Challenge.Challenge[],
  methods: readonly Method.Client[],
  accept: readonly AcceptPayment.Range[],
): Candidate[] {
  const candidates: Array<Candidate & { index: number }> = []
  challenges.forEach((challenge, index) => {
    const method = methods.find(
      (item) => item.method === challenge.method && item.intent === challenge.intent,
    )
    if (method === undefined) return
    const q = AcceptPayment.weight(accept, challenge)
    if (q > 0) candidates.push({ challenge, method, q, index })
  })
  candidates.sort((a, b) => b.q - a.q || a.index - b.index)
  return candidates.map(({ challenge, method, q }) => ({ challenge, method, q }))
}

/**
 * The preferences a client states when told nothing else: every method and intent it
 * has, with weight 1.
 *
 * @example
 * ```ts
 * import { TestMethod } from '@paywire/testkit'
 * import { Challenges } from '@paywire/client'
 * Challenges.defaultAccept([TestMethod.client({ key: 'k' })]) // [{ method: 'test', intent: 'charge', q: 1 }]
 * ```
 */
export function defaultAccept(methods: readonly Method.Client[]): AcceptPayment.Range[] {
  return methods.map((method) => ({ method: method.method, intent: method.intent, q: 1 }))
}

// @enforces core.accept-payment.client-validate, charge.client.display-shared
/**
 * Reads what a candidate asks: its request, checked against the method's schema, and
 * the quote the policy judges.
 *
 * @throws {Policy.RefusedError} with rule `request-schema` when the request fails the
 *   method's schema, or `unpriced` when it states no amount and currency to check.
 * @example
 * ```ts
 * import { Challenges } from '@paywire/client'
 * declare const candidate: Challenges.Candidate
 * const { quote } = Challenges.read(candidate, new URL('https://api.example.com/paid'))
 * ```
 */
export function read(candidate: Candidate, url: URL, commitment?: string): read.ReturnType {
  const { challenge, method } = candidate
  const refusal = { challenge: summary(challenge) }
  let decoded: unknown
  try {
    decoded = Challenge.decodeRequest(challenge)
  } catch (cause) {
    throw new Policy.RefusedError('request-schema', 'request is not canonical JSON', {
      ...refusal,
      cause,
    })
  }
  const result = method.requestSchema.safeParse(decoded)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new Policy.RefusedError(
      'request-schema',
      `request fails the ${challenge.method}/${challenge.intent} schema at ${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'invalid'}`,
      { ...refusal, cause: result.error },
    )
  }
  try {
    return {
      request: result.data,
      quote: Quote.from({ challenge, request: result.data, url, commitment }),
    }
  } catch (cause) {
    throw new Policy.RefusedError('unpriced', (cause as Error).message, { ...refusal, cause })
  }
}

export declare namespace read {
  type ReturnType = { request: Record<string, unknown>; quote: Quote.Quote }
}

/** The identifying fields of a challenge, for errors. */
function summary(challenge: Challenge.Challenge): Policy.RefusedError.Challenge {
  return {
    id: challenge.id,
    method: challenge.method,
    intent: challenge.intent,
    realm: challenge.realm,
  }
}
