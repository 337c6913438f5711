// Shared by the method's tests: the local Stripe API (testkit), SDK instances for the
// seller and the agent, tokens granted through the SDK, and a paid server with the Stripe
// method (beside the test method) over @paywire/server.
import { Challenge, Credential, Secret } from '@paywire/core'
import * as Paywire from '@paywire/server'
import { MemoryStore } from '@paywire/store-memory'
import { StripeServer, TestMethod } from '@paywire/testkit'
import Stripe from 'stripe'
import { expect } from 'vitest'
import * as Server from '../src/Server.js'

export const realm = 'shop.paywire.test'
export const secret = Secret.generate()
export const testKey = Secret.generate()
export const price = { amount: '5000', currency: 'usd' }

/** A local Stripe API with a controllable clock. */
export async function startStripe() {
  const clock = { now: Date.now() }
  const local = await StripeServer.start({ now: () => clock.now })
  return { local, clock }
}

/** The official SDK pointed at the local API. */
export function sdk(
  local: StripeServer.StripeServer,
  account: StripeServer.Account = StripeServer.seller,
  options: Partial<Stripe.StripeConfig> = {},
): Stripe {
  return new Stripe(account.secretKey, {
    ...local.sdk,
    maxNetworkRetries: 0,
    telemetry: false,
    ...options,
  })
}

/** Grants the seller a token through the SDK's raw request (Stripe's test helper). */
export function grant(
  stripe: Stripe,
  limits: { currency?: string; max_amount?: number; expires_at?: number } = {},
  now: number = Date.now(),
): Promise<string> {
  return StripeServer.grant(stripe, { ...limits, now })
}

/** A paid server offering `methods` (default: stripe then the test method). */
export function makePaywire(
  stripeMethod: ReturnType<typeof Server.server>,
  options: Partial<Paywire.Paywire.create.Options> = {},
) {
  return Paywire.Paywire.create({
    realm,
    secret,
    methods: [stripeMethod, TestMethod.server({ key: testKey })],
    allowTestMethods: true,
    store: MemoryStore.create(),
    ...options,
  })
}

/** The server half with the seller's SDK and settings. */
export function stripeServer(
  stripe: Stripe,
  options: Partial<Server.server.Options> = {},
): ReturnType<typeof Server.server> {
  return Server.server({
    stripe,
    networkId: StripeServer.seller.networkId,
    paymentMethodTypes: ['card', 'link'],
    ...options,
  })
}

/** The Payment challenges of a 402. */
export function challengesOf(response: Response): Challenge.Challenge[] {
  expect(response.status).toBe(402)
  return Challenge.deserializeList(response.headers.get('www-authenticate') ?? '')
}

/** The stripe challenge of a 402. */
export function stripeChallenge(response: Response): Challenge.Challenge {
  const found = challengesOf(response).find((challenge) => challenge.method === 'stripe')
  expect(found, 'the 402 offers stripe').toBeDefined()
  return found as Challenge.Challenge
}

/** `Authorization: Payment ...` answering a challenge with a payload. */
export function authorization(challenge: Challenge.Challenge, payload: Record<string, unknown>) {
  return Credential.toAuthorization(Credential.from({ challenge, payload }))
}

/** Asks a fetch handler for the resource unpaid and returns its stripe challenge. */
export async function challenge(
  handler: (request: Request) => Promise<Response>,
  url = 'https://shop.paywire.test/paid',
) {
  return stripeChallenge(await handler(new Request(url)))
}

/** Pays a fetch handler with a credential answering `challenge`. */
export function pay(
  handler: (request: Request) => Promise<Response>,
  challengeToPay: Challenge.Challenge,
  payload: Record<string, unknown>,
  url = 'https://shop.paywire.test/paid',
) {
  return handler(
    new Request(url, { headers: { authorization: authorization(challengeToPay, payload) } }),
  )
}

/** The problem body of a refusal. */
export async function problemOf(response: Response): Promise<{ type: string; detail?: string }> {
  return (await response.json()) as { type: string; detail?: string }
}

/** The problem type URI of a slug. */
export const problem = (slug: string) => `https://paymentauth.org/problems/${slug}`
