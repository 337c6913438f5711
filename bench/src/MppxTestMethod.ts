// mppx's side of scenario 5: the testkit's test method (paywire's TestMethod) defined with
// mppx's own custom-method API (`Method.from`, `Method.toServer`), so that both SDKs serve
// the same route with the same trivial proof: HMAC-SHA256 (@noble/hashes, as the testkit
// computes it) of `paywire-test|<challenge id>|<request>` under a shared key, claimed once
// in the SDK's memory store, answered with a receipt. Used by the server process and by
// the load generator, which makes the credentials mppx's server would accept.
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { Base64Url, ConstantTime } from '@paywire/core'
import { Credential, Method, PaymentRequest, Receipt, Store, z } from 'mppx'
import { Mppx } from 'mppx/server'
import * as Http from './Http.js'

/** The method: `test`, intent `charge`, a request of amount and currency, a proof payload. */
export const method = Method.from({
  name: 'test',
  intent: 'charge',
  schema: {
    credential: { payload: z.object({ proof: z.string() }) },
    request: z.object({ amount: z.string(), currency: z.string() }),
  },
})

/** The route's options: the price of scenario 5, scoped to the route as the adapters scope it. */
export const route = { amount: Http.route.price.amount, currency: 'usd', scope: 'GET /paid' }

/** The proof, as the testkit's TestMethod computes it. */
export function prove(challengeId: string, request: string): string {
  return Base64Url.encode(
    hmac(sha256, key, new TextEncoder().encode(`paywire-test|${challengeId}|${request}`)),
  )
}
const key = new TextEncoder().encode(Http.testKey)

/** mppx's server for the route: the method with its verification, over `Store.memory()`. */
export function server() {
  const store = Store.memory()
  const verifying = Method.toServer(method, {
    async verify({ credential }) {
      const { challenge } = credential
      const expected = prove(challenge.id, PaymentRequest.serialize(challenge.request))
      if (!ConstantTime.equalStrings(expected, credential.payload.proof))
        throw new Error('test proof does not match the challenge')
      if (
        !(await Store.tryClaim(store, `test:${credential.payload.proof}`, Date.now() + 3_600_000))
      )
        throw new Error('test proof was already used')
      return Receipt.from({
        method: 'test',
        reference: `test_${credential.payload.proof.slice(0, 16)}`,
        status: 'success',
        timestamp: new Date().toISOString(),
      })
    },
  })
  return Mppx.create({ methods: [verifying], secretKey: Http.secretText, realm: Http.realm })
}

/**
 * `count` credentials for mppx's route, each answering its own challenge as mppx's server
 * issues it (`mppx.challenge`, same secret, realm, request and scope; a distinct expiry,
 * to the millisecond, makes each challenge distinct, as mppx's own expiries do).
 */
export async function credentials(count: number): Promise<string[]> {
  const mppx = server()
  const base = Date.now() + 600_000
  const out: string[] = []
  for (let i = 0; i < count; i++) {
    const challenge = await mppx.challenge.test.charge({
      ...route,
      expires: new Date(base + i).toISOString(),
    })
    const proof = prove(challenge.id, PaymentRequest.serialize(challenge.request))
    out.push(Credential.serialize({ challenge, payload: { proof } }))
  }
  return out
}
