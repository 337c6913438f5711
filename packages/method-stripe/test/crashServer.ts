// One paid server process for the crash tests (src/Server.crash.test.ts): the Stripe method
// against the local Stripe API, a durable store (Redis or PostgreSQL), one route, and a
// fault injected into the store: the process kills itself (SIGKILL, no cleanup) when a
// payment record is about to be written in, or has just been written in, the phase named
// by CRASH_AT (`before:running`, `after:settling`, ...). Its clock runs CLOCK_OFFSET_MS
// ahead, so that a restarted process is "later" than the request that died. GET /paid
// costs 5000 usd; the handler counts its runs in the store (`crash-test:runs:<challenge>`).
// Prints `{"url": ...}` once it listens.
//   STRIPE_PORT, STORE (redis | postgres), STORE_URL, STORE_PREFIX, SETTLE, CRASH_AT,
//   CLOCK_OFFSET_MS, PAYWIRE_SECRET_KEY
import { createServer } from 'node:http'
import { Store } from '@paywire/core'
import { Paywire } from '@paywire/server'
import { listener } from '@paywire/server/node'
import { PostgresStore } from '@paywire/store-postgres'
import { RedisStore } from '@paywire/store-redis'
import { PaidInstances, StripeServer } from '@paywire/testkit'
import Stripe from 'stripe'
import * as Server from '../src/Server.js'

const env = process.env
const offset = Number(env.CLOCK_OFFSET_MS ?? 0)
const now = () => Date.now() + offset
const durable: Store.Store =
  env.STORE === 'postgres'
    ? PostgresStore.create({ connectionString: env.STORE_URL, table: 'paywire_stripe_crash' })
    : RedisStore.create({ url: env.STORE_URL, prefix: env.STORE_PREFIX ?? '' })
const [moment, phase] = (env.CRASH_AT ?? '').split(':')

/** The store, with the crash point injected into payment-record writes. */
function withCrash(store: Store.Store): Store.Store {
  const crashes = (key: string, value: Store.Value, when: string) =>
    moment === when &&
    key.startsWith('paywire:payment:') &&
    (value as { phase?: unknown }).phase === phase
  const die = () => process.kill(process.pid, 'SIGKILL')
  const written = async <result>(
    key: string,
    value: Store.Value,
    write: () => Promise<result>,
  ): Promise<result> => {
    if (crashes(key, value, 'before')) die()
    const result = await write()
    if (crashes(key, value, 'after')) die()
    return result
  }
  return {
    ...store,
    claim: (key, options) => store.claim(key, options),
    get: (key) => store.get(key),
    delete: (key) => store.delete(key),
    put: (key, value, options) => written(key, value, () => store.put(key, value, options)),
    compareAndSwap: (key, expected, value, options) =>
      written(key, value, () => store.compareAndSwap(key, expected, value, options)),
  }
}

const stripe = new Stripe(StripeServer.seller.secretKey, {
  host: '127.0.0.1',
  port: Number(env.STRIPE_PORT),
  protocol: 'http',
  maxNetworkRetries: 0,
  telemetry: false,
})
const paywire = Paywire.create({
  realm: 'shop.paywire.test',
  secret: env.PAYWIRE_SECRET_KEY,
  methods: [
    Server.server({
      stripe,
      networkId: StripeServer.seller.networkId,
      paymentMethodTypes: ['card'],
    }),
  ],
  store: withCrash(durable),
  now,
})
const settle = env.SETTLE === 'after-success' ? 'after-success' : 'before-handler'
const paid = listener(
  paywire,
  { price: { amount: '5000', currency: 'usd' }, settle },
  async (_request, payment) => {
    await Store.update(durable, `crash-test:runs:${payment.challengeId}`, (runs) =>
      typeof runs === 'number' ? runs + 1 : 1,
    )
    return new Response('paid content')
  },
)
PaidInstances.announce(createServer(paid), async () => durable.close?.())
