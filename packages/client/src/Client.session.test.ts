// The paying client with a multi-use (session-like) method against a real @paywire/server
// over HTTP on 127.0.0.1, with no chain: a toy metered method whose client states its
// `commitment` (a deposit on open, '0' after) and whose server refuses a "voucher" lower
// than the highest accepted, so parallel requests exercise `retryable`.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Errors, Method, Receipt, Secret } from '@paywire/core'
import { Paywire } from '@paywire/server'
import { listener } from '@paywire/server/node'
import { MemoryStore } from '@paywire/store-memory'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Client } from './index.js'

const requestSchema = z.looseObject({ amount: z.string(), currency: z.string() })

class LowerError extends Errors.BaseError {
  override readonly name = 'LowerError'
  readonly code = 'ERR_LOWER'
  readonly problem = 'session/delta-too-small' as const
}

/** Server half: `open` sets the balance, `voucher` must exceed the highest seen, each use costs `amount`. */
function meterServer() {
  const state = { deposit: 0, accepted: 0, spent: 0, opens: 0 }
  const method = Method.defineServer({
    method: 'meter',
    intent: 'session',
    testOnly: true,
    requestSchema,
    payloadSchema: z.object({ action: z.enum(['open', 'voucher']), cumulative: z.number() }),
    request: (price: { amount: string }) => ({ amount: price.amount, currency: 'usd' }),
    async verify(): Promise<Receipt.Receipt> {
      throw new Error('never verified')
    },
    async redeem({ credential, challenge, request }) {
      const { action, cumulative } = credential.payload
      // An await between the check and the update, as a chain read would be.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5))
      if (action === 'open') {
        state.opens += 1
        state.deposit = 1_000
      } else if (cumulative < state.accepted) throw new LowerError('a lower voucher')
      state.accepted = Math.max(state.accepted, cumulative)
      state.spent += Number(request.amount)
      if (state.spent > state.accepted) throw new Error('served beyond the vouchers')
      return {
        kind: 'serve',
        receipt: Receipt.from({ method: 'meter', reference: 'channel', challengeId: challenge.id }),
      }
    },
  })
  return { method, state }
}

/** Client half: opens once (committing the deposit), then signs the next cumulative amount. */
function meterClient() {
  let opened = false
  let signed = 0
  return Method.defineClient({
    method: 'meter',
    intent: 'session',
    requestSchema,
    async commitment() {
      return opened ? '0' : '1000'
    },
    retryable: (problem) =>
      problem.type === 'https://paymentauth.org/problems/session/delta-too-small',
    async createCredential({ request }) {
      signed += Number(request.amount)
      if (opened) return { payload: { action: 'voucher', cumulative: signed } }
      opened = true
      return { payload: { action: 'open', cumulative: signed } }
    },
  })
}

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

async function start() {
  const { method, state } = meterServer()
  const paywire = Paywire.create({
    realm: 'paywire.test',
    secret: Secret.generate(),
    methods: [method],
    store: MemoryStore.create(),
    allowTestMethods: true,
    allowUnregisteredIntents: true,
  })
  const paid = listener(paywire, { price: { amount: '10' } }, () => new Response('served'))
  const server = createServer(paid)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  closers.push(() => new Promise((resolve) => server.close(() => resolve())))
  const store = MemoryStore.create()
  const client = Client.create({
    methods: [meterClient()],
    policy: {
      currencies: { usd: { maxAmount: '1000' } },
      budgets: [{ currency: 'usd', amount: '1000', window: 'day', scope: 'total' }],
      realms: 'any',
    },
    store,
    insecureOrigins: [origin],
  })
  return { origin, client, state, store }
}

describe('Client.fetch with a session-like method', () => {
  it('counts the commitment (the deposit) against the budget once, and vouchers as 0 {tempo.session.request.deposit-choice}', async () => {
    const { origin, client, state, store } = await start()
    const first = await client.fetch(`${origin}/paid`)
    expect(first.response.status).toBe(200)
    expect(first.payment).toMatchObject({ amount: '1000', intent: 'session', status: 'settled' })
    for (let request = 0; request < 5; request++) {
      const next = await client.fetch(`${origin}/paid`)
      expect(next.response.status).toBe(200)
      expect(next.payment?.amount).toBe('0')
    }
    const [standing] = await client.standings({ currency: 'usd', origin })
    expect(standing?.spent).toBe('1000')
    expect(state).toMatchObject({ opens: 1, spent: 60 })
    // The vouchers committed nothing: the budget record holds the deposit alone.
    const record = await store.get('paywire:client:budget:usd')
    expect(record?.value).toEqual({
      entries: [expect.objectContaining({ amount: '1000', state: 'spent' })],
    })
    expect(await client.ledger.list()).toHaveLength(6)
  })

  it('answers again a voucher overtaken by a parallel one, so parallel requests are each served once {tempo.session.idempotency.client-retry, tempo.session.idempotency.lower-rejected}', async () => {
    const { origin, client, state } = await start()
    expect((await client.fetch(`${origin}/paid`)).response.status).toBe(200)
    const results = await Promise.all(
      Array.from({ length: 40 }, () => client.fetch(`${origin}/paid`)),
    )
    for (const result of results) expect(result.response.status).toBe(200)
    expect(state.spent).toBe(410)
    const [standing] = await client.standings({ currency: 'usd', origin })
    expect(standing?.spent).toBe('1000')
    expect(state.accepted).toBeGreaterThanOrEqual(state.spent)
  })

  it('does not answer again a 402 to a credential that committed money', async () => {
    const { origin } = await start()
    const refusing = Method.defineClient({
      ...meterClient(),
      async commitment() {
        return '5'
      },
      async createCredential() {
        return { payload: { action: 'voucher', cumulative: -1 } }
      },
    })
    const strict = Client.create({
      methods: [refusing],
      policy: { currencies: { usd: { maxAmount: '1000' } }, realms: 'any' },
      store: MemoryStore.create(),
      insecureOrigins: [origin],
    })
    const result = await strict.fetch(`${origin}/paid`)
    expect(result.response.status).toBe(402)
    expect(result.payments).toHaveLength(1)
  })
})
