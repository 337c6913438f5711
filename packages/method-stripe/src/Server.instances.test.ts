// Two server instances that do not share a store (two replicas on the memory store, a
// restart, a Redis failover) in front of one Stripe account: one credential buys one paid
// response, whatever the order, whatever the mode, with the pre-check on or off. A
// PaymentIntent Stripe replays (`Idempotent-Replayed`) for a challenge this instance did not
// attempt is refused (the pattern of advisory GHSA-8mhj-rffc-rcvw).
import type { StripeServer } from '@paywire/testkit'
import type Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  authorization,
  challenge,
  grant,
  makePaywire,
  price,
  sdk,
  startStripe,
  stripeServer,
} from '../test/fixtures.js'

let local: StripeServer.StripeServer
let clock: { now: number }
let stripe: Stripe

beforeAll(async () => {
  ;({ local, clock } = await startStripe())
  stripe = sdk(local)
})
afterAll(() => local.close())

const url = 'https://shop.paywire.test/paid'
const modes = ['before-handler', 'after-success'] as const

function instances(precheck: boolean, settle: (typeof modes)[number]) {
  const runs = { count: 0 }
  const make = () =>
    makePaywire(stripeServer(stripe, { precheck }), { now: () => clock.now }).protect(
      { price, settle },
      () => {
        runs.count++
        return new Response('paid content')
      },
    )
  return { first: make(), second: make(), runs }
}

const send = (protect: (request: Request) => Promise<Response>, header: string) =>
  protect(new Request(url, { headers: { authorization: header } }))

describe('two instances with separate stores: one credential, one 200', () => {
  for (const settle of modes)
    for (const precheck of [true, false]) {
      it(`sequentially (${settle}, pre-check ${precheck ? 'on' : 'off'}) {stripe.charge.verify.spt-unused, charge.replay.reject}`, async () => {
        const { first, second, runs } = instances(precheck, settle)
        const spt = await grant(stripe, { max_amount: 20_000 }, clock.now)
        const header = authorization(await challenge(first), { spt })
        const statuses = [(await send(first, header)).status, (await send(second, header)).status]
        expect(statuses).toEqual([200, 402])
        expect(runs.count).toBe(1)
        expect(local.paymentIntents().filter((intent) => intent.token === spt)).toHaveLength(1)
      })

      it(`concurrently (${settle}, pre-check ${precheck ? 'on' : 'off'}) {stripe.charge.verify.spt-unused, charge.replay.reject}`, async () => {
        const { first, second, runs } = instances(precheck, settle)
        const spt = await grant(stripe, { max_amount: 20_000 }, clock.now)
        const header = authorization(await challenge(first), { spt })
        const answers = await Promise.all([
          send(first, header),
          send(second, header),
          send(first, header),
          send(second, header),
        ])
        // Retries of the refused copies (a 503 says "retry"): still one success in all.
        const statuses = answers.map((answer) => answer.status)
        for (const [index, status] of statuses.entries())
          if (status === 503)
            statuses[index] = (await send(index % 2 === 0 ? first : second, header)).status
        expect(statuses.filter((status) => status === 200)).toHaveLength(1)
        expect(runs.count).toBe(1)
        const intents = local.paymentIntents().filter((intent) => intent.token === spt)
        expect(intents).toHaveLength(1)
      })
    }

  it('a replayed Stripe answer is refused on the instance that did not attempt, even with a fresh store {stripe.charge.verify.spt-unused, charge.replay.reject}', async () => {
    const { first, second } = instances(false, 'before-handler')
    const spt = await grant(stripe, { max_amount: 20_000 }, clock.now)
    const header = authorization(await challenge(first), { spt })
    expect((await send(first, header)).status).toBe(200)
    const before = local.requests().length
    expect((await send(second, header)).status).toBe(402)
    const calls = local.requests().slice(before)
    expect(calls.some((call) => call.status === 200 && call.replayed)).toBe(false)
  })
})
