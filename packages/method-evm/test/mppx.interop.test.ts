// Interop with mppx 0.11 (the reference SDK), whose EVM charge speaks `authorization`
// (EIP-3009) only: mppx's client pays a paywire server, and paywire's client pays an mppx
// server that settles through paywire's Sponsor. Each payment is checked on chain.
import { createServer, type RequestListener } from 'node:http'
import { Client } from '@paywire/client'
import { Receipt, Secret } from '@paywire/core'
import { Paywire } from '@paywire/server'
import { listener, toRequest, writeResponse } from '@paywire/server/node'
import { MemoryStore } from '@paywire/store-memory'
import { FreePort } from '@paywire/testkit'
import { Mppx as MppxClient, evm as mppxEvmClient } from 'mppx/client'
import { Mppx as MppxServer, evm as mppxEvmServer } from 'mppx/server'
import type { Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Authorization from '../src/Authorization.js'
import * as EvmClient from '../src/client/index.js'
import { newPayer, startWorld, type World } from './fixtures.js'

let world: World
const closers: (() => Promise<void>)[] = []
beforeAll(async () => {
  world = await startWorld()
})
afterAll(async () => {
  for (const close of closers) await close()
  await world?.node.stop()
})

async function serveNode(handler: RequestListener) {
  const listening = await FreePort.listen(createServer((req, res) => handler(req, res)))
  closers.push(listening.close)
  return listening
}

/** A Node listener over a fetch-style handler. */
function fromFetch(handle: (request: Request) => Promise<Response>): RequestListener {
  return (req, res) => {
    handle(toRequest(req)).then(
      (response) => writeResponse(res, response),
      (error: Error) => writeResponse(res, new Response(error.message, { status: 500 })),
    )
  }
}

describe('EVM charge interop with mppx 0.11', () => {
  it("mppx's client pays a paywire server with an authorization credential {evm.charge.verify.authorization.submit}", async () => {
    let paid: RequestListener = (_req, res) => res.writeHead(503).end()
    const { url, port } = await serveNode((req, res) => paid(req, res))
    const paywire = Paywire.create({
      realm: `127.0.0.1:${port}`,
      secret: Secret.generate(),
      methods: [world.server],
      store: MemoryStore.create(),
    })
    paid = listener(paywire, { price: { amount: '1500' } }, () => Response.json({ paid: true }))
    const payer = await newPayer(world, 10_000n, 0n)
    const mppx = MppxClient.create({
      methods: [
        mppxEvmClient.charge({
          account: privateKeyToAccount(payer.privateKey),
          authorization: { name: world.token.name, version: world.token.version },
        }),
      ],
      polyfill: false,
    })
    const before = await world.token.balanceOf(world.recipient)
    const response = await mppx.fetch(`${url}/paid`)
    expect(response.status).toBe(200)
    const receipt = Receipt.deserialize(response.headers.get('payment-receipt') ?? '')
    expect(receipt).toMatchObject({ method: 'evm', chainId: 1337 })
    expect(await world.token.balanceOf(payer.address)).toBe(8_500n)
    expect(await world.token.balanceOf(world.recipient)).toBe(before + 1_500n)
  })

  it("paywire's client pays an mppx server, which settles through paywire's Sponsor", async () => {
    let handle: (request: Request) => Promise<Response> = async () =>
      new Response(null, { status: 503 })
    const { url, port } = await serveNode(fromFetch((request) => handle(request)))
    const mppx = MppxServer.create({
      methods: [
        mppxEvmServer.charge({
          currency: world.token.address,
          recipient: world.recipient,
          chainId: world.node.chainId,
          decimals: 6,
          authorization: { name: world.token.name, version: world.token.version },
          async settle({ payload }) {
            const authorization = Authorization.fromPayload(payload)
            const { hash } = await world.sponsor.submit({
              chain: world.chain,
              to: world.token.address,
              data: Authorization.encodeTransfer(authorization, payload.signature as Hex),
              beforeBroadcast: async () => undefined,
              confirmations: { confirmations: 1, timeoutMs: 30_000, pollMs: 100 },
            })
            return { reference: hash }
          },
        }),
      ],
      realm: `127.0.0.1:${port}`,
      secretKey: 'mppx-interop-secret-0123456789abcdefghijkl',
    })
    handle = async (request) => {
      const result = await mppx.charge({ amount: '0.0015' })(request)
      if (result.status === 402) return result.challenge
      return result.withReceipt(Response.json({ paid: true }))
    }
    const payer = await newPayer(world, 10_000n, 0n)
    const client = Client.create({
      methods: [EvmClient.charge({ chain: world.chain, privateKey: payer.privateKey })],
      policy: { currencies: { [world.token.address]: { maxAmount: '10000' } } },
      store: MemoryStore.create(),
      insecureOrigins: [url],
    })
    const before = await world.token.balanceOf(world.recipient)
    const { response, receipt } = await client.fetch(`${url}/paid`)
    expect(response.status).toBe(200)
    expect(receipt?.method).toBe('evm')
    expect(await world.token.balanceOf(payer.address)).toBe(8_500n)
    expect(await world.token.balanceOf(world.recipient)).toBe(before + 1_500n)
  })
})
