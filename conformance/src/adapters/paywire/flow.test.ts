// The flow operation `http.payment_request` of paywire's adapter, run in-process through
// `Adapter.respond` against the client suite's compliance server: what it sends, what it
// answers, and how it says that it refused, cannot, or was asked nonsense.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as ClientScenario from '../../client/Scenario.js'
import * as ClientServer from '../../client/Server.js'
import * as ClientSuite from '../../client/Suite.js'
import * as Adapter from './abi.js'

let server: ClientServer.Server

beforeAll(async () => {
  server = await ClientServer.start(ClientScenario.scenarios)
})

afterAll(() => server.close())

function scenario(name: string): ClientScenario.Scenario {
  const found = ClientScenario.scenarios.find((entry) => entry.name === name)
  if (found === undefined) throw new Error(`no scenario ${name}`)
  return found
}

function respond(input: unknown): Promise<Adapter.Response> {
  return Adapter.respond(JSON.stringify({ schema: 1, op: 'http.payment_request', input }))
}

describe('http.payment_request', () => {
  it('pays once and answers the final response with what it paid and the receipt', async () => {
    const response = await respond(ClientSuite.input(scenario('basic'), server))
    expect(response).toMatchObject({
      ok: true,
      value: {
        status: 200,
        body: '{"ok":true}',
        payment: { paid: true, method: 'test', intent: 'charge', amount: '100', currency: 'usd' },
      },
    })
    const value = (
      response as { value: { headers: Record<string, string>; payment: { receipt: unknown } } }
    ).value
    expect(value.headers['payment-receipt']).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(value.payment.receipt).toMatchObject({ status: 'success', method: 'test' })
    const paid = server
      .log('basic')
      .requests.filter((r) => r.headers.some(([n]) => n === 'authorization'))
    expect(paid).toHaveLength(1)
  })

  it('answers a refusal as http_error naming the rule, having sent no credential', async () => {
    const response = await respond(ClientSuite.input(scenario('over-cap'), server))
    expect(response).toEqual({
      ok: false,
      error: {
        type: 'http_error',
        message: expect.stringMatching(/^ERR_PAYMENT_REFUSED: payment refused \(max-amount\)/),
      },
    })
    expect(
      server.log('over-cap').requests.every((r) => r.headers.every(([n]) => n !== 'authorization')),
    ).toBe(true)
  })

  it('sends a plain request as it is in mode "plain", paying nothing', async () => {
    const input = { ...ClientSuite.input(scenario('expired'), server), mode: 'plain' }
    const response = await respond(input)
    expect(response).toMatchObject({
      ok: true,
      value: { status: 402, payment: { paid: false, receipt: null } },
    })
  })

  it("answers the harness's HttpResponse alone to a plain request without payer", async () => {
    const { payer: _payer, ...input } = ClientSuite.input(scenario('expired'), server)
    const response = await respond({ ...input, mode: 'plain' })
    expect(response.ok && Object.keys(response.value as object).sort()).toEqual([
      'body',
      'headers',
      'status',
    ])
  })

  it.each([
    ['a tampering mode', { mode: 'invalid_challenge_id' }, /mode "invalid_challenge_id"/],
    ['mode "payment" without payer', { payer: undefined }, /needs "payer"/],
    [
      'a payer rule it does not know',
      { payer: { methods: {}, policy: { currencies: {}, dailyBudget: '5' } } },
      /policy\.dailyBudget/,
    ],
    [
      'a payer method it does not have',
      { payer: { methods: { stripe: {} }, policy: { currencies: {} } } },
      /methods\.stripe/,
    ],
  ])('answers unsupported_operation to %s', async (_, change, message) => {
    const response = await respond({ ...ClientSuite.input(scenario('basic'), server), ...change })
    expect(response).toMatchObject({ ok: false, error: { type: 'unsupported_operation', message } })
  })

  it.each([
    ['no url', { url: undefined }],
    ['a non-HTTP url', { url: 'file:///etc/passwd' }],
    ['an unknown member', { extra: true }],
    [
      'a tempo payer whose key is not a key',
      {
        payer: {
          methods: { tempo: { rpcUrl: 'http://127.0.0.1:8545', privateKey: '0x1234' } },
          policy: { currencies: { usd: { maxAmount: '1000' } } },
        },
      },
    ],
    [
      'a cap that is not an amount',
      {
        payer: {
          methods: { test: { key: 'k' } },
          policy: { currencies: { usd: { maxAmount: '1.5' } } },
        },
      },
    ],
  ])('answers http_error to an input with %s', async (_, change) => {
    const response = await respond({ ...ClientSuite.input(scenario('basic'), server), ...change })
    expect(response).toMatchObject({ ok: false, error: { type: 'http_error' } })
  })

  it('is refused by the synchronous handle, which runs no HTTP', () => {
    expect(Adapter.handle('{"schema":1,"op":"http.payment_request","input":{}}')).toMatchObject({
      ok: false,
      error: { type: 'unsupported_operation' },
    })
  })
})
