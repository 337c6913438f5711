// Tempo sessions over real HTTP on a local Tempo node: @paywire/server (node binding) with
// the session method, @paywire/client paying with the session client under a spending
// policy. One channel: opened by the first paid request (its deposit counted against the
// budget), paid requests with vouchers, a metered SSE stream that starves and resumes
// after a top-up, 100 parallel requests, and a close; balances are read on chain.
import { createServer } from 'node:http'
import { Client as PayingClient } from '@paywire/client'
import { Challenge, Credential, Secret } from '@paywire/core'
import { Paywire } from '@paywire/server'
import { listener } from '@paywire/server/node'
import { MemoryStore } from '@paywire/store-memory'
import { FreePort } from '@paywire/testkit'
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Fixture, setUp, token } from '../test/fixtures.js'
import * as SessionClient from './Client.js'
import * as Server from './Server.js'
import * as Stream from './Stream.js'

let fixture: Fixture
let api: { origin: string; url(path: string): string; close(): Promise<void> }
let sessions: ReturnType<Fixture['sessions']>

/** Units the stream sends, at 1 base unit each. */
const streamUnits = 3_000
/** Price of one `/paid` request. */
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
  let handlers: Record<string, ReturnType<typeof listener>> = {}
  const server = createServer((req, res) => {
    const handler = handlers[new URL(req.url ?? '/', 'http://localhost').pathname]
    if (handler === undefined) res.writeHead(404).end()
    else handler(req, res)
  })
  const { port, url, close } = await FreePort.listen(server)
  const paywire = Paywire.create({
    realm: `127.0.0.1:${port}`,
    secret: Secret.generate(),
    methods: [method],
    store: MemoryStore.create(),
  })
  handlers = {
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
  }
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
})
