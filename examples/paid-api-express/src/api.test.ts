import { Client } from '@paywire/client'
import { Challenge } from '@paywire/core'
import { Chain, Client as TempoClient } from '@paywire/method-tempo'
import { MemoryStore } from '@paywire/store-memory'
import { TempoNode, TestMethod } from '@paywire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { create, listen } from './api.js'

const testKey = 'example-test-key'
let node: TempoNode.TempoNode
let api: { url: string; close: () => Promise<void> }
let recipient: TempoNode.Account

beforeAll(async () => {
  node = await TempoNode.start()
  recipient = await node.newAccount(0n)
  api = await listen(
    create({
      testKey,
      tempo: { rpcUrl: node.rpcUrl, chainId: node.chainId, recipient: recipient.address },
    }),
  )
})
afterAll(async () => {
  await api?.close()
  await node?.stop()
})

const payer = (methods: Client.create.Options['methods'], currency: string, max: string) =>
  Client.create({
    methods,
    policy: { currencies: { [currency]: { maxAmount: max } } },
    store: MemoryStore.create(),
    insecureOrigins: [api.url],
  })

describe('paid API on Express', () => {
  it('serves the free route and answers the paid one with a challenge per method', async () => {
    expect((await fetch(`${api.url}/`)).status).toBe(200)
    const response = await fetch(`${api.url}/weather?city=Paris`)
    expect(response.status).toBe(402)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const challenges = Challenge.deserializeList(response.headers.get('www-authenticate') ?? '')
    const offers = Object.fromEntries(
      challenges.map((challenge) => [challenge.method, Challenge.decodeRequest(challenge)]),
    )
    expect(offers.test).toMatchObject({ amount: '1', currency: 'usd' })
    expect(offers.tempo).toMatchObject({ amount: '10000', recipient: recipient.address })
  })

  it('sells a report for the test method, and refuses the same credential twice', async () => {
    const sent: string[] = []
    const client = Client.create({
      methods: [TestMethod.client({ key: testKey })],
      policy: { currencies: { usd: { maxAmount: '1' } } },
      store: MemoryStore.create(),
      insecureOrigins: [api.url],
      fetch: (input, init) => {
        const authorization = new Headers(init.headers).get('authorization')
        if (authorization) sent.push(authorization)
        return fetch(input, init)
      },
    })
    const { response, receipt } = await client.fetch(`${api.url}/weather?city=Paris`)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ city: 'Paris', paidWith: 'test' })
    expect(receipt).toMatchObject({ status: 'success', method: 'test' })
    const replay = await fetch(`${api.url}/weather?city=Paris`, {
      headers: { authorization: sent[0] as string },
    })
    expect(replay.status).toBe(402)
  })

  it('prices a forecast by its body, and binds the challenge to that body', async () => {
    const sent: string[] = []
    const client = Client.create({
      methods: [TestMethod.client({ key: testKey })],
      policy: { currencies: { usd: { maxAmount: '10' } } },
      store: MemoryStore.create(),
      insecureOrigins: [api.url],
      fetch: (input, init) => {
        const authorization = new Headers(init.headers).get('authorization')
        if (authorization) sent.push(authorization)
        return fetch(input, init)
      },
    })
    const init = { method: 'POST', headers: { 'content-type': 'application/json' } }
    const { response, payment } = await client.fetch(`${api.url}/forecast`, {
      ...init,
      body: JSON.stringify({ days: 3 }),
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ days: ['sun', 'sun', 'sun'], paidWith: 'test' })
    expect(payment).toMatchObject({ amount: '3', currency: 'usd', status: 'settled' })
    // The same credential on another body: refused, with a fresh challenge.
    const other = await fetch(`${api.url}/forecast`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: sent[0] as string },
      body: JSON.stringify({ days: 7 }),
    })
    expect(other.status).toBe(402)
  })

  it('sells a report for 0.01 pathUSD settled on the local Tempo node', async () => {
    const agent = await node.newAccount(1_000_000n)
    const chain = Chain.fromRpc({ rpcUrl: node.rpcUrl, chainId: node.chainId })
    const client = payer(
      [TempoClient.client({ chain, privateKey: agent.privateKey })],
      TempoNode.pathUsd,
      '10000',
    )
    const { response, receipt } = await client.fetch(`${api.url}/weather?city=Oslo`)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ city: 'Oslo', paidWith: 'tempo' })
    expect(receipt?.reference).toMatch(/^0x[0-9a-f]{64}$/)
    expect(await node.balanceOf(recipient.address)).toBe(10_000n)
  })
})
