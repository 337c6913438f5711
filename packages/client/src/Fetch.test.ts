import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { type Listening, listen, offer, paidHandler, testKey } from '../test/http.js'
import { Client, Fetch, Policy } from './index.js'

let server: Listening | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function paying() {
  server = await listen(paidHandler({ offers: () => [offer()] }))
  const client = Client.create({
    methods: [TestMethod.client({ key: testKey })],
    policy: { currencies: { usd: { maxAmount: '100' } } },
    store: MemoryStore.create(),
    insecureOrigins: [server.origin],
  })
  return { server, client }
}

describe('Fetch', () => {
  it('gives a plain fetch whose responses carry their receipt and payment', async () => {
    const { server, client } = await paying()
    const fetch = Fetch.from(client)
    const response = await fetch(server.url('/paid'))
    expect(response.status).toBe(200)
    expect(Fetch.receipt(response)).toMatchObject({ status: 'success', method: 'test' })
    expect(Fetch.payment(response)).toMatchObject({ amount: '100', status: 'settled' })
    expect(Fetch.receipt(new Response('x'))).toBeUndefined()
  })

  it('rejects with the typed refusal', async () => {
    const { server, client } = await paying()
    await expect(
      Fetch.from(client)(server.url('/paid'), { headers: { authorization: 'Bearer x' } }),
    ).rejects.toBeInstanceOf(Policy.RefusedError)
  })

  it('replaces globalThis.fetch only when installed, and puts it back', async () => {
    const original = globalThis.fetch
    const { server, client } = await paying()
    expect(globalThis.fetch).toBe(original)
    const uninstall = Fetch.install(client)
    try {
      expect(globalThis.fetch).not.toBe(original)
      const response = await fetch(server.url('/paid'))
      expect(response.status).toBe(200)
      expect(Fetch.receipt(response)).toBeDefined()
    } finally {
      uninstall()
    }
    expect(globalThis.fetch).toBe(original)
  })
})
