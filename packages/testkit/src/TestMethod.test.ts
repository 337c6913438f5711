import { Challenge, Credential, Method, Secret } from '@paywire/core'
import { describe, expect, it } from 'vitest'
import * as TestMethod from './TestMethod.js'

const secret = Secret.from(Secret.generate())

async function pay(key: string) {
  const server = TestMethod.server({ key: 'shared' })
  const client = TestMethod.client({ key, source: 'did:example:bob' })
  const request = await server.request({ amount: '250' })
  const challenge = Challenge.from(
    // Identical parameters bind to an identical id; a server tells challenges apart with a nonce.
    {
      realm: 'r',
      method: server.method,
      intent: server.intent,
      request,
      opaque: { nonce: crypto.randomUUID() },
    },
    { secret },
  )
  const { payload, source } = await client.createCredential({ challenge, request })
  const credential = Credential.from({ challenge, payload, source })
  const claims = new Set<string>()
  const context: Method.Context = {
    now: Date.now,
    async claim(name) {
      if (claims.has(name)) return false
      claims.add(name)
      return true
    },
  }
  const verify = () => server.verify({ credential, challenge, request, context })
  return { server, credential, verify }
}

describe('TestMethod', () => {
  it('is marked test-only so production servers refuse it', () => {
    expect(TestMethod.server({ key: 'k' }).testOnly).toBe(true)
  })

  it('builds a charge request in usd by default', async () => {
    expect(await TestMethod.server({ key: 'k' }).request({ amount: '250' })).toEqual({
      amount: '250',
      currency: 'usd',
    })
  })

  it('verifies a proof made with the shared key and returns a receipt', async () => {
    const { verify, credential } = await pay('shared')
    const receipt = await verify()
    expect(receipt).toMatchObject({ status: 'success', method: 'test' })
    expect(receipt.reference).toBe(`test_${credential.payload.proof.slice(0, 16)}`)
  })

  it('refuses a proof made with another key', async () => {
    const { verify } = await pay('other')
    await expect(verify()).rejects.toBeInstanceOf(Method.VerificationFailedError)
  })

  it('consumes a proof once', async () => {
    const { verify } = await pay('shared')
    await verify()
    await expect(verify()).rejects.toThrow(/already used/)
  })

  it('refuses a proof for another challenge', async () => {
    const first = await pay('shared')
    const second = await pay('shared')
    const mixed = { ...second.credential, payload: first.credential.payload }
    await expect(
      second.server.verify({
        credential: mixed,
        challenge: second.credential.challenge,
        request: { amount: '250', currency: 'usd' },
        context: { now: Date.now, claim: async () => true },
      }),
    ).rejects.toThrow(/does not match/)
  })
})
