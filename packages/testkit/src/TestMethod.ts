// A payment method for tests and demos that moves no value: the payer proves it answered
// a challenge with an HMAC under a key it shares with the server. It exercises every
// piece of the protocol around a method (binding, expiry, single use, receipts) without
// a chain or a processor. Servers refuse it unless test methods are explicitly enabled.
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { Base64Url, Charge, ConstantTime, Method, Receipt } from '@paywire/core'
import { z } from 'zod'

/** The method identifier. Deliberately not a real payment network. */
export const method = 'test'

/** The credential payload: the proof that the payer answered this challenge. */
export const payloadSchema = z.object({ proof: z.string().regex(/^[A-Za-z0-9_-]{43}$/) })

/** A test-method payload. */
export type Payload = z.infer<typeof payloadSchema>

/** What a route charges with the test method. */
export type Price = {
  amount: string
  currency?: string | undefined
  recipient?: string | undefined
}

/**
 * The server half: builds charge requests and verifies proofs made with the shared key.
 *
 * @example
 * ```ts
 * import { TestMethod } from '@paywire/testkit'
 * const method = TestMethod.server({ key: 'shared-test-key' })
 * ```
 */
export function server(options: server.Options): Method.Server<Price, Charge.Request, Payload> {
  const key = new TextEncoder().encode(options.key)
  return Method.defineServer({
    method,
    intent: Charge.intent,
    testOnly: true,
    requestSchema: Charge.requestSchema,
    payloadSchema,
    request: (price: Price) => ({
      amount: price.amount,
      currency: price.currency ?? 'usd',
      ...(price.recipient === undefined ? {} : { recipient: price.recipient }),
    }),
    async check({ credential, challenge }) {
      const expected = prove(key, challenge.id, challenge.request)
      if (!ConstantTime.equalStrings(expected, credential.payload.proof))
        throw new Method.VerificationFailedError('test proof does not match the challenge')
    },
    async verify({ credential, challenge, context }) {
      const expected = prove(key, challenge.id, challenge.request)
      if (!ConstantTime.equalStrings(expected, credential.payload.proof))
        throw new Method.VerificationFailedError('test proof does not match the challenge')
      const outcome = options.outcome?.({ challengeId: challenge.id }) ?? 'paid'
      if (outcome === 'pending')
        throw new Method.PaymentPendingError('the test settlement is pending (scripted)')
      if (outcome === 'refused')
        throw new Method.VerificationFailedError('the test settlement was refused (scripted)')
      if (!(await context.claim(`test:${credential.payload.proof}`, { ttlSeconds: 3600 })))
        throw new Method.VerificationFailedError('test proof was already used')
      return Receipt.from({ method, reference: `test_${credential.payload.proof.slice(0, 16)}` })
    },
  })
}

export declare namespace server {
  type Options = {
    /** Key shared with the paying client. */
    key: string
    /**
     * Scripts how settlement ends for a challenge (a fault injection for tests): `paid`
     * (default), `refused` (a typed refusal, as a declined capture) or `pending` (the
     * outcome is unknown, as a timeout). The proof is checked first either way.
     */
    outcome?: ((parameters: { challengeId: string }) => Outcome) | undefined
  }
}

/** How a scripted test settlement ends. */
export type Outcome = 'paid' | 'refused' | 'pending'

/**
 * The client half: answers a test challenge with a proof under the shared key.
 *
 * @example
 * ```ts
 * import { TestMethod } from '@paywire/testkit'
 * const method = TestMethod.client({ key: 'shared-test-key', source: 'did:example:alice' })
 * ```
 */
export function client(options: client.Options): Method.Client<Charge.Request, Payload> {
  const key = new TextEncoder().encode(options.key)
  return Method.defineClient({
    method,
    intent: Charge.intent,
    requestSchema: Charge.requestSchema,
    async createCredential({ challenge }) {
      const payload = { proof: prove(key, challenge.id, challenge.request) }
      return options.source === undefined ? { payload } : { payload, source: options.source }
    },
  })
}

export declare namespace client {
  type Options = {
    /** Key shared with the server. */
    key: string
    /** Payer identifier put in credentials. */
    source?: string | undefined
  }
}

function prove(key: Uint8Array, challengeId: string, request: string): string {
  return Base64Url.encode(
    hmac(sha256, key, new TextEncoder().encode(`paywire-test|${challengeId}|${request}`)),
  )
}
