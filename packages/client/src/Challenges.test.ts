import { Challenge, Expires, Method, Secret } from '@paywire/core'
import { TestMethod } from '@paywire/testkit'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import * as Challenges from './Challenges.js'
import * as Policy from './Policy.js'

const secret = Secret.from('a-test-secret-that-is-at-least-32-bytes-long!')
const url = new URL('https://api.example.com/paid')

function challenge(
  method: string,
  intent = 'charge',
  request: Record<string, unknown> = { amount: '100', currency: 'usd' },
) {
  return Challenge.from(
    { realm: 'api.example.com', method, intent, request, expires: Expires.inSeconds(300) },
    { secret },
  )
}

function response(...headers: string[]): Response {
  const fields = new Headers()
  for (const header of headers) fields.append('www-authenticate', header)
  return new Response(null, { status: 402, headers: fields })
}

const test = TestMethod.client({ key: 'k' })
const other = Method.defineClient({
  method: 'other',
  intent: 'charge',
  requestSchema: z.object({ amount: z.string(), currency: z.string() }),
  createCredential: async () => ({ payload: {} }),
})

describe('Challenges.fromResponse', () => {
  it('parses every Payment challenge, across field lines and beside other schemes', () => {
    const a = challenge('test')
    const b = challenge('other')
    const offered = Challenges.fromResponse(
      response(`Bearer realm="x", ${Challenge.serialize(a)}`, Challenge.serialize(b)),
    )
    expect(offered).toEqual({ challenges: [a, b], invalid: 0 })
  })

  it('skips a challenge with a missing or empty id and keeps the valid ones {core.challenge.id.reject-empty}', () => {
    const good = challenge('test')
    const empty =
      'Payment id="", realm="api.example.com", method="test", intent="charge", request="e30"'
    const missing = 'Payment realm="api.example.com", method="test", intent="charge", request="e30"'
    const offered = Challenges.fromResponse(response(empty, missing, Challenge.serialize(good)))
    expect(offered).toEqual({ challenges: [good], invalid: 2 })
  })

  it('ignores parameters it does not know {core.challenge.unknown-params, core.versioning.ignore-unknown}', () => {
    const good = challenge('test')
    const offered = Challenges.fromResponse(response(`${Challenge.serialize(good)}, future="1"`))
    expect(offered.challenges).toEqual([good])
  })

  it('refuses a method identifier that is not lowercase letters {core.challenge.method.lowercase}', () => {
    const upper = 'Payment id="a", realm="r", method="Test", intent="charge", request="e30"'
    expect(Challenges.fromResponse(response(upper))).toEqual({ challenges: [], invalid: 1 })
  })

  it('reads a challenge of more than 4 KB {core.size.challenge-4kb}', () => {
    const big = challenge('test', 'charge', {
      amount: '100',
      currency: 'usd',
      externalId: 'x'.repeat(6000),
    })
    const header = Challenge.serialize(big)
    expect(header.length).toBeGreaterThan(4096)
    expect(Challenges.fromResponse(response(header)).challenges).toEqual([big])
  })
})

describe('Challenges.rank', () => {
  it('keeps only challenges it has a method and intent for {core.intent.unknown-unsupported}', () => {
    const offered = [challenge('test', 'session'), challenge('unknown'), challenge('test')]
    const ranked = Challenges.rank(offered, [test], Challenges.defaultAccept([test]))
    expect(ranked.map((candidate) => candidate.challenge)).toEqual([offered[2]])
  })

  it('orders by the client preference, keeps the server order on ties, and drops q=0 {core.client.select-one}', () => {
    const offered = [challenge('test'), challenge('other')]
    const preferOther = [
      { method: 'other', intent: '*', q: 1 },
      { method: 'test', intent: 'charge', q: 0.5 },
    ]
    expect(
      Challenges.rank(offered, [test, other], preferOther).map((c) => c.challenge.method),
    ).toEqual(['other', 'test'])
    expect(
      Challenges.rank(offered, [test, other], Challenges.defaultAccept([other, test])).map(
        (c) => c.challenge.method,
      ),
    ).toEqual(['test', 'other'])
    const excludeTest = [
      { method: '*', intent: '*', q: 1 },
      { method: 'test', intent: 'charge', q: 0 },
    ]
    expect(
      Challenges.rank(offered, [test, other], excludeTest).map((c) => c.challenge.method),
    ).toEqual(['other'])
  })
})

describe('Challenges.read', () => {
  it('refuses a request that fails the method schema, whatever Accept-Payment asked {core.accept-payment.client-validate, charge.request.amount-string}', () => {
    for (const request of [
      { amount: 100, currency: 'usd' },
      { amount: '1e3', currency: 'usd' },
      { currency: 'usd' },
    ]) {
      const [candidate] = Challenges.rank(
        [challenge('test', 'charge', request)],
        [test],
        Challenges.defaultAccept([test]),
      )
      expect(() => Challenges.read(candidate as Challenges.Candidate, url)).toThrowError(
        expect.objectContaining({ rule: 'request-schema' }),
      )
    }
  })

  it('refuses an intent that states no price it can check', () => {
    const session = Method.defineClient({
      method: 'test',
      intent: 'session',
      requestSchema: z.object({ amount: z.string() }),
      createCredential: async () => ({ payload: {} }),
    })
    const [candidate] = Challenges.rank(
      [challenge('test', 'session')],
      [session],
      Challenges.defaultAccept([session]),
    )
    expect(() => Challenges.read(candidate as Challenges.Candidate, url)).toThrowError(
      Policy.RefusedError,
    )
    expect(() => Challenges.read(candidate as Challenges.Candidate, url)).toThrowError(/unpriced/)
  })

  it('reads the quote from the request, with the origin that asked {core.client.show-origin, charge.client.display-shared}', () => {
    const asked = challenge('test', 'charge', {
      amount: '250',
      currency: 'usd',
      recipient: 'acct_9',
      methodDetails: { x: 1 },
    })
    const [candidate] = Challenges.rank([asked], [test], Challenges.defaultAccept([test]))
    const { quote } = Challenges.read(
      candidate as Challenges.Candidate,
      new URL('https://u:p@api.example.com/paid?x=1#f'),
    )
    expect(quote).toEqual({
      url: 'https://api.example.com/paid?x=1',
      origin: 'https://api.example.com',
      challengeId: asked.id,
      realm: 'api.example.com',
      method: 'test',
      intent: 'charge',
      amount: '250',
      currency: 'usd',
      recipient: 'acct_9',
      expires: asked.expires,
      description: undefined,
    })
  })
})
