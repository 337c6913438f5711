// The multi-use extension point (`Method.Server.redeem`, used by the tempo session
// intent): a challenge redeemed on many requests and on any HTTP method of its resource,
// management requests answered without the handler, refusals with problem extensions;
// single-use methods on the same server keep their one-claim semantics.
import { readFileSync } from 'node:fs'
import { Challenge, Credential, Errors, Method, Receipt, Secret } from '@paywire/core'
import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import * as Paywire from './Paywire.js'
import { authorization, challengesOf, methodKey, realm, secret } from './test/payer.js'

const origin = 'https://api.example.com'

class ShortError extends Errors.BaseError {
  override readonly name = 'ShortError'
  readonly code = 'ERR_SHORT'
  readonly problem = 'session/insufficient-balance' as const
  readonly problemExtensions = { requiredTopUp: '5', type: 'overridden?' }
}

class SlowDownError extends Errors.BaseError {
  override readonly name = 'SlowDownError'
  readonly code = 'ERR_SLOW_DOWN'
  readonly problem = 'verification-failed' as const
  readonly retryAfter = 3
  override get status(): number {
    return 429
  }
}

/** A toy metered method: `payload.action` is `use` (served) or `top` (answered), `short` refuses. */
function meter() {
  const redeemed: string[] = []
  const method = Method.defineServer({
    method: 'meter',
    intent: 'session',
    testOnly: true,
    requestSchema: z.looseObject({ amount: z.string(), currency: z.string() }),
    payloadSchema: z.object({ action: z.enum(['use', 'top', 'short', 'slow']) }),
    request: (price: { amount: string }) => ({ amount: price.amount, currency: 'usd' }),
    async verify(): Promise<Receipt.Receipt> {
      throw new Error('a multi-use method is never verified')
    },
    async redeem({ credential, challenge, requestMethod }) {
      const { action } = credential.payload
      redeemed.push(`${requestMethod} ${action}`)
      if (action === 'short') throw new ShortError('balance too low')
      if (action === 'slow') throw new SlowDownError('too many vouchers')
      const receipt = Receipt.from({
        method: 'meter',
        reference: `ref-${redeemed.length}`,
        challengeId: challenge.id,
      })
      if (action === 'top' || requestMethod === 'HEAD') return { kind: 'answer', receipt }
      return { kind: 'serve', receipt }
    },
  })
  return { method, redeemed }
}

class ChallengeNotFoundError extends Errors.BaseError {
  override readonly name = 'ChallengeNotFoundError'
  readonly code = 'ERR_CHALLENGE_NOT_FOUND'
  readonly problem = 'session/challenge-not-found' as const
}

/** A method whose draft names its own refusals: `top` on a foreign or expired challenge, a bad payload. */
const ownRefusal: NonNullable<Method.Server['refusal']> = ({ reason, payload }) => {
  if (reason === 'payload-malformed')
    return { error: new Credential.MalformedCredentialError('not a meter payload'), status: 400 }
  if ((payload as { action?: unknown } | null)?.action === 'top')
    return {
      error: new ChallengeNotFoundError(
        `top-up on ${reason === 'challenge-expired' ? 'an expired' : 'an unknown'} challenge`,
      ),
    }
  return undefined
}

function setUp(options: { refusal?: Method.Server['refusal']; now?: () => number } = {}) {
  const { method, redeemed } = meter()
  const paywire = Paywire.create({
    realm,
    secret,
    now: options.now,
    methods: [
      options.refusal === undefined ? method : { ...method, refusal: options.refusal },
      TestMethod.server({ key: methodKey }),
    ],
    store: MemoryStore.create(),
    allowTestMethods: true,
  })
  let handled = 0
  const handler = paywire.protect({ price: { amount: '1000' } }, () => {
    handled += 1
    return new Response('metered content')
  })
  const challengeFor = async (name: string, path = '/metered') => {
    const first = await handler(new Request(origin + path))
    expect(first.status).toBe(402)
    return challengesOf(first).find((challenge) => challenge.method === name) as Challenge.Challenge
  }
  const send = (header: string, init: RequestInit = {}, path = '/metered') =>
    handler(new Request(origin + path, { ...init, headers: { authorization: header } }))
  const meterHeader = (challenge: Challenge.Challenge, action: string) =>
    Credential.toAuthorization(Credential.from({ challenge, payload: { action } }))
  return { redeemed, handled: () => handled, handler, challengeFor, send, meterHeader }
}

describe('multi-use methods (Method.Server.redeem)', () => {
  it('redeems one challenge on many requests, each served with its own receipt {tempo.session.request.receipt-balance}', async () => {
    const server = setUp()
    const challenge = await server.challengeFor('meter')
    for (let request = 1; request <= 3; request++) {
      const response = await server.send(server.meterHeader(challenge, 'use'))
      expect(response.status).toBe(200)
      expect(await response.text()).toBe('metered content')
      expect(Receipt.deserialize(response.headers.get('payment-receipt') as string)).toMatchObject({
        reference: `ref-${request}`,
        challengeId: challenge.id,
      })
      expect(response.headers.get('cache-control')).toContain('private')
    }
    expect(server.handled()).toBe(3)
  })

  it('answers management requests and HEAD without running the handler {tempo.session.transport.any-method, tempo.session.transport.head-voucher}', async () => {
    const server = setUp()
    const challenge = await server.challengeFor('meter')
    const head = await server.send(server.meterHeader(challenge, 'use'), { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('payment-receipt')).not.toBeNull()
    const top = await server.send(server.meterHeader(challenge, 'top'))
    expect(top.status).toBe(200)
    expect(await top.text()).toBe('')
    expect(server.handled()).toBe(0)
    expect(server.redeemed).toEqual(['HEAD use', 'GET top'])
  })

  it("refuses with 402, a fresh challenge and the error's problem extensions {tempo.session.request.balance-check, tempo.session.errors.fresh-challenge}", async () => {
    const server = setUp()
    const challenge = await server.challengeFor('meter')
    const response = await server.send(server.meterHeader(challenge, 'short'))
    expect(response.status).toBe(402)
    expect(challengesOf(response).length).toBeGreaterThan(0)
    expect(await response.json()).toMatchObject({
      type: 'https://paymentauth.org/problems/session/insufficient-balance',
      requiredTopUp: '5',
    })
    expect(server.handled()).toBe(0)
  })

  it('binds the challenge to its resource: another path is refused, and the binding is still checked', async () => {
    const server = setUp()
    const challenge = await server.challengeFor('meter')
    const elsewhere = await server.send(server.meterHeader(challenge, 'use'), {}, '/other')
    expect(elsewhere.status).toBe(402)
    const forged = Challenge.from(
      {
        realm,
        method: 'meter',
        intent: 'session',
        request: { amount: '1000', currency: 'usd' },
        expires: challenge.expires,
        opaque: Challenge.decodeOpaque(challenge),
      },
      { secret: Secret.from(Secret.generate()) },
    )
    expect((await server.send(server.meterHeader(forged, 'use'))).status).toBe(402)
    expect(server.redeemed).toEqual([])
  })

  it('replays a served request retried with the same Idempotency-Key without redeeming again {tempo.session.idempotency-key.server-cache, tempo.session.idempotency-key.no-double-spend}', async () => {
    const server = setUp()
    const challenge = await server.challengeFor('meter', '/metered')
    const header = server.meterHeader(challenge, 'use')
    const init = { method: 'DELETE', headers: { authorization: header, 'idempotency-key': 'k-1' } }
    const first = await server.handler(new Request(`${origin}/metered`, init))
    expect(first.status).toBe(200)
    const again = await server.handler(new Request(`${origin}/metered`, init))
    expect(again.status).toBe(200)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(again.headers.get('payment-receipt')).toBe(first.headers.get('payment-receipt'))
    expect(server.redeemed).toEqual(['DELETE use'])
    expect(server.handled()).toBe(1)
  })

  it('replays a GET retried with the same Idempotency-Key: a multi-use challenge pays each request, GET included {tempo.session.idempotency-key.server-cache, tempo.session.idempotency-key.no-double-spend}', async () => {
    const server = setUp()
    const challenge = await server.challengeFor('meter', '/metered')
    const header = server.meterHeader(challenge, 'use')
    const init = { headers: { authorization: header, 'idempotency-key': 'req_a1b2c3' } }
    const first = await server.handler(new Request(`${origin}/metered`, init))
    expect(first.status).toBe(200)
    const again = await server.handler(new Request(`${origin}/metered`, init))
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(await again.text()).toBe('metered content')
    expect(server.redeemed).toEqual(['GET use'])
    const other = await server.handler(
      new Request(`${origin}/metered`, {
        headers: { ...init.headers, 'idempotency-key': 'req_2' },
      }),
    )
    expect(other.headers.get('idempotent-replayed')).toBeNull()
    expect(server.redeemed).toEqual(['GET use', 'GET use'])
    expect(server.handled()).toBe(2)
  })

  it('with idempotency off, charges a retry again, as the README warns {tempo.session.idempotency-key.document}', async () => {
    const { method, redeemed } = meter()
    const paywire = Paywire.create({
      realm,
      secret,
      methods: [method],
      store: MemoryStore.create(),
      allowTestMethods: true,
      idempotency: false,
    })
    const handler = paywire.protect({ price: { amount: '1' } }, () => new Response('served'))
    const challenge = challengesOf(await handler(new Request(`${origin}/metered`)))[0]
    const authorization = Credential.toAuthorization(
      Credential.from({ challenge: challenge as Challenge.Challenge, payload: { action: 'use' } }),
    )
    const init = { headers: { authorization, 'idempotency-key': 'retry-1' } }
    expect((await handler(new Request(`${origin}/metered`, init))).status).toBe(200)
    const retried = await handler(new Request(`${origin}/metered`, init))
    expect(retried.headers.get('idempotent-replayed')).toBeNull()
    expect(redeemed).toEqual(['GET use', 'GET use'])
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    expect(readme).toContain(
      'With `idempotency: false` the header is ignored: **a retried paid request is then charged again**',
    )
  })

  it('streams an event stream under an Idempotency-Key as it is produced, without buffering or keeping it', async () => {
    const { method } = meter()
    const paywire = Paywire.create({
      realm,
      secret,
      methods: [method],
      store: MemoryStore.create(),
      allowTestMethods: true,
    })
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const encoder = new TextEncoder()
    const handler = paywire.protect({ price: { amount: '1' } }, () => {
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(encoder.encode('event: unit\ndata: 1\n\n'))
          // Like a metered stream waiting for the next voucher: the rest comes later.
          await gate
          controller.enqueue(encoder.encode('event: unit\ndata: 2\n\n'))
          controller.close()
        },
      })
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
    })
    const first = await handler(new Request(`${origin}/stream`))
    const challenge = challengesOf(first)[0] as Challenge.Challenge
    const authorization = Credential.toAuthorization(
      Credential.from({ challenge, payload: { action: 'use' } }),
    )
    const init = { headers: { authorization, 'idempotency-key': 'stream-1' } }
    const response = await handler(new Request(`${origin}/stream`, init))
    expect(response.status).toBe(200)
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    const chunk = await reader.read()
    expect(new TextDecoder().decode(chunk.value)).toBe('event: unit\ndata: 1\n\n')
    release()
    await reader.cancel()
    const retried = await handler(new Request(`${origin}/stream`, init))
    expect(retried.headers.get('idempotent-replayed')).toBeNull()
    await retried.body?.cancel()
  })

  it("sends a method refusal's retryAfter as Retry-After (a rate-limited voucher)", async () => {
    const server = setUp()
    const challenge = await server.challengeFor('meter')
    const limited = await server.send(server.meterHeader(challenge, 'slow'))
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('3')
    expect(limited.headers.get('www-authenticate')).toBeNull()
    expect(server.handled()).toBe(0)
  })

  it('keeps single-use semantics for charge methods on the same server', async () => {
    const server = setUp()
    const challenge = await server.challengeFor('test')
    const header = await authorization(challenge)
    expect((await server.send(header)).status).toBe(200)
    const again = await server.send(header)
    expect(again.status).toBe(402)
    expect(await again.json()).toMatchObject({ detail: 'challenge was already used' })
    expect((await server.send(header, { method: 'HEAD' })).status).toBe(402)
  })

  it('lets a method name its own refusal for a foreign or expired challenge and a malformed payload', async () => {
    let now = Date.now()
    const server = setUp({ refusal: ownRefusal, now: () => now })
    const challenge = await server.challengeFor('meter')
    const foreign = { ...challenge, id: `${challenge.id.slice(0, -2)}xx` }
    const topUp = await server.send(server.meterHeader(foreign, 'top'), { method: 'POST' })
    expect(topUp.status).toBe(402)
    expect(topUp.headers.get('www-authenticate')).toMatch(/^Payment /)
    expect(await topUp.json()).toMatchObject({
      type: 'https://paymentauth.org/problems/session/challenge-not-found',
      status: 402,
      detail: 'top-up on an unknown challenge',
    })
    // Other actions keep the core refusal.
    const use = await server.send(server.meterHeader(foreign, 'use'))
    expect(await use.json()).toMatchObject({
      type: 'https://paymentauth.org/problems/invalid-challenge',
    })
    const malformed = await server.send(server.meterHeader(challenge, 'explode'))
    expect(malformed.status).toBe(400)
    expect(malformed.headers.get('www-authenticate')).toBeNull()
    expect(malformed.headers.get('payment-receipt')).toBeNull()
    expect(await malformed.json()).toMatchObject({
      type: 'https://paymentauth.org/problems/malformed-credential',
      status: 400,
    })
    now += 10 * 60_000
    const late = await server.send(server.meterHeader(challenge, 'top'), { method: 'POST' })
    expect(await late.json()).toMatchObject({
      type: 'https://paymentauth.org/problems/session/challenge-not-found',
      detail: 'top-up on an expired challenge',
    })
    expect(server.redeemed).toEqual([])
    expect(server.handled()).toBe(0)
  })

  it('keeps the core refusal when a method has no refusal of its own, or its hook throws', async () => {
    const server = setUp({
      refusal: () => {
        throw new Error('broken hook')
      },
    })
    const challenge = await server.challengeFor('meter')
    const malformed = await server.send(server.meterHeader(challenge, 'explode'))
    expect(malformed.status).toBe(402)
    // The core refusal of a payload that fails the method's schema: -01's invalid-payload.
    expect(await malformed.json()).toMatchObject({
      type: 'https://paymentauth.org/problems/invalid-payload',
    })
  })
})
