// The session client under a paying client's policy, over real HTTP on a local Tempo node
// (one node for this file): top-ups (explicit, and automatic when a need-voucher asks
// past the deposit) reserved in the budgets before they are signed, refused over budget
// with nothing signed, recorded in the ledger, kept counted when the server fails them;
// channel reuse only with room on chain; v2 challenges refused; top-up credentials under
// a challenge; sponsored channel transactions signed with the fee payer placeholder.
import { Client as PayingClient, Policy } from '@paywire/client'
import { Challenge, Credential, Expires, type Method, Secret } from '@paywire/core'
import { Escrow } from '@paywire/escrow'
import { FeePayer, Chain as TempoChain } from '@paywire/method-tempo'
import { Paywire } from '@paywire/server'
import { listener } from '@paywire/server/node'
import { MemoryStore } from '@paywire/store-memory'
import { TxEnvelopeTempo } from 'ox/tempo'
import type { Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Api from '../test/api.js'
import { type Fixture, setUp, token } from '../test/fixtures.js'
import * as SessionClient from './Client.js'
import * as Payer from './Payer.js'
import * as Server from './Server.js'
import type * as SessionRequest from './SessionRequest.js'

let fixture: Fixture
let sessions: ReturnType<Fixture['sessions']>
let api: { origin: string; url(path: string): string; close(): Promise<void> }
/** The channel `/suggest` names in its challenges (`methodDetails.channelId`). */
let suggestion: Hex | undefined

const price = 10n

beforeAll(async () => {
  fixture = await setUp()
  sessions = fixture.sessions()
  const method = Server.server({
    sessions,
    chainId: fixture.node.chainId,
    escrow: fixture.escrow,
    currency: token,
    recipient: fixture.payee.account.address,
  })
  /** The same method, with `methodDetails` members added to the challenges it issues. */
  const variant = (
    details: () => Record<string, unknown>,
  ): Method.Server<Server.Price, SessionRequest.SessionRequest> => ({
    ...method,
    request: (input: Server.Price) => {
      const request = method.request(input) as SessionRequest.SessionRequest
      return { ...request, methodDetails: { ...request.methodDetails, ...details() } }
    },
  })
  const server = await Api.listen({ fallbackStatus: 503 })
  const { port, baseUrl: url, close } = server
  const paywireOf = (methods: Method.Server<Server.Price, SessionRequest.SessionRequest>[]) =>
    Paywire.create({
      realm: `127.0.0.1:${port}`,
      secret: Secret.generate(),
      methods,
      store: MemoryStore.create(),
    })
  const route = { price: { amount: price.toString(), suggestedDeposit: '3000' } }
  const served = (_request: Request, payment: { receipt?: { reference: string } | undefined }) =>
    Response.json({ channelId: payment.receipt?.reference })
  Object.assign<Record<string, Api.Handler>, Record<string, Api.Handler>>(server.handlers, {
    '/paid': listener(paywireOf([method]), route, served),
    '/suggest': listener(
      paywireOf([variant(() => (suggestion === undefined ? {} : { channelId: suggestion }))]),
      route,
      served,
    ),
    // A v2 server (the TIP-20 channel precompile), as far as its challenge goes.
    '/v2': (_req, res) => {
      const v1 = method.request(route.price) as SessionRequest.SessionRequest
      const challenge = Challenge.from(
        {
          realm: `127.0.0.1:${port}`,
          method: 'tempo',
          intent: 'session',
          request: { ...v1, methodDetails: { ...v1.methodDetails, sessionProtocol: 'v2' } },
          expires: Expires.inSeconds(300),
        },
        { secret: Secret.from(Secret.generate()) },
      )
      res.writeHead(402, { 'www-authenticate': Challenge.serialize(challenge) }).end()
    },
    '/sponsored': listener(paywireOf([variant(() => ({ feePayer: true }))]), route, served),
  })
  api = { origin: `http://127.0.0.1:${port}`, url: (path) => `${url}${path}`, close }
}, 60_000)

afterAll(async () => {
  await api?.close()
  await fixture?.node.stop()
})

/** A funded payer with a session client under a paying client whose budget is `budget`. */
async function agent(
  options: { budget: string; maxDeposit?: bigint; fetch?: typeof globalThis.fetch } = {
    budget: '5000',
  },
) {
  const account = await fixture.node.newAccount()
  await fixture.node.fund({ to: account.address, amount: 1_000_000n, token })
  const payerStore = MemoryStore.create()
  const sessionOptions = {
    privateKey: account.privateKey,
    client: fixture.node.client,
    chainId: fixture.node.chainId,
    escrow: fixture.escrow,
    currency: token,
    store: payerStore,
    maxDeposit: options.maxDeposit ?? 20_000n,
    topUp: 2_000n,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  }
  const session = SessionClient.client(sessionOptions)
  const paying = PayingClient.create({
    methods: [session],
    policy: {
      currencies: { [token]: { maxAmount: '5000' } },
      budgets: [{ currency: token, amount: options.budget, window: 'day', scope: 'total' }],
    },
    store: MemoryStore.create(),
    insecureOrigins: [api.origin],
  })
  const spent = async () =>
    (await paying.standings({ currency: token, origin: api.origin }))[0]?.spent
  const nonce = () =>
    fixture.node.client.getTransactionCount({ address: account.address, blockTag: 'pending' })
  const onChain = (channelId: Hex) =>
    fixture.node.client.readContract({
      address: fixture.escrow,
      abi: Escrow.abi,
      functionName: 'getChannel',
      args: [channelId],
    })
  return { account, session, sessionOptions, paying, spent, nonce, onChain }
}

async function open(paying: PayingClient.Client, path = '/paid') {
  const result = await paying.fetch(api.url(path))
  expect(result.response.status).toBe(200)
  const { channelId } = (await result.response.json()) as { channelId: Hex }
  return { channelId, result }
}

describe('session top-ups under the paying client', () => {
  it('reserves explicit and automatic top-ups in the budgets before signing, refuses one over budget with nothing signed, and records them in the ledger', async () => {
    const { session, paying, spent, nonce, onChain } = await agent()
    const { channelId } = await open(paying)
    expect(await spent()).toBe('3000')

    // An explicit top-up: counted, recorded, on chain, and in the payer's deposit.
    const receipt = await session.topUp({ url: api.url('/paid'), channelId, amount: 1_500n })
    expect(receipt).toMatchObject({ reference: channelId, intent: 'session' })
    expect(await spent()).toBe('4500')
    expect((await onChain(channelId)).deposit).toBe(4_500n)
    expect((await sessions.read(channelId)).deposit).toBe(4_500n)
    expect(await session.payer.channel(channelId)).toMatchObject({ deposit: '4500' })

    // A need-voucher past the deposit asks for a top-up of 2,000 (the `topUp` option):
    // 4,500 + 2,000 is over the budget of 5,000. Refused before anything is signed.
    const before = { nonce: await nonce(), stored: await session.payer.channel(channelId) }
    const refused = await session
      .pay({
        url: api.url('/paid'),
        need: { channelId, requiredCumulative: '4600', deposit: '4500' },
      })
      .catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(Policy.RefusedError)
    expect(refused).toMatchObject({ rule: 'budget', remaining: '500', quote: { amount: '2000' } })
    expect(await nonce()).toBe(before.nonce)
    expect(await session.payer.channel(channelId)).toEqual(before.stored)
    expect((await onChain(channelId)).deposit).toBe(4_500n)
    expect(await spent()).toBe('4500')

    // Within the deposit a need-voucher commits nothing: a voucher only.
    const voucher = await session.pay({
      url: api.url('/paid'),
      need: { channelId, requiredCumulative: '4500', deposit: '4500' },
    })
    expect(voucher).toMatchObject({ reference: channelId, acceptedCumulative: '4500' })
    expect(await spent()).toBe('4500')

    const ledger = await paying.ledger.list()
    expect(ledger.map((entry) => [entry.amount, entry.status])).toEqual([
      ['3000', 'settled'],
      ['1500', 'settled'],
    ])
    expect(ledger[1]).toMatchObject({
      url: api.url('/paid'),
      intent: 'session',
      recipient: fixture.payee.account.address,
      receipt: { reference: channelId },
    })
  }, 120_000)

  it('tops up automatically on a need-voucher past the deposit, within the budget', async () => {
    const { session, paying, spent, onChain } = await agent({ budget: '10000' })
    const { channelId } = await open(paying)
    const receipt = await session.pay({
      url: api.url('/paid'),
      need: { channelId, requiredCumulative: '3100', deposit: '3000' },
      ahead: 400n,
    })
    expect(receipt).toMatchObject({ reference: channelId, acceptedCumulative: '3500' })
    expect(await spent()).toBe('5000')
    expect((await onChain(channelId)).deposit).toBe(5_000n)
    expect((await paying.ledger.list()).map((entry) => entry.amount)).toEqual(['3000', '2000'])
  }, 120_000)

  it('keeps a signed top-up counted when the server fails it, records it unconfirmed, and does not raise the deposit it did not accept', async () => {
    const { session, paying, spent, onChain } = await agent()
    const { channelId } = await open(paying)
    // `/down` answers 503 to everything: the signed top-up reached a server that failed.
    const failed = await session
      .topUp({ url: api.url('/down'), channelId, amount: 1_000n })
      .catch((error: unknown) => error)
    expect(failed).toBeInstanceOf(SessionClient.ManagementRefusedError)
    expect(await spent()).toBe('4000')
    const [, entry] = await paying.ledger.list()
    expect(entry).toMatchObject({ amount: '1000', status: 'unconfirmed' })
    expect(entry?.note).toContain('ManagementRefusedError')
    expect(await session.payer.channel(channelId)).toMatchObject({ deposit: '3000' })
    expect((await onChain(channelId)).deposit).toBe(3_000n)
  }, 120_000)

  it('releases the reservation when the top-up cannot be signed (above maxDeposit)', async () => {
    const { session, paying, spent, nonce } = await agent({ budget: '100000', maxDeposit: 5_000n })
    const { channelId } = await open(paying)
    const before = await nonce()
    await expect(
      session.topUp({ url: api.url('/paid'), channelId, amount: 2_001n }),
    ).rejects.toBeInstanceOf(Payer.PolicyError)
    expect(await spent()).toBe('3000')
    expect(await nonce()).toBe(before)
    expect(await paying.ledger.list()).toHaveLength(1)
  }, 120_000)

  it('sends every top-up credential with the challenge it answers, fetching one when the channel has none {tempo.session.topup.challenge-required}', async () => {
    const sent: { method: string; credential: Credential.Credential | undefined }[] = []
    const recording = async (input: string | URL | Request, init?: RequestInit) => {
      const headers = new Headers(init?.headers)
      sent.push({
        method: init?.method ?? 'GET',
        credential: Credential.fromAuthorization(headers.get('authorization')),
      })
      return fetch(input, init)
    }
    const first = await agent({ budget: '10000', fetch: recording })
    const { channelId } = await open(first.paying)
    await first.session.topUp({ url: api.url('/paid'), channelId, amount: 500n })
    // A restarted agent (same payer store, new session client) knows no challenge yet.
    const restarted = SessionClient.client({ ...first.sessionOptions, fetch: recording })
    await restarted.topUp({ url: api.url('/paid'), channelId, amount: 700n })

    const topUps = sent.filter((request) => request.credential?.payload.action === 'topUp')
    expect(topUps).toHaveLength(2)
    for (const { method, credential } of topUps) {
      expect(method).toBe('HEAD')
      expect(credential?.challenge).toMatchObject({
        method: 'tempo',
        intent: 'session',
        realm: new URL(api.origin).host,
      })
      expect(credential?.challenge.id).toMatch(/\S/)
      expect(Challenge.decodeRequest(credential?.challenge as Challenge.Challenge)).toMatchObject({
        recipient: fixture.payee.account.address,
      })
    }
    // The restarted client asked for a challenge (no credential) before its top-up.
    expect(sent.at(-2)).toEqual({ method: 'HEAD', credential: undefined })
    expect((await sessions.read(channelId)).deposit).toBe(4_200n)
  }, 120_000)
})

describe('session challenges the client answers', () => {
  it('never opens a channel for a credential the paying client was told commits nothing', async () => {
    const { session, paying, nonce, spent } = await agent()
    const { channelId } = await open(paying)
    const offered = await fetch(api.url('/paid'))
    const challenge = Challenge.deserializeList(
      offered.headers.get('www-authenticate') as string,
    )[0] as Challenge.Challenge
    const request = Challenge.decodeRequest(challenge) as SessionRequest.SessionRequest
    expect(await session.commitment?.({ challenge, request })).toBe('0')
    // The channel is gone before the credential is made (closed, forgotten).
    await session.payer.forget(channelId)
    const before = await nonce()
    await expect(session.createCredential({ challenge, request })).rejects.toBeInstanceOf(
      SessionClient.ChannelChangedError,
    )
    expect(await nonce()).toBe(before)
    expect(await session.channelFor(request)).toBeUndefined()
    expect(await spent()).toBe('3000')
  }, 120_000)

  it('spends for one paying client only', async () => {
    const { session } = await agent()
    expect(() =>
      PayingClient.create({
        methods: [session],
        policy: { currencies: { [token]: { maxAmount: '1' } } },
        store: MemoryStore.create(),
      }),
    ).toThrow(SessionClient.AttachedError)
  })

  it('resumes a suggested channel only while the chain shows room for the request, else opens a new one {tempo.session.reuse.verify-balance}', async () => {
    const { session, paying, spent, onChain } = await agent({ budget: '10000' })
    const { channelId } = await open(paying)

    // Suggested, held, with room on chain: paid by a voucher, nothing committed.
    suggestion = channelId
    const resumed = await paying.fetch(api.url('/suggest'))
    expect(resumed.response.status).toBe(200)
    expect(resumed.payment?.amount).toBe('0')
    expect(resumed.receipt?.reference).toBe(channelId)

    // The server settles all but 5 of the deposit: 3,000 - 2,995 < the price of 10.
    await session.pay({
      url: api.url('/paid'),
      need: { channelId, requiredCumulative: '2995', deposit: '3000' },
    })
    const { spent: served } = await sessions.read(channelId)
    await sessions.charge({ channelId, units: 2_995n - served, price: 1n })
    await sessions.settle(channelId)
    expect((await onChain(channelId)).settled).toBe(2_995n)

    const moved = await paying.fetch(api.url('/suggest'))
    expect(moved.response.status).toBe(200)
    expect(moved.payment?.amount).toBe('3000')
    expect(moved.receipt?.reference).not.toBe(channelId)
    expect(await spent()).toBe('6000')

    // A suggestion of a channel this payer does not hold is not followed.
    suggestion = `0x${'ab'.repeat(32)}`
    const own = await paying.fetch(api.url('/suggest'))
    expect(own.response.status).toBe(200)
    expect(own.payment?.amount).toBe('0')
    expect(own.receipt?.reference).toBe(moved.receipt?.reference)
    suggestion = undefined
  }, 120_000)

  it('never answers a v2 challenge with its v1 channels {tempo.session.version.no-mismatch}', async () => {
    const { session, paying, nonce, spent } = await agent()
    const refused = await paying.fetch(api.url('/v2')).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(Policy.RefusedError)
    expect(refused).toMatchObject({ rule: 'request-schema' })
    expect(await nonce()).toBe(0)
    expect(await spent()).toBe('0')
    // With a v1 channel open for the payee, a v2 challenge is still not answered.
    const { channelId } = await open(paying)
    await expect(paying.fetch(api.url('/v2'))).rejects.toMatchObject({ rule: 'request-schema' })
    expect((await session.payer.channel(channelId))?.signed).toBe('10')
  }, 120_000)

  it('signs sponsored open and top-up transactions with the 0x00 fee payer placeholder and no fee token, which a sponsor can co-sign and send {tempo.session.fees.client-placeholder}', async () => {
    // A payer holding the channel token only: no pathUSD for fees.
    const privateKey = generatePrivateKey()
    const address = privateKeyToAccount(privateKey).address
    await fixture.node.fund({ to: address, amount: 100_000n, token })
    const session = SessionClient.client({
      privateKey,
      client: fixture.node.client,
      chainId: fixture.node.chainId,
      escrow: fixture.escrow,
      currency: token,
      store: MemoryStore.create(),
      maxDeposit: 20_000n,
    })
    const offered = await fetch(api.url('/sponsored'))
    const challenge = Challenge.deserializeList(
      offered.headers.get('www-authenticate') as string,
    )[0] as Challenge.Challenge
    const request = Challenge.decodeRequest(challenge) as SessionRequest.SessionRequest
    expect(request.methodDetails.feePayer).toBe(true)
    const { payload } = await session.createCredential({ challenge, request })
    const transaction = payload.transaction as TxEnvelopeTempo.Serialized
    const envelope = TxEnvelopeTempo.deserialize(transaction)
    expect(envelope.feePayerSignature).toBeNull()
    expect(envelope.feeToken).toBeUndefined()
    expect(transaction.toLowerCase()).toMatch(/^0x76/)

    // A sponsor co-signs in its own domain and sends it: the channel opens, fees unpaid by the payer.
    const chain = TempoChain.fromRpc({ rpcUrl: fixture.node.rpcUrl, chainId: fixture.node.chainId })
    const sponsor = FeePayer.from({
      privateKey: (fixture.node.accounts[5] as { privateKey: Hex }).privateKey,
      maxFeePerPayment: 10_000_000n,
      budget: 100_000_000n,
    })
    const sponsorship = await sponsor.sponsor({ envelope, sender: address, chain })
    const mined = await chain.sendRawTransactionSync(sponsorship.serialized)
    expect(mined.status).toBe('success')
    const channelId = payload.channelId as Hex
    const onChain = await session.payer.onChain(channelId)
    expect(onChain).toMatchObject({ deposit: 3_000n, finalized: false })
    expect(await fixture.node.balanceOf(address)).toBe(0n)

    // A top-up under a sponsoring challenge is signed the same way.
    const topUp = await session.payer.topUp(channelId, 500n, { feePayer: true })
    const topUpEnvelope = TxEnvelopeTempo.deserialize(
      topUp.transaction as TxEnvelopeTempo.Serialized,
    )
    expect(topUpEnvelope.feePayerSignature).toBeNull()
    expect(topUpEnvelope.feeToken).toBeUndefined()
    const sponsoredTopUp = await sponsor.sponsor({
      envelope: topUpEnvelope,
      sender: address,
      chain,
    })
    expect((await chain.sendRawTransactionSync(sponsoredTopUp.serialized)).status).toBe('success')
    expect((await session.payer.onChain(channelId)).deposit).toBe(3_500n)
  }, 120_000)
})
