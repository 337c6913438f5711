// What a paying client lends a method that commits money outside a 402 answer (a session
// top-up): pure tests of the policy, budget and ledger logic, no chain and no server. A toy
// method keeps the spending the client attaches to it; `sign` and `send` stand for the
// top-up transaction being signed and delivered.
import { Challenge, Expires, Method, Receipt, Secret } from '@paywire/core'
import { MemoryStore } from '@paywire/store-memory'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Client, Policy } from './index.js'

const secret = Secret.from('a-test-secret-that-is-at-least-32-bytes-long!')
const url = 'https://api.example.com/stream'
const origin = 'https://api.example.com'

/** A session-like method that only keeps the spending its paying client lends it. */
function toyMethod() {
  const lent: Method.Spending[] = []
  const method = Method.defineClient({
    method: 'meter',
    intent: 'session',
    requestSchema: z.looseObject({ amount: z.string(), currency: z.string() }),
    async commitment() {
      return '0'
    },
    async createCredential() {
      return { payload: {} }
    },
    attach(spending) {
      lent.push(spending)
    },
  })
  return { method, lent }
}

function challengeOf(
  request: Record<string, unknown> = { amount: '1', currency: 'usd', recipient: 'acct_1' },
  options: { method?: string; expires?: string } = {},
) {
  return Challenge.from(
    {
      realm: 'api.example.com',
      method: options.method ?? 'meter',
      intent: 'session',
      request,
      expires: options.expires ?? Expires.inSeconds(300),
    },
    { secret },
  )
}

function setUp(policy: Partial<Policy.Policy> = {}, mode: 'pay' | 'dry-run' = 'pay') {
  const { method, lent } = toyMethod()
  const client = Client.create({
    methods: [method],
    policy: {
      currencies: { usd: { maxAmount: '500' } },
      budgets: [{ currency: 'usd', amount: '1000', window: 'day', scope: 'total' }],
      ...policy,
    },
    store: MemoryStore.create(),
    insecureOrigins: ['http://127.0.0.1:8787'],
    mode,
  })
  const spending = lent[0]
  const spent = async () =>
    (await client.standings({ currency: 'usd', origin }))[0]?.spent ?? 'no budget'
  return { client, spending, lent, spent }
}

const receipt = (challenge: Challenge.Challenge) =>
  Receipt.from({ method: 'meter', reference: 'channel-1', challengeId: challenge.id })

describe('Client: commitments a method makes on its own (session top-ups)', () => {
  it('reserves the amount before anything is signed, then counts it and records it settled', async () => {
    const { client, spending, spent } = setUp()
    const challenge = challengeOf()
    const seen: string[] = []
    const result = await spending?.spend(
      { challenge, url, amount: '400' },
      {
        async sign() {
          seen.push(`reserved at signing: ${await spent()}`)
          return 'signed-top-up'
        },
        async send(signed) {
          seen.push(`sent ${signed}`)
          return receipt(challenge)
        },
      },
    )
    expect(seen).toEqual(['reserved at signing: 400', 'sent signed-top-up'])
    expect(result?.reference).toBe('channel-1')
    expect(await spent()).toBe('400')
    const [entry] = await client.ledger.list()
    expect(entry).toMatchObject({
      amount: '400',
      method: 'meter',
      intent: 'session',
      url,
      origin,
      recipient: 'acct_1',
      challengeId: challenge.id,
      status: 'settled',
      receipt: { reference: 'channel-1' },
    })
  })

  it('refuses a commitment over budget with the typed policy error, before signing, changing nothing', async () => {
    const { client, spending, spent } = setUp()
    const challenge = challengeOf()
    for (const first of ['500', '400'])
      await spending?.spend(
        { challenge, url, amount: first },
        { sign: async () => 'first', send: async () => receipt(challenge) },
      )
    let signed = 0
    const refused = await spending
      ?.spend(
        { challenge, url, amount: '101' },
        {
          async sign() {
            signed += 1
            return 'second'
          },
          send: async () => receipt(challenge),
        },
      )
      .catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(Policy.RefusedError)
    expect(refused).toMatchObject({ rule: 'budget', remaining: '100', quote: { amount: '101' } })
    expect(signed).toBe(0)
    expect(await spent()).toBe('900')
    expect(await client.ledger.list()).toHaveLength(2)
  })

  it('judges the commitment by the policy terms: per-payment cap, recipient, origin and approval', async () => {
    const challenge = challengeOf()
    const never = {
      sign: async (): Promise<string> => {
        throw new Error('must not sign')
      },
      send: async () => receipt(challenge),
    }
    const capped = setUp()
    await expect(
      capped.spending?.spend({ challenge, url, amount: '501' }, never),
    ).rejects.toMatchObject({ rule: 'max-amount' })
    const recipients = setUp({ recipients: ['acct_2'] })
    await expect(
      recipients.spending?.spend({ challenge, url, amount: '1' }, never),
    ).rejects.toMatchObject({ rule: 'recipient' })
    const origins = setUp({ origins: ['https://other.example.com'] })
    await expect(
      origins.spending?.spend({ challenge, url, amount: '1' }, never),
    ).rejects.toMatchObject({ rule: 'origin' })
    const asked: string[] = []
    const declined = setUp({
      approve: ({ quote, budgets }) => {
        asked.push(`${quote.amount} with ${budgets[0]?.remaining} left`)
        return false
      },
    })
    await expect(
      declined.spending?.spend({ challenge, url, amount: '300' }, never),
    ).rejects.toMatchObject({ rule: 'approval' })
    expect(asked).toEqual(['300 with 700 left'])
    for (const { spent, client } of [capped, recipients, origins, declined]) {
      expect(await spent()).toBe('0')
      expect(await client.ledger.list()).toHaveLength(0)
    }
  })

  it('refuses commitments to plain http origins not listed, and for another method', async () => {
    const { spending, spent } = setUp()
    const challenge = challengeOf()
    const steps = { sign: async () => 'x', send: async () => receipt(challenge) }
    await expect(
      spending?.spend({ challenge, url: 'http://api.example.com/stream', amount: '1' }, steps),
    ).rejects.toMatchObject({ rule: 'transport' })
    const other = challengeOf(undefined, { method: 'other' })
    await expect(
      spending?.spend({ challenge: other, url, amount: '1' }, steps),
    ).rejects.toMatchObject({ rule: 'unsupported' })
    expect(await spent()).toBe('0')
  })

  it('judges a commitment under an expired challenge by its terms only (the channel is already open)', async () => {
    const { spending, spent } = setUp()
    const expired = challengeOf(undefined, { expires: new Date(Date.now() - 60_000).toISOString() })
    await spending?.spend(
      { challenge: expired, url, amount: '10' },
      { sign: async () => 'x', send: async () => receipt(expired) },
    )
    expect(await spent()).toBe('10')
  })

  it('releases the reservation when signing fails: nothing was signed', async () => {
    const { client, spending, spent } = setUp()
    const challenge = challengeOf()
    const failure = new Error('the node did not answer')
    await expect(
      spending?.spend(
        { challenge, url, amount: '300' },
        {
          sign: async () => {
            throw failure
          },
          send: async () => receipt(challenge),
        },
      ),
    ).rejects.toBe(failure)
    expect(await spent()).toBe('0')
    expect(await client.ledger.list()).toHaveLength(0)
  })

  it('keeps a signed commitment counted when sending it fails, and records it unconfirmed', async () => {
    const { client, spending, spent } = setUp()
    const challenge = challengeOf()
    const failure = new TypeError('fetch failed')
    await expect(
      spending?.spend(
        { challenge, url, amount: '300' },
        {
          sign: async () => 'signed',
          send: async () => {
            throw failure
          },
        },
      ),
    ).rejects.toBe(failure)
    expect(await spent()).toBe('300')
    const [entry] = await client.ledger.list()
    expect(entry).toMatchObject({ amount: '300', status: 'unconfirmed' })
    expect(entry?.note).toContain('TypeError')
  })

  it('lets exactly as many parallel commitments through as the budget has room for', async () => {
    const { client, spending, spent } = setUp({
      budgets: [{ currency: 'usd', amount: '1000', window: 'hour', scope: 'origin' }],
    })
    const challenge = challengeOf()
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, () =>
        spending?.spend(
          { challenge, url, amount: '70' },
          { sign: async () => 'x', send: async () => receipt(challenge) },
        ),
      ),
    )
    const paid = outcomes.filter((outcome) => outcome.status === 'fulfilled')
    expect(paid).toHaveLength(14)
    for (const outcome of outcomes)
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ rule: 'budget' })
    expect(await spent()).toBe('980')
    expect(await client.ledger.totals()).toEqual({ usd: '980' })
  })

  it('lends nothing in dry-run mode, and hands each method its spending once', async () => {
    const dry = setUp({}, 'dry-run')
    expect(dry.lent).toHaveLength(0)
    const paying = setUp()
    expect(paying.lent).toHaveLength(1)
  })
})
