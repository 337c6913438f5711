// Interop over HTTP with the mppx package (0.11.0), on a real local Tempo node with
// paywire's v1 escrow (one node for this file).
//
// mppx 0.11.0 has v1 sessions (the contract-backed escrow of draft §"Contract-Backed
// Channel State") on the client side only: `SessionLegacy.Client.sessionManager`. Its
// session server (`tempo.session` of `mppx/server`) speaks only v2, the TIP-20 channel
// precompile. So mppx's v1 client pays a paywire session server (open, paid requests,
// close, a metered stream), and paywire's client meets an mppx session server only to
// refuse its v2 challenge, as draft §"Protocol Versions" requires (spec/DEVIATIONS.md,
// rows 16 and 17). Where the two disagree, the case runs as an expected failure
// (`it.fails`) naming its row, and a companion test pins the cause.
import { createServer } from 'node:http'
import { Client as PayingClient, Policy } from '@paywire/client'
import { Challenge, Credential, Secret } from '@paywire/core'
import { Paywire } from '@paywire/server'
import { listener, toRequest, writeResponse } from '@paywire/server/node'
import { MemoryStore } from '@paywire/store-memory'
import { FreePort } from '@paywire/testkit'
import { Mppx as MppxServer, tempo as tempoServer } from 'mppx/server'
import { SessionLegacy } from 'mppx/tempo'
import { encodeFunctionData, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Api from '../test/api.js'
import { type Fixture, setUp, token } from '../test/fixtures.js'
import { viemClient } from '../test/mppx.js'
import * as SessionClient from './Client.js'
import * as Payer from './Payer.js'
import * as Server from './Server.js'
import * as Stream from './Stream.js'

let fixture: Fixture
let sessions: ReturnType<Fixture['sessions']>
const closers: Array<() => Promise<void>> = []

/** Price of one `/paid` request, in base units. */
const price = 10n
/** Units the `/stream` resource sends, at 1 base unit each. */
const streamUnits = 20

beforeAll(async () => {
  fixture = await setUp()
  sessions = fixture.sessions()
}, 60_000)

afterAll(async () => {
  await Promise.all(closers.map((close) => close()))
  fixture?.node.stop()
})

/** A paywire session server on 127.0.0.1: `/paid` (10 a request), `/stream` (1 a unit). */
async function paywireApi() {
  const method = Server.server({
    sessions,
    chainId: fixture.node.chainId,
    escrow: fixture.escrow,
    currency: token,
    recipient: fixture.payee.account.address,
  })
  const server = await Api.listen()
  const { port, baseUrl: url, close } = server
  closers.push(close)
  const paywire = Paywire.create({
    realm: `127.0.0.1:${port}`,
    secret: Secret.generate(),
    methods: [method],
    store: MemoryStore.create(),
  })
  Object.assign(server.handlers, {
    '/paid': listener(
      paywire,
      { price: { amount: price.toString(), suggestedDeposit: '3000' } },
      (_request, payment) => Response.json({ channelId: payment.receipt?.reference }),
    ),
    '/stream': listener(
      paywire,
      { price: { amount: '1', suggestedDeposit: '3000' } },
      (_request, payment) =>
        new Response(
          Stream.meter({
            sessions,
            channelId: payment.receipt?.reference as Hex,
            price: 1n,
            units: (function* () {
              for (let unit = 0; unit < streamUnits; unit++) yield `token ${unit}`
            })(),
            challengeId: payment.challengeId,
            idleTimeoutMs: 5_000,
          }),
          { headers: { ...Stream.headers } },
        ),
    ),
  })
  return { url: (path: string) => `${url}${path}` }
}

/** What paywire answered to a credential mppx sent on a `POST` of its own. */
type Post = {
  action: unknown
  hasBody: boolean
  status: number
  contentType: string | null
  receipt: Record<string, unknown> | undefined
}

/**
 * A funded account and mppx's v1 session manager for it, pinned to paywire's escrow, with
 * a deposit cap of the challenges' suggested 3,000. Credentials mppx sends on `POST` (its
 * transport for need-voucher answers and close) are recorded with paywire's answer; the
 * bodies of those answers are released at once (mppx reads only their status), so a
 * stream paywire starts for one ends when its client goes away.
 */
async function mppxPayer(options: { onPost?: (posts: readonly Post[]) => void } = {}) {
  const account = await fixture.node.newAccount()
  await fixture.node.fund({ to: account.address, amount: 1_000_000n, token })
  const posts: Post[] = []
  const recording = async (input: RequestInfo | URL, init?: RequestInit) => {
    const response = await fetch(input, init)
    const authorization = new Headers(init?.headers).get('authorization')
    if (init?.method !== 'POST' || authorization === null) return response
    const receipt = response.headers.get('payment-receipt')
    posts.push({
      action: (Credential.fromAuthorization(authorization)?.payload as { action?: unknown })
        ?.action,
      hasBody: init.body != null,
      status: response.status,
      contentType: response.headers.get('content-type'),
      receipt:
        receipt === null
          ? undefined
          : JSON.parse(Buffer.from(receipt, 'base64url').toString('utf8')),
    })
    options.onPost?.(posts)
    await response.body?.cancel()
    return new Response(null, { status: response.status, headers: response.headers })
  }
  const manager = SessionLegacy.Client.sessionManager({
    account: privateKeyToAccount(account.privateKey),
    client: viemClient({ rpcUrl: fixture.node.rpcUrl, chainId: fixture.node.chainId }),
    escrowContract: fixture.escrow,
    // In whole tokens (6 decimals): 3,000 base units.
    maxDeposit: '0.003',
    fetch: recording as typeof fetch,
  })
  return { account, manager, posts }
}

describe('mppx (v1 session client) pays a paywire session server', () => {
  let api: Awaited<ReturnType<typeof paywireApi>>
  beforeAll(async () => {
    api = await paywireApi()
  })

  it("opens a channel with mppx's first request, serves requests paid by its vouchers, and closes for what was served {tempo.session.version.absent-v1, tempo.session.open.transaction, tempo.session.open.initial-voucher, tempo.session.transport.any-method, tempo.session.receipt.every-success, tempo.session.request.receipt-balance, tempo.session.close.capture-spent}", async () => {
    const { account, manager, posts } = await mppxPayer()
    const payee = fixture.payee.account.address
    const before = {
      payee: await fixture.node.balanceOf(payee, token),
      escrow: await fixture.node.balanceOf(fixture.escrow, token),
    }

    // The first request opens the channel (mppx's approve + open, broadcast by paywire);
    // each later one is paid by a voucher for one more price.
    for (let request = 1n; request <= 3n; request++) {
      const response = await manager.fetch(api.url('/paid'))
      expect(response.status).toBe(200)
      const { channelId } = (await response.json()) as { channelId: Hex }
      expect(channelId).toBe(manager.channelId?.toLowerCase())
      // mppx read paywire's Payment-Receipt as a session receipt.
      expect(response.receipt).toMatchObject({
        channelId,
        reference: channelId,
        acceptedCumulative: (request * price).toString(),
        spent: (request * price).toString(),
        units: 1,
      })
    }
    const channelId = manager.channelId as Hex
    const opened = await fixture.chain.getChannel(channelId)
    expect(opened).toMatchObject({ deposit: 3_000n, settled: 0n, finalized: false })
    expect(opened.payer.toLowerCase()).toBe(account.address.toLowerCase())
    expect(await sessions.read(channelId)).toMatchObject({ spent: 30n, acceptedCumulative: 30n })

    // mppx closes with its highest voucher; paywire captures what it served and refunds the rest.
    const closed = await manager.close()
    expect(posts.map(({ action, status }) => ({ action, status }))).toEqual([
      { action: 'close', status: 200 },
    ])
    expect(closed).toMatchObject({ channelId, spent: '30' })
    expect(closed?.txHash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(await fixture.chain.getChannel(channelId)).toMatchObject({
      settled: 30n,
      finalized: true,
    })
    expect((await fixture.node.balanceOf(payee, token)) - before.payee).toBe(30n)
    expect(await fixture.node.balanceOf(fixture.escrow, token)).toBe(before.escrow)
  })

  it("answers mppx's need-voucher voucher, sent on a bodyless POST, as a paid request for the resource: served and charged, not a voucher-only update (spec/DEVIATIONS.md row 17) {tempo.session.streaming.need-voucher, tempo.session.streaming.pause, tempo.session.transport.any-method}", async () => {
    const controller = new AbortController()
    const { manager, posts } = await mppxPayer({
      onPost: (sent) => {
        if (sent.length >= 1) controller.abort()
      },
    })
    const received: string[] = []
    const stream = await manager.sse(api.url('/stream'), { signal: controller.signal })
    // The open paid the request's own unit: the stream starves at once and asks for a voucher.
    try {
      for await (const data of stream) received.push(data)
    } catch (error) {
      if (!controller.signal.aborted) throw error
    }
    expect(received).toEqual([])
    // mppx answered with a voucher on a bodyless POST to the resource, not on HEAD...
    expect(posts).toHaveLength(1)
    expect(posts[0]).toMatchObject({ action: 'voucher', hasBody: false })
    // ...which paywire (draft §"Per-Request Processing") served as a request for the
    // resource: a second metered stream, its unit charged from the voucher mppx sent.
    expect(posts[0]).toMatchObject({ status: 200, contentType: 'text/event-stream' })
    expect(posts[0]?.receipt).toMatchObject({ acceptedCumulative: '2', spent: '2', units: 1 })
  })

  // Expected failure, spec/DEVIATIONS.md row 17: mppx answers `payment-need-voucher` with a
  // bodyless POST (its own server's convention for a voucher-only update), where the draft
  // has voucher-only updates on HEAD (§"Session Flow", §"Voucher Submission Transport") and
  // any other request carrying a voucher is a paid request (§"Per-Request Processing").
  // Each POST buys one more unit for a response mppx does not read, and the stream it
  // wanted to resume starves again; unchecked, mppx keeps posting until its deposit cap
  // (about 1,500 POSTs a minute here). Bounded to 5 POSTs.
  it.fails("streams all units to mppx's SSE client, resumed by its vouchers, charging only what was delivered (draft §Insufficient Balance During Streaming) {tempo.session.streaming.resume, tempo.session.streaming.client-respond}", async () => {
    const controller = new AbortController()
    const { manager } = await mppxPayer({
      onPost: (sent) => {
        if (sent.length >= 5) controller.abort()
      },
    })
    const received: string[] = []
    const stream = await manager.sse(api.url('/stream'), { signal: controller.signal })
    try {
      for await (const data of stream) received.push(data)
    } catch (error) {
      if (!controller.signal.aborted) throw error
    }
    expect(received).toHaveLength(streamUnits)
    expect((await sessions.read(manager.channelId as Hex)).spent).toBe(BigInt(streamUnits) + 1n)
  })
})

describe('paywire session client meets an mppx session server', () => {
  /** An mppx 0.11.0 session server on 127.0.0.1, advertising paywire's escrow address. */
  async function mppxApi() {
    const server = createServer()
    const { port, url, close } = await FreePort.listen(server)
    closers.push(close)
    const mppx = MppxServer.create({
      methods: [
        tempoServer.session({
          account: privateKeyToAccount(fixture.node.accounts[2]?.privateKey as Hex),
          currency: token,
          chainId: fixture.node.chainId,
          // mppx takes any escrow address; it speaks the precompile's ABI to it all the same.
          escrowContract: fixture.escrow,
          getClient: () =>
            viemClient({ rpcUrl: fixture.node.rpcUrl, chainId: fixture.node.chainId }),
          unitType: 'request',
        }),
      ],
      realm: `127.0.0.1:${port}`,
      secretKey: 'mppx-interop-secret-0123456789abcdefghijkl',
    })
    server.on('request', (req, res) => {
      // mppx takes amounts in whole tokens (6 decimals): 10 and 3,000 base units.
      mppx
        .session({ amount: '0.00001', suggestedDeposit: '0.003' })(toRequest(req))
        .then(
          (result) =>
            writeResponse(
              res,
              result.status === 402
                ? result.challenge
                : result.withReceipt(Response.json({ paid: true })),
            ),
          (error: Error) => writeResponse(res, new Response(error.message, { status: 500 })),
        )
    })
    return { origin: url, url: (path: string) => `${url}${path}` }
  }

  it("refuses the mppx server's challenge, a v2 (TIP-20 channel precompile) one, and pays nothing (spec/DEVIATIONS.md row 16) {tempo.session.version.no-mismatch}", async () => {
    const api = await mppxApi()
    const offered = await fetch(api.url('/paid'))
    expect(offered.status).toBe(402)
    const [challenge] = Challenge.deserializeList(offered.headers.get('www-authenticate') ?? '')
    expect(challenge).toMatchObject({ method: 'tempo', intent: 'session' })
    expect(Challenge.decodeRequest(challenge as Challenge.Challenge)).toMatchObject({
      amount: '10',
      recipient: fixture.payee.account.address,
      methodDetails: { sessionProtocol: 'v2', escrowContract: fixture.escrow },
    })

    const account = await fixture.node.newAccount()
    await fixture.node.fund({ to: account.address, amount: 1_000_000n, token })
    const paying = PayingClient.create({
      methods: [
        SessionClient.client({
          privateKey: account.privateKey,
          client: fixture.node.client,
          chainId: fixture.node.chainId,
          escrow: fixture.escrow,
          currency: token,
          store: MemoryStore.create(),
          maxDeposit: 10_000n,
        }),
      ],
      policy: {
        currencies: { [token]: { maxAmount: '10000' } },
        budgets: [{ currency: token, amount: '10000', window: 'day', scope: 'total' }],
      },
      store: MemoryStore.create(),
      insecureOrigins: [api.origin],
    })
    const before = await fixture.node.balanceOf(account.address, token)
    const refusal = await paying.fetch(api.url('/paid')).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(refusal).toBeInstanceOf(Policy.RefusedError)
    expect(refusal).toMatchObject({ rule: 'request-schema' })
    expect((refusal as Error).message).toContain('methodDetails.sessionProtocol')
    expect(await fixture.node.balanceOf(account.address, token)).toBe(before)
    // Nor could a v2 client pay it here: the local node has no TIP-20 channel precompile
    // (a call of its `getChannelState` at mppx's default address returns no data).
    const precompile = await fixture.node.client.call({
      to: '0x4d50500000000000000000000000000000000000',
      data: encodeFunctionData({
        abi: getChannelStateAbi,
        functionName: 'getChannelState',
        args: [`0x${'00'.repeat(32)}`],
      }),
    })
    expect(precompile.data).toBeUndefined()
  })

  it('is refused by the mppx server when it answers with a v1 open (no channel descriptor), and nothing is broadcast (spec/DEVIATIONS.md row 16)', async () => {
    const api = await mppxApi()
    const offered = await fetch(api.url('/paid'))
    const [challenge] = Challenge.deserializeList(offered.headers.get('www-authenticate') ?? '')
    const account = await fixture.node.newAccount()
    await fixture.node.fund({ to: account.address, amount: 1_000_000n, token })
    const payer = Payer.create({
      privateKey: account.privateKey,
      client: fixture.node.client,
      chainId: fixture.node.chainId,
      escrow: fixture.escrow,
      currency: token,
      store: MemoryStore.create(),
    })
    const open = await payer.open({ payee: fixture.payee.account.address, deposit: 3_000n })
    const before = await fixture.node.balanceOf(account.address, token)
    const answered = await fetch(api.url('/paid'), {
      headers: {
        authorization: Credential.toAuthorization(
          Credential.from({
            challenge: challenge as Challenge.Challenge,
            payload: {
              action: 'open',
              type: 'transaction',
              channelId: open.channelId,
              transaction: open.transaction,
              cumulativeAmount: '10',
              signature: (await payer.voucher(open.channelId, 10n)).signature,
            },
          }),
        ),
      },
    })
    expect(answered.status).toBe(402)
    expect(await answered.json()).toMatchObject({ detail: expect.stringMatching(/descriptor/i) })
    expect(await fixture.node.balanceOf(account.address, token)).toBe(before)
    expect(await fixture.chain.getChannel(open.channelId)).toMatchObject({ deposit: 0n })
  })
})

/** The one function of the TIP-20 channel precompile the test calls (selector only). */
const getChannelStateAbi = [
  {
    type: 'function',
    name: 'getChannelState',
    stateMutability: 'view',
    inputs: [{ name: 'channelId', type: 'bytes32' }],
    outputs: [],
  },
] as const
