// The after-success model (docs/security.md "The after-success model") at the server
// level, for the test method and for third-party methods: the handler runs at most once
// per challenge whatever the payment does afterwards, money held before the handler is
// released when it fails and taken when it succeeds, a capture whose outcome is unknown is
// retried (never the handler), and a retry of the same credential gets the stored
// response with its receipt.
import { type Challenge, Method, Problem, Receipt, type Store } from '@paywire/core'
import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'
import { describe, expect, it } from 'vitest'
import * as Paywire from './Paywire.js'
import { authorization, challengesOf, methodKey, realm, secret } from './test/payer.js'

const price = { amount: '1000', currency: 'usd' }
const url = 'https://api.example.com/paid'
const route: Paywire.Route = { price, settle: 'after-success' }

type TestServer = ReturnType<typeof TestMethod.server>

function server(method: TestServer, store: Store.Store = MemoryStore.create()) {
  return Paywire.create({ realm, secret, methods: [method], store, allowTestMethods: true })
}

/** A handler that counts its runs and answers `status`. */
function counted(status = 200) {
  const runs = { count: 0 }
  return {
    runs,
    handler: () => {
      runs.count++
      return new Response(`content #${runs.count}`, { status })
    },
  }
}

async function credentialFor(protect: (request: Request) => Promise<Response>) {
  const first = await protect(new Request(url))
  expect(first.status).toBe(402)
  const challenge = challengesOf(first)[0] as Challenge.Challenge
  return { challenge, header: await authorization(challenge) }
}

const send = (protect: (request: Request) => Promise<Response>, header: string) =>
  protect(new Request(url, { headers: { authorization: header } }))

async function problemType(response: Response): Promise<string> {
  return Problem.parse(await response.text()).type
}

describe('after-success: the handler runs at most once per challenge', () => {
  it('10 presentations of a credential whose settlement is refused after the handler run it once (test method) {charge.single-use, charge.replay.reject}', async () => {
    const method = TestMethod.server({ key: methodKey, outcome: () => 'refused' })
    const { runs, handler } = counted()
    const protect = server(method).protect(route, handler)
    const { header } = await credentialFor(protect)
    const answers: number[] = []
    for (let attempt = 0; attempt < 10; attempt++) {
      const response = await send(protect, header)
      expect(await response.text()).not.toContain('content')
      answers.push(response.status)
    }
    expect(runs.count).toBe(1)
    expect(answers.every((status) => status === 402)).toBe(true)
  })

  it('10 presentations against a third-party method whose verify always throws run the handler once {charge.single-use, charge.replay.reject}', async () => {
    const test = TestMethod.server({ key: methodKey })
    const failing: TestServer = {
      ...test,
      async verify(): Promise<Receipt.Receipt> {
        throw new Method.VerificationFailedError('card declined at capture')
      },
    }
    const { runs, handler } = counted()
    const protect = server(failing).protect(route, handler)
    const { header } = await credentialFor(protect)
    for (let attempt = 0; attempt < 10; attempt++) await send(protect, header)
    expect(runs.count).toBe(1)
  })

  it('a handler that fails spends the challenge: the same credential never runs it again {charge.single-use, charge.replay.reject}', async () => {
    const { runs, handler } = counted(503)
    const protect = server(TestMethod.server({ key: methodKey })).protect(route, handler)
    const { header } = await credentialFor(protect)
    const first = await send(protect, header)
    expect(first.status).toBe(503)
    expect(first.headers.get('payment-receipt')).toBeNull()
    for (let attempt = 0; attempt < 9; attempt++) {
      const again = await send(protect, header)
      expect(again.status).toBe(402)
      expect(await problemType(again)).toBe(`${Problem.baseUri}invalid-challenge`)
    }
    expect(runs.count).toBe(1)
  })

  it('a settlement whose outcome is unknown answers 503 without a challenge; the retry captures and delivers the stored response, the handler ran once {core.concurrency.single-settlement, core.concurrency.atomic-delivery}', async () => {
    let outcome: 'pending' | 'paid' = 'pending'
    const method = TestMethod.server({ key: methodKey, outcome: () => outcome })
    const { runs, handler } = counted()
    const protect = server(method).protect(route, handler)
    const { header } = await credentialFor(protect)
    const pending = await send(protect, header)
    expect(pending.status).toBe(503)
    expect(pending.headers.get('retry-after')).not.toBeNull()
    expect(pending.headers.get('www-authenticate')).toBeNull()
    expect(await pending.text()).not.toContain('content')
    outcome = 'paid'
    const retried = await send(protect, header)
    expect(retried.status).toBe(200)
    expect(await retried.text()).toBe('content #1')
    expect(Receipt.deserialize(retried.headers.get('payment-receipt') ?? '').method).toBe('test')
    expect(runs.count).toBe(1)
    const replay = await send(protect, header)
    expect(replay.status).toBe(402)
    expect(runs.count).toBe(1)
  })
})

describe('after-success: money held before the handler', () => {
  function holding() {
    const calls: string[] = []
    const test = TestMethod.server({ key: methodKey })
    const method: TestServer = {
      ...test,
      async hold(parameters) {
        await test.check?.(parameters)
        calls.push(`hold ${parameters.context.attempt?.id === undefined ? '-' : 'attempt'}`)
        return { authorization: `auth_${parameters.challenge.id.slice(0, 6)}` }
      },
      async verify(parameters) {
        calls.push(`capture ${JSON.stringify(parameters.context.hold)}`)
        return test.verify(parameters)
      },
      async release(parameters) {
        calls.push(`release ${JSON.stringify(parameters.hold)}`)
      },
    }
    return { calls, method }
  }

  it('holds before the handler and captures the hold after a 2xx {core.side-effects.unpaid}', async () => {
    const { calls, method } = holding()
    const protect = server(method).protect(route, () => {
      calls.push('handler')
      return new Response('content')
    })
    const { challenge, header } = await credentialFor(protect)
    expect((await send(protect, header)).status).toBe(200)
    const hold = JSON.stringify({ authorization: `auth_${challenge.id.slice(0, 6)}` })
    expect(calls).toEqual(['hold attempt', 'handler', `capture ${hold}`])
  })

  it('releases the hold when the handler fails, and never runs it again {core.side-effects.unpaid}', async () => {
    const { calls, method } = holding()
    const protect = server(method).protect(route, () => {
      calls.push('handler')
      return new Response('broken', { status: 500 })
    })
    const { challenge, header } = await credentialFor(protect)
    expect((await send(protect, header)).status).toBe(500)
    expect((await send(protect, header)).status).toBe(402)
    const hold = JSON.stringify({ authorization: `auth_${challenge.id.slice(0, 6)}` })
    expect(calls).toEqual(['hold attempt', 'handler', `release ${hold}`])
  })

  it('releases the hold when the access policy denies the payment; the handler never ran {core.side-effects.unpaid}', async () => {
    const { calls, method } = holding()
    const protect = Paywire.create({
      realm,
      secret,
      methods: [method],
      store: MemoryStore.create(),
      allowTestMethods: true,
      hooks: { authorize: () => false },
    }).protect(route, () => {
      calls.push('handler')
      return new Response('content')
    })
    const { header } = await credentialFor(protect)
    expect((await send(protect, header)).status).toBe(403)
    expect(calls.filter((call) => call === 'handler')).toEqual([])
    expect(calls.some((call) => call.startsWith('release'))).toBe(true)
  })
})
