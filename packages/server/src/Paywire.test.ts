// The fetch core on its own: configuration refusals, settle-after-success, hooks,
// secret rotation, failing stores and methods, limits. End-to-end behaviour through
// every binding is in bindings/bindings.test.ts.
import {
  Challenge,
  Credential,
  Expires,
  Method,
  Problem,
  Receipt,
  Secret,
  type Store,
} from '@paywire/core'
import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'
import { describe, expect, it, vi } from 'vitest'
import * as Paywire from './Paywire.js'
import { authorization, challengesOf, makePaywire, methodKey, realm, secret } from './test/payer.js'

const price = { amount: '1000', currency: 'usd', recipient: 'acct_1' }
const origin = 'https://api.example.com'

async function payFor(
  handler: (request: Request) => Promise<Response>,
  path = '/paid',
  init: RequestInit = {},
) {
  const first = await handler(new Request(origin + path, init))
  expect(first.status).toBe(402)
  const challenge = challengesOf(first)[0] as Challenge.Challenge
  return { challenge, header: await authorization(challenge) }
}

const send = (
  handler: (request: Request) => Promise<Response>,
  header: string,
  path = '/paid',
  init: RequestInit = {},
) => handler(new Request(origin + path, { ...init, headers: { authorization: header } }))

describe('Paywire.create', () => {
  const base = {
    realm,
    secret,
    methods: [TestMethod.server({ key: methodKey })],
    store: MemoryStore.create(),
    allowTestMethods: true,
  }

  it('refuses to start without a secret, with a short one, or with a placeholder {core.secret.server-only}', () => {
    vi.stubEnv('PAYWIRE_SECRET_KEY', '')
    expect(() => Paywire.create({ ...base, secret: undefined })).toThrow(Paywire.ConfigurationError)
    expect(() => Paywire.create({ ...base, secret: 'short' })).toThrow(Secret.InvalidSecretError)
    expect(() => Paywire.create({ ...base, secret: 'changeme'.repeat(5) })).toThrow(
      Secret.InvalidSecretError,
    )
    vi.unstubAllEnvs()
  })

  it('reads the secret from PAYWIRE_SECRET_KEY', async () => {
    vi.stubEnv('PAYWIRE_SECRET_KEY', secret)
    const paywire = Paywire.create({ ...base, secret: undefined })
    vi.unstubAllEnvs()
    const response = await paywire.protect(
      { price },
      () => new Response('x'),
    )(new Request(`${origin}/paid`))
    const challenge = challengesOf(response)[0] as Challenge.Challenge
    expect(Challenge.verify(challenge, { secret: Secret.from(secret) })).toBe(true)
  })

  it('refuses a method whose intent is not registered, unless allowed {core.challenge.intent.registered}', () => {
    const unregistered = { ...TestMethod.server({ key: methodKey }), intent: 'authorize' }
    expect(() => Paywire.create({ ...base, methods: [unregistered] })).toThrow(/not registered/)
    const paywire = Paywire.create({
      ...base,
      methods: [unregistered],
      allowUnregisteredIntents: true,
    })
    expect(paywire.realm).toBe(realm)
  })

  it('answers plain HTTP to a public host with 403, no challenge, and does not read the credential {core.tls.server-no-plaintext, core.tls.use, charge.tls}', async () => {
    const logs: Paywire.LogEntry[] = []
    const paywire = Paywire.create({ ...base, logger: (entry) => logs.push(entry) })
    const handler = paywire.protect({ price }, () => new Response('paid'))
    const { header } = await payFor(handler)
    for (const init of [{}, { headers: { authorization: header } }]) {
      const response = await handler(new Request('http://api.example.com/paid', init))
      expect(response.status).toBe(403)
      expect(response.headers.get('www-authenticate')).toBeNull()
      expect(response.headers.get('payment-receipt')).toBeNull()
      expect(await response.json()).toMatchObject({
        status: 403,
        detail: 'Payment requires HTTPS.',
      })
    }
    // The credential was not consumed: it still pays over HTTPS.
    expect((await send(handler, header)).status).toBe(200)
    expect(logs.some((entry) => entry.status === 403 && entry.event === 'refused')).toBe(true)
    // Behind a trusted TLS-terminating proxy, X-Forwarded-Proto counts.
    const proxied = Paywire.create({ ...base, plaintext: 'refuse', trustForwardedProto: true })
    const behindProxy = proxied.protect({ price }, () => new Response('paid'))
    const viaProxy = await behindProxy(
      new Request('http://api.example.com/paid', { headers: { 'x-forwarded-proto': 'https' } }),
    )
    expect(viaProxy.status).toBe(402)
    expect(() => Paywire.create({ ...base, plaintext: 'sometimes' as 'allow' })).toThrow(
      Paywire.ConfigurationError,
    )
  })

  it('refuses a test-only method unless test methods are allowed', () => {
    expect(() => Paywire.create({ ...base, allowTestMethods: false })).toThrow(/test-only/)
  })

  it('refuses no methods, duplicate methods, and an invalid method id', () => {
    expect(() => Paywire.create({ ...base, methods: [] })).toThrow(Paywire.ConfigurationError)
    const test = TestMethod.server({ key: methodKey })
    expect(() => Paywire.create({ ...base, methods: [test, test] })).toThrow(/twice/)
    expect(() => Paywire.create({ ...base, methods: [{ ...test, method: 'Test' }] })).toThrow(
      Paywire.ConfigurationError,
    )
  })

  it('refuses a realm or description that cannot travel in a header {core.i18n.realm-ascii}', () => {
    expect(() => Paywire.create({ ...base, realm: 'a\r\nb' })).toThrow(Paywire.ConfigurationError)
    const paywire = Paywire.create(base)
    expect(() => paywire.checkRoute({ price, description: '天気予報' })).toThrow(/header/)
    expect(() => paywire.checkRoute({ price, methods: ['tempo'] })).toThrow(/not configured/)
  })

  it('refuses settle after success for a method without check()', () => {
    const { check: _check, ...withoutCheck } = TestMethod.server({ key: methodKey })
    const paywire = Paywire.create({ ...base, methods: [withoutCheck] })
    expect(() => paywire.checkRoute({ price, settle: 'after-success' })).toThrow(/check/)
  })
})

describe('Paywire charging', () => {
  it('never runs the handler for an unpaid request {core.side-effects.unpaid, core.side-effects.challenge-only}', async () => {
    const handler = vi.fn(() => new Response('secret content'))
    const store = MemoryStore.create()
    const paywire = makePaywire({ store })
    const protect = paywire.protect({ price }, handler)
    for (const init of [{}, { headers: { authorization: 'Payment !!' } }])
      expect((await protect(new Request(`${origin}/paid`, init))).status).toBe(402)
    expect(handler).not.toHaveBeenCalled()
    expect(store.size()).toBe(0)
  })

  it('carries the problem body of the draft on a 402 {core.problem.body, core.problem.types}', async () => {
    const response = await makePaywire().protect(
      { price },
      () => new Response(),
    )(new Request(`${origin}/paid`))
    const body = Problem.parse(await response.text())
    expect(body).toMatchObject({
      type: `${Problem.baseUri}payment-required`,
      title: 'Payment Required',
      status: 402,
    })
    expect(response.headers.get('content-type')).toBe(Problem.contentType)
  })

  it('says when a client may retry on every 402: at once by default, as configured, or not at all {core.retry.retry-after}', async () => {
    const paid = (options: Parameters<typeof makePaywire>[0] = {}) =>
      makePaywire(options).protect({ price }, () => new Response())
    const fresh = await paid()(new Request(`${origin}/paid`))
    expect(fresh.status).toBe(402)
    expect(fresh.headers.get('retry-after')).toBe('0')
    const protect = paid({ retryAfter: 30 })
    expect((await protect(new Request(`${origin}/paid`))).headers.get('retry-after')).toBe('30')
    const { challenge } = await payFor(protect)
    const refused = await send(
      protect,
      await authorization(challenge, { key: 'not-the-method-key' }),
    )
    expect(refused.status).toBe(402)
    expect(refused.headers.get('retry-after')).toBe('30')
    expect(
      (await paid({ retryAfter: false })(new Request(`${origin}/paid`))).headers.has('retry-after'),
    ).toBe(false)
    expect(() => makePaywire({ retryAfter: 1.5 })).toThrow(/whole number/)
    expect(() => makePaywire({ retryAfter: -1 })).toThrow(/non-negative/)
  })

  it('ignores a malformed Accept-Payment and offers every method {core.accept-payment.malformed, core.accept-payment.absent}', async () => {
    const protect = makePaywire().protect({ price }, () => new Response())
    for (const header of ['%%%', 'nothing/matches'])
      expect(
        challengesOf(
          await protect(new Request(`${origin}/paid`, { headers: { 'accept-payment': header } })),
        ).map((c) => c.method),
      ).toEqual(['test', 'other'])
  })

  it('prices dynamically from the request, and binds the price', async () => {
    const protect = makePaywire().protect(
      {
        price: (request: Request) => ({
          ...price,
          amount: new URL(request.url).searchParams.get('tier') === 'pro' ? '5000' : '1000',
        }),
      },
      () => new Response('ok'),
    )
    const pro = await protect(new Request(`${origin}/paid?tier=pro`))
    expect(Challenge.decodeRequest(challengesOf(pro)[0] as Challenge.Challenge).amount).toBe('5000')
  })

  it('refuses a credential when the route price changed since the challenge', async () => {
    let amount = '1000'
    const protect = makePaywire().protect(
      { price: () => ({ ...price, amount }) },
      () => new Response('ok'),
    )
    const { header } = await payFor(protect)
    amount = '2000'
    const response = await send(protect, header)
    expect(response.status).toBe(402)
    expect(Problem.parse(await response.text()).type).toBe(`${Problem.baseUri}invalid-challenge`)
  })

  it('accepts challenges bound under a previous secret during rotation {core.secret.rotation}', async () => {
    const old = makePaywire()
    const { header } = await payFor(old.protect({ price }, () => new Response('ok')))
    const rotated = makePaywire({ secret: Secret.generate(), previousSecrets: [secret] })
    const response = await send(
      rotated.protect({ price }, () => new Response('ok')),
      header,
    )
    expect(response.status).toBe(200)
    const fresh = challengesOf(
      await rotated.protect({ price }, () => new Response())(new Request(`${origin}/paid`)),
    )[0] as Challenge.Challenge
    expect(Challenge.verify(fresh, { secret: Secret.from(secret) })).toBe(false)
  })

  it('keeps a handler Cache-Control directive but makes it private', async () => {
    const protect = makePaywire().protect(
      { price },
      () =>
        new Response('ok', { headers: { 'cache-control': 'public, max-age=60, s-maxage=600' } }),
    )
    const { header } = await payFor(protect)
    const response = await send(protect, header)
    expect(response.headers.get('cache-control')).toBe('private, max-age=60')
  })

  it('strips a receipt a handler set on an error response {core.receipt.not-on-error}', async () => {
    const protect = makePaywire().protect(
      { price },
      () => new Response('no', { status: 404, headers: { 'payment-receipt': 'forged' } }),
    )
    const { header } = await payFor(protect)
    const response = await send(protect, header)
    expect(response.status).toBe(404)
    expect(response.headers.get('payment-receipt')).toBeNull()
  })

  it('answers 500 without a receipt when the handler throws', async () => {
    const protect = makePaywire().protect({ price }, () => {
      throw new Error('handler bug')
    })
    const { header } = await payFor(protect)
    const response = await send(protect, header)
    expect(response.status).toBe(500)
    expect(response.headers.get('payment-receipt')).toBeNull()
  })

  it('answers 413 to a body over the limit, without reading further', async () => {
    const protect = makePaywire({ maxBodyBytes: 10 }).protect({ price }, () => new Response())
    const response = await protect(
      new Request(`${origin}/paid`, { method: 'POST', body: 'x'.repeat(11) }),
    )
    expect(response.status).toBe(413)
    expect(response.headers.get('www-authenticate')).toBeNull()
  })

  it('handles a credential of more than 4 KB {core.size.credential-4kb}', async () => {
    const protect = makePaywire().protect(
      { price, description: 'd'.repeat(3_000) },
      () => new Response('ok'),
    )
    const { header } = await payFor(protect)
    expect(header.length).toBeGreaterThan(4_096)
    expect((await send(protect, header)).status).toBe(200)
  })

  it('does not bind or check the description {core.challenge.description.not-verified}', async () => {
    const protect = makePaywire().protect(
      { price, description: 'Weather' },
      () => new Response('ok'),
    )
    const { challenge } = await payFor(protect)
    const header = await authorization({ ...challenge, description: 'Only $0.01!' })
    expect((await send(protect, header)).status).toBe(200)
  })

  it('claims method-level proofs under the method name, once', async () => {
    const store = MemoryStore.create()
    const protect = makePaywire({ store }).protect({ price }, () => new Response('ok'))
    const { header } = await payFor(protect)
    expect((await send(protect, header)).status).toBe(200)
    const proof = String(Credential.fromAuthorization(header)?.payload.proof)
    expect(await store.claim(`paywire:proof:test:test:${proof}`, { ttlSeconds: 60 })).toBe(false)
  })

  it('replays an idempotent response only to the same credential, not to another proof for its challenge', async () => {
    const handler = vi.fn(() => new Response('created'))
    const protect = makePaywire().protect({ price }, handler)
    const { challenge, header } = await payFor(protect, '/paid', { method: 'POST' })
    const post = (authorizationHeader: string) =>
      protect(
        new Request(`${origin}/paid`, {
          method: 'POST',
          headers: { authorization: authorizationHeader, 'idempotency-key': 'order-1' },
        }),
      )
    expect((await post(header)).status).toBe(200)
    const replay = await post(header)
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    const stranger = await post(await authorization(challenge, { source: 'did:example:eve' }))
    expect(stranger.status).toBe(402)
    expect(await stranger.text()).not.toContain('created')
    expect(handler).toHaveBeenCalledTimes(1)
  })

  it('refuses an Idempotency-Key that is not visible ASCII', async () => {
    const protect = makePaywire().protect({ price }, () => new Response('ok'))
    const { header } = await payFor(protect, '/paid', { method: 'POST' })
    const response = await protect(
      new Request(`${origin}/paid`, {
        method: 'POST',
        headers: { authorization: header, 'idempotency-key': ' ' },
      }),
    )
    expect(response.status).toBe(400)
  })
})

describe('Paywire failures', () => {
  it('fails closed with 503 when the store is down: no handler, no payment {core.concurrency.atomic-consume}', async () => {
    const store = MemoryStore.create()
    const handler = vi.fn(() => new Response('content'))
    const protect = makePaywire({ store: failing(store) }).protect({ price }, handler)
    const { header } = await payFor(protect)
    const response = await send(protect, header)
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('5')
    expect(response.headers.get('payment-receipt')).toBeNull()
    expect(handler).not.toHaveBeenCalled()
  })

  it('keeps the payment open when a method fails with an untyped error: only the same credential continues it {core.concurrency.atomic-delivery}', async () => {
    let crash = true
    const test = TestMethod.server({ key: methodKey })
    const flaky = {
      ...test,
      async verify(parameters: Parameters<typeof test.verify>[0]) {
        if (crash) throw new Error('network timeout after broadcast')
        return test.verify(parameters)
      },
    }
    const protect = makePaywire({ methods: [flaky] }).protect({ price }, () => new Response('ok'))
    const { challenge, header } = await payFor(protect)
    expect((await send(protect, header)).status).toBe(500)
    const other = await authorization(challenge, { source: 'did:example:someone-else' })
    const stranger = await send(protect, other)
    expect(stranger.status).toBe(402)
    expect(Problem.parse(await stranger.text()).type).toBe(`${Problem.baseUri}invalid-challenge`)
    crash = false
    const retry = await send(protect, header)
    expect(retry.status).toBe(200)
    expect((await send(protect, header)).status).toBe(402)
  })

  it('releases the claim when a method refuses with a typed error, so the payer can retry', async () => {
    let refuse = true
    const test = TestMethod.server({ key: methodKey })
    const picky = {
      ...test,
      async verify(parameters: Parameters<typeof test.verify>[0]) {
        if (refuse) throw new Method.PaymentInsufficientError('paid 999 of 1000')
        return test.verify(parameters)
      },
    }
    const protect = makePaywire({ methods: [picky] }).protect({ price }, () => new Response('ok'))
    const { header } = await payFor(protect)
    const refused = await send(protect, header)
    expect(refused.status).toBe(402)
    expect(Problem.parse(await refused.text()).type).toBe(`${Problem.baseUri}payment-insufficient`)
    refuse = false
    expect((await send(protect, header)).status).toBe(200)
  })

  it('denies access when the authorize hook throws', async () => {
    const protect = makePaywire({
      hooks: {
        authorize: () => {
          throw new Error('policy service down')
        },
      },
    }).protect({ price }, () => new Response('ok'))
    const { header } = await payFor(protect)
    const response = await send(protect, header)
    expect(response.status).toBe(403)
    expect(response.headers.get('www-authenticate')).toBeNull()
  })
})

describe('limits', () => {
  it('rate-limits challenge issuance and credential checks through the throttle hook {core.dos.rate-limit, core.retry.retry-after}', async () => {
    const attempts: string[] = []
    const protect = makePaywire({
      hooks: {
        throttle: ({ attempt }) => {
          attempts.push(attempt)
          return attempts.length > 2 ? 2.5 : undefined
        },
      },
    }).protect({ price }, () => new Response('ok'))
    const { header } = await payFor(protect)
    expect((await send(protect, header)).status).toBe(200)
    const limited = await protect(new Request(`${origin}/paid`))
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('3')
    expect(limited.headers.get('www-authenticate')).toBeNull()
    expect(attempts).toEqual(['challenge', 'credential', 'challenge'])
  })

  it('answers a 70 KB Authorization header with malformed-credential, in bounded time', async () => {
    const protect = makePaywire().protect({ price }, () => new Response('ok'))
    for (const header of [`Payment ${'A'.repeat(70_000)}`, `Payment ${'\\'.repeat(20_000)}`]) {
      const started = performance.now()
      const response = await protect(
        new Request(`${origin}/paid`, { headers: { authorization: header } }),
      )
      expect(response.status).toBe(402)
      expect(Problem.parse(await response.text()).type).toBe(
        `${Problem.baseUri}malformed-credential`,
      )
      expect(performance.now() - started).toBeLessThan(500)
    }
  })
})

describe('settle after success', () => {
  const route: Paywire.Route = { price, settle: 'after-success' }

  it('settles only when the handler answers 2xx', async () => {
    const settled = vi.fn()
    let status = 200
    const protect = makePaywire({ hooks: { onSettled: settled } }).protect(
      route,
      () => new Response('content', { status }),
    )
    const { header } = await payFor(protect)
    const response = await send(protect, header)
    expect(response.status).toBe(200)
    expect(Receipt.deserialize(response.headers.get('payment-receipt') ?? '').method).toBe('test')
    expect(settled).toHaveBeenCalledTimes(1)
    status = 500
    const { header: second } = await payFor(protect)
    expect((await send(protect, second)).status).toBe(500)
    expect(settled).toHaveBeenCalledTimes(1)
  })

  it('spends the challenge when the handler fails: nothing is settled and the handler never runs again for it {charge.single-use, charge.replay.reject}', async () => {
    let runs = 0
    const protect = makePaywire().protect(route, () => {
      runs++
      return new Response('busy', { status: 503 })
    })
    const { header } = await payFor(protect)
    const failed = await send(protect, header)
    expect(failed.status).toBe(503)
    expect(failed.headers.get('payment-receipt')).toBeNull()
    const retried = await send(protect, header)
    expect(retried.status).toBe(402)
    expect(runs).toBe(1)
  })

  it('withholds the response and answers 402 when settlement fails after the handler', async () => {
    const test = TestMethod.server({ key: methodKey })
    const declining = {
      ...test,
      async verify(): Promise<Receipt.Receipt> {
        throw new Method.VerificationFailedError('card declined at capture')
      },
    }
    const protect = makePaywire({ methods: [declining] }).protect(
      route,
      () => new Response('content'),
    )
    const { header } = await payFor(protect)
    const response = await send(protect, header)
    expect(response.status).toBe(402)
    expect(await response.text()).not.toContain('content')
  })

  it('checks the proof before the handler: a bad proof never reaches it', async () => {
    const handler = vi.fn(() => new Response('content'))
    const protect = makePaywire().protect(route, handler)
    const { challenge } = await payFor(protect)
    const bad = await authorization(challenge, { key: Secret.generate() })
    expect((await send(protect, bad)).status).toBe(402)
    expect(handler).not.toHaveBeenCalled()
  })
})

describe('hooks and logs', () => {
  it('reports challenge, verified, settled and failed events', async () => {
    const events: string[] = []
    const protect = makePaywire({
      hooks: {
        onChallenge: ({ challengeIds }) => void events.push(`challenge:${challengeIds.length}`),
        onVerified: ({ payment }) => void events.push(`verified:${payment.method}`),
        onSettled: ({ receipt }) => void events.push(`settled:${receipt.status}`),
        onFailed: ({ status, code }) => void events.push(`failed:${status}:${code}`),
      },
    }).protect({ price }, () => new Response('ok'))
    const { header } = await payFor(protect)
    await send(protect, header)
    await send(protect, header)
    expect(events).toEqual([
      'challenge:2',
      'verified:test',
      'settled:success',
      'challenge:2',
      'failed:402:ERR_CHALLENGE_UNBOUND',
    ])
  })

  it('keeps answering when a hook or the logger throws', async () => {
    const protect = makePaywire({
      hooks: {
        onChallenge: () => {
          throw new Error('metrics down')
        },
        onSettled: async () => {
          throw new Error('audit down')
        },
      },
      logger: () => {
        throw new Error('log sink down')
      },
    }).protect({ price }, () => new Response('ok'))
    const { header } = await payFor(protect)
    expect((await send(protect, header)).status).toBe(200)
  })

  it('logs the expiry of a challenge without its content', async () => {
    const logs: Paywire.LogEntry[] = []
    const paywire = makePaywire({ logger: (entry) => logs.push(entry), expiresIn: 1 })
    const protect = paywire.protect({ price }, () => new Response('ok'))
    const { challenge, header } = await payFor(protect)
    const later = makePaywire({
      logger: (entry) => logs.push(entry),
      now: () => Expires.parse(challenge.expires ?? '') + 120_000,
    })
    const response = await send(
      later.protect({ price }, () => new Response('ok')),
      header,
    )
    expect(response.status).toBe(402)
    expect(logs.at(-1)).toMatchObject({ event: 'refused', code: 'ERR_CHALLENGE_EXPIRED' })
    expect(JSON.stringify(logs)).not.toContain(header.slice(8))
  })
})

describe('tracing', () => {
  it('records one span per decision with its outcome, never the credential', async () => {
    const spans: Array<{ name: string; attributes: Record<string, unknown>; ended: boolean }> = []
    const tracer: Paywire.Tracer = {
      startSpan(name, options) {
        const span = {
          name,
          attributes: { ...options?.attributes } as Record<string, unknown>,
          ended: false,
        }
        spans.push(span)
        return {
          setAttribute: (key, value) => {
            span.attributes[key] = value
          },
          setStatus: (status) => {
            span.attributes.status = status.code
          },
          end: () => {
            span.ended = true
          },
        }
      },
    }
    const protect = makePaywire({ tracer }).protect({ price }, () => new Response('ok'))
    const { header, challenge } = await payFor(protect)
    await send(protect, header)
    await send(protect, header)
    expect(spans.map((span) => [span.attributes['paywire.outcome'], span.ended])).toEqual([
      ['challenge', true],
      ['paid', true],
      ['refused', true],
    ])
    expect(spans[1]?.attributes).toMatchObject({
      'paywire.route': 'GET /paid',
      'paywire.challenge_id': challenge.id,
      'paywire.method': 'test',
    })
    expect(JSON.stringify(spans)).not.toContain(header.slice(8))
  })
})

function failing(store: Store.Store): Store.Store {
  const down = async () => {
    throw new Error('connection refused')
  }
  return { ...store, claim: down, compareAndSwap: down }
}
