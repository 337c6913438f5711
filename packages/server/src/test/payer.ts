// The paying side of the end-to-end tests, built from @paywire/core and the testkit's
// test method: read the challenges of a 402, answer one, tamper with one.
import { Challenge, Credential, Problem, Receipt, Secret } from '@paywire/core'
import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'
import { expect } from 'vitest'
import * as Paywire from '../Paywire.js'

/** The realm of the test servers. */
export const realm = 'paywire.test'
/** The binding secret of the test servers (tests forge challenges with it). */
export const secret = Secret.generate()
/** The key shared by the test method's two halves. */
export const methodKey = Secret.generate()

/** A server with two test-only methods, `test` and `other`, both charging. */
export function makePaywire(options: Partial<Paywire.create.Options> = {}): Paywire.Paywire {
  const test = TestMethod.server({ key: methodKey })
  const other = { ...TestMethod.server({ key: methodKey }), method: 'other' }
  return Paywire.create({
    realm,
    secret,
    methods: [test, other],
    store: MemoryStore.create(),
    allowTestMethods: true,
    hooks: { authorize: ({ route }) => !route.startsWith('GET /denied') },
    ...options,
  })
}

/** The Payment challenges of a response (one or several `WWW-Authenticate` lines). */
export function challengesOf(response: Response): Challenge.Challenge[] {
  const header = response.headers.get('www-authenticate')
  expect(header, 'a 402 carries WWW-Authenticate').not.toBeNull()
  return Challenge.deserializeList(header ?? '')
}

/** Answers a challenge with the test method; `key` other than the server's gives a bad proof. */
export async function authorization(
  challenge: Challenge.Challenge,
  options: { key?: string; source?: string } = {},
): Promise<string> {
  const client = TestMethod.client({
    key: options.key ?? methodKey,
    source: options.source ?? 'did:example:payer',
  })
  const paid = await client.createCredential({
    challenge,
    request: client.requestSchema.parse(Challenge.decodeRequest(challenge)),
  })
  return Credential.toAuthorization(Credential.from({ challenge, ...paid }))
}

/** Requests a URL unpaid, then answers its first `test` challenge. */
export async function pay(
  url: string,
  init: RequestInit = {},
): Promise<{ challenge: Challenge.Challenge; authorization: string }> {
  const first = await fetch(url, init)
  expect(first.status).toBe(402)
  await first.body?.cancel()
  const challenge = challengesOf(first).find((c) => c.method === 'test')
  if (challenge === undefined) throw new Error('no test challenge offered')
  return { challenge, authorization: await authorization(challenge) }
}

/** Asserts a 402 with a fresh challenge, no-store, and the given problem type. */
export async function expectPaymentRequired(response: Response, slug: Problem.Slug) {
  expect(response.status).toBe(402)
  expect(response.headers.get('cache-control')).toBe('no-store')
  expect(response.headers.get('payment-receipt')).toBeNull()
  expect(response.headers.get('content-type')).toContain(Problem.contentType)
  expect(challengesOf(response).length).toBeGreaterThan(0)
  const body = Problem.parse(await response.text())
  expect(body.type).toBe(Problem.baseUri + slug)
  expect(body.status).toBe(402)
  return body
}

/** Asserts a paid 2xx: receipt present and valid, `Cache-Control` private. */
export function expectReceipt(response: Response): Receipt.Receipt {
  expect(response.status).toBe(200)
  expect(response.headers.get('cache-control')).toMatch(/\bprivate\b/)
  const receipt = Receipt.deserialize(response.headers.get('payment-receipt') ?? '')
  expect(receipt.status).toBe('success')
  return receipt
}

/** Re-binds a challenge whose fields were changed, with the test secret (a forgery the server accepts as its own). */
export function rebind(challenge: Challenge.Challenge): Challenge.Challenge {
  return { ...challenge, id: Challenge.computeId(challenge, Secret.from(secret)) }
}
