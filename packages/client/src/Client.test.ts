// The paying client end to end over real HTTP on 127.0.0.1. The server side is the
// core-built endpoint of test/http.ts, which can inject what a correct server never
// sends (expired or malformed challenges, a 402 after a valid payment, redirects).
import { BodyDigest, Challenge, Credential, Expires } from '@paywire/core'
import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type Handler,
  type Listening,
  listen,
  type Offer,
  offer,
  paidHandler,
  testKey,
} from '../test/http.js'
import { Client, Policy } from './index.js'

const servers: Listening[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function serve(handler: Handler): Promise<Listening> {
  const server = await listen(handler)
  servers.push(server)
  return server
}

type Setup = {
  offers?: (request: Request) => Offer[]
  policy?: Partial<Policy.Policy>
  client?: Partial<Client.create.Options>
  afterPayment?: (request: Request) => Response
  /** Extra routes on the same origin. */
  routes?: Record<string, Handler>
}

/** A paid endpoint and a client allowed to pay it over plain HTTP on loopback. */
async function setup(options: Setup = {}) {
  const credentials: Request[] = []
  const seen: Request[] = []
  const issued: Challenge.Challenge[] = []
  const handler = paidHandler({
    offers: options.offers ?? (() => [offer()]),
    onCredential: (request) => credentials.push(request),
    onIssue: (challenge) => issued.push(challenge),
    ...(options.afterPayment ? { afterPayment: options.afterPayment } : {}),
  })
  const server = await serve((request) => {
    seen.push(request)
    const route = options.routes?.[new URL(request.url).pathname]
    return route ? route(request) : handler(request)
  })
  const store = MemoryStore.create()
  const client = Client.create({
    methods: [TestMethod.client({ key: testKey })],
    policy: {
      currencies: { usd: { maxAmount: '1000' } },
      budgets: [{ currency: 'usd', amount: '1000', window: 'day', scope: 'total' }],
      ...options.policy,
    },
    store,
    insecureOrigins: [server.origin],
    ...options.client,
  })
  const spent = async () =>
    (await client.standings({ currency: 'usd', origin: server.origin }))[0]?.spent ?? '0'
  return { server, client, store, credentials, seen, issued, spent }
}

async function refusal(promise: Promise<unknown>): Promise<Policy.RefusedError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  if (!(error instanceof Policy.RefusedError)) throw new Error(`expected a refusal, got ${error}`)
  return error
}

describe('Client.fetch', () => {
  it('pays a 402, retries once and returns the response with its receipt and ledger entry', async () => {
    const { server, client, seen, spent } = await setup()
    const result = await client.fetch(server.url('/paid?tier=basic'))
    expect(result.response.status).toBe(200)
    expect(await result.response.text()).toBe('paid content')
    expect(result.receipt).toMatchObject({ status: 'success', method: 'test' })
    expect(result.payment).toMatchObject({
      url: server.url('/paid?tier=basic'),
      origin: server.origin,
      method: 'test',
      intent: 'charge',
      amount: '100',
      currency: 'usd',
      status: 'settled',
      httpStatus: 200,
      receipt: result.receipt,
    })
    expect(result.payments).toEqual([result.payment])
    expect(seen).toHaveLength(2)
    expect(await client.ledger.list()).toEqual([result.payment])
    expect(await spent()).toBe('100')
  })

  it('echoes the challenge it answers unchanged, opaque included {core.credential.echo, core.challenge.opaque.unchanged}', async () => {
    const { server, client, issued, credentials } = await setup()
    await client.fetch(server.url('/paid'))
    const credential = Credential.fromAuthorization(credentials[0]?.headers.get('authorization'))
    expect(issued).toHaveLength(1)
    expect(issued[0]?.opaque).toBeDefined()
    expect(credential?.challenge).toEqual(issued[0])
  })

  it('sends Accept-Payment built from its methods on every request {core.accept-payment.send}', async () => {
    const { server, client, seen } = await setup()
    await client.fetch(server.url('/paid'))
    expect(seen.map((request) => request.headers.get('accept-payment'))).toEqual([
      'test/charge',
      'test/charge',
    ])
  })

  it('answers the preferred of several challenges with exactly one Authorization {core.client.select-one, core.client.single-authorization}', async () => {
    const { server, client, credentials } = await setup({
      offers: () => [
        offer({ method: 'unknown' }),
        offer({ request: { amount: '300', currency: 'usd' } }),
        offer({ request: { amount: '200', currency: 'usd' } }),
      ],
      client: {
        accept: [
          { method: 'test', intent: 'charge', q: 1 },
          { method: 'unknown', intent: 'charge', q: 1 },
        ],
      },
    })
    const result = await client.fetch(server.url('/paid'))
    expect(result.payment?.amount).toBe('300')
    expect(credentials).toHaveLength(1)
    const authorization = credentials[0]?.headers.get('authorization') ?? ''
    expect(authorization.match(/Payment /g)).toHaveLength(1)
  })

  it('falls back to the next challenge when the preferred one breaks a rule', async () => {
    const { server, client } = await setup({
      offers: () => [
        offer({ request: { amount: '100', currency: 'eur' } }),
        offer({ request: { amount: '100', currency: 'usd' } }),
      ],
    })
    expect((await client.fetch(server.url('/paid'))).payment?.currency).toBe('usd')
  })

  it('does not reuse a challenge: each request pays its own {core.cache.challenge-not-reused}', async () => {
    const { server, client } = await setup()
    const first = await client.fetch(server.url('/paid'))
    const second = await client.fetch(server.url('/paid'))
    expect(first.payment?.challengeId).not.toBe(second.payment?.challengeId)
    expect(second.response.status).toBe(200)
  })

  it('returns an unpaid response as it is, with no payment', async () => {
    const server = await serve(() => new Response('free'))
    const { client } = await setup()
    const result = await client.fetch(server.url('/free'))
    expect(await result.response.text()).toBe('free')
    expect(result).toMatchObject({ payment: undefined, receipt: undefined, payments: [] })
  })

  it('pays nothing and changes nothing for an expired challenge {core.client.no-expired}', async () => {
    const { server, client, credentials, spent } = await setup({
      offers: () => [offer({ expires: Expires.format(Date.now() - 1000) })],
    })
    const error = await refusal(client.fetch(server.url('/paid')))
    expect(error.rule).toBe('expired')
    expect(credentials).toHaveLength(0)
    expect(await client.ledger.list()).toEqual([])
    expect(await spent()).toBe('0')
  })

  it('pays nothing for a request that fails the method schema {core.accept-payment.client-validate}', async () => {
    const { server, client, credentials } = await setup({
      offers: () => [offer({ request: { amount: '1e3', currency: 'usd' } })],
    })
    expect((await refusal(client.fetch(server.url('/paid')))).rule).toBe('request-schema')
    expect(credentials).toHaveLength(0)
  })

  it.each<[string, Setup, Policy.Rule]>([
    [
      'above the per-payment cap',
      { policy: { currencies: { usd: { maxAmount: '99' } } } },
      'max-amount',
    ],
    [
      'in a currency without a cap',
      { offers: () => [offer({ request: { amount: '1', currency: 'eur' } })] },
      'currency',
    ],
    [
      'to a recipient off the list',
      {
        policy: { recipients: ['acct_ok'] },
        offers: () => [
          offer({ request: { amount: '1', currency: 'usd', recipient: 'acct_evil' } }),
        ],
      },
      'recipient',
    ],
    [
      'valid for too long',
      { offers: () => [offer({ expires: Expires.inSeconds(7200) })] },
      'validity',
    ],
    ['without expires', { offers: () => [offer({ expires: undefined })] }, 'validity'],
    ['from an origin off the list', { policy: { origins: ['https://api.example.com'] } }, 'origin'],
    ['for another realm', { offers: () => [offer({ realm: 'bank.example' })] }, 'realm'],
    [
      'beyond the budget',
      { policy: { budgets: [{ currency: 'usd', amount: '99', window: 'hour', scope: 'origin' }] } },
      'budget',
    ],
    [
      'for a method it does not have',
      { offers: () => [offer({ method: 'other' }), offer({ intent: 'session' })] },
      'unsupported',
    ],
    ['when the approval hook declines', { policy: { approve: async () => false } }, 'approval'],
    [
      'when the approval hook throws',
      {
        policy: {
          approve: () => {
            throw new Error('prompt closed')
          },
        },
      },
      'approval',
    ],
  ])('refuses a payment %s, and pays and records nothing', async (_, options, rule) => {
    const { server, client, credentials, spent } = await setup(options)
    const error = await refusal(client.fetch(server.url('/paid')))
    expect(error.rule).toBe(rule)
    expect(error.code).toBe('ERR_PAYMENT_REFUSED')
    expect(credentials).toHaveLength(0)
    expect(await client.ledger.list()).toEqual([])
    expect(await spent()).toBe('0')
  })

  it('tells what the server asked and what remains in the budget when it refuses', async () => {
    const { server, client } = await setup({
      policy: { budgets: [{ currency: 'usd', amount: '150', window: 'hour', scope: 'total' }] },
    })
    await client.fetch(server.url('/paid'))
    const error = await refusal(client.fetch(server.url('/paid')))
    expect(error).toMatchObject({ rule: 'budget', remaining: '50' })
    expect(error.quote).toMatchObject({
      method: 'test',
      intent: 'charge',
      amount: '100',
      currency: 'usd',
      origin: server.origin,
    })
    expect(error.message).not.toMatch(/Payment [A-Za-z0-9_-]{20}/)
  })

  it('asks the approval hook with the origin, the quote and the budgets, and pays when it approves {core.client.confirm, core.client.show-origin}', async () => {
    const asked: Policy.Approval[] = []
    const { server, client } = await setup({
      policy: {
        approve: (approval) => {
          asked.push(approval)
          return true
        },
      },
    })
    const result = await client.fetch(server.url('/paid'))
    expect(result.response.status).toBe(200)
    expect(asked).toHaveLength(1)
    expect(asked[0]?.quote).toMatchObject({ origin: server.origin, amount: '100', currency: 'usd' })
    expect(asked[0]?.budgets[0]).toMatchObject({ spent: '100', remaining: '900' })
  })

  it('in dry-run mode reports what it would pay and pays nothing', async () => {
    const { server, credentials, store } = await setup()
    const dry = Client.create({
      methods: [TestMethod.client({ key: testKey })],
      policy: {
        currencies: { usd: { maxAmount: '1000' } },
        budgets: [{ currency: 'usd', amount: '1000', window: 'day', scope: 'total' }],
      },
      store,
      insecureOrigins: [server.origin],
      mode: 'dry-run',
    })
    const result = await dry.fetch(server.url('/paid'))
    expect(result.response.status).toBe(402)
    expect(result.payment).toBeUndefined()
    expect(result.dryRun).toMatchObject({
      quote: { amount: '100', currency: 'usd' },
      refusal: undefined,
    })
    expect(result.dryRun?.budgets[0]).toMatchObject({ remaining: '900' })
    expect(credentials).toHaveLength(0)
    expect(await dry.ledger.list()).toEqual([])
    expect((await dry.standings({ currency: 'usd', origin: server.origin }))[0]?.spent).toBe('0')
  })

  it('in dry-run mode reports the rule that would refuse', async () => {
    const { server, store } = await setup()
    const dry = Client.create({
      methods: [TestMethod.client({ key: testKey })],
      policy: { currencies: { usd: { maxAmount: '50' } } },
      store,
      insecureOrigins: [server.origin],
      mode: 'dry-run',
    })
    const result = await dry.fetch(server.url('/paid'))
    expect(result.dryRun?.refusal?.rule).toBe('max-amount')
    expect(result.dryRun?.quote?.amount).toBe('100')
  })

  it('pays exactly 10 of 100 parallel requests against a budget for 10', async () => {
    const { server, client, credentials } = await setup()
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, () => client.fetch(server.url('/paid'))),
    )
    const paid = results.filter((result) => result.status === 'fulfilled')
    expect(paid).toHaveLength(10)
    for (const result of paid) expect(result.value.response.status).toBe(200)
    const refused = results.filter((result) => result.status === 'rejected')
    expect(refused).toHaveLength(90)
    for (const result of refused) expect(result.reason).toMatchObject({ rule: 'budget' })
    expect(credentials).toHaveLength(10)
    expect(await client.ledger.list()).toHaveLength(10)
    expect(await client.ledger.totals()).toEqual({ usd: '1000' })
  })

  it('passes through a 402 an intermediary sent without a Payment challenge, paying nothing {core.intermediary.client-prepared}', async () => {
    const { server, client, credentials, spent } = await setup({
      routes: {
        '/proxy-says-402': () =>
          new Response('<html>402 from a gateway</html>', {
            status: 402,
            headers: { 'content-type': 'text/html', 'www-authenticate': 'Bearer realm="gateway"' },
          }),
        '/bare-402': () => new Response(null, { status: 402 }),
      },
    })
    for (const path of ['/proxy-says-402', '/bare-402']) {
      const result = await client.fetch(server.url(path))
      expect(result.response.status).toBe(402)
      expect(result.receipt).toBeUndefined()
      expect(result.payments).toEqual([])
    }
    expect(await (await client.fetch(server.url('/proxy-says-402'))).response.text()).toContain(
      'gateway',
    )
    expect(credentials).toHaveLength(0)
    expect(await client.ledger.list()).toEqual([])
    expect(await spent()).toBe('0')
  })

  it('does not pay twice when the server answers 402 again after payment', async () => {
    const { server, client, credentials, seen, spent } = await setup({
      afterPayment: () =>
        new Response('no', {
          status: 402,
          headers: {
            'www-authenticate': Challenge.serialize(
              Challenge.from(
                {
                  realm: 'x',
                  method: 'test',
                  intent: 'charge',
                  request: { amount: '100', currency: 'usd' },
                  expires: Expires.inSeconds(60),
                },
                { id: 'again' },
              ),
            ),
          },
        }),
    })
    const result = await client.fetch(server.url('/paid'))
    expect(result.response.status).toBe(402)
    expect(result.receipt).toBeUndefined()
    expect(result.payment).toMatchObject({ status: 'unconfirmed', httpStatus: 402 })
    expect(credentials).toHaveLength(1)
    expect(seen).toHaveLength(2)
    // The credential was sent: the amount stays counted, and the ledger keeps the entry.
    expect(await spent()).toBe('100')
    expect(await client.ledger.list({ status: 'unconfirmed' })).toHaveLength(1)
  })

  it('keeps the credential in memory only: not in the store, the ledger, the result or errors {core.credential.memory-only, core.credential.sensitive}', async () => {
    const written: string[] = []
    const store = MemoryStore.create()
    const observed: typeof store = {
      ...store,
      put: (key, value, options) => {
        written.push(JSON.stringify(value))
        return store.put(key, value, options)
      },
      compareAndSwap: (key, expected, value, options) => {
        written.push(JSON.stringify(value))
        return store.compareAndSwap(key, expected, value, options)
      },
    }
    const { server, credentials } = await setup({
      afterPayment: () => new Response('refused', { status: 402 }),
    })
    const client = Client.create({
      methods: [TestMethod.client({ key: testKey })],
      policy: {
        currencies: { usd: { maxAmount: '1000' } },
        budgets: [{ currency: 'usd', amount: '150', window: 'day', scope: 'total' }],
      },
      store: observed,
      insecureOrigins: [server.origin],
    })
    const result = await client.fetch(server.url('/paid'))
    const error = await refusal(client.fetch(server.url('/paid')))
    const token = (credentials[0]?.headers.get('authorization') ?? '').slice('Payment '.length)
    const proof = Credential.deserialize(token).payload.proof as string
    expect(token.length).toBeGreaterThan(40)
    for (const text of [
      ...written,
      JSON.stringify(result.payments),
      error.message,
      JSON.stringify(error.quote),
    ]) {
      expect(text).not.toContain(token)
      expect(text).not.toContain(proof)
    }
  })

  it('records a payment without a receipt as unconfirmed', async () => {
    const { server, client } = await setup({ afterPayment: () => new Response('ok') })
    const result = await client.fetch(server.url('/paid'))
    expect(result.response.status).toBe(200)
    expect(result.payment).toMatchObject({
      status: 'unconfirmed',
      note: 'no Payment-Receipt on the response',
    })
  })

  it('refuses to send a credential over plain HTTP unless the origin is allowed {core.tls.client-no-plaintext}', async () => {
    const { server, credentials } = await setup()
    const client = Client.create({
      methods: [TestMethod.client({ key: testKey })],
      policy: { currencies: { usd: { maxAmount: '1000' } } },
      store: MemoryStore.create(),
    })
    expect((await refusal(client.fetch(server.url('/paid')))).rule).toBe('transport')
    expect(credentials).toHaveLength(0)
  })

  it('refuses when the request already carries an Authorization header and the challenge selects Authorization {core.header.default-field}', async () => {
    const { server, client, credentials } = await setup()
    const error = await refusal(
      client.fetch(server.url('/paid'), { headers: { authorization: 'Bearer t' } }),
    )
    expect(error.rule).toBe('authorization')
    expect(credentials).toHaveLength(0)
  })

  it('sends the credential in Payment-Authorization when the challenge selects it, keeping the caller Authorization {core.header.payment-authorization-field, core.header.only-selected-field, core.client.single-credential, core.credential.echo-header}', async () => {
    const { server, client, credentials, issued } = await setup({
      offers: () => [offer({ header: 'Payment-Authorization' })],
    })
    const result = await client.fetch(server.url('/paid'), {
      headers: { authorization: 'Bearer mF_9.B5f-4.1JqM' },
    })
    expect(result.response.status).toBe(200)
    expect(result.receipt).toBeDefined()
    expect(credentials).toHaveLength(1)
    const sent = credentials[0] as Request
    expect(sent.headers.get('authorization')).toBe('Bearer mF_9.B5f-4.1JqM')
    const found = Credential.fromHeaders(sent.headers)
    expect(found?.field).toBe('Payment-Authorization')
    expect(found?.credential.challenge).toEqual(issued[0])
    expect(found?.credential.challenge.header).toBe('Payment-Authorization')
  })

  it('sends the credential in Authorization, with no header echo, for a challenge without header {core.header.default-field, core.credential.no-header-echo}', async () => {
    const { server, client, credentials } = await setup()
    expect((await client.fetch(server.url('/paid'))).response.status).toBe(200)
    const sent = credentials[0] as Request
    expect(sent.headers.get('payment-authorization')).toBeNull()
    const credential = Credential.fromAuthorization(sent.headers.get('authorization'))
    expect(credential === undefined ? undefined : 'header' in credential.challenge).toBe(false)
  })

  it('refuses, before signing, a challenge whose header names another field {core.header.other-value, core.header.unsupported-client}', async () => {
    let signed = 0
    const method = TestMethod.client({ key: testKey })
    const counting = {
      ...method,
      createCredential: async (parameters: Parameters<typeof method.createCredential>[0]) => {
        signed += 1
        return method.createCredential(parameters)
      },
    }
    for (const header of ['X-Payment', 'Authorization', 'payment-authorization']) {
      const { server, client, credentials, spent } = await setup({
        offers: () => [offer({ header })],
        client: { methods: [counting] },
      })
      const error = await refusal(client.fetch(server.url('/paid')))
      expect(error.rule, header).toBe('credential-header')
      expect(credentials).toHaveLength(0)
      expect(await spent()).toBe('0')
    }
    expect(signed).toBe(0)
  })

  it('pays another challenge of the same 402 when one names an unknown field {core.header.other-value}', async () => {
    const { server, client, credentials } = await setup({
      offers: () => [offer({ header: 'X-Payment' }), offer({ header: 'Payment-Authorization' })],
    })
    expect((await client.fetch(server.url('/paid'))).response.status).toBe(200)
    expect(Credential.fromHeaders((credentials[0] as Request).headers)?.field).toBe(
      'Payment-Authorization',
    )
  })

  it('refuses when the caller already set Payment-Authorization and the challenge selects it', async () => {
    const { server, client, credentials } = await setup({
      offers: () => [offer({ header: 'Payment-Authorization' })],
    })
    const error = await refusal(
      client.fetch(server.url('/paid'), { headers: { 'payment-authorization': 'Payment x' } }),
    )
    expect(error.rule).toBe('authorization')
    expect(credentials).toHaveLength(0)
  })

  it('gives the reservation back when the method fails to build a credential', async () => {
    const { server, store } = await setup()
    const failing = {
      ...TestMethod.client({ key: testKey }),
      createCredential: async () => {
        throw new Error('wallet locked')
      },
    }
    const client = Client.create({
      methods: [failing],
      policy: {
        currencies: { usd: { maxAmount: '1000' } },
        budgets: [{ currency: 'usd', amount: '1000', window: 'day', scope: 'total' }],
      },
      store,
      insecureOrigins: [server.origin],
    })
    await expect(client.fetch(server.url('/paid'))).rejects.toThrow('wallet locked')
    expect((await client.standings({ currency: 'usd', origin: server.origin }))[0]?.spent).toBe('0')
    expect(await client.ledger.list()).toEqual([])
  })
})

describe('Client.fetch redirects', () => {
  it('follows a same-origin redirect and pays the resource it leads to', async () => {
    const { server, client, credentials } = await setup({
      routes: { '/start': (request) => Response.redirect(new URL('/paid', request.url).href, 302) },
    })
    const result = await client.fetch(server.url('/start'))
    expect(result.response.status).toBe(200)
    expect(result.payment?.url).toBe(server.url('/paid'))
    expect(credentials.map((request) => new URL(request.url).pathname)).toEqual(['/paid'])
  })

  it('stops a redirect loop, and leaves redirects to the caller in manual mode', async () => {
    const { server, client, seen } = await setup({
      routes: { '/loop': (request) => Response.redirect(request.url, 307) },
    })
    await expect(client.fetch(server.url('/loop'))).rejects.toBeInstanceOf(Client.RedirectError)
    expect(seen).toHaveLength(21)
    const manual = await client.fetch(server.url('/loop'), { redirect: 'manual' })
    expect(manual.response.status).toBe(307)
  })

  it('does not pay a challenge met after a redirect to another origin', async () => {
    const { server, credentials } = await setup()
    const front = await serve(
      () => new Response(null, { status: 307, headers: { location: server.url('/paid') } }),
    )
    const client = Client.create({
      methods: [TestMethod.client({ key: testKey })],
      policy: { currencies: { usd: { maxAmount: '1000' } }, realms: 'any' },
      store: MemoryStore.create(),
      insecureOrigins: [front.origin, server.origin],
    })
    const error = await refusal(client.fetch(front.url('/start')))
    expect(error.rule).toBe('cross-origin')
    expect(credentials).toHaveLength(0)
  })

  it('never carries the credential along a redirect after payment', async () => {
    const elsewhere: Request[] = []
    const other = await serve((request) => {
      elsewhere.push(request)
      return new Response('landed')
    })
    const { server, client } = await setup({
      afterPayment: () =>
        new Response(null, { status: 307, headers: { location: other.url('/next') } }),
    })
    const result = await client.fetch(server.url('/paid'))
    expect(await result.response.text()).toBe('landed')
    expect(elsewhere).toHaveLength(1)
    expect(elsewhere[0]?.headers.get('authorization')).toBeNull()
    expect(result.payment).toMatchObject({ status: 'unconfirmed', httpStatus: 307 })
  })

  it('stops at the payments-per-request limit when a redirect leads to a second charge', async () => {
    let hops = 0
    const { server, client, credentials } = await setup({
      afterPayment: (request) => {
        hops++
        return new Response(null, {
          status: 303,
          headers: { location: new URL(`/paid?hop=${hops}`, request.url).href },
        })
      },
    })
    const error = await refusal(client.fetch(server.url('/paid')))
    expect(error.rule).toBe('payments-per-request')
    expect(credentials).toHaveLength(1)
    expect(await client.ledger.list()).toHaveLength(1)
  })
})

describe('Client.fetch request bodies', () => {
  it('replays the buffered body on the paid retry, matching the challenge digest {core.challenge.digest.client-match}', async () => {
    const body = JSON.stringify({ prompt: 'hello' })
    const { server, client, credentials } = await setup({
      offers: () => [offer({ digest: BodyDigest.compute(body) })],
    })
    const result = await client.fetch(server.url('/paid'), {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    })
    expect(result.response.status).toBe(200)
    expect(credentials).toHaveLength(1)
    expect(await credentials[0]?.text()).toBe(body)
    expect(credentials[0]?.headers.get('content-type')).toBe('application/json')
  })

  it('refuses to pay when the challenge digest does not match the body', async () => {
    const { server, client, credentials } = await setup({
      offers: () => [offer({ digest: BodyDigest.compute('something else') })],
    })
    const error = await refusal(client.fetch(server.url('/paid'), { method: 'POST', body: 'mine' }))
    expect(error.rule).toBe('digest')
    expect(credentials).toHaveLength(0)
  })

  it('buffers a stream body up to the cap and refuses a larger one before sending', async () => {
    const { server, client, seen } = await setup({ client: { maxBodyBytes: 8 } })
    const stream = (text: string) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(text))
          controller.close()
        },
      })
    const ok = await client.fetch(server.url('/paid'), {
      method: 'POST',
      body: stream('12345678'),
      duplex: 'half',
    } as RequestInit)
    expect(ok.response.status).toBe(200)
    await expect(
      client.fetch(server.url('/paid'), {
        method: 'POST',
        body: stream('123456789'),
        duplex: 'half',
      } as RequestInit),
    ).rejects.toBeInstanceOf(Client.BodyTooLargeError)
    expect(seen).toHaveLength(2)
  })
})
