// Checks of side effects (draft-httpauth-payment §11.4 "Idempotency and Side Effects"):
// requests that are not paid, unpaid ones that get a challenge and refused credentials
// alike, run no paid handler. The target helps with `routes.effects`, a free route that
// counts the runs of its paid handlers; a paid request, which must count once, proves
// that the counter counts.
import { Base64Url, type Challenge } from '@paywire/core'
import {
  authorization,
  buy,
  type Context,
  challenges,
  define,
  expectPaid,
  expectRejected,
  expectResponse,
  Failure,
  offer,
  payAsEchoed,
} from '../Check.js'
import type * as Exchange from '../Exchange.js'
import { routesOf } from './challenge.js'

/** The checks of side effects. */
export const checks = [
  define({
    id: 'server.effects.challenge-only',
    title: 'unpaid requests that get a 402 run no paid handler',
    level: 'MUST',
    requirements: ['core.side-effects.challenge-only', 'core.side-effects.unpaid'],
    needs: ['route:effects', 'payment'],
    tags: ['side-effects'],
    final: true,
    async run(context) {
      const before = await count(context)
      const unpaid: Exchange.Exchange[] = []
      for (const route of routesOf(context))
        for (let round = 0; round < 2; round++)
          unpaid.push((await challenges(context, route)).exchange)
      const after = await count(context)
      if (after.count !== before.count)
        throw new Failure(
          `${unpaid.length} unpaid requests moved the paid-handler count from ${before.count} to ${after.count}`,
          [before.exchange, ...unpaid.slice(0, 2), after.exchange],
        )
      await expectCounted(context, after.count)
      return { message: `${unpaid.length} unpaid requests, no paid handler run` }
    },
  }),
  define({
    id: 'server.effects.refused',
    title:
      'requests whose credential is refused (malformed, false proof, tampered, unknown or used challenge) run no paid handler',
    level: 'MUST',
    requirements: ['core.side-effects.unpaid'],
    needs: ['route:effects', 'payment'],
    tags: ['side-effects'],
    final: true,
    async run(context) {
      const route = context.routes.paid
      // A used credential first: its one paid run is the control that the counter counts.
      const before = await count(context)
      const used = await buy(context, route)
      expectPaid(await context.request(route, { authorization: used.authorization }), 'a payment')
      const counted = await count(context)
      if (counted.count !== before.count + 1) throw notCounting(before.count, counted)
      const refused: Exchange.Exchange[] = []
      const refuse = async (header: string, what: string) => {
        const exchange = await context.request(route, { authorization: header })
        expectRejected(exchange, what)
        refused.push(exchange)
      }
      await refuse(used.authorization, 'a used credential')
      await refuse(`Payment ${Base64Url.encode('{"payload":{}}')}`, 'a malformed credential')
      const forged = await offer(context, route)
      await refuse(
        authorization(forged.challenge, await forged.payer.forge(forged.challenge)),
        'a false proof',
      )
      const tampered = await offer(context, route)
      const echo: Challenge.Challenge = { ...tampered.challenge, realm: 'tampered.example' }
      await refuse(authorization(echo, await payAsEchoed(tampered, echo)), 'a tampered challenge')
      const unknown = await offer(context, route)
      const invented: Challenge.Challenge = {
        ...unknown.challenge,
        id: Base64Url.encode(crypto.getRandomValues(new Uint8Array(32))),
      }
      await refuse(
        authorization(invented, await unknown.payer.pay(invented)),
        'an unknown challenge',
      )
      const after = await count(context)
      if (after.count !== counted.count)
        throw new Failure(
          `${refused.length} refused credentials moved the paid-handler count from ${counted.count} to ${after.count}`,
          [counted.exchange, after.exchange],
        )
      return { message: `${refused.length} refused credentials, no paid handler run` }
    },
  }),
]

/** The target's count of paid-handler runs, as `routes.effects` reports it. */
async function count(context: Context): Promise<{ count: number; exchange: Exchange.Exchange }> {
  const path = context.config.routes.effects as string
  const exchange = await context.send({ method: 'GET', url: new URL(path, context.url).href })
  expectResponse(exchange)
  let value: unknown
  try {
    value = (JSON.parse(exchange.body) as { count?: unknown }).count
  } catch {
    value = undefined
  }
  if (exchange.response.status !== 200 || !Number.isSafeInteger(value) || (value as number) < 0)
    throw new Error(
      `routes.effects (${path}) must answer 200 with JSON {"count": <integer>}; got ${exchange.response.status}`,
    )
  return { count: value as number, exchange }
}

/** Pays `routes.paid` once: the count must move by exactly one. */
async function expectCounted(context: Context, before: number): Promise<void> {
  const { authorization: paid } = await buy(context, context.routes.paid)
  expectPaid(await context.request(context.routes.paid, { authorization: paid }), 'a payment')
  const after = await count(context)
  if (after.count !== before + 1) throw notCounting(before, after)
}

function notCounting(before: number, after: { count: number; exchange: Exchange.Exchange }) {
  if (after.count === before)
    return new Error(
      `routes.effects did not count a paid request (still ${before}): it must count every run of a paid handler`,
    )
  return new Failure(
    `one paid request moved the paid-handler count from ${before} to ${after.count}`,
    after.exchange,
  )
}
