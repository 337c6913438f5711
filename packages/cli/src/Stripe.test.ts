// `paywire <url>` paying by card: the built binary against a paid API offering the Stripe
// method, both talking to testkit's local Stripe-compatible API.
import { createServer } from 'node:http'
import { Secret } from '@paywire/core'
import { Server as StripeMethod } from '@paywire/method-stripe'
import { Paywire } from '@paywire/server'
import { listener } from '@paywire/server/node'
import { MemoryStore } from '@paywire/store-memory'
import { FreePort, StripeServer } from '@paywire/testkit'
import Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { home, paywire } from './test/run.js'

let local: StripeServer.StripeServer
let app: FreePort.listen.ReturnType

beforeAll(async () => {
  local = await StripeServer.start()
  const paywall = Paywire.create({
    realm: '127.0.0.1',
    secret: Secret.generate(),
    store: MemoryStore.create(),
    methods: [
      StripeMethod.server({
        stripe: new Stripe(StripeServer.seller.secretKey, { ...local.sdk, maxNetworkRetries: 0 }),
        networkId: StripeServer.seller.networkId,
        paymentMethodTypes: ['card'],
      }),
    ],
  })
  app = await FreePort.listen(
    createServer(
      listener(paywall, { price: { amount: '250', currency: 'usd' } }, () =>
        Response.json({ paid: true }),
      ),
    ),
  )
})
afterAll(async () => {
  await app?.close()
  await local?.close()
})

const args = (dir: string) => [
  `${app.url}/paid`,
  '--home',
  dir,
  '--stripe-payment-method',
  'pm_card_visa',
  '--stripe-api',
  local.url,
  '--max-amount',
  '500:usd',
  '--yes',
  '--json',
]

describe('paywire <url> with Stripe', () => {
  it('pays by card through a shared payment token and prints the PaymentIntent receipt', async () => {
    const before = local.paymentIntents().length
    const run = await paywire(args(home()), {
      env: { STRIPE_SECRET_KEY: StripeServer.agent.secretKey },
    })
    expect(run.code).toBe(0)
    const output = JSON.parse(run.stdout) as {
      status: number
      receipt: { method: string; reference: string }
    }
    expect(output.status).toBe(200)
    const intents = local.paymentIntents().slice(before)
    expect(intents).toHaveLength(1)
    expect(intents[0]).toMatchObject({ amount: 250, currency: 'usd', status: 'succeeded' })
    expect(output.receipt).toMatchObject({ method: 'stripe', reference: intents[0]?.id })
    expect(run.stdout + run.stderr).not.toContain(StripeServer.agent.secretKey)
  })

  it('prints the card payment in dollars, and the ledger too', async () => {
    const dir = home()
    const human = args(dir).filter((arg) => arg !== '--json')
    const run = await paywire(human, { env: { STRIPE_SECRET_KEY: StripeServer.agent.secretKey } })
    expect(run.code).toBe(0)
    expect(run.stderr).toMatch(/^paid 2\.50 USD .*with stripe\/charge \(settled\)$/m)
    const ledger = await paywire(['ledger', '--home', dir])
    expect(ledger.stdout).toContain('2.50 USD  settled  stripe/charge')
    expect(ledger.stdout).toContain('total: 2.50 USD')
  })

  it('refuses to pay without the secret key in the environment, and asks Stripe nothing', async () => {
    const before = local.requests().length
    const run = await paywire(args(home()))
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('STRIPE_SECRET_KEY')
    expect(local.requests().length).toBe(before)
  })

  it('refuses a card payment above the cap before any token is issued', async () => {
    const before = local.requests().length
    const capped = args(home()).map((arg) => (arg === '500:usd' ? '100:usd' : arg))
    const run = await paywire(capped, { env: { STRIPE_SECRET_KEY: StripeServer.agent.secretKey } })
    expect(run.code).toBe(3)
    expect(local.requests().length).toBe(before)
  })
})
