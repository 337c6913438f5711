// The paying client end to end with the real MCP SDK: it answers -32042 once, under the
// fetch client's spending policy, budgets and ledger.
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { McpError } from '@modelcontextprotocol/sdk/types.js'
import { Policy } from '@paywire/client'
import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import * as Payer from './Payer.js'
import * as Payments from './Payments.js'
import * as RpcError from './RpcError.js'
import * as Fixture from './test/fixture.js'
import * as Wire from './Wire.js'

const policy = (overrides: Partial<Policy.Policy> = {}): Policy.Policy => ({
  currencies: { usd: { maxAmount: '150' } },
  budgets: [{ currency: 'usd', amount: '200', window: 'day', scope: 'total' }],
  realms: [Fixture.realm],
  ...overrides,
})

function payerFor(connection: Fixture.Connection, overrides: Partial<Payer.create.Options> = {}) {
  return Payer.create({
    client: connection.client,
    url: connection.url,
    insecureOrigins: connection.insecureOrigins,
    methods: [TestMethod.client({ key: Fixture.key, source: 'did:example:agent' })],
    policy: policy(),
    store: MemoryStore.create(),
    ...overrides,
  })
}

describe.each(Fixture.transports)('Payer over %s', (_, connect) => {
  let connection: Fixture.Connection
  afterEach(async () => connection?.close())

  it('pays a -32042 once, echoing the challenge unchanged, and records the receipt {mcp.credential.echo-unchanged, mcp.challenge.id.echo, mcp.challenge.select-one, mcp.credential.source}', async () => {
    connection = await connect()
    const payer = payerFor(connection)
    const { result, receipt, payment } = await payer.callTool({
      name: 'forecast',
      arguments: { city: 'Oslo' },
    })
    expect(result.content).toEqual([{ type: 'text', text: 'sunny in Oslo (paid 100)' }])
    expect(receipt).toMatchObject({ status: 'success', method: 'test' })
    expect(payment).toMatchObject({ status: 'settled', amount: '100', currency: 'usd' })
    expect(receipt?.challengeId).toBe(payment?.challengeId)
    expect(await payer.ledger.totals()).toEqual({ usd: '100' })
  })

  it('keeps no credential in its ledger {mcp.confidentiality.client-no-log}', async () => {
    connection = await connect()
    const payer = payerFor(connection)
    await payer.callTool({ name: 'forecast', arguments: { city: 'Oslo' } })
    const kept = JSON.stringify(await payer.ledger.list())
    expect(kept).not.toContain('proof')
    expect(kept).not.toContain('payload')
  })

  it('refuses to pay beyond its budget, paying nothing', async () => {
    connection = await connect()
    const payer = payerFor(connection)
    await payer.callTool({ name: 'forecast', arguments: { city: 'Paris' } })
    const refused = await payer
      .callTool({ name: 'forecast', arguments: { city: 'Oslo' } })
      .catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(Policy.RefusedError)
    expect(refused).toMatchObject({ rule: 'budget', quote: { amount: '100' } })
    expect(await payer.ledger.list()).toHaveLength(1)
    expect((await payer.standings('usd'))[0]?.spent).toBe('150')
  })
})

describe('Payer', () => {
  let connection: Fixture.Connection
  afterEach(async () => connection?.close())

  it('calls a free tool without paying and reports no receipt', async () => {
    connection = await Fixture.inMemory()
    const { result, receipt, payment } = await payerFor(connection).callTool({
      name: 'echo',
      arguments: { text: 'hi' },
    })
    expect(result.content).toEqual([{ type: 'text', text: 'hi' }])
    expect(receipt).toBeUndefined()
    expect(payment).toBeUndefined()
  })

  it('refuses a price above its cap and a realm it does not accept {mcp.confused-deputy.per-realm-policy}', async () => {
    connection = await Fixture.inMemory()
    const capped = payerFor(connection, {
      policy: policy({ currencies: { usd: { maxAmount: '99' } }, budgets: [] }),
    })
    await expect(
      capped.callTool({ name: 'forecast', arguments: { city: 'Oslo' } }),
    ).rejects.toMatchObject({ rule: 'max-amount' })
    const otherRealm = payerFor(connection, {
      policy: policy({ realms: ['elsewhere.example.com'] }),
    })
    await expect(
      otherRealm.callTool({ name: 'forecast', arguments: { city: 'Oslo' } }),
    ).rejects.toMatchObject({ rule: 'realm' })
  })

  it('does not pay a challenge past its expiry {mcp.challenge.expired-not-fulfilled}', async () => {
    connection = await Fixture.inMemory()
    const late = payerFor(connection, { now: () => Date.now() + 3_600_000 })
    await expect(
      late.callTool({ name: 'forecast', arguments: { city: 'Oslo' } }),
    ).rejects.toMatchObject({ rule: 'expired' })
  })

  it('gives the reservation back when approval is declined', async () => {
    connection = await Fixture.inMemory()
    const payer = payerFor(connection, { policy: policy({ approve: () => false }) })
    await expect(
      payer.callTool({ name: 'forecast', arguments: { city: 'Oslo' } }),
    ).rejects.toMatchObject({ rule: 'approval' })
    expect((await payer.standings('usd'))[0]?.spent).toBe('0')
  })

  it('does not pay twice when the paid retry is refused, and marks the payment unconfirmed {mcp.errors.verification.client-retry}', async () => {
    connection = await Fixture.inMemory()
    const wrongKey = payerFor(connection, { methods: [TestMethod.client({ key: 'another-key' })] })
    const error = await wrongKey
      .callTool({ name: 'forecast', arguments: { city: 'Oslo' } })
      .catch((reason: unknown) => reason)
    expect(error).toBeInstanceOf(McpError)
    expect((error as McpError).code).toBe(-32043)
    const entries = await wrongKey.ledger.list()
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({ status: 'unconfirmed' })
  })

  it('refuses to send credentials to a plain-http server that is not listed {mcp.transport.tls}', () => {
    expect(() =>
      Payer.create({
        client: new Client({ name: 'agent', version: '1.0.0' }),
        url: 'http://tools.example.com/mcp',
        methods: [TestMethod.client({ key: Fixture.key })],
        policy: policy(),
        store: MemoryStore.create(),
      }),
    ).toThrow(Payer.InvalidOptionsError)
  })

  it('states its methods for the initialize request {mcp.capabilities.mcp-client}', async () => {
    const capabilities = Payments.capabilities([TestMethod.client({ key: Fixture.key })])
    const client = new Client({ name: 'agent', version: '1.0.0' }, { capabilities })
    connection = await Fixture.inMemory()
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
    const first = new Promise<unknown>((resolve) => {
      serverSide.onmessage = resolve
    })
    await serverSide.start()
    void client.connect(clientSide).catch(() => undefined)
    expect(await first).toMatchObject({
      method: 'initialize',
      params: {
        capabilities: { experimental: { payment: { methods: { test: { intents: ['charge'] } } } } },
      },
    })
    await client.close()
  })
})

describe('Payer, checking the operation', () => {
  it('refuses a challenge whose digest is not that of the call being made {mcp.confused-deputy.match-operation}', async () => {
    const connection = await Fixture.inMemory()
    // A client whose calls are answered with the challenge of another call.
    const forOslo = await connection.client
      .callTool({ name: 'forecast', arguments: { city: 'Oslo' } })
      .catch((error: unknown) => error)
    const misdirected = {
      callTool: async () => {
        throw forOslo
      },
    }
    const payer = payerFor({ ...connection, client: misdirected as never })
    await expect(
      payer.callTool({ name: 'forecast', arguments: { city: 'Rome' } }),
    ).rejects.toMatchObject({ rule: 'digest' })
    await connection.close()
  })
})

describe('Payer, reading challenges', () => {
  it('does not pay a challenge whose structure is not valid {mcp.capabilities.validate-challenge}', async () => {
    const connection = await Fixture.inMemory()
    const offered = (await connection.client
      .callTool({ name: 'forecast', arguments: { city: 'Oslo' } })
      .catch((error: unknown) => error)) as McpError
    const json = (offered.data as RpcError.Data).challenges[0] as Wire.JsonChallenge
    const broken = [
      { ...json, request: 'eyJhbW91bnQiOiIxMDAifQ' },
      { ...json, id: '' },
      { ...json, method: 'Test!' },
    ]
    for (const challenge of broken) {
      const client = {
        callTool: async () => {
          throw new McpError(-32042, 'Payment Required', {
            httpStatus: 402,
            challenges: [challenge],
          })
        },
      }
      await expect(
        payerFor({ ...connection, client: client as never }).callTool({
          name: 'forecast',
          arguments: { city: 'Oslo' },
        }),
      ).rejects.toMatchObject({ rule: 'unsupported' })
    }
    await connection.close()
  })
})

describe('RpcError.codes', () => {
  it('puts the payment codes in the JSON-RPC server error range {mcp.errors.server-range}', () => {
    for (const code of [
      RpcError.codes.paymentRequired,
      RpcError.codes.verificationFailed,
      RpcError.codes.serverError,
    ]) {
      expect(code).toBeGreaterThanOrEqual(-32099)
      expect(code).toBeLessThanOrEqual(-32000)
    }
  })
})

describe('Wire', () => {
  it('refuses a receipt without challengeId', () => {
    expect(
      Wire.receiptSchema.safeParse({
        status: 'success',
        method: 'test',
        timestamp: '2025-01-15T12:00:30Z',
        reference: 'x',
      }).success,
    ).toBe(false)
  })
})

describe('Payer without pinned recipients', () => {
  it('warns once for each recipient it pays that no policy names, and not once they are pinned', async () => {
    const paid = Fixture.payments()
    const recipients = ['acct_a', 'acct_b', 'acct_a']
    let served = 0
    const connect = async () => {
      const mcp = new McpServer({ name: 'rotating', version: '1.0.0' })
      paid.tool(
        mcp,
        'pay-anyone',
        // A server naming a new recipient on (almost) every call.
        { payment: { price: () => ({ amount: '1', recipient: recipients[served % 3] }) } },
        () => {
          served++
          return { content: [{ type: 'text', text: 'done' }] }
        },
      )
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
      await mcp.connect(paid.transport(serverSide))
      const client = new Client({ name: 'agent', version: '1.0.0' })
      await client.connect(clientSide)
      return client
    }
    const warnings: Payer.Warning[] = []
    const unpinned = Payer.create({
      client: await connect(),
      url: `https://${Fixture.realm}/mcp`,
      methods: [TestMethod.client({ key: Fixture.key })],
      policy: policy(),
      store: MemoryStore.create(),
      onWarning: (warning) => warnings.push(warning),
    })
    for (let i = 0; i < 3; i++) await unpinned.callTool({ name: 'pay-anyone', arguments: {} })
    expect(warnings.map((warning) => [warning.code, warning.recipient])).toEqual([
      ['recipient-not-pinned', 'acct_a'],
      ['recipient-not-pinned', 'acct_b'],
    ])
    const pinned = Payer.create({
      client: await connect(),
      url: `https://${Fixture.realm}/mcp`,
      methods: [TestMethod.client({ key: Fixture.key })],
      policy: policy({ recipients: ['acct_a'] }),
      store: MemoryStore.create(),
      onWarning: (warning) => warnings.push(warning),
    })
    served = 0
    await pinned.callTool({ name: 'pay-anyone', arguments: {} })
    await expect(pinned.callTool({ name: 'pay-anyone', arguments: {} })).rejects.toMatchObject({
      rule: 'recipient',
    })
    expect(warnings).toHaveLength(2)
  })
})
