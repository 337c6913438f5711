// The EVM charge end to end over HTTP: @paywire/server (Node binding) and @paywire/client on
// 127.0.0.1, settling on a plain local EVM node with Permit2 and an EIP-3009 token. Every
// credential type is paid once with on-chain balances checked; a replayed Authorization
// header pays nothing; a route that settles after its handler settles only then.
import { createServer } from 'node:http'
import { Client } from '@paywire/client'
import { Challenge, Credential, Receipt, Secret } from '@paywire/core'
import { Paywire } from '@paywire/server'
import { listener } from '@paywire/server/node'
import { MemoryStore } from '@paywire/store-memory'
import { type EvmNode, FreePort } from '@paywire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as ChargeRequest from '../src/ChargeRequest.js'
import * as EvmClient from '../src/client/index.js'
import * as EvmServer from '../src/server/index.js'
import { newPayer, startWorld, type World } from './fixtures.js'

let world: World
let origin: string
let close: () => Promise<void>
let handled = 0

beforeAll(async () => {
  world = await startWorld()
  let handlers: Record<string, ReturnType<typeof listener>> = {}
  const server = createServer((req, res) => {
    const handler = handlers[new URL(req.url ?? '/', 'http://localhost').pathname]
    if (handler === undefined) res.writeHead(404).end()
    else handler(req, res)
  })
  const listening = await FreePort.listen(server)
  origin = listening.url
  close = listening.close
  const shared = {
    realm: `127.0.0.1:${listening.port}`,
    secret: Secret.generate(),
    methods: [world.server],
    store: MemoryStore.create(),
  }
  const paywire = Paywire.create(shared)
  // The same server an hour later (same secret, realm and store): every challenge has expired.
  const late = Paywire.create({ ...shared, now: () => Date.now() + 3_600_000 })
  const served = (_request: Request, payment: Paywire.Payment) => {
    handled += 1
    return Response.json({ paid: true, reference: payment.receipt?.reference ?? null })
  }
  const paid = listener(paywire, { price: { amount: '1500' } }, served)
  const paidLate = listener(late, { price: { amount: '1500' } }, served)
  handlers = {
    '/paid': (req, res) => (req.headers['x-late'] === undefined ? paid : paidLate)(req, res),
    '/after': listener(paywire, { price: { amount: '800' }, settle: 'after-success' }, served),
  }
})
afterAll(async () => {
  await close?.()
  await world?.node.stop()
})

function payer(account: EvmNode.Account, types: ChargeRequest.CredentialType[], sent?: string[]) {
  return Client.create({
    methods: [
      EvmClient.charge({
        chain: world.chain,
        privateKey: account.privateKey,
        credentialTypes: types,
      }),
    ],
    policy: { currencies: { [world.token.address]: { maxAmount: '10000' } } },
    store: MemoryStore.create(),
    insecureOrigins: [origin],
    fetch: (input, init) => {
      const authorization = new Headers(init?.headers).get('authorization')
      if (authorization !== null) sent?.push(authorization)
      return fetch(input, init)
    },
  })
}

describe('EVM charge over HTTP', () => {
  for (const type of ['permit2', 'authorization', 'transaction', 'hash'] as const)
    it(`pays /paid with a ${type} credential: 200, a receipt with challengeId and chainId, exact balances {evm.charge.receipt.on-success}`, async () => {
      const account = await newPayer(world, 10_000n)
      const recipientBefore = await world.token.balanceOf(world.recipient)
      const { response, receipt, payment } = await payer(account, [type]).fetch(`${origin}/paid`)
      expect(response.status).toBe(200)
      expect(await response.json()).toMatchObject({ paid: true })
      const header = Receipt.deserialize(response.headers.get('payment-receipt') ?? '')
      expect(header).toMatchObject({ method: 'evm', status: 'success', chainId: 1337 })
      expect(header.challengeId).toBe(payment?.challengeId)
      expect(receipt?.reference).toBe(header.reference)
      expect(await world.token.balanceOf(account.address)).toBe(8_500n)
      expect(await world.token.balanceOf(world.recipient)).toBe(recipientBefore + 1_500n)
    })

  it('a replayed Authorization header pays nothing and is answered 402 without a receipt {evm.charge.receipt.not-on-error, evm.charge.error.402, evm.charge.error.problem-body}', async () => {
    const account = await newPayer(world, 10_000n)
    const sent: string[] = []
    const { response } = await payer(account, ['permit2'], sent).fetch(`${origin}/paid`)
    expect(response.status).toBe(200)
    const before = handled
    const replay = await fetch(`${origin}/paid`, { headers: { authorization: sent[0] as string } })
    expect(replay.status).toBe(402)
    expect(replay.headers.get('payment-receipt')).toBeNull()
    expect(replay.headers.get('www-authenticate')).toMatch(/^Payment /)
    expect(replay.headers.get('content-type')).toContain('application/problem+json')
    expect(handled).toBe(before)
    expect(await world.token.balanceOf(account.address)).toBe(8_500n)
  })

  it('on a settle-after-success route, checks before the handler and settles after it', async () => {
    const account = await newPayer(world, 10_000n)
    const before = handled
    const { response } = await payer(account, ['authorization']).fetch(`${origin}/after`)
    expect(response.status).toBe(200)
    expect(handled).toBe(before + 1)
    expect(Receipt.deserialize(response.headers.get('payment-receipt') ?? '').method).toBe('evm')
    expect(await world.token.balanceOf(account.address)).toBe(9_200n)
  })

  it('a client whose only type the server cannot use is refused before anything is signed', async () => {
    const account = await newPayer(world, 10_000n)
    const restricted = EvmServer.charge({
      chain: world.chain,
      recipient: world.recipient,
      currency: world.token.address,
      credentialTypes: ['transaction'],
    })
    const request = await restricted.request({ amount: '10' })
    expect(request.methodDetails.credentialTypes).toEqual(['transaction'])
    const client = EvmClient.charge({
      chain: world.chain,
      privateKey: account.privateKey,
      credentialTypes: ['permit2'],
    })
    await expect(
      client.createCredential({
        challenge: { id: 'x', realm: 'r', method: 'evm', intent: 'charge', request: '' },
        request,
      }),
    ).rejects.toMatchObject({ code: 'ERR_EVM_REQUEST_REFUSED' })
    expect(await world.token.balanceOf(account.address)).toBe(10_000n)
  })

  it('a tampered credential is refused 402 with the verification-failed problem type, nothing paid {evm.charge.error.problem-types, evm.charge.error.detail}', async () => {
    const account = await newPayer(world, 10_000n)
    const challengeResponse = await fetch(`${origin}/paid`)
    expect(challengeResponse.status).toBe(402)
    const challenge = Challenge.deserialize(challengeResponse.headers.get('www-authenticate') ?? '')
    const request = ChargeRequest.schema.parse(Challenge.decodeRequest(challenge))
    const answer = await EvmClient.charge({
      chain: world.chain,
      privateKey: account.privateKey,
      credentialTypes: ['authorization'],
    }).createCredential({ challenge, request })
    const payload = { ...answer.payload, value: '1' }
    const authorization = Credential.toAuthorization(
      Credential.from({ challenge, payload, source: answer.source }),
    )
    const refused = await fetch(`${origin}/paid`, { headers: { authorization } })
    expect(refused.status).toBe(402)
    const problem = (await refused.json()) as { type: string; detail: string }
    expect(problem.type).toBe('https://paymentauth.org/problems/verification-failed')
    expect(problem.detail).toMatch(/moves 1, expected 1500/)
    expect(await world.token.balanceOf(account.address)).toBe(10_000n)
  })

  it('pays only over TLS (loopback excepted when allowed) and within the policy: nothing is signed otherwise {evm.charge.tls, evm.charge.client.verify-request}', async () => {
    const account = await newPayer(world, 10_000n)
    const strict = Client.create({
      methods: [EvmClient.charge({ chain: world.chain, privateKey: account.privateKey })],
      policy: { currencies: { [world.token.address]: { maxAmount: '10000' } } },
      store: MemoryStore.create(),
    })
    await expect(strict.fetch(`${origin}/paid`)).rejects.toMatchObject({
      name: 'Policy.RefusedError',
      message: expect.stringContaining('only over https'),
    })
    const stingy = Client.create({
      methods: [EvmClient.charge({ chain: world.chain, privateKey: account.privateKey })],
      policy: { currencies: { [world.token.address]: { maxAmount: '1000' } } },
      store: MemoryStore.create(),
      insecureOrigins: [origin],
    })
    await expect(stingy.fetch(`${origin}/paid`)).rejects.toMatchObject({
      name: 'Policy.RefusedError',
    })
    const other = Client.create({
      methods: [EvmClient.charge({ chain: world.chain, privateKey: account.privateKey })],
      policy: {
        currencies: { '0x0000000000000000000000000000000000000001': { maxAmount: '10000' } },
      },
      store: MemoryStore.create(),
      insecureOrigins: [origin],
    })
    await expect(other.fetch(`${origin}/paid`)).rejects.toMatchObject({
      name: 'Policy.RefusedError',
    })
    expect(await world.token.balanceOf(account.address)).toBe(10_000n)
  })

  it('refuses a credential of every type once its challenge has expired, with nothing broadcast or counted', async () => {
    for (const type of ['permit2', 'authorization', 'transaction', 'hash'] as const) {
      const account = await newPayer(world, 10_000n)
      const challengeResponse = await fetch(`${origin}/paid`)
      const challenge = Challenge.deserialize(
        challengeResponse.headers.get('www-authenticate') ?? '',
      )
      const request = ChargeRequest.schema.parse(Challenge.decodeRequest(challenge))
      const answer = await EvmClient.charge({
        chain: world.chain,
        privateKey: account.privateKey,
        credentialTypes: [type],
      }).createCredential({ challenge, request })
      const authorization = Credential.toAuthorization(Credential.from({ challenge, ...answer }))
      const balance = await world.token.balanceOf(account.address)
      const block = await world.node.client.getBlockNumber()
      const before = handled
      const refused = await fetch(`${origin}/paid`, { headers: { authorization, 'x-late': '1' } })
      expect(refused.status).toBe(402)
      expect(await refused.json()).toMatchObject({
        // draft-httpauth-payment-01: an expired challenge is payment-expired.
        type: 'https://paymentauth.org/problems/payment-expired',
        detail: expect.stringContaining('expired'),
      })
      expect(refused.headers.get('payment-receipt')).toBeNull()
      expect(handled).toBe(before)
      expect(await world.node.client.getBlockNumber()).toBe(block)
      expect(await world.token.balanceOf(account.address)).toBe(balance)
    }
  })
})
