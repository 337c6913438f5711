// `paywire payments`: the built binary reconciles a paid server's store. A server charged
// a card before its handler and died in it (the handler never answers): the payment is
// listed as unfinished, swept after the window into a refund on the local Stripe API, and
// shown; another one is resolved by hand.
import { join } from 'node:path'
import { Challenge, Credential, Secret } from '@paywire/core'
import { Server as StripeMethod } from '@paywire/method-stripe'
import { Paywire } from '@paywire/server'
import { SqliteStore } from '@paywire/store-sqlite'
import { StripeServer } from '@paywire/testkit'
import Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { home, paywire } from './test/run.js'

let local: StripeServer.StripeServer
let stripe: Stripe
let path: string

beforeAll(async () => {
  local = await StripeServer.start()
  stripe = new Stripe(StripeServer.seller.secretKey, {
    ...local.sdk,
    maxNetworkRetries: 0,
    telemetry: false,
  })
  path = join(home(), 'server.db')
})
afterAll(() => local.close())

/** A server, two hours ago, whose handler never answers: resolves the challenge it was paid for. */
async function payAndCrash(): Promise<string> {
  const store = SqliteStore.create({ path })
  const started = Date.now() - 2 * 3_600_000
  let reached: () => void = () => {}
  const handlerRuns = new Promise<void>((resolve) => {
    reached = resolve
  })
  const protect = Paywire.create({
    realm: 'shop.paywire.test',
    secret: Secret.generate(),
    store,
    methods: [StripeMethod.server({ stripe, networkId: StripeServer.seller.networkId })],
    now: () => started,
  }).protect({ price: { amount: '700', currency: 'usd' } }, () => {
    reached()
    return new Promise<Response>(() => {})
  })
  const url = 'https://shop.paywire.test/paid'
  const first = await protect(new Request(url))
  const challenge = Challenge.deserializeList(first.headers.get('www-authenticate') ?? '')[0]
  if (challenge === undefined) throw new Error('no challenge')
  const spt = await StripeServer.grant(stripe, { max_amount: 700 })
  const authorization = Credential.toAuthorization(Credential.from({ challenge, payload: { spt } }))
  void protect(new Request(url, { headers: { authorization } }))
  // The record says `running` before the handler starts.
  await handlerRuns
  await store.close?.()
  return challenge.id
}

const store = () => ['--store', `sqlite:${path}`]

describe('paywire payments', () => {
  it('lists, sweeps into a Stripe refund, shows and resolves payments left unfinished {core.concurrency.atomic-delivery}', async () => {
    const refunded = await payAndCrash()
    const listed = await paywire(['payments', 'list', ...store(), '--json'])
    expect(listed.code, listed.stderr).toBe(0)
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({
        challengeId: refunded,
        phase: 'running',
        method: 'stripe',
        amount: '700',
        unclaimed: true,
      }),
    ])
    const swept = await paywire([
      'payments',
      'sweep',
      ...store(),
      '--stripe-key',
      StripeServer.seller.secretKey,
      '--stripe-api',
      local.url,
    ])
    expect(swept.code, swept.stderr).toBe(0)
    expect(swept.stdout).toMatch(new RegExp(`^${refunded}  refunded  re_`, 'm'))
    const [intent] = local.paymentIntents().slice(-1)
    expect(local.refunds().map((refund) => refund.paymentIntent)).toEqual([intent?.id])
    const shown = await paywire(['payments', 'show', refunded, ...store()])
    expect(shown.stdout).toMatch(/^phase: refunded$/m)

    const reported = await payAndCrash()
    const withoutKey = await paywire(['payments', 'sweep', ...store(), '--json'])
    expect(JSON.parse(withoutKey.stdout)).toEqual([
      { challengeId: reported, action: 'reported', detail: 'refund-manual' },
    ])
    const resolved = await paywire(['payments', 'resolve', reported, 'refunded', ...store()])
    expect(resolved.code, resolved.stderr).toBe(0)
    expect(resolved.stdout).toMatch(/refunded-by-operator/)
    expect(JSON.parse((await paywire(['payments', 'list', ...store(), '--json'])).stdout)).toEqual(
      [],
    )
  })

  it('refuses a missing store and an unknown action with usage errors', async () => {
    expect((await paywire(['payments', 'list'])).code).toBe(2)
    const bad = await paywire(['payments', 'resolve', 'x', 'explode', ...store()])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/refund, release, void, refunded, delivered/)
  })
})
