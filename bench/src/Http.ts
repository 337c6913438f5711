// What the load generator and the server processes of the HTTP scenarios share: the route,
// the binding secret and the test method's key, what a server process is asked to run, and
// the credentials the payers present.
import { Challenge, Credential, Expires } from '@paywire/core'
import { TestMethod } from '@paywire/testkit'

/** The realm of the paid server. */
export const realm = 'bench.localhost'
/** The binding secret of the paid server (both SDKs). */
export const secretText = 'bench-http-binding-secret-7c1e9a3f5d2b4806e8a0c2f4'
/** The key the test method shares with the payer. */
export const testKey = 'bench-test-method-key'
/** The paid route: 0.001 USD with the test method. */
export const route = { price: { amount: '1000' } }
/** The body every route answers with. */
export const body = JSON.stringify({ report: 'sunny', temperature: 21 })

/** What one server process runs: `GET /paid` over a binding, unpaid or paid by one SDK. */
export type Server =
  | {
      binding: 'node' | 'hono'
      library: 'unpaid' | 'paywire' | 'mppx'
      /** paywire's store: its memory store, or Redis shared by several processes. */
      store?: { kind: 'memory' } | { kind: 'redis'; url: string; prefix: string } | undefined
    }
  | { binding: 'node'; library: 'session'; session: Session }

/** The chain a session server settles on, and its payee. */
export type Session = {
  rpcUrl: string
  chainId: number
  escrow: `0x${string}`
  currency: `0x${string}`
  payeeKey: `0x${string}`
  /** Price of one request, in base units. */
  price: string
}

/**
 * `count` credentials, each answering its own challenge as the server would issue it for
 * `GET /paid` (same realm, request, route and a fresh nonce, bound with the server's
 * secret): what `count` payers would send after their 402s. Made once per run and shared
 * by the scenarios: each drives servers of its own, whose stores have not seen them.
 */
export async function credentials(count: number): Promise<string[]> {
  // One at a time: a spread of hundreds of thousands of arguments overflows the stack.
  if (made.length < count)
    for (const credential of await make(made.length, count)) made.push(credential)
  return made.slice(0, count)
}
const made: string[] = []

async function make(from: number, to: number): Promise<string[]> {
  const method = TestMethod.client({ key: testKey })
  // Valid for an hour: a slow run on a busy machine still uses them before they expire.
  const expires = Expires.inSeconds(3_600)
  const secret = new TextEncoder().encode(secretText)
  const out: string[] = []
  for (let i = from; i < to; i++) {
    const challenge = Challenge.from(
      {
        realm,
        method: 'test',
        intent: 'charge',
        request: { amount: route.price.amount, currency: 'usd' },
        expires,
        opaque: { route: 'GET /paid', nonce: `bench${i.toString(36).padStart(17, '0')}` },
      },
      { secret },
    )
    const { payload } = await method.createCredential({
      challenge,
      request: Challenge.decodeRequest(challenge) as { amount: string; currency: string },
    } as Parameters<typeof method.createCredential>[0])
    out.push(Credential.toAuthorization(Credential.from({ challenge, payload })))
  }
  return out
}
