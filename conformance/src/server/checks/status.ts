// Checks of the status table (draft-httpauth-payment §4.2 "Status Codes", §4.4.2 "When
// NOT to Return 402", Appendix B.4), of receipts (§5.3) and of caching (§11.10).
import { Base64Url, type Challenge, Receipt } from '@paywire/core'
import {
  authorization,
  buy,
  type Context,
  challenges,
  define,
  expectPaid,
  expectRefusal,
  expectResponse,
  Failure,
  NotApplicable,
  offer,
} from '../Check.js'
import type { Route } from '../Config.js'
import type * as Exchange from '../Exchange.js'
import { routesOf } from './challenge.js'

/** Credentials that cannot be decoded, whatever the target: each is `malformed-credential`. */
export const malformedTokens = [
  'not*base64url',
  Base64Url.encode('this is not JSON'),
  Base64Url.encode('[1,2,3]'),
  Base64Url.encode('{"payload":{}}'),
] as const

/** The checks of the status table, receipts and caching. */
export const checks = [
  define({
    id: 'server.status.malformed-credential',
    title:
      'a credential that cannot be decoded gets 402, a fresh challenge and a malformed-credential problem',
    level: 'MUST',
    requirements: ['core.status.malformed-credential', 'core.status.402-with-challenge'],
    needs: [],
    tags: ['status-table', 'problem'],
    async run(context) {
      for (const token of malformedTokens) {
        const exchange = await context.request(context.routes.paid, {
          authorization: `Payment ${token}`,
        })
        expectRefusal(exchange, 'an undecodable credential', { problems: ['malformed-credential'] })
      }
      return undefined
    },
  }),
  define({
    id: 'server.status.invalid-challenge',
    title:
      'a credential for a challenge the server never issued gets 402, a fresh challenge and an invalid-challenge problem',
    level: 'MUST',
    requirements: [
      'core.status.invalid-challenge',
      'core.status.402-with-challenge',
      'charge.verify.challenge-id',
    ],
    needs: ['payment'],
    tags: ['status-table', 'problem', 'binding'],
    async run(context) {
      const found = await offer(context, context.routes.paid)
      // Same realm, method, intent and request, but made up here: unknown to the server.
      const invented: Challenge.Challenge = {
        id: Base64Url.encode(crypto.getRandomValues(new Uint8Array(32))),
        realm: found.challenge.realm,
        method: found.challenge.method,
        intent: found.challenge.intent,
        request: found.challenge.request,
        ...(found.challenge.expires === undefined ? {} : { expires: found.challenge.expires }),
      }
      const exchange = await context.request(context.routes.paid, {
        authorization: authorization(invented, await found.payer.pay(invented)),
      })
      expectRefusal(exchange, 'a credential for an unknown challenge', {
        problems: ['invalid-challenge'],
      })
      return undefined
    },
  }),
  define({
    id: 'server.status.verification-failed',
    title:
      'a credential whose proof does not verify gets 402, a fresh challenge and a verification-failed problem',
    level: 'MUST',
    requirements: [
      'core.status.verification-failed',
      'core.status.402-with-challenge',
      'charge.verify.proof',
    ],
    needs: ['payment'],
    tags: ['status-table', 'problem'],
    async run(context) {
      const found = await offer(context, context.routes.paid)
      const exchange = await context.request(context.routes.paid, {
        authorization: authorization(found.challenge, await found.payer.forge(found.challenge)),
      })
      expectRefusal(exchange, 'a credential with a false proof', {
        problems: ['verification-failed'],
      })
      return undefined
    },
  }),
  define({
    id: 'server.status.success',
    title: 'a paid request gets 2xx with the resource',
    level: 'MUST',
    requirements: ['core.status.success'],
    needs: ['payment'],
    tags: ['status-table'],
    async run(context) {
      const { authorization: paid } = await buy(context, context.routes.paid)
      expectPaid(
        await context.request(context.routes.paid, { authorization: paid }),
        'a paid request',
      )
      return undefined
    },
  }),
  define({
    id: 'server.credential.scheme-case',
    title:
      'a credential sent under the scheme name in another case (`payment`, `PAYMENT`) is accepted like `Payment`',
    level: 'MUST',
    requirements: ['core.credential.scheme-case'],
    needs: ['payment'],
    tags: ['status-table'],
    async run(context) {
      for (const scheme of ['payment', 'PAYMENT']) {
        const { authorization: paid } = await buy(context, context.routes.paid)
        const exchange = await context.request(context.routes.paid, {
          authorization: `${scheme}${paid.slice(paid.indexOf(' '))}`,
        })
        expectPaid(exchange, `a credential under the scheme name "${scheme}"`)
      }
      return undefined
    },
  }),
  define({
    id: 'server.receipt.send',
    title: 'a paid response carries a Payment-Receipt',
    level: 'SHOULD',
    requirements: ['core.receipt.send'],
    needs: ['payment'],
    tags: ['receipt'],
    async run(context) {
      const exchange = await paidExchange(context)
      if (exchange.headers.get(Receipt.headerName) === null)
        throw new Failure('the paid response has no Payment-Receipt', exchange)
      return undefined
    },
  }),
  define({
    id: 'server.receipt.valid',
    title: 'a receipt decodes, has status "success" and names the method paid',
    level: 'MUST',
    requirements: ['core.receipt.status-success'],
    needs: ['payment'],
    tags: ['receipt'],
    async run(context) {
      const { authorization: paid, challenge } = await buy(context, context.routes.paid)
      const exchange = await context.request(context.routes.paid, { authorization: paid })
      expectPaid(exchange, 'a paid request')
      const value = exchange.headers.get(Receipt.headerName)
      if (value === null) throw new NotApplicable('the target sends no receipt')
      let receipt: Receipt.Receipt
      try {
        receipt = Receipt.deserialize(value)
      } catch (error) {
        throw new Failure(`the receipt does not decode: ${(error as Error).message}`, exchange)
      }
      if (receipt.method !== challenge.method)
        throw new Failure(
          `the receipt names method ${receipt.method}, paid ${challenge.method}`,
          exchange,
        )
      return undefined
    },
  }),
  define({
    id: 'server.status.multiple-credentials',
    title: 'a request carrying two Payment credentials gets 400',
    level: 'SHOULD',
    requirements: ['core.server.multiple-credentials'],
    needs: ['payment'],
    tags: ['status-table', 'hostile'],
    async run(context) {
      const first = await buy(context, context.routes.paid)
      const second = await buy(context, context.routes.paid)
      const exchange = await context.request(context.routes.paid, {
        authorization: `${first.authorization}, ${second.authorization}`,
      })
      expectResponse(exchange)
      if (exchange.response.status !== 400)
        throw new Failure(`expected 400, got ${exchange.response.status}`, exchange)
      return undefined
    },
  }),
  define({
    id: 'server.status.not-found',
    title: 'a missing resource is not answered with 402',
    level: 'SHOULD',
    requirements: ['core.402.not-for-other-failures'],
    needs: [],
    tags: ['status-table'],
    async run(context) {
      const exchange = await context.request({
        method: 'GET',
        path: '/paywire-conformance/missing-resource-7f3a',
      })
      expectResponse(exchange)
      if (exchange.response.status === 402)
        throw new Failure('a path that does not exist gets 402', exchange)
      return undefined
    },
  }),
  define({
    id: 'server.status.policy-denied',
    title: 'a valid payment that the access policy denies gets 403 without a challenge or receipt',
    level: 'MUST',
    requirements: ['core.status.policy-denied', 'core.receipt.not-on-error'],
    needs: ['payment', 'route:denied'],
    tags: ['status-table'],
    async run(context) {
      const route = context.routes.denied as Route
      const { authorization: paid } = await buy(context, route)
      const exchange = await context.request(route, { authorization: paid })
      expectResponse(exchange)
      if (exchange.response.status !== 403)
        throw new Failure(`expected 403, got ${exchange.response.status}`, exchange)
      if (/(^|,)\s*payment(\s|$)/i.test(exchange.headers.get('www-authenticate') ?? ''))
        throw new Failure('the 403 carries a Payment challenge', exchange)
      if (exchange.headers.get(Receipt.headerName) !== null)
        throw new Failure('the 403 carries a Payment-Receipt', exchange)
      return undefined
    },
  }),
  define({
    id: 'server.status.no-credential-echo',
    title: 'no response to a refused credential repeats the credential or its proof',
    level: 'MUST',
    requirements: ['core.credential.no-log'],
    needs: ['payment'],
    tags: ['privacy', 'hostile'],
    async run(context) {
      const found = await offer(context, context.routes.paid)
      const forged = await found.payer.forge(found.challenge)
      const token = authorization(found.challenge, forged)
      const refused = [await context.request(context.routes.paid, { authorization: token })]
      const { authorization: paid } = await buy(context, context.routes.paid)
      await context.request(context.routes.paid, { authorization: paid })
      refused.push(await context.request(context.routes.paid, { authorization: paid }))
      const secrets = [token, paid].map((value) => value.slice('Payment '.length))
      secrets.push(
        ...Object.values(forged.payload).filter(
          (v): v is string => typeof v === 'string' && v.length >= 16,
        ),
      )
      for (const exchange of refused) {
        const text = `${[...exchange.headers].map(([name, value]) => `${name}: ${value}`).join('\n')}\n${exchange.body}`
        if (secrets.some((secret) => text.includes(secret)))
          throw new Failure('a refusal repeats the credential (or its proof) it was sent', exchange)
      }
      return undefined
    },
  }),
  define({
    id: 'server.cache.no-store',
    title: 'every 402 carries Cache-Control: no-store',
    level: 'MUST',
    requirements: ['core.cache.no-store'],
    needs: [],
    tags: ['cache'],
    async run(context) {
      const answers: Exchange.Exchange[] = []
      for (const route of routesOf(context))
        answers.push((await challenges(context, route)).exchange)
      answers.push(
        await context.request(context.routes.paid, {
          authorization: `Payment ${malformedTokens[1]}`,
        }),
      )
      for (const exchange of answers) {
        if (exchange.response?.status !== 402) continue
        if (!directives(exchange).includes('no-store'))
          throw new Failure(
            `a 402 has Cache-Control "${exchange.headers.get('cache-control') ?? ''}"`,
            exchange,
          )
      }
      return undefined
    },
  }),
  define({
    id: 'server.cache.private-receipt',
    title: 'a response carrying a Payment-Receipt carries Cache-Control: private',
    level: 'MUST',
    requirements: ['core.cache.receipt-private'],
    needs: ['payment'],
    tags: ['cache', 'receipt'],
    async run(context) {
      const exchange = await paidExchange(context)
      if (exchange.headers.get(Receipt.headerName) === null)
        throw new NotApplicable('the target sends no receipt')
      if (!directives(exchange).includes('private'))
        throw new Failure(
          `the receipt-bearing response has Cache-Control "${exchange.headers.get('cache-control') ?? ''}"`,
          exchange,
        )
      return undefined
    },
  }),
  define({
    id: 'server.receipt.not-on-error',
    title: 'no error response (unpaid, malformed, false proof, replay) carries a Payment-Receipt',
    level: 'MUST',
    requirements: ['core.receipt.not-on-error'],
    needs: [],
    tags: ['receipt'],
    async run(context) {
      const errors: Exchange.Exchange[] = [
        (await challenges(context, context.routes.paid)).exchange,
      ]
      errors.push(
        await context.request(context.routes.paid, {
          authorization: `Payment ${malformedTokens[2]}`,
        }),
      )
      if (context.payers.length > 0) {
        const found = await offer(context, context.routes.paid)
        errors.push(
          await context.request(context.routes.paid, {
            authorization: authorization(found.challenge, await found.payer.forge(found.challenge)),
          }),
        )
        const { authorization: paid } = await buy(context, context.routes.paid)
        await context.request(context.routes.paid, { authorization: paid })
        errors.push(await context.request(context.routes.paid, { authorization: paid }))
      }
      for (const exchange of errors) {
        expectResponse(exchange)
        const status = exchange.response.status
        if ((status < 200 || status >= 300) && exchange.headers.get(Receipt.headerName) !== null)
          throw new Failure(`a ${status} response carries a Payment-Receipt`, exchange)
      }
      return undefined
    },
  }),
]

async function paidExchange(context: Context): Promise<Exchange.Exchange> {
  const { authorization: paid } = await buy(context, context.routes.paid)
  const exchange = await context.request(context.routes.paid, { authorization: paid })
  expectPaid(exchange, 'a paid request')
  return exchange
}

function directives(exchange: Exchange.Exchange): string[] {
  return (exchange.headers.get('cache-control') ?? '')
    .split(',')
    .map((directive) => directive.trim().toLowerCase().split('=')[0] ?? '')
}
