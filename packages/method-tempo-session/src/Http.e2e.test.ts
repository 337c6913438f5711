// Tempo sessions over real HTTP on a local Tempo node: @paywire/server (node binding) with
// the session method, @paywire/client paying with the session client under a spending
// policy. One channel: opened by the first paid request (its deposit counted against the
// budget), paid requests with vouchers, a metered SSE stream that starves and resumes
// after a top-up, 100 parallel requests, and a close; balances are read on chain.
import { Client as PayingClient } from '@paywire/client'
import { Challenge, Credential, Secret, SessionChannel } from '@paywire/core'
import { Escrow } from '@paywire/escrow'
import { Paywire } from '@paywire/server'
import { listener } from '@paywire/server/node'
import { MemoryStore } from '@paywire/store-memory'
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Api from '../test/api.js'
import { type Fixture, setUp, token } from '../test/fixtures.js'
import * as SessionClient from './Client.js'
import * as Server from './Server.js'
import * as Stream from './Stream.js'

let fixture: Fixture
let api: { origin: string; url(path: string): string; close(): Promise<void> }
let sessions: ReturnType<Fixture['sessions']>
/** Settles when the `/starve` stream's units are released (its generator finished). */
let starveEnded: Promise<void> = Promise.resolve()

/** Units the stream sends, at 1 base unit each. */
const streamUnits = 3_000
/** Price of one `/paid` request. */
const price = 10n
/** The Done-when run of issue 5: paid requests and streamed units over HTTP on one channel. */
const long = { requests: 1_000, units: 10_000, deposit: 12_000n, topUp: 10_000n } as const

beforeAll(async () => {
  fixture = await setUp()
  // Settles in the background each time 5,000 served are unsettled (the long run crosses it).
  sessions = fixture.sessions(undefined, { settle: { everyAmount: 5_000n } })
  const method = Server.server({
    sessions,
    chainId: fixture.node.chainId,
    escrow: fixture.escrow,
    currency: token,
    recipient: fixture.payee.account.address,
  })
  const server = await Api.listen()
  const { port, baseUrl: url, close } = server
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
    '/stream': listener(paywire, { price: { amount: '1' } }, (_request, payment) => {
      const body = Stream.meter({
        sessions,
        channelId: payment.receipt?.reference as Hex,
        price: 1n,
        units: (function* () {
          for (let unit = 0; unit < streamUnits; unit++) yield `token ${unit}`
        })(),
        challengeId: payment.challengeId,
        idleTimeoutMs: 20_000,
      })
      return new Response(body, { headers: { ...Stream.headers } })
    }),
    '/starve': listener(
      paywire,
      { price: { amount: '1', suggestedDeposit: '1000' } },
      (_request, payment) => {
        let ended: () => void = () => undefined
        starveEnded = new Promise<void>((resolve) => {
          ended = resolve
        })
        const body = Stream.meter({
          sessions,
          channelId: payment.receipt?.reference as Hex,
          price: 1n,
          units: (function* () {
            try {
              for (let unit = 0; unit < 1_000; unit++) yield `token ${unit}`
            } finally {
              ended()
            }
          })(),
          challengeId: payment.challengeId,
          idleTimeoutMs: 30_000,
        })
        return new Response(body, { headers: { ...Stream.headers } })
      },
    ),
    '/long/paid': listener(
      paywire,
      { price: { amount: price.toString(), suggestedDeposit: long.deposit.toString() } },
      (_request, payment) => Response.json({ channelId: payment.receipt?.reference }),
    ),
    '/long/stream': listener(paywire, { price: { amount: '1' } }, (_request, payment) => {
      const body = Stream.meter({
        sessions,
        channelId: payment.receipt?.reference as Hex,
        price: 1n,
        units: (function* () {
          for (let unit = 0; unit < long.units; unit++) yield `token ${unit}`
        })(),
        challengeId: payment.challengeId,
        idleTimeoutMs: 20_000,
      })
      return new Response(body, { headers: { ...Stream.headers } })
    }),
  })
  api = { origin: `http://127.0.0.1:${port}`, url: (path) => `${url}${path}`, close }
}, 60_000)

afterAll(async () => {
  await api?.close()
  fixture?.node.stop()
})

describe('tempo sessions over HTTP', () => {
  it('opens on the first paid request, pays requests and a starved stream with vouchers, tops up, serves 100 parallel requests exactly, and closes for what was served {tempo.session.transport.any-method, tempo.session.transport.head-voucher, tempo.session.transport.head-support, tempo.session.credential.echo-challenge, tempo.session.request.voucher-first, tempo.session.request.balance-check, tempo.session.request.charge-before-delivery, tempo.session.request.receipt-balance, tempo.session.receipt.every-success, tempo.session.receipt.streaming-both, tempo.session.receipt.sse-event, tempo.session.streaming.need-voucher, tempo.session.streaming.pause, tempo.session.streaming.resume, tempo.session.streaming.client-respond, tempo.session.streaming.topup-when-above-deposit, tempo.session.streaming.no-overservice, tempo.session.concurrency.separate-connections, tempo.session.concurrency.atomic-vouchers, tempo.session.concurrency.serialized, tempo.session.idempotency.lower-rejected, tempo.session.idempotency.client-retry, tempo.session.close.capture-spent, tempo.session.request.deposit-choice}', async () => {
    const account = await fixture.node.newAccount()
    await fixture.node.fund({ to: account.address, amount: 1_000_000n, token })
    const session = SessionClient.client({
      privateKey: account.privateKey,
      client: fixture.node.client,
      chainId: fixture.node.chainId,
      escrow: fixture.escrow,
      currency: token,
      store: MemoryStore.create(),
      maxDeposit: 20_000n,
      topUp: 2_000n,
    })
    const store = MemoryStore.create()
    const paying = PayingClient.create({
      methods: [session],
      policy: {
        currencies: { [token]: { maxAmount: '5000' } },
        budgets: [{ currency: token, amount: '5000', window: 'day', scope: 'total' }],
      },
      store,
      insecureOrigins: [api.origin],
    })
    const balance = (address: Hex) => fixture.node.balanceOf(address, token)
    const before = {
      payer: await balance(account.address),
      payee: await balance(fixture.payee.account.address),
    }

    // The first request opens the channel with the suggested deposit, counted in the budget.
    const first = await paying.fetch(api.url('/paid'))
    expect(first.response.status).toBe(200)
    const { channelId } = (await first.response.json()) as { channelId: Hex }
    expect(first.payment).toMatchObject({ amount: '3000', intent: 'session' })
    expect(first.receipt).toMatchObject({ intent: 'session', reference: channelId, spent: '10' })
    const [standing] = await paying.standings({ currency: token, origin: api.origin })
    expect(standing?.spent).toBe('3000')

    // A voucher adding nothing on a spent balance: 402 with requiredTopUp and a fresh challenge.
    const offered = await fetch(api.url('/paid'))
    const challenge = Challenge.deserializeList(
      offered.headers.get('www-authenticate') as string,
    )[0] as Challenge.Challenge
    const equal = await session.payer.voucher(channelId, 10n)
    const refused = await fetch(api.url('/paid'), {
      headers: {
        authorization: Credential.toAuthorization(
          Credential.from({
            challenge,
            payload: {
              action: 'voucher',
              channelId,
              cumulativeAmount: '10',
              signature: equal.signature,
            },
          }),
        ),
      },
    })
    expect(refused.status).toBe(402)
    expect(refused.headers.get('www-authenticate')).toContain('intent="session"')
    expect(await refused.json()).toMatchObject({
      type: 'https://paymentauth.org/problems/session/insufficient-balance',
      requiredTopUp: '10',
    })

    // 59 more requests, each paid by a voucher for its price, no budget moved.
    for (let request = 2; request <= 60; request++) {
      const result = await paying.fetch(api.url('/paid'))
      expect(result.response.status).toBe(200)
      await result.response.body?.cancel()
      expect(result.payment?.amount).toBe('0')
    }
    expect((await sessions.read(channelId)).spent).toBe(600n)

    // One stream: starves, is resumed by HEAD vouchers, tops up once past the deposit.
    const streamed = await paying.fetch(api.url('/stream'))
    expect(streamed.response.headers.get('content-type')).toBe('text/event-stream')
    expect(streamed.receipt).toMatchObject({ reference: channelId, units: 1 })
    const reader = (streamed.response.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    let received = 0
    let starvations = 0
    let finalReceipt: Record<string, unknown> | undefined
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      buffer += decoder.decode(value, { stream: true })
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const data = block.slice(block.indexOf('data: ') + 6)
        if (block.startsWith('event: message')) received += 1
        if (block.startsWith('event: payment-receipt')) finalReceipt = JSON.parse(data)
        if (!block.startsWith('event: payment-need-voucher')) continue
        starvations += 1
        const receipt = await session.pay({
          url: api.url('/stream'),
          need: JSON.parse(data),
          ahead: 499n,
        })
        expect(receipt.reference).toBe(channelId)
      }
    }
    expect(received).toBe(streamUnits)
    expect(starvations).toBeGreaterThanOrEqual(2)
    expect(finalReceipt).toMatchObject({ intent: 'session', units: streamUnits })
    expect(await session.payer.channel(channelId)).toMatchObject({ deposit: '5000' })
    const afterStream = await sessions.read(channelId)
    expect(afterStream.spent).toBe(600n + 1n + BigInt(streamUnits))
    expect(afterStream.deposit).toBe(5_000n)

    // 100 parallel requests on the channel: each served once, charged once.
    const parallel = await Promise.all(
      Array.from({ length: 100 }, () => paying.fetch(api.url('/paid'))),
    )
    for (const result of parallel) {
      expect(result.response.status).toBe(200)
      await result.response.body?.cancel()
    }
    const served = await sessions.read(channelId)
    expect(served.spent).toBe(afterStream.spent + 100n * price)
    expect(served.acceptedCumulative).toBeGreaterThanOrEqual(served.spent)
    expect(served.acceptedCumulative).toBeLessThanOrEqual(served.deposit)

    // Close for exactly what was served, on another resource of the same server (the
    // client takes the fresh challenge of its 402); the receipt carries the close transaction.
    const closed = await session.close({
      url: api.url('/stream'),
      channelId,
      cumulativeAmount: served.spent,
    })
    expect(closed).toMatchObject({ reference: channelId, spent: served.spent.toString() })
    expect(closed.txHash).toMatch(/^0x[0-9a-f]{64}$/)
    const after = {
      payer: await balance(account.address),
      payee: await balance(fixture.payee.account.address),
    }
    expect(after.payee - before.payee).toBe(served.spent)
    expect(before.payer - after.payer).toBe(served.spent)
  }, 240_000)

  it('pays 1,000 requests and 10,000 streamed units on one channel over HTTP, starving, resuming and topping up once, and closes for exactly what was served {tempo.session.request.charge-before-delivery, tempo.session.streaming.pause, tempo.session.streaming.resume, tempo.session.streaming.topup-when-above-deposit, tempo.session.streaming.no-overservice, tempo.session.topup.update-balance, tempo.session.settlement.timing, tempo.session.close.capture-spent, tempo.session.close.use-accounting, tempo.session.cost.pricing-model}', async () => {
    const account = await fixture.node.newAccount()
    await fixture.node.fund({ to: account.address, amount: 1_000_000n, token })
    const session = SessionClient.client({
      privateKey: account.privateKey,
      client: fixture.node.client,
      chainId: fixture.node.chainId,
      escrow: fixture.escrow,
      currency: token,
      store: MemoryStore.create(),
      maxDeposit: 100_000n,
      topUp: long.topUp,
    })
    const paying = PayingClient.create({
      methods: [session],
      policy: {
        currencies: { [token]: { maxAmount: '100000' } },
        budgets: [{ currency: token, amount: '100000', window: 'day', scope: 'total' }],
      },
      store: MemoryStore.create(),
      insecureOrigins: [api.origin],
    })
    const balance = (address: Hex) => fixture.node.balanceOf(address, token)
    const payee = fixture.payee.account.address
    const before = { payer: await balance(account.address), payee: await balance(payee) }
    const started = performance.now()

    // 1,000 requests: the first opens the channel, each later one is paid by a voucher.
    let channelId: Hex | undefined
    for (let request = 1; request <= long.requests; request++) {
      const result = await paying.fetch(api.url('/long/paid'))
      expect(result.response.status).toBe(200)
      channelId = ((await result.response.json()) as { channelId: Hex }).channelId
    }
    const requestsDone = performance.now()
    if (channelId === undefined) throw new Error('no request was served')
    expect((await sessions.read(channelId)).spent).toBe(BigInt(long.requests) * price)

    // 10,000 units on one stream (its request is one more unit at 1): every need-voucher is
    // answered with 999 more, a top-up first once the deposit no longer covers it.
    const streamed = await paying.fetch(api.url('/long/stream'))
    expect(streamed.receipt).toMatchObject({ reference: channelId, units: 1 })
    const reader = (streamed.response.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    let received = 0
    let starvations = 0
    let finalReceipt: Record<string, unknown> | undefined
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      buffer += decoder.decode(value, { stream: true })
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const data = block.slice(block.indexOf('data: ') + 6)
        if (block.startsWith('event: message')) {
          expect(data).toBe(`token ${received}`)
          received += 1
        }
        if (block.startsWith('event: payment-receipt')) finalReceipt = JSON.parse(data)
        if (!block.startsWith('event: payment-need-voucher')) continue
        starvations += 1
        const need = JSON.parse(data) as { requiredCumulative: string; acceptedCumulative: string }
        // Paused: nothing beyond the accepted amount was served.
        expect((await sessions.read(channelId)).spent).toBe(BigInt(need.acceptedCumulative))
        await session.pay({ url: api.url('/long/stream'), need: JSON.parse(data), ahead: 999n })
      }
    }
    const streamDone = performance.now()
    expect(received).toBe(long.units)
    expect(starvations).toBeGreaterThanOrEqual(1)
    expect(finalReceipt).toMatchObject({ intent: 'session', units: long.units })
    const served = BigInt(long.requests) * price + 1n + BigInt(received)
    const state = await sessions.read(channelId)
    expect(state.spent).toBe(served)
    // Exactly one top-up, of `long.topUp`, read on chain.
    expect((await fixture.chain.getChannel(channelId)).deposit).toBe(long.deposit + long.topUp)

    // Settled on the way, by the schedule: never above what was served at the time.
    const settledOnTheWay = await fixture.node.client.getContractEvents({
      address: fixture.escrow,
      abi: Escrow.abi,
      eventName: 'Settled',
      args: { channelId },
      fromBlock: 0n,
    })
    expect(settledOnTheWay.length).toBeGreaterThanOrEqual(1)
    for (const event of settledOnTheWay)
      expect(event.args.cumulativeAmount ?? served + 1n).toBeLessThan(served)

    const closed = await session.close({
      url: api.url('/long/paid'),
      channelId,
      cumulativeAmount: served,
    })
    expect(closed).toMatchObject({ reference: channelId, spent: served.toString() })
    const onChain = await fixture.chain.getChannel(channelId)
    expect(onChain).toMatchObject({ finalized: true, settled: served })
    const after = { payer: await balance(account.address), payee: await balance(payee) }
    expect(after.payee - before.payee).toBe(served)
    expect(before.payer - after.payer).toBe(served)
    const seconds = (ms: number) => (ms / 1000).toFixed(1)
    console.info(
      `1,000 requests ${seconds(requestsDone - started)} s, 10,000 units ${seconds(streamDone - requestsDone)} s (${starvations} starvations), total ${seconds(performance.now() - started)} s`,
    )
  }, 240_000)

  it('ends a stream paused for a voucher as soon as its client disconnects, charging nothing more even when a voucher comes later {tempo.session.streaming.pause, tempo.session.streaming.no-overservice}', async () => {
    const account = await fixture.node.newAccount()
    await fixture.node.fund({ to: account.address, amount: 10_000n, token })
    const session = SessionClient.client({
      privateKey: account.privateKey,
      client: fixture.node.client,
      chainId: fixture.node.chainId,
      escrow: fixture.escrow,
      currency: token,
      store: MemoryStore.create(),
      maxDeposit: 1_000n,
    })
    const paying = PayingClient.create({
      methods: [session],
      policy: { currencies: { [token]: { maxAmount: '1000' } } },
      store: MemoryStore.create(),
      insecureOrigins: [api.origin],
    })
    // The stream's own request opens the channel and pays its one unit: the stream starves at once.
    const disconnect = new AbortController()
    const streamed = await paying.fetch(api.url('/starve'), { signal: disconnect.signal })
    const channelId = streamed.receipt?.reference as Hex
    const reader = (streamed.response.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    let text = ''
    while (!text.includes('event: payment-need-voucher')) {
      const { value, done } = await reader.read()
      if (done) throw new Error('the stream ended before it starved')
      text += decoder.decode(value, { stream: true })
    }
    const paused = await sessions.read(channelId)
    expect(paused).toMatchObject({ status: 'starved', spent: 1n, units: 1n })

    // The client goes away while the server waits for a voucher (idle timeout 30 s).
    const gone = performance.now()
    disconnect.abort()
    await starveEnded
    expect(performance.now() - gone).toBeLessThan(5_000)

    // A voucher arriving afterwards pays no unit of the dead stream.
    const need = SessionChannel.needVoucher(paused)
    expect(need?.requiredCumulative).toBe('2')
    await session.pay({
      url: api.url('/starve'),
      need: need as SessionChannel.needVoucher.ReturnType,
      ahead: 98n,
    })
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(await sessions.read(channelId)).toMatchObject({
      spent: 1n,
      units: 1n,
      acceptedCumulative: 100n,
    })
  }, 60_000)
})
