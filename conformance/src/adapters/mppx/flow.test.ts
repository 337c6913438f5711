// The flow operation of the mppx adapter, `http.payment_request`, run in-process through
// `respond` against a loopback server answering 402 with a Tempo charge challenge: what it
// refuses before mppx signs anything (each `payer.policy` rule), what it cannot honour, and
// what it answers to nonsense. Paying for real is test/matrix.test.ts's (a Tempo node).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Challenge, Expires } from '@paywire/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Mppx from './ops.js'

const pathUsd = '0x20c0000000000000000000000000000000000000'
const recipient = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'
let server: Server
let origin: string
/** The Authorization header of every request the server saw. */
const authorizations: Array<string | undefined> = []

beforeAll(async () => {
  server = createServer((request, response) => {
    authorizations.push(request.headers.authorization)
    const url = new URL(request.url ?? '/', origin)
    const challenge = Challenge.from(
      {
        realm: url.searchParams.get('realm') ?? url.host,
        method: 'tempo',
        intent: 'charge',
        request: {
          amount: url.searchParams.get('amount') ?? '1000',
          currency: pathUsd,
          recipient,
          methodDetails: { chainId: 31337 },
        },
        expires: Expires.inSeconds(Number(url.searchParams.get('expires') ?? 300)),
      },
      { id: 'matrix-test-challenge' },
    )
    response.writeHead(402, { 'www-authenticate': Challenge.serialize(challenge) })
    response.end('{"type":"https://paymentauth.org/problems/payment-required"}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(() => new Promise((resolve) => server.close(resolve)))

type Policy = Record<string, unknown>

function input(path: string, policy: Policy = {}, change: Record<string, unknown> = {}) {
  return {
    url: `${origin}${path}`,
    method: 'GET',
    headers: {},
    body: null,
    payment: { payload: {} },
    mode: 'payment',
    payer: {
      // Nothing listens on port 9: a payment that got as far as the node would fail there.
      methods: { tempo: { rpcUrl: 'http://127.0.0.1:9', privateKey: `0x${'11'.repeat(32)}` } },
      policy: {
        currencies: { [pathUsd]: { maxAmount: '1000' } },
        insecureOrigins: [origin],
        ...policy,
      },
    },
    ...change,
  }
}

function respond(value: unknown): Promise<Mppx.Response> {
  return Mppx.respond(JSON.stringify({ schema: 1, op: 'http.payment_request', input: value }))
}

/** Runs `value` and returns the response and whether any request carried a credential. */
async function run(value: unknown) {
  authorizations.length = 0
  const response = await respond(value)
  return { response, credentialSent: authorizations.some((a) => a !== undefined) }
}

describe('http.payment_request (mppx)', () => {
  it.each([
    ['a currency not in policy.currencies', () => input('/', { currencies: {} }), /\(currency: /],
    [
      'an amount over the cap',
      () => input('/?amount=1001'),
      /\(max-amount: 1001 .* exceeds 1000\)/,
    ],
    [
      'a realm other than the host',
      () => input('/?realm=other', { realms: 'host' }),
      /\(realm: other/,
    ],
    [
      'a realm not listed',
      () => input('/', { realms: ['api.example.com'] }),
      /\(realm: 127\.0\.0\.1/,
    ],
    [
      'a validity past the window',
      () => input('/?expires=3600', { maxValiditySeconds: 600 }),
      /\(validity: /,
    ],
    [
      'an origin not listed',
      () => input('/', { origins: ['https://api.example.com'] }),
      /\(origin: /,
    ],
    [
      'plain HTTP to an origin not declared',
      () => input('/', { insecureOrigins: [] }),
      /\(transport: /,
    ],
  ])('refuses %s as http_error, having sent no credential', async (_, value, reason) => {
    const { response, credentialSent } = await run(value())
    expect(response).toEqual({
      ok: false,
      error: { type: 'http_error', message: expect.stringMatching(/^payment refused \(/) },
    })
    expect(response.ok === false && response.error.message).toMatch(reason)
    expect(credentialSent).toBe(false)
  })

  it("hands policy.recipients to mppx's expectedRecipients: another recipient is refused by mppx, no credential sent", async () => {
    const { response, credentialSent } = await run(
      input('/', { recipients: ['0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc'] }),
    )
    expect(response).toMatchObject({ ok: false, error: { type: 'http_error' } })
    expect(response.ok === false && response.error.message).toMatch(/^mppx: .*recipient/i)
    expect(credentialSent).toBe(false)
  })

  it('sends the request as it is in mode "plain": the 402, nothing paid', async () => {
    const { response, credentialSent } = await run(input('/', {}, { mode: 'plain' }))
    expect(response).toMatchObject({
      ok: true,
      value: { status: 402, payment: { paid: false, credentials: 0, receipt: null } },
    })
    expect(credentialSent).toBe(false)
  })

  it.each([
    [
      'a tampering mode',
      () => input('/', {}, { mode: 'invalid_payload' }),
      /mode "invalid_payload"/,
    ],
    ['mode "payment" without payer', () => input('/', {}, { payer: undefined }), /needs "payer"/],
    [
      'the test method (mppx has none)',
      () =>
        input('/', {}, { payer: { methods: { test: { key: 'k' } }, policy: { currencies: {} } } }),
      /payer\.methods\.test/,
    ],
    [
      'a payer rule it does not know',
      () =>
        input('/', {}, { payer: { methods: {}, policy: { currencies: {}, dailyBudget: '5' } } }),
      /dailyBudget/,
    ],
    [
      'no method to pay with',
      () => input('/', {}, { payer: { methods: {}, policy: { currencies: {} } } }),
      /no method/,
    ],
  ])('answers unsupported_operation to %s', async (_, value, message) => {
    const { response, credentialSent } = await run(value())
    expect(response).toMatchObject({ ok: false, error: { type: 'unsupported_operation' } })
    expect(response.ok === false && response.error.message).toMatch(message)
    expect(credentialSent).toBe(false)
  })

  it.each([
    ['a non-HTTP url', () => input('/', {}, { url: 'file:///etc/passwd' })],
    ['an unknown member', () => input('/', {}, { extra: true })],
    [
      'a cap that is not an amount',
      () => input('/', { currencies: { [pathUsd]: { maxAmount: '1.5' } } }),
    ],
    [
      'a key that is not a key',
      () =>
        input(
          '/',
          {},
          {
            payer: {
              methods: { tempo: { rpcUrl: 'http://127.0.0.1:9', privateKey: '0x12' } },
              policy: { currencies: {} },
            },
          },
        ),
    ],
  ])('answers http_error to an input with %s', async (_, value) => {
    const { response, credentialSent } = await run(value())
    expect(response).toMatchObject({ ok: false, error: { type: 'http_error' } })
    expect(credentialSent).toBe(false)
  })

  it('is refused by the synchronous handle, which runs no HTTP', () => {
    expect(Mppx.handle('{"schema":1,"op":"http.payment_request","input":{}}')).toMatchObject({
      ok: false,
      error: { type: 'unsupported_operation' },
    })
  })
})
