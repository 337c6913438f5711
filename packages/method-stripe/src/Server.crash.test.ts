// kill -9 at the crash points of a Stripe payment, then a restart on the same durable store
// (Redis, PostgreSQL): nothing is served unpaid, nothing is captured twice, and the payer
// either gets the paid response on the retry of the same credential or, when the response
// cannot be known, is refunded by reconciliation. Counted on the local Stripe API.
import { Secret, type Store } from '@paywire/core'
import { Payments } from '@paywire/server'
import { PostgresStore } from '@paywire/store-postgres'
import { RedisStore } from '@paywire/store-redis'
import { PaidInstances, type StripeServer } from '@paywire/testkit'
import type Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  authorization,
  grant,
  sdk,
  startStripe,
  stripeChallenge,
  stripeServer,
} from '../test/fixtures.js'

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const postgresUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const secret = Secret.generate()
const prefix = `paywire-stripe-crash:${Secret.generate().slice(0, 12)}:`
const lease = 121_000

let local: StripeServer.StripeServer
let clock: { now: number }
let stripe: Stripe
const stores: Record<'redis' | 'postgres', Store.Store> = {} as never

beforeAll(async () => {
  ;({ local, clock } = await startStripe())
  stripe = sdk(local)
  stores.redis = RedisStore.create({ url: redisUrl, prefix })
  stores.postgres = PostgresStore.create({
    connectionString: postgresUrl,
    table: 'paywire_stripe_crash',
  })
})
afterAll(async () => {
  for (const store of Object.values(stores)) {
    await clear(store)
    await store.close?.()
  }
  await local.close()
})

type Scenario = {
  settle: 'before-handler' | 'after-success'
  crashAt: string
  what: string
  /** The status of the retry after the restart (`undefined`: the payer never comes back). */
  retry: 200 | 409 | undefined
  /** What reconciliation does afterwards (only when the retry could not be served). */
  swept: 'refunded' | undefined
}

const scenarios: Scenario[] = [
  {
    settle: 'before-handler',
    crashAt: 'before:running',
    what: 'after the charge, before it is recorded',
    retry: 200,
    swept: undefined,
  },
  {
    settle: 'before-handler',
    crashAt: 'after:running',
    what: 'after it is recorded, before the handler answers',
    // The handler had started: never run again, a clear refusal that asks for no payment.
    retry: 409,
    swept: 'refunded',
  },
  {
    settle: 'before-handler',
    crashAt: 'before:running',
    what: 'after the charge, before it is recorded, and the payer never comes back',
    retry: undefined,
    swept: 'refunded',
  },
  {
    settle: 'after-success',
    crashAt: 'before:running',
    what: 'after the authorisation, before it is recorded',
    retry: 200,
    swept: undefined,
  },
  {
    settle: 'after-success',
    crashAt: 'after:settling',
    what: 'after the response is recorded, before the capture',
    retry: 200,
    swept: undefined,
  },
  {
    settle: 'after-success',
    crashAt: 'before:delivered',
    what: 'after the capture, before it is recorded',
    retry: 200,
    swept: undefined,
  },
]

describe('kill -9 at each crash point, restart on the same store', () => {
  for (const kind of ['redis', 'postgres'] as const)
    for (const scenario of scenarios)
      it(`${kind}, ${scenario.settle}: ${scenario.what} {stripe.charge.settle.idempotency-key, core.concurrency.single-settlement}`, async () => {
        const env = {
          STORE: kind,
          STORE_URL: kind === 'redis' ? redisUrl : postgresUrl,
          STORE_PREFIX: prefix,
          SETTLE: scenario.settle,
        }
        const crashing = await instance({ ...env, CRASH_AT: scenario.crashAt })
        const first = await fetch(`${crashing.url}/paid`)
        const challenge = stripeChallenge(first)
        const spt = await grant(stripe, {}, clock.now)
        const header = authorization(challenge, { spt })
        const died = await fetch(`${crashing.url}/paid`, { headers: { authorization: header } })
          .then((response) => `answered ${response.status}`)
          .catch(() => 'died')
        expect(died).toBe('died')
        await crashing.exited

        const restarted = await instance({ ...env, CLOCK_OFFSET_MS: String(lease) })
        try {
          if (scenario.retry !== undefined) await retryTwice(restarted.url, header, scenario.retry)
        } finally {
          await restarted.stop()
        }

        const store = stores[kind]
        const runs = (await store.get(`crash-test:runs:${challenge.id}`))?.value ?? 0
        expect(runs).toBe(scenario.retry === 200 ? 1 : 0)
        const intents = local.paymentIntents().filter((intent) => intent.token === spt)
        expect(intents.map((intent) => intent.status)).toEqual(['succeeded'])
        const captures = local
          .requests()
          .filter(
            (call) =>
              call.path === `/v1/payment_intents/${intents[0]?.id}/capture` &&
              call.status === 200 &&
              !call.replayed,
          )
        expect(captures).toHaveLength(scenario.settle === 'after-success' ? 1 : 0)

        // Search shows a PaymentIntent a minute after it was made (as on Stripe).
        clock.now += 61_000
        const payments = Payments.create({
          store,
          methods: [stripeServer(stripe)],
          now: () => Date.now() + 2 * 3_600_000,
        })
        const swept = (await payments.sweep()).filter(
          (outcome) => outcome.challengeId === challenge.id,
        )
        expect(swept.map((outcome) => outcome.action)).toEqual(
          scenario.swept === undefined ? [] : [scenario.swept],
        )
        const refunds = local.refunds().filter((refund) => refund.paymentIntent === intents[0]?.id)
        expect(refunds).toHaveLength(scenario.swept === 'refunded' ? 1 : 0)
        expect((await payments.get(challenge.id))?.phase).toBe(
          scenario.swept === 'refunded' ? 'refunded' : 'delivered',
        )
      })
})

/**
 * The retry of the same credential, then its replay: refused (402) once delivered; the
 * same 409 while the payment whose handler started waits for reconciliation.
 */
async function retryTwice(url: string, header: string, expected: number): Promise<void> {
  const retry = await fetch(`${url}/paid`, { headers: { authorization: header } })
  expect(retry.status).toBe(expected)
  if (expected === 200) {
    expect(await retry.text()).toBe('paid content')
    expect(retry.headers.get('payment-receipt')).not.toBeNull()
  } else {
    expect(retry.headers.get('www-authenticate')).toBeNull()
    expect(retry.headers.get('payment-receipt')).toBeNull()
    await retry.body?.cancel()
  }
  const replay = await fetch(`${url}/paid`, { headers: { authorization: header } })
  await replay.body?.cancel()
  expect(replay.status).toBe(expected === 200 ? 402 : 409)
}

/** Starts test/crashServer.ts; resolves once it listens. */
function instance(env: Record<string, string>) {
  return PaidInstances.launch(
    'test/crashServer.ts',
    { ...env, STRIPE_PORT: String(local.sdk.port), PAYWIRE_SECRET_KEY: secret },
    { conditions: '@paywire/source' },
  )
}

async function clear(store: Store.Store): Promise<void> {
  for (const wanted of ['paywire:', 'crash-test:']) {
    let cursor: string | undefined
    do {
      const page = await (store.scan as NonNullable<Store.Store['scan']>)(wanted, { cursor })
      for (const key of page.keys) await store.delete(key)
      cursor = page.cursor
    } while (cursor !== undefined)
  }
}
