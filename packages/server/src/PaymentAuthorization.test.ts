// draft-httpauth-payment-01 on the server: routes that select `Payment-Authorization`
// (an API that keeps `Authorization: Bearer` for itself), credentials accepted only from
// the field their challenge selected, the caching rule for credentials outside
// `Authorization`, and the -01 problem types (payment-expired, invalid-payload,
// bad-request, internal-payment-error).
import { Challenge, Credential, Expires, Problem } from '@paywire/core'
import { TestMethod } from '@paywire/testkit'
import { describe, expect, it, vi } from 'vitest'
import type * as Paywire from './Paywire.js'
import { authorization, challengesOf, makePaywire, methodKey, secret } from './test/payer.js'

const price = { amount: '1000', currency: 'usd', recipient: 'acct_1' }
const origin = 'https://api.example.com'
const bearer = 'Bearer mF_9.B5f-4.1JqM'
const selecting: Paywire.Route = { price, credentialField: 'Payment-Authorization' }

/** A protected route whose handler answers only requests that carry the app's Bearer token. */
function bearerApi(route: Paywire.Route = selecting, options = {}) {
  const handler = vi.fn((request: Request) =>
    request.headers.get('authorization') === bearer
      ? Response.json({ data: 'secret' })
      : new Response('unauthenticated', { status: 401 }),
  )
  return { handler, protect: makePaywire(options).protect(route, handler) }
}

async function firstChallenge(protect: (request: Request) => Promise<Response>) {
  const response = await protect(
    new Request(`${origin}/paid`, { headers: { authorization: bearer } }),
  )
  expect(response.status).toBe(402)
  return challengesOf(response)[0] as Challenge.Challenge
}

const problemType = async (response: Response) => Problem.parse(await response.text()).type

describe('a route that selects Payment-Authorization', () => {
  it('issues challenges carrying header="Payment-Authorization", bound as the eighth slot {core.header.value, core.binding.header, core.header.select, core.header.recommended}', async () => {
    const { protect } = bearerApi()
    const response = await protect(new Request(`${origin}/paid`))
    expect(response.headers.get('www-authenticate')).toContain('header="Payment-Authorization"')
    const challenge = challengesOf(response)[0] as Challenge.Challenge
    expect(challenge.header).toBe('Payment-Authorization')
    expect(Challenge.verify(challenge, { secret: new TextEncoder().encode(secret) })).toBe(true)
    const { header: _header, ...withoutHeader } = challenge
    expect(Challenge.verify(withoutHeader, { secret: new TextEncoder().encode(secret) })).toBe(
      false,
    )
  })

  it('serves a request carrying both Authorization: Bearer and Payment-Authorization: Payment {core.server.credential-field, core.status.success}', async () => {
    const { handler, protect } = bearerApi()
    const challenge = await firstChallenge(protect)
    const response = await protect(
      new Request(`${origin}/paid`, {
        headers: { authorization: bearer, 'payment-authorization': await authorization(challenge) },
      }),
    )
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ data: 'secret' })
    expect(response.headers.get('payment-receipt')).not.toBeNull()
    expect(handler).toHaveBeenCalledTimes(1)
    expect(handler.mock.calls[0]?.[0].headers.get('authorization')).toBe(bearer)
  })

  it('refuses its credential sent in Authorization instead, without running the handler {core.server.credential-field}', async () => {
    const { handler, protect } = bearerApi()
    const challenge = await firstChallenge(protect)
    const response = await protect(
      new Request(`${origin}/paid`, {
        headers: { authorization: await authorization(challenge) },
      }),
    )
    expect(response.status).toBe(402)
    expect(await problemType(response)).toBe(`${Problem.baseUri}malformed-credential`)
    expect(handler).not.toHaveBeenCalled()
  })

  it('refuses a credential in both fields with 400 bad-request {core.server.multiple-credentials, core.problem.types-01}', async () => {
    const { handler, protect } = bearerApi()
    const challenge = await firstChallenge(protect)
    const credential = await authorization(challenge)
    const response = await protect(
      new Request(`${origin}/paid`, {
        headers: { authorization: credential, 'payment-authorization': credential },
      }),
    )
    expect(response.status).toBe(400)
    expect(await problemType(response)).toBe(`${Problem.baseUri}bad-request`)
    expect(handler).not.toHaveBeenCalled()
  })

  it('refuses a challenge issued without header answered in Payment-Authorization {core.server.credential-field}', async () => {
    const { handler, protect } = bearerApi({ price })
    const challenge = await firstChallenge(protect)
    expect(challenge.header).toBeUndefined()
    const response = await protect(
      new Request(`${origin}/paid`, {
        headers: { authorization: bearer, 'payment-authorization': await authorization(challenge) },
      }),
    )
    expect(response.status).toBe(402)
    expect(await problemType(response)).toBe(`${Problem.baseUri}malformed-credential`)
    expect(handler).not.toHaveBeenCalled()
  })

  it('keeps header-less challenges on routes that do not select it, with draft -00 ids {core.binding.hmac}', async () => {
    const response = await makePaywire().protect(
      { price },
      () => new Response('x'),
    )(new Request(`${origin}/paid`))
    const challenge = challengesOf(response)[0] as Challenge.Challenge
    expect(challenge.header).toBeUndefined()
    expect(response.headers.get('www-authenticate')).not.toContain('header=')
  })

  it('refuses a route configured with another field', () => {
    expect(() =>
      makePaywire().checkRoute({
        price,
        credentialField: 'X-Payment' as unknown as 'Payment-Authorization',
      }),
    ).toThrow(/credentialField/)
  })
})

describe('caching of responses to a credential outside Authorization', () => {
  const send = async (
    protect: (request: Request) => Promise<Response>,
    challenge: Challenge.Challenge,
  ) =>
    protect(
      new Request(`${origin}/paid`, {
        headers: { authorization: bearer, 'payment-authorization': await authorization(challenge) },
      }),
    )

  it('makes the handler response private, whatever its status or Cache-Control {core.cache.credential-elsewhere, core.cache.receipt-private}', async () => {
    for (const [status, cacheControl] of [
      [200, 'public, max-age=600, s-maxage=600'],
      [404, 'public, max-age=60'],
      [200, undefined],
      [500, undefined],
    ] as const) {
      const protect = makePaywire().protect(
        selecting,
        () =>
          new Response('body', {
            status,
            headers: cacheControl === undefined ? {} : { 'cache-control': cacheControl },
          }),
      )
      const response = await send(protect, await firstChallenge(protect))
      expect(response.status).toBe(status)
      const directives = (response.headers.get('cache-control') ?? '')
        .split(',')
        .map((directive) => directive.trim())
      expect(directives, `${status} ${cacheControl}`).toContain('private')
      expect(directives).not.toContain('public')
    }
  })

  it('keeps no-store on refusals and on 402 answers {core.cache.credential-elsewhere, core.cache.no-store}', async () => {
    const { protect } = bearerApi()
    const challenge = await firstChallenge(protect)
    const forged = Credential.toAuthorization(
      Credential.from({ challenge: { ...challenge, id: 'forged' }, payload: { proof: 'x' } }),
    )
    const response = await protect(
      new Request(`${origin}/paid`, {
        headers: { authorization: bearer, 'payment-authorization': forged },
      }),
    )
    expect(response.status).toBe(402)
    expect(response.headers.get('cache-control')).toBe('no-store')
  })

  it('makes an idempotent replay private as well {core.cache.credential-elsewhere}', async () => {
    const protect = makePaywire().protect(
      selecting,
      () => new Response('created', { status: 201, headers: { 'cache-control': 'public' } }),
    )
    const first = await protect(
      new Request(`${origin}/paid`, {
        method: 'POST',
        headers: { authorization: bearer },
      }),
    )
    const challenge = challengesOf(first)[0] as Challenge.Challenge
    const credential = await authorization(challenge)
    const paid = () =>
      protect(
        new Request(`${origin}/paid`, {
          method: 'POST',
          headers: {
            authorization: bearer,
            'payment-authorization': credential,
            'idempotency-key': 'k-1',
          },
        }),
      )
    expect((await paid()).headers.get('cache-control')).toContain('private')
    const replay = await paid()
    expect(replay.status).toBe(201)
    expect(replay.headers.get('cache-control')).toContain('private')
  })
})

describe('draft -01 problem types', () => {
  it('answers an expired challenge with payment-expired {core.status.payment-expired}', async () => {
    const protect = makePaywire().protect({ price }, () => new Response('ok'))
    const first = await protect(new Request(`${origin}/paid`))
    const challenge = challengesOf(first)[0] as Challenge.Challenge
    const header = await authorization(challenge)
    const later = makePaywire({ now: () => Expires.parse(challenge.expires ?? '') + 120_000 })
    const response = await later.protect(
      { price },
      () => new Response('ok'),
    )(new Request(`${origin}/paid`, { headers: { authorization: header } }))
    expect(response.status).toBe(402)
    expect(await problemType(response)).toBe(`${Problem.baseUri}payment-expired`)
    expect(response.headers.get('www-authenticate')).not.toBeNull()
  })

  it('answers an unknown challenge id with invalid-challenge {core.status.unknown-challenge}', async () => {
    const protect = makePaywire().protect({ price }, () => new Response('ok'))
    const first = await protect(new Request(`${origin}/paid`))
    const challenge = challengesOf(first)[0] as Challenge.Challenge
    const unknown = await authorization({ ...challenge, id: 'never-issued' })
    const response = await protect(
      new Request(`${origin}/paid`, { headers: { authorization: unknown } }),
    )
    expect(await problemType(response)).toBe(`${Problem.baseUri}invalid-challenge`)
  })

  it('answers a payload that does not fit the method with invalid-payload {core.problem.types-01}', async () => {
    const handler = vi.fn(() => new Response('ok'))
    const protect = makePaywire().protect({ price }, handler)
    const first = await protect(new Request(`${origin}/paid`))
    const challenge = challengesOf(first)[0] as Challenge.Challenge
    const bad = Credential.toAuthorization(
      Credential.from({ challenge, payload: { proof: 42 } as Record<string, unknown> }),
    )
    const response = await protect(
      new Request(`${origin}/paid`, { headers: { authorization: bad } }),
    )
    expect(response.status).toBe(402)
    expect(await problemType(response)).toBe(`${Problem.baseUri}invalid-payload`)
    expect(handler).not.toHaveBeenCalled()
  })

  it('answers a malformed Idempotency-Key with bad-request {core.problem.types-01}', async () => {
    const protect = makePaywire().protect({ price }, () => new Response('ok'))
    const first = await protect(new Request(`${origin}/paid`, { method: 'POST' }))
    const challenge = challengesOf(first)[0] as Challenge.Challenge
    const response = await protect(
      new Request(`${origin}/paid`, {
        method: 'POST',
        headers: { authorization: await authorization(challenge), 'idempotency-key': 'bad\tkey' },
      }),
    )
    expect(response.status).toBe(400)
    expect(await problemType(response)).toBe(`${Problem.baseUri}bad-request`)
  })

  it('answers a failure of the payment processing with internal-payment-error, a handler failure with a plain 500 {core.problem.types-01}', async () => {
    const test = TestMethod.server({ key: methodKey })
    const broken = {
      ...test,
      async verify(): Promise<never> {
        throw new TypeError('a bug in the method')
      },
    }
    const handler = vi.fn(() => new Response('ok'))
    const protect = makePaywire({ methods: [broken] }).protect({ price }, handler)
    const first = await protect(new Request(`${origin}/paid`))
    const challenge = challengesOf(first)[0] as Challenge.Challenge
    const response = await protect(
      new Request(`${origin}/paid`, { headers: { authorization: await authorization(challenge) } }),
    )
    expect(response.status).toBe(500)
    expect(await problemType(response)).toBe(`${Problem.baseUri}internal-payment-error`)
    expect(handler).not.toHaveBeenCalled()
    const thrower = makePaywire().protect({ price }, () => {
      throw new Error('handler bug')
    })
    const again = challengesOf(
      await thrower(new Request(`${origin}/paid`)),
    )[0] as Challenge.Challenge
    const handlerFailure = await thrower(
      new Request(`${origin}/paid`, { headers: { authorization: await authorization(again) } }),
    )
    expect(handlerFailure.status).toBe(500)
    expect(await problemType(handlerFailure)).toBe('about:blank')
  })
})
