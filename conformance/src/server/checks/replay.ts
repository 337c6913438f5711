// Checks of single use and of what a credential is good for (draft-httpauth-payment
// §11.3 "Replay Protection", §11.5 "Concurrent Request Handling", §5.1.3 "Request Body
// Digest Binding", §11.4 "Idempotency and Side Effects"; draft-payment-intent-charge §6.2
// "Single-Use", §8.3 "Replay Protection"): a credential pays once, for one request body,
// one route and one query.
import { Base64Url, BodyDigest, Expires } from '@paywire/core'
import {
  authorization,
  buy,
  type Check,
  define,
  expectPaid,
  expectRefusal,
  expectRejected,
  expectResponse,
  Failure,
  NotApplicable,
  offer,
  payAsEchoed,
} from '../Check.js'
import type { Route } from '../Config.js'

/**
 * The same credential (challenge and proof) in other bytes: its JSON with whitespace, with
 * its members reordered, with a member name written with an escape, with another or no
 * `source`; its token with padding or in standard base64. A server that keys its replay
 * marker on the bytes rather than on the challenge accepts one of them again.
 */
export function otherForms(paid: string): Array<[string, string]> {
  const token = paid.slice(paid.indexOf(' ') + 1)
  const json = new TextDecoder().decode(Base64Url.decode(token))
  const parsed = JSON.parse(json) as Record<string, unknown>
  const form = (text: string) => `Payment ${Base64Url.encode(text)}`
  const reordered = Object.fromEntries(Object.entries(parsed).reverse())
  const { source, ...withoutSource } = parsed
  const forms: Array<[string, string]> = [
    ['JSON with whitespace', form(JSON.stringify(parsed, null, 2))],
    ['members in reverse order', form(JSON.stringify(reordered))],
    [
      'a member name written with an escape',
      form(JSON.stringify(parsed).replace('"payload":', '"\\u0070ayload":')),
    ],
    [
      source === undefined ? 'a source added' : 'another source',
      form(JSON.stringify({ ...withoutSource, source: 'did:example:someone-else' })),
    ],
  ]
  if (source !== undefined) forms.push(['the source removed', form(JSON.stringify(withoutSource))])
  if (token.length % 4 !== 0)
    forms.push(['padding', `Payment ${token}${'='.repeat(4 - (token.length % 4))}`])
  if (/[-_]/.test(token))
    forms.push(['standard base64', `Payment ${token.replaceAll('-', '+').replaceAll('_', '/')}`])
  return forms
}

/** The checks of replay, concurrency, digest, route binding and idempotency. */
export const checks: Check[] = [
  define({
    id: 'server.replay.sequential',
    title: 'a credential that was accepted once is refused the second time with invalid-challenge',
    level: 'MUST',
    requirements: [
      'core.replay.single-use',
      'core.replay.reject-reuse',
      'charge.single-use',
      'charge.replay.reject',
      'charge.replay.protection',
      'charge.replay.id-single-use',
    ],
    needs: ['payment'],
    tags: ['replay', 'status-table'],
    async run(context) {
      const { authorization } = await buy(context, context.routes.paid)
      expectPaid(await context.request(context.routes.paid, { authorization }), 'the first use')
      const replay = await context.request(context.routes.paid, { authorization })
      expectRefusal(replay, 'a replayed credential', { problems: ['invalid-challenge'] })
      return undefined
    },
  }),
  define({
    id: 'server.replay.byte-forms',
    title:
      'a credential that was accepted once is refused in every other byte form: JSON whitespace, member order, escapes, another or no source, padding, standard base64',
    level: 'MUST',
    requirements: [
      'core.replay.single-use',
      'core.replay.reject-reuse',
      'charge.replay.reject',
      'charge.replay.id-single-use',
    ],
    needs: ['payment'],
    tags: ['replay'],
    async run(context) {
      const { authorization } = await buy(context, context.routes.paid)
      expectPaid(await context.request(context.routes.paid, { authorization }), 'the first use')
      const forms = otherForms(authorization)
      for (const [name, value] of forms)
        expectRejected(
          await context.request(context.routes.paid, { authorization: value }),
          `the used credential again, with ${name},`,
        )
      return { message: `${forms.length} other byte forms of a used credential refused` }
    },
  }),
  define({
    id: 'server.replay.delayed',
    title:
      'a credential that was accepted once is still refused when replayed later, at several delays up to its challenge expiry',
    level: 'MUST',
    requirements: [
      'core.replay.single-use',
      'core.replay.reject-reuse',
      'charge.replay.reject',
      'charge.replay.protection',
    ],
    needs: ['payment', 'expiry:wait'],
    tags: ['replay', 'expiry'],
    // After the other checks, alone: its payment must not race theirs from the same payer.
    final: true,
    async run(context) {
      const { authorization: paid, challenge } = await buy(context, context.routes.paid)
      if (challenge.expires === undefined)
        throw new NotApplicable('the target issues challenges without expires')
      expectPaid(
        await context.request(context.routes.paid, { authorization: paid }),
        'the first use',
      )
      const start = Date.now()
      const lifetime = Expires.parse(challenge.expires) - start
      if (lifetime > context.config.expiry.maxWaitSeconds * 1000)
        throw new NotApplicable(
          `the challenge expires in ${Math.ceil(lifetime / 1000)} s: more than expiry.maxWaitSeconds (${context.config.expiry.maxWaitSeconds}); run the target with a shorter challenge lifetime`,
        )
      // A third, two thirds, and the last half second of the challenge's life (a replay
      // marker that expires before the challenge lets one of these through).
      const delays = [lifetime / 3, (2 * lifetime) / 3, lifetime - 500].filter((ms) => ms > 0)
      for (const delay of delays) {
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + delay - Date.now())))
        expectRejected(
          await context.request(context.routes.paid, { authorization: paid }),
          `the used credential replayed ${(delay / 1000).toFixed(1)} s later`,
        )
      }
      return {
        message: `replayed at ${delays.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')} after use; refused each time`,
      }
    },
  }),
  define({
    id: 'server.replay.concurrent',
    title:
      'N concurrent copies of one credential give exactly one success, the others 402 (or 503 with Retry-After and no challenge while the paying request is in progress)',
    level: 'MUST',
    requirements: ['core.concurrency.single-settlement', 'core.replay.reject-reuse'],
    needs: ['payment'],
    tags: ['replay', 'concurrency'],
    async run(context) {
      const { authorization } = await buy(context, context.routes.paid)
      const copies = context.config.concurrency
      const exchanges = await Promise.all(
        Array.from({ length: copies }, () =>
          context.request(context.routes.paid, { authorization }),
        ),
      )
      const successes = exchanges.filter(
        (e) => (e.response?.status ?? 0) >= 200 && (e.response?.status ?? 0) < 300,
      )
      for (const exchange of exchanges) expectResponse(exchange)
      // "In progress, retry the same credential later, do not pay again": a refusal that
      // invites no second payment (paywire's DEVIATIONS row 23).
      const inProgress = (e: (typeof exchanges)[number]) =>
        e.response?.status === 503 &&
        e.response.headers.get('retry-after') !== null &&
        e.response.headers.get('www-authenticate') === null
      const broken = exchanges.find((e) => (e.response?.status ?? 0) >= 500 && !inProgress(e))
      if (broken !== undefined)
        throw new Failure(`a concurrent copy got ${broken.response?.status}`, broken)
      if (successes.length !== 1)
        throw new Failure(
          `${successes.length} of ${copies} concurrent copies of one credential succeeded`,
          successes.length > 1 ? successes.slice(0, 2) : exchanges.slice(0, 2),
        )
      const refused = exchanges.find(
        (e) => e !== successes[0] && e.response?.status !== 402 && !inProgress(e),
      )
      if (refused !== undefined)
        throw new Failure(
          `a refused copy got ${refused.response?.status}, not 402 (nor an in-progress 503)`,
          refused,
        )
      return {
        message: `1 of ${copies} succeeded`,
        evidence: [successes[0] as (typeof exchanges)[number]],
      }
    },
  }),
  define({
    id: 'server.digest.accepted',
    title: 'a credential presented with the body its challenge was issued for is accepted',
    level: 'MUST',
    requirements: ['core.digest.verify', 'core.status.success'],
    needs: ['payment', 'route:body'],
    tags: ['digest'],
    async run(context) {
      const route = context.routes.body as Route
      const { authorization } = await buy(context, route)
      expectPaid(await context.request(route, { authorization }), 'the paid request with its body')
      return undefined
    },
  }),
  define({
    id: 'server.digest.mismatch',
    title: 'a credential presented with another body than its challenge digest is refused',
    level: 'MUST',
    requirements: ['core.digest.verify', 'core.digest.reject-mismatch'],
    needs: ['payment', 'route:body'],
    tags: ['digest', 'binding'],
    async run(context) {
      const route = context.routes.body as Route
      const { authorization, challenge } = await buy(context, route)
      if (challenge.digest === undefined)
        throw new NotApplicable('the target binds no digest to its body route')
      const exchange = await context.request(route, {
        authorization,
        body: `${route.body ?? ''} `,
      })
      expectRefusal(exchange, 'a credential with another body', {
        problems: ['invalid-challenge', 'verification-failed', 'malformed-credential'],
      })
      return undefined
    },
  }),
  define({
    id: 'server.digest.tamper-with-body',
    title:
      "a credential whose echoed digest was changed to another body's, sent with that body, is refused: the digest is bound",
    level: 'MUST',
    requirements: ['core.binding.verify', 'core.binding.all-params', 'core.digest.verify'],
    needs: ['payment', 'route:body'],
    tags: ['digest', 'binding'],
    async run(context) {
      const route = context.routes.body as Route
      const found = await offer(context, route)
      if (found.challenge.digest === undefined)
        throw new NotApplicable('the target binds no digest to its body route')
      const other = `${route.body ?? ''} `
      const echo = { ...found.challenge, digest: BodyDigest.compute(other) }
      const exchange = await context.request(route, {
        authorization: authorization(echo, await payAsEchoed(found, echo)),
        body: other,
      })
      expectRefusal(exchange, 'another body under a digest changed to match it', {
        problems: ['invalid-challenge', 'verification-failed', 'malformed-credential'],
      })
      return undefined
    },
  }),
  define({
    id: 'server.route.cross-route',
    title: 'a credential bought for one paid route is refused on another',
    level: 'MUST',
    requirements: ['charge.verify.amount', 'core.binding.all-params'],
    needs: ['payment'],
    tags: ['binding', 'route'],
    async run(context) {
      const other = context.routes.other ?? context.routes.body
      if (other === undefined)
        throw new NotApplicable('the configuration names one paid route only')
      const { authorization } = await buy(context, context.routes.paid)
      const exchange = await context.request(other, { authorization })
      expectRefusal(exchange, `a credential for ${context.routes.paid.path} on ${other.path}`, {
        problems: ['invalid-challenge', 'verification-failed', 'method-unsupported'],
        status: [402, 400],
      })
      return undefined
    },
  }),
  define({
    id: 'server.route.cross-query',
    title: 'a credential bought for one query of a route is refused on another query',
    level: 'MUST',
    requirements: ['charge.verify.amount', 'core.binding.all-params'],
    needs: ['payment', 'route:query'],
    tags: ['binding', 'route'],
    async run(context) {
      const [first, second] = context.routes.query as readonly [Route, Route]
      const { authorization } = await buy(context, first)
      const exchange = await context.request(second, { authorization })
      expectRefusal(exchange, `a credential for ${first.path} on ${second.path}`, {
        problems: ['invalid-challenge', 'verification-failed'],
      })
      return undefined
    },
  }),
  define({
    id: 'server.idempotency.replay',
    title:
      'a retry with the same Idempotency-Key and credential gets the original response, not a refusal',
    level: 'SHOULD',
    requirements: ['core.idempotency.key', 'core.idempotency.replay-response'],
    needs: ['payment', 'route:body'],
    tags: ['idempotency'],
    async run(context) {
      const route = context.routes.body as Route
      const { authorization } = await buy(context, route)
      const key = `paywire-conformance-${crypto.randomUUID()}`
      const headers = { 'idempotency-key': key }
      const first = await context.request(route, { authorization, headers })
      expectPaid(first, 'the first request with an Idempotency-Key')
      const retry = await context.request(route, { authorization, headers })
      expectResponse(retry)
      if (retry.response.status !== first.response?.status || retry.body !== first.body)
        throw new Failure(
          `the retry got ${retry.response.status} and ${retry.body === first.body ? 'the same' : 'another'} body; the original was ${first.response?.status}`,
          [first, retry],
        )
      return undefined
    },
  }),
]
