// One end-to-end table, run through every binding over real HTTP on 127.0.0.1: the
// core draft's status table, binding and tampering, single use under concurrency,
// idempotent retries, request bodies, streaming responses, and clean logs.
import { request as httpRequest } from 'node:http'
import { BodyDigest, Challenge, Credential, Expires, Problem, Receipt, Secret } from '@paywire/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type * as Paywire from '../Paywire.js'
import { type App, bindings } from '../test/apps.js'
import {
  authorization,
  challengesOf,
  expectPaymentRequired,
  expectReceipt,
  makePaywire,
  pay,
  realm,
  rebind,
  secret,
} from '../test/payer.js'

describe.each(bindings)('$name', (binding) => {
  let app: App
  const logs: Paywire.LogEntry[] = []
  const sent: string[] = []
  beforeAll(async () => {
    app = await binding.start(makePaywire({ logger: (entry) => logs.push(entry) }))
  })
  afterAll(async () => {
    await app.close()
  })
  const url = (path: string) => `${app.url}${path}`
  const paid = async (path: string, init: RequestInit = {}) => {
    const { challenge, authorization: header } = await pay(url(path), init)
    sent.push(header)
    return { challenge, header }
  }
  const withCredential = (path: string, header: string, init: RequestInit = {}) =>
    fetch(url(path), { ...init, headers: { ...(init.headers ?? {}), authorization: header } })

  it('answers an unpaid request with 402, challenges and no-store {core.status.payment-required, core.cache.no-store, core.402.challenge-required, core.challenge.id.server-emit, core.challenge.realm.required, core.challenge.expires.include, core.custom-params.lowercase, core.binding.hmac}', async () => {
    const response = await fetch(url('/paid'))
    const problem = await expectPaymentRequired(response, 'payment-required')
    const challenges = challengesOf(response)
    expect(challenges.map((c) => c.method)).toEqual(['test', 'other'])
    expect(problem.challengeId).toBe(challenges[0]?.id)
    const header = response.headers.get('www-authenticate') ?? ''
    for (const name of header.matchAll(/([A-Za-z-]+)="/g))
      expect(name[1]).toBe(name[1]?.toLowerCase())
    for (const challenge of challenges) {
      expect(challenge.id).not.toBe('')
      expect(challenge.realm).toBe(realm)
      expect(challenge.expires).toBeDefined()
      expect(Challenge.verify(challenge, { secret: Secret.from(secret) })).toBe(true)
      expect(Challenge.decodeOpaque(challenge).route).toBe('GET /paid')
    }
  })

  it('refuses plain HTTP naming a public host, or no host, with 403 and no challenge {core.tls.server-no-plaintext, core.tls.reject-plaintext}', async () => {
    const send = (host: string | undefined) =>
      new Promise<{ status: number; challenge: string | undefined }>((resolve, reject) => {
        const req = httpRequest(url('/paid'), { setHost: host === undefined }, (res) => {
          res.resume()
          resolve({ status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'] })
        })
        if (host !== undefined) req.setHeader('host', host)
        req.on('error', reject)
        req.end()
      })
    for (const host of ['api.example.com', 'localhost.example.com'])
      expect(await send(host)).toEqual({ status: 403, challenge: undefined })
    // An empty Host is refused before paywire (Node answers 400) or by it (403): never a 402.
    const hostless = await send('')
    expect([400, 403]).toContain(hostless.status)
    expect(hostless.challenge).toBeUndefined()
    expect((await send('localhost')).status).toBe(402)
  })

  it('issues a different challenge id to every request for the same route {core.cache.challenge-not-reused}', async () => {
    const ids = new Set<string>()
    for (let i = 0; i < 5; i++)
      for (const c of challengesOf(await fetch(url('/paid')))) ids.add(c.id)
    expect(ids.size).toBe(10)
  })

  it('sends each challenge on its own WWW-Authenticate line, and a client parses them {core.challenge.multiple}', async () => {
    const lines = await new Promise<string[]>((resolve, reject) => {
      const req = httpRequest(url('/paid'), (res) => {
        res.resume()
        const raw = res.rawHeaders
        const found: string[] = []
        for (let i = 0; i + 1 < raw.length; i += 2)
          if (raw[i]?.toLowerCase() === 'www-authenticate') found.push(raw[i + 1] as string)
        resolve(found)
      })
      req.on('error', reject)
      req.end()
    })
    if (binding.separateChallengeLines) {
      expect(lines).toHaveLength(2)
      expect(lines.map((line) => Challenge.deserialize(line).method)).toEqual(['test', 'other'])
    } else expect(lines).toHaveLength(1)
    expect(Challenge.deserializeList(lines).map((c) => c.method)).toEqual(['test', 'other'])
    expect(Challenge.deserializeList(lines.join(', ')).map((c) => c.method)).toEqual([
      'test',
      'other',
    ])
  })

  it('orders and filters challenges by Accept-Payment {core.accept-payment.filter, core.accept-payment.order}', async () => {
    const response = await fetch(url('/paid'), {
      headers: { 'accept-payment': 'other/charge, test/charge;q=0.5' },
    })
    expect(challengesOf(response).map((c) => c.method)).toEqual(['other', 'test'])
    const only = await fetch(url('/paid'), { headers: { 'accept-payment': 'test/*, other/*;q=0' } })
    expect(challengesOf(only).map((c) => c.method)).toEqual(['test'])
  })

  it('serves a paid request with a receipt and Cache-Control: private, with no account {core.status.success, core.receipt.send, core.cache.receipt-private, core.privacy.no-accounts}', async () => {
    const { header, challenge } = await paid('/paid')
    const response = await withCredential('/paid', header)
    const receipt = expectReceipt(response)
    expect(receipt.method).toBe('test')
    expect(await response.json()).toEqual({ paid: true, path: '/paid' })
    expect(challenge.method).toBe('test')
  })

  it('refuses a replayed credential with invalid-challenge {core.status.invalid-challenge, core.status.unknown-challenge, core.replay.reject-reuse, charge.replay.reject, charge.single-use, charge.replay.id-single-use}', async () => {
    const { header } = await paid('/paid')
    expectReceipt(await withCredential('/paid', header))
    await expectPaymentRequired(await withCredential('/paid', header), 'invalid-challenge')
  })

  it('gives exactly one 200 to 50 concurrent copies of one credential {core.concurrency.single-settlement, core.replay.single-use}', async () => {
    const { header } = await paid('/paid')
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => withCredential('/paid', header)),
    )
    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    expect(statuses.filter((s) => s === 402)).toHaveLength(49)
    for (const response of responses)
      if (response.status === 402) await expectPaymentRequired(response, 'invalid-challenge')
      else await response.body?.cancel()
  })

  it('answers a malformed credential with malformed-credential and a fresh challenge {core.status.malformed-credential, core.status.402-with-challenge}', async () => {
    for (const header of ['Payment !!!', 'Payment bm90IGpzb24', 'Payment e30']) {
      await expectPaymentRequired(await withCredential('/paid', header), 'malformed-credential')
    }
  })

  it('answers a credential with a forged id with invalid-challenge {core.binding.verify, core.status.invalid-challenge, core.status.unknown-challenge, charge.verify.challenge-id}', async () => {
    const { challenge } = await paid('/paid')
    const forged = {
      ...challenge,
      id: Challenge.computeId(challenge, Secret.from(Secret.generate())),
    }
    await expectPaymentRequired(
      await withCredential('/paid', await authorization(forged)),
      'invalid-challenge',
    )
  })

  it('answers an expired challenge with payment-expired (draft -01; -00 said invalid-challenge) {core.status.payment-expired}', async () => {
    const { challenge } = await paid('/paid')
    const expired = rebind({ ...challenge, expires: Expires.format(Date.now() - 3_600_000) })
    await expectPaymentRequired(
      await withCredential('/paid', await authorization(expired)),
      'payment-expired',
    )
  })

  it('answers a proof that fails verification with verification-failed, and lets the payer retry the challenge {core.status.verification-failed, charge.verify.proof}', async () => {
    const { challenge, header } = await paid('/paid')
    const bad = await authorization(challenge, { key: Secret.generate() })
    await expectPaymentRequired(await withCredential('/paid', bad), 'verification-failed')
    expectReceipt(await withCredential('/paid', header))
  })

  it('answers 403 without a challenge or receipt when the policy denies a valid payment {core.status.policy-denied}', async () => {
    const { header } = await paid('/denied')
    const response = await withCredential('/denied', header)
    expect(response.status).toBe(403)
    expect(response.headers.get('www-authenticate')).toBeNull()
    expect(response.headers.get('payment-receipt')).toBeNull()
  })

  it('answers 400 to a request carrying two Payment credentials {core.server.multiple-credentials}', async () => {
    const { header } = await paid('/paid')
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest(
        url('/paid'),
        { headers: ['authorization', header, 'authorization', header] },
        (res) => {
          res.resume()
          resolve(res.statusCode)
        },
      )
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(400)
    expect((await withCredential('/paid', `${header}, ${header}`)).status).toBe(400)
  })

  it('answers 400 method-unsupported to a credential for a method the route does not take', async () => {
    const { challenge } = await paid('/paid-body', { method: 'POST', body: 'x' })
    const response = await fetch(url('/paid-body'), {
      method: 'POST',
      body: 'x',
      headers: { authorization: await authorization({ ...challenge, method: 'other' }) },
    })
    expect(response.status).toBe(400)
    const problem = Problem.parse(await response.text())
    expect(problem.type).toBe(`${Problem.baseUri}method-unsupported`)
    expect(response.headers.get('payment-receipt')).toBeNull()
  })

  it('never puts a receipt on an error the handler returns {core.receipt.not-on-error}', async () => {
    const { header } = await paid('/fail')
    const response = await withCredential('/fail', header)
    expect(response.status).toBe(500)
    expect(response.headers.get('payment-receipt')).toBeNull()
    expect(await response.json()).toEqual({ error: 'boom' })
  })

  it('settles after success only: a failed handler spends the credential unpaid, a 2xx gets the receipt {charge.single-use, charge.replay.reject}', async () => {
    const { header } = await paid('/after')
    const failed = await withCredential('/after', header, { headers: { 'x-status': '503' } })
    expect(failed.status).toBe(503)
    expect(failed.headers.get('payment-receipt')).toBeNull()
    expect(await failed.text()).toBe('after content')
    await expectPaymentRequired(await withCredential('/after', header), 'invalid-challenge')
    const fresh = await paid('/after')
    const settled = await withCredential('/after', fresh.header)
    expectReceipt(settled)
    expect(await settled.text()).toBe('after content')
    await expectPaymentRequired(await withCredential('/after', fresh.header), 'invalid-challenge')
  })

  describe('refuses a credential whose bound fields were changed {core.binding.verify, core.binding.all-params, core.binding.opaque}', () => {
    const tamper: Array<[string, (c: Challenge.Challenge) => Challenge.Challenge]> = [
      ['amount', (c) => withRequest(c, { amount: '1' })],
      ['currency', (c) => withRequest(c, { currency: 'eur' })],
      ['recipient', (c) => withRequest(c, { recipient: 'acct_attacker' })],
      ['realm', (c) => ({ ...c, realm: 'other.example' })],
      ['method', (c) => ({ ...c, method: 'other' })],
      ['expires', (c) => ({ ...c, expires: Expires.format(Date.now() + 86_400_000) })],
      [
        'opaque',
        (c) => ({
          ...c,
          opaque: Challenge.encodeOpaque({ ...Challenge.decodeOpaque(c), nonce: 'x' }),
        }),
      ],
      ['digest', (c) => ({ ...c, digest: BodyDigest.compute('other body') })],
    ]
    for (const [field, change] of tamper)
      it(`refuses a changed ${field}`, async () => {
        const { challenge } = await paid('/paid')
        const response = await withCredential('/paid', await authorization(change(challenge)))
        await expectPaymentRequired(response, 'invalid-challenge')
      })

    it('refuses a changed intent (no offer for it)', async () => {
      const { challenge } = await paid('/paid')
      const response = await withCredential(
        '/paid',
        await authorization({ ...challenge, intent: 'session' }),
      )
      expect(response.status).toBe(400)
      expect(response.headers.get('payment-receipt')).toBeNull()
    })
  })

  it('refuses a credential bought for another path {core.binding.verify}', async () => {
    const { header } = await paid('/other')
    await expectPaymentRequired(await withCredential('/paid', header), 'invalid-challenge')
  })

  it('refuses a credential bought for another query {core.binding.verify}', async () => {
    const { header } = await paid('/paid?tier=basic')
    await expectPaymentRequired(await withCredential('/paid?tier=pro', header), 'invalid-challenge')
    expectReceipt(await withCredential('/paid?tier=basic', header))
  })

  it('refuses a re-bound challenge (valid id) whose price differs from the route price', async () => {
    const { challenge } = await paid('/paid')
    const cheap = rebind(withRequest(challenge, { amount: '1' }))
    await expectPaymentRequired(
      await withCredential('/paid', await authorization(cheap)),
      'invalid-challenge',
    )
  })

  it('binds a request body by digest and refuses another body {core.challenge.digest.include, core.digest.verify, core.digest.reject-mismatch}', async () => {
    const body = JSON.stringify({ order: 42, note: 'ünïcode' })
    const init = { method: 'POST', body, headers: { 'content-type': 'text/plain' } }
    const { challenge, header } = await paid('/paid-body', init)
    expect(challenge.digest).toBe(BodyDigest.compute(body))
    const other = await fetch(url('/paid-body'), {
      ...init,
      body: JSON.stringify({ order: 43 }),
      headers: { ...init.headers, authorization: header },
    })
    await expectPaymentRequired(other, 'invalid-challenge')
    const response = await fetch(url('/paid-body'), {
      ...init,
      headers: { ...init.headers, authorization: header },
    })
    expectReceipt(response)
    expect(await response.text()).toBe(body)
  })

  it('streams a paid response with its receipt', async () => {
    const { header } = await paid('/stream')
    const started = Date.now()
    const response = await withCredential('/stream', header)
    expectReceipt(response)
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    const first = await reader.read()
    const firstAt = Date.now() - started
    let text = new TextDecoder().decode(first.value)
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    expect(text).toBe('one,two,three')
    expect(firstAt).toBeLessThan(Date.now() - started - 300)
  })

  it('replays an idempotent retry without a second charge; 422 for another body; 409 while in flight {core.idempotency.key, core.idempotency.replay-response}', async () => {
    const init = { method: 'POST', body: 'order-1', headers: { 'content-type': 'text/plain' } }
    const { header } = await paid('/paid-body?delay=400', init)
    const headers = { ...init.headers, authorization: header, 'idempotency-key': 'key-1' }
    const running = fetch(url('/paid-body?delay=400'), { ...init, headers })
    await new Promise((resolve) => setTimeout(resolve, 150))
    const during = await fetch(url('/paid-body?delay=400'), { ...init, headers })
    expect(during.status).toBe(409)
    expect(during.headers.get('retry-after')).toBe('1')
    const original = await running
    const receipt = expectReceipt(original)
    expect(await original.text()).toBe('order-1')
    const retry = await fetch(url('/paid-body?delay=400'), { ...init, headers })
    expect(retry.status).toBe(200)
    expect(retry.headers.get('idempotent-replayed')).toBe('true')
    expect(Receipt.deserialize(retry.headers.get('payment-receipt') ?? '')).toEqual(receipt)
    expect(await retry.text()).toBe('order-1')
    const otherBody = await fetch(url('/paid-body?delay=400'), {
      ...init,
      body: 'order-2',
      headers,
    })
    expect(otherBody.status).toBe(422)
    const noKey = await fetch(url('/paid-body?delay=400'), {
      ...init,
      headers: { ...init.headers, authorization: header },
    })
    await expectPaymentRequired(noKey, 'invalid-challenge')
  })

  it('never discloses the secret in a response {core.secret.not-disclosed}', async () => {
    const { header } = await paid('/paid')
    const responses = [
      await fetch(url('/paid')),
      await withCredential('/paid', header),
      await withCredential('/paid', header),
      await withCredential('/paid', 'Payment !!'),
    ]
    for (const response of responses) {
      expect(JSON.stringify([...response.headers])).not.toContain(secret)
      expect(await response.text()).not.toContain(secret)
    }
  })

  it('never logs a credential or the secret {core.credential.no-log, core.secret.no-log, core.privacy.no-plaintext-log}', () => {
    expect(sent.length).toBeGreaterThan(5)
    expect(logs.length).toBeGreaterThan(10)
    const output = JSON.stringify(logs)
    expect(output).not.toContain(secret)
    for (const header of sent) {
      expect(output).not.toContain(header.slice('Payment '.length))
      const credential = Credential.fromAuthorization(header)
      expect(output).not.toContain(String(credential?.payload.proof))
    }
  })
})

function withRequest(
  challenge: Challenge.Challenge,
  change: Record<string, string>,
): Challenge.Challenge {
  return {
    ...challenge,
    request: Challenge.encodeRequest({ ...Challenge.decodeRequest(challenge), ...change }),
  }
}
