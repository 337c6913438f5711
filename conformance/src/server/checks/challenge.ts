// Checks of the challenges a target issues (draft-httpauth-payment §5.1 "Challenge",
// §9.3 "Custom Parameters", §9.4 "Size Considerations", §10.1 "Character Encoding";
// draft-payment-intent-charge §5 "Request Schema") and of its plain 402 answer
// (§4.2 "Status Codes", §8 "Error Handling").
import { AuthParams, BodyDigest, Challenge, Expires, Json, Problem } from '@paywire/core'
import { type Context, challenges, define, expectResponse, Failure, readProblem } from '../Check.js'
import type { Route } from '../Config.js'

/** Intents registered by published intent specifications. */
export const registeredIntents = ['charge', 'session', 'subscription'] as const

/** Largest challenge the core draft recommends, in bytes. */
export const maxChallengeBytes = 8192

/** The checks of issued challenges. */
export const checks = [
  define({
    id: 'server.challenge.issued',
    title: 'an unpaid request gets 402 with a WWW-Authenticate: Payment challenge',
    level: 'MUST',
    requirements: [
      'core.status.payment-required',
      'core.status.402-with-challenge',
      'core.402.challenge-required',
    ],
    needs: [],
    tags: ['status-table', 'challenge'],
    async run(context) {
      for (const route of routesOf(context)) {
        const exchange = await context.request(route)
        expectResponse(exchange)
        if (exchange.response.status !== 402)
          throw new Failure(
            `unpaid ${route.method} ${route.path}: expected 402, got ${exchange.response.status}`,
            exchange,
          )
        const header = exchange.headers.get('www-authenticate') ?? ''
        if (!/(^|,)\s*payment(\s|$)/i.test(header))
          throw new Failure('the 402 carries no Payment challenge in WWW-Authenticate', exchange)
      }
      return undefined
    },
  }),
  define({
    id: 'server.challenge.required-params',
    title: 'every challenge carries a non-empty id, realm, method, intent and request',
    level: 'MUST',
    requirements: [
      'core.challenge.required',
      'core.challenge.id.non-empty',
      'core.challenge.id.server-emit',
      'core.challenge.realm.required',
    ],
    needs: [],
    tags: ['challenge', 'syntax'],
    async run(context) {
      for (const route of routesOf(context)) {
        const exchange = await context.request(route)
        expectResponse(exchange)
        if (exchange.response.status !== 402)
          throw new Failure(`expected 402, got ${exchange.response.status}`, exchange)
        let entries: AuthParams.Entry[]
        try {
          entries = AuthParams.parseChallenges(exchange.headers.get('www-authenticate') ?? '')
        } catch (error) {
          throw new Failure(
            `WWW-Authenticate is not auth-param syntax: ${(error as Error).message}`,
            exchange,
          )
        }
        for (const entry of entries) {
          if (entry.scheme.toLowerCase() !== 'payment') continue
          if (!('params' in entry)) throw new Failure('a Payment challenge is a token68', exchange)
          for (const name of ['id', 'realm', 'method', 'intent', 'request'])
            if ((entry.params[name] ?? '') === '')
              throw new Failure(`a challenge has no (or an empty) ${name}`, exchange)
        }
      }
      return undefined
    },
  }),
  define({
    id: 'server.challenge.syntax',
    title:
      'challenges parse strictly: lowercase method and parameter names, unpadded base64url of JCS request and flat opaque',
    level: 'MUST',
    requirements: [
      'core.challenge.method.lowercase',
      'core.challenge.request.no-padding',
      'core.challenge.request.jcs',
      'core.challenge.opaque.flat',
      'core.challenge.opaque.jcs',
      'core.custom-params.lowercase',
    ],
    needs: [],
    tags: ['challenge', 'syntax'],
    async run(context) {
      for (const route of routesOf(context)) {
        const { exchange } = await challenges(context, route)
        const upper = paramNames(exchange.headers.get('www-authenticate') ?? '').filter(
          (name) => name !== name.toLowerCase(),
        )
        if (upper.length > 0)
          throw new Failure(`parameter names are not lowercase: ${upper.join(', ')}`, exchange)
      }
      return undefined
    },
  }),
  define({
    id: 'server.challenge.intent-registered',
    title: `every intent is a registered one (${registeredIntents.join(', ')})`,
    level: 'MUST',
    requirements: ['core.challenge.intent.registered'],
    needs: [],
    tags: ['challenge'],
    async run(context) {
      const { exchange, challenges: offered } = await challenges(context, context.routes.paid)
      for (const challenge of offered)
        if (!(registeredIntents as readonly string[]).includes(challenge.intent))
          throw new Failure(`intent "${challenge.intent}" is not registered`, exchange)
      return undefined
    },
  }),
  define({
    id: 'server.challenge.charge-request',
    title:
      'a charge request has amount (base-unit integer string) and currency, typed optional fields, and no expires member',
    level: 'MUST',
    requirements: [
      'charge.request.fields',
      'charge.request.amount-string',
      'charge.request.no-expires',
      'charge.request.jcs',
    ],
    needs: ['intent:charge'],
    tags: ['challenge', 'charge'],
    async run(context) {
      for (const route of routesOf(context)) {
        const { exchange, challenges: offered } = await challenges(context, route)
        for (const challenge of offered.filter((c) => c.intent === 'charge')) {
          const problem = chargeRequestProblem(Challenge.decodeRequest(challenge))
          if (problem !== undefined)
            throw new Failure(`${challenge.method}/charge request: ${problem}`, exchange)
        }
      }
      return undefined
    },
  }),
  define({
    id: 'server.challenge.expires',
    title: 'every challenge carries an expires time in the future',
    level: 'SHOULD',
    requirements: ['core.challenge.expires.include'],
    needs: [],
    tags: ['challenge', 'expiry'],
    async run(context) {
      const { exchange, challenges: offered } = await challenges(context, context.routes.paid)
      for (const challenge of offered) {
        if (challenge.expires === undefined)
          throw new Failure(`a ${challenge.method} challenge has no expires`, exchange)
        if (Expires.parse(challenge.expires) <= Date.now())
          throw new Failure(`a challenge expired when issued (${challenge.expires})`, exchange)
      }
      return undefined
    },
  }),
  define({
    id: 'server.challenge.unique',
    title: 'two unpaid requests get different challenge ids (challenges are not reused)',
    level: 'MUST',
    requirements: ['core.cache.challenge-not-reused'],
    needs: [],
    tags: ['challenge', 'replay'],
    async run(context) {
      const first = await challenges(context, context.routes.paid)
      const second = await challenges(context, context.routes.paid)
      const ids = new Set(first.challenges.map((challenge) => challenge.id))
      const reused = second.challenges.find((challenge) => ids.has(challenge.id))
      if (reused !== undefined)
        throw new Failure(`challenge id ${reused.id} was issued twice`, [
          first.exchange,
          second.exchange,
        ])
      return undefined
    },
  }),
  define({
    id: 'server.challenge.size',
    title: `every challenge stays below ${maxChallengeBytes} bytes`,
    level: 'SHOULD',
    requirements: ['core.size.challenge-8kb'],
    needs: [],
    tags: ['challenge', 'size'],
    async run(context) {
      for (const route of routesOf(context)) {
        const { exchange, challenges: offered } = await challenges(context, route)
        for (const challenge of offered) {
          const size = new TextEncoder().encode(Challenge.serialize(challenge)).byteLength
          if (size >= maxChallengeBytes)
            throw new Failure(`a challenge takes ${size} bytes`, exchange)
        }
      }
      return undefined
    },
  }),
  define({
    id: 'server.challenge.realm-ascii',
    title: 'the realm is ASCII',
    level: 'SHOULD',
    requirements: ['core.i18n.realm-ascii'],
    needs: [],
    tags: ['challenge'],
    async run(context) {
      const { exchange, challenges: offered } = await challenges(context, context.routes.paid)
      for (const challenge of offered)
        if (!/^[\x20-\x7e]*$/.test(challenge.realm))
          throw new Failure('the realm has non-ASCII characters', exchange)
      return undefined
    },
  }),
  define({
    id: 'server.challenge.digest',
    title: 'a challenge for a request with a body carries the RFC 9530 digest of that body',
    level: 'SHOULD',
    requirements: ['core.challenge.digest.include'],
    needs: ['route:body'],
    tags: ['challenge', 'digest'],
    async run(context) {
      const route = context.routes.body as Route
      const { exchange, challenges: offered } = await challenges(context, route)
      for (const challenge of offered) {
        if (challenge.digest === undefined)
          throw new Failure(`the ${challenge.method} challenge carries no digest`, exchange)
        if (!safeVerifyDigest(challenge.digest, route.body ?? ''))
          throw new Failure('the digest is not the digest of the request body', exchange)
      }
      return undefined
    },
  }),
  define({
    id: 'server.problem.payment-required',
    title:
      'an unpaid 402 carries an application/problem+json body of type payment-required and status 402',
    level: 'SHOULD',
    requirements: ['core.problem.body', 'core.problem.types'],
    needs: [],
    tags: ['problem'],
    async run(context) {
      const { exchange } = await challenges(context, context.routes.paid)
      const type = exchange.headers.get('content-type') ?? ''
      if (!type.toLowerCase().startsWith(Problem.contentType))
        throw new Failure(`Content-Type is "${type}", not ${Problem.contentType}`, exchange)
      const problem = readProblem(exchange)
      if (problem.type !== `${Problem.baseUri}payment-required` || problem.status !== 402)
        throw new Failure(`problem is ${problem.type} with status ${problem.status}`, exchange)
      return undefined
    },
  }),
  define({
    id: 'server.problem.retry-after',
    title: 'a 402 says when to retry with Retry-After',
    level: 'SHOULD',
    requirements: ['core.retry.retry-after'],
    needs: [],
    tags: ['problem'],
    async run(context) {
      const { exchange } = await challenges(context, context.routes.paid)
      if (exchange.headers.get('retry-after') === null)
        throw new Failure('the 402 has no Retry-After header', exchange)
      return undefined
    },
  }),
]

/** The routes whose challenges are inspected: every configured one. */
export function routesOf(context: Context): Route[] {
  const { paid, other, body, query } = context.routes
  return [paid, ...(other ? [other] : []), ...(body ? [body] : []), ...(query ?? [])]
}

/**
 * What is wrong with a decoded charge request, or undefined when it fits the charge
 * intent's shared fields (draft-payment-intent-charge §5.1).
 */
export function chargeRequestProblem(request: Record<string, Json.Value>): string | undefined {
  const { amount, currency } = request
  if (typeof amount !== 'string') return 'amount is not a string'
  if (!/^(0|[1-9][0-9]*)$/.test(amount)) return `amount "${amount}" is not a base-unit integer`
  if (typeof currency !== 'string' || currency === '') return 'currency is not a non-empty string'
  for (const field of ['recipient', 'description', 'externalId'])
    if (request[field] !== undefined && typeof request[field] !== 'string')
      return `${field} is not a string`
  const details = request.methodDetails
  if (details !== undefined && !Json.isObject(details)) return 'methodDetails is not an object'
  if (Object.hasOwn(request, 'expires')) return 'the request repeats expires'
  return undefined
}

/** The auth-param names of a header, as written (case kept); quoted strings are skipped. */
export function paramNames(header: string): string[] {
  const names: string[] = []
  const token = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y
  let index = 0
  while (index < header.length) {
    if (header[index] === '"') {
      index++
      while (index < header.length && header[index] !== '"') index += header[index] === '\\' ? 2 : 1
      index++
      continue
    }
    token.lastIndex = index
    const match = token.exec(header)
    if (match === null) {
      index++
      continue
    }
    index += match[0].length
    let after = index
    while (header[after] === ' ' || header[after] === '\t') after++
    if (header[after] === '=' && header[after + 1] !== '=') names.push(match[0])
  }
  return names
}

function safeVerifyDigest(digest: string, body: string): boolean {
  try {
    return BodyDigest.verify(digest, body)
  } catch {
    // An unparseable digest is not the digest of the body: the check reports it as such.
    return false
  }
}
