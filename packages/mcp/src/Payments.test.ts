// End to end with the real MCP SDK: a paid server over the in-memory and the Streamable
// HTTP transports, called by a plain SDK client that builds credentials itself, so every
// answer of the gate is seen as it travels.
import { type McpError, UrlElicitationRequiredError } from '@modelcontextprotocol/sdk/types.js'
import { Challenge } from '@paywire/core'
import { TestMethod } from '@paywire/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import type * as RpcError from './RpcError.js'
import * as Fixture from './test/fixture.js'
import * as Wire from './Wire.js'

const payer = TestMethod.client({ key: Fixture.key })

/** A credential for the first challenge of a -32042 error, made with the test method. */
async function credentialFor(error: McpError): Promise<Wire.JsonCredential> {
  const json = (error.data as RpcError.Data).challenges[0] as Wire.JsonChallenge
  const challenge = Wire.fromJsonChallenge(json)
  const { payload } = await payer.createCredential({
    challenge,
    request: Challenge.decodeRequest(challenge) as never,
  })
  return { challenge: json, payload }
}

const withCredential = (credential: unknown, args: Record<string, unknown> = { city: 'Oslo' }) => ({
  name: 'forecast',
  arguments: args,
  _meta: { [Wire.credentialKey]: credential },
})

describe.each(Fixture.transports)('a paid tool over %s', (_, connect) => {
  let connection: Fixture.Connection
  afterEach(async () => connection?.close())

  it('answers a call without credential with -32042 and its challenges in error data, through the SDK {mcp.challenge.code, mcp.challenge.http-status, mcp.challenge.data-challenges, mcp.challenge.fields, mcp.challenge.request.native, mcp.operations.tools, mcp.iana.codes}', async () => {
    connection = await connect()
    const error = await Fixture.refusal(
      connection.client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } }),
    )
    // MCP gives -32042 to URL elicitation too: the SDK must not read ours as one.
    expect(error).not.toBeInstanceOf(UrlElicitationRequiredError)
    expect(error.code).toBe(-32042)
    expect(error.message).toContain('Payment Required')
    const data = error.data as RpcError.Data
    expect(data.httpStatus).toBe(402)
    expect(data.problem?.type).toBe('https://paymentauth.org/problems/payment-required')
    expect(data.challenges).toHaveLength(1)
    const challenge = data.challenges[0] as Wire.JsonChallenge
    expect(challenge).toMatchObject({
      realm: Fixture.realm,
      method: 'test',
      intent: 'charge',
      request: { amount: '100', currency: 'usd' },
      description: 'One forecast',
    })
    expect(typeof challenge.id).toBe('string')
    expect(typeof challenge.expires).toBe('string')
  })

  it('runs the tool for a valid credential and returns the receipt in result _meta {mcp.credential.fields, mcp.receipt.key, mcp.receipt.every-paid-success, mcp.receipt.fields, mcp.receipt.status-success}', async () => {
    connection = await connect()
    const credential = await credentialFor(
      await Fixture.refusal(
        connection.client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } }),
      ),
    )
    const result = await connection.client.callTool(withCredential(credential))
    expect(result.content).toEqual([{ type: 'text', text: 'sunny in Oslo (paid 100)' }])
    const receipt = Wire.receiptSchema.parse(result._meta?.[Wire.receiptKey])
    expect(receipt).toMatchObject({
      status: 'success',
      method: 'test',
      challengeId: credential.challenge.id,
    })
    expect(receipt.reference).toMatch(/^test_/)
  })

  it('answers a credential whose proof does not verify with -32043, a fresh challenge and the failure {mcp.errors.verification.fresh-challenge, mcp.errors.failure-fields, mcp.errors.map.verification-failed, mcp.iana.codes}', async () => {
    connection = await connect()
    const credential = await credentialFor(
      await Fixture.refusal(
        connection.client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } }),
      ),
    )
    const forged = { ...credential, payload: { proof: 'A'.repeat(43) } }
    const error = await Fixture.refusal(connection.client.callTool(withCredential(forged)))
    expect(error.code).toBe(-32043)
    const data = error.data as RpcError.Data
    expect(data.failure).toMatchObject({ reason: 'verification-failed' })
    expect(data.challenges).toHaveLength(1)
    expect((data.challenges[0] as Wire.JsonChallenge).id).not.toBe(credential.challenge.id)
  })

  it('answers a credential missing a required member with -32602 naming it {mcp.errors.map.malformed-credential, mcp.credential.fields}', async () => {
    connection = await connect()
    const credential = await credentialFor(
      await Fixture.refusal(
        connection.client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } }),
      ),
    )
    const { id: _id, ...withoutId } = credential.challenge
    const error = await Fixture.refusal(
      connection.client.callTool(withCredential({ ...credential, challenge: withoutId })),
    )
    expect(error.code).toBe(-32602)
    expect(error.data).toEqual({ detail: 'missing required field: credential.challenge.id' })
    const noPayload = await Fixture.refusal(
      connection.client.callTool(withCredential({ challenge: credential.challenge })),
    )
    expect(noPayload.code).toBe(-32602)
  })

  it('refuses a replayed credential with -32043 invalid-challenge {mcp.replay.used}', async () => {
    connection = await connect()
    const credential = await credentialFor(
      await Fixture.refusal(
        connection.client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } }),
      ),
    )
    await connection.client.callTool(withCredential(credential))
    const error = await Fixture.refusal(connection.client.callTool(withCredential(credential)))
    expect(error.code).toBe(-32043)
    expect((error.data as RpcError.Data).failure).toMatchObject({
      reason: 'invalid-challenge',
      detail: 'challenge was already used',
    })
  })

  it('refuses a credential for an expired challenge with payment-expired (core -01) {mcp.replay.expired, core.status.payment-expired}', async () => {
    const clock = { now: Date.now() }
    connection = await connect({ clock })
    const credential = await credentialFor(
      await Fixture.refusal(
        connection.client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } }),
      ),
    )
    clock.now += 301_000 + 31_000
    const error = await Fixture.refusal(connection.client.callTool(withCredential(credential)))
    expect(error.code).toBe(-32043)
    expect((error.data as RpcError.Data).failure?.reason).toBe('payment-expired')
    expect((error.data as RpcError.Data).failure?.detail).toMatch(/^challenge expired at /)
  })

  it('refuses a challenge whose %s was changed {mcp.challenge.id.bound, mcp.challenge.request.jcs, mcp.replay.unknown}', async () => {
    connection = await connect()
    const credential = await credentialFor(
      await Fixture.refusal(
        connection.client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } }),
      ),
    )
    const tampered = [
      { ...credential.challenge, request: { ...credential.challenge.request, amount: '1' } },
      { ...credential.challenge, realm: 'other.example.com' },
      { ...credential.challenge, expires: '2999-01-01T00:00:00Z' },
      { ...credential.challenge, id: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    ]
    for (const challenge of tampered) {
      const error = await Fixture.refusal(
        connection.client.callTool(withCredential({ ...credential, challenge })),
      )
      expect(error.code).toBe(-32043)
      expect((error.data as RpcError.Data).failure?.reason).toBe('invalid-challenge')
    }
    // Key order does not matter: both sides canonicalize `request` (RFC 8785).
    const reordered = { currency: 'usd', amount: '100' }
    const result = await connection.client.callTool(
      withCredential({ ...credential, challenge: { ...credential.challenge, request: reordered } }),
    )
    expect(result.isError).toBeUndefined()
  })

  it('refuses a credential bought for another tool or other arguments {mcp.binding.operation}', async () => {
    connection = await connect()
    const credential = await credentialFor(
      await Fixture.refusal(
        connection.client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } }),
      ),
    )
    const otherTool = await Fixture.refusal(
      connection.client.callTool({ ...withCredential(credential), name: 'alerts', arguments: {} }),
    )
    expect(otherTool.code).toBe(-32043)
    const otherArgs = await Fixture.refusal(
      connection.client.callTool(withCredential(credential, { city: 'Rome' })),
    )
    expect(otherArgs.code).toBe(-32043)
    expect((otherArgs.data as RpcError.Data).failure?.reason).toBe('invalid-challenge')
  })

  it('prices from the arguments', async () => {
    connection = await connect()
    const error = await Fixture.refusal(
      connection.client.callTool({ name: 'forecast', arguments: { city: 'Paris' } }),
    )
    expect((error.data as RpcError.Data).challenges[0]).toMatchObject({
      request: { amount: '150' },
    })
  })

  it('ignores a credential on a free tool and never lets a receipt out on it {mcp.meta.ignore-unpaid, mcp.receipt.not-unpaid}', async () => {
    connection = await connect()
    const result = await connection.client.callTool({
      name: 'echo',
      arguments: { text: 'hi' },
      _meta: { [Wire.credentialKey]: { nonsense: true } },
    })
    expect(result.content).toEqual([{ type: 'text', text: 'hi' }])
    expect(result._meta?.[Wire.receiptKey]).toBeUndefined()
  })

  it('charges for a resource read {mcp.operations.resources}', async () => {
    connection = await connect()
    const error = await Fixture.refusal(
      connection.client.readResource({ uri: 'data://premium/radar' }),
    )
    expect(error.code).toBe(-32042)
    const json = (error.data as RpcError.Data).challenges[0] as Wire.JsonChallenge
    const { payload } = await payer.createCredential({
      challenge: Wire.fromJsonChallenge(json),
      request: json.request as never,
    })
    const result = await connection.client.readResource({
      uri: 'data://premium/radar',
      _meta: { [Wire.credentialKey]: { challenge: json, payload } },
    })
    expect(result.contents[0]).toMatchObject({ text: 'radar image' })
    expect(result._meta?.[Wire.receiptKey]).toMatchObject({ challengeId: json.id })
  })

  it('charges for a prompt {mcp.operations.prompts}', async () => {
    connection = await connect()
    const error = await Fixture.refusal(connection.client.getPrompt({ name: 'briefing' }))
    expect(error.code).toBe(-32042)
    const json = (error.data as RpcError.Data).challenges[0] as Wire.JsonChallenge
    expect(json.request).toEqual({ amount: '1', currency: 'usd' })
    const { payload } = await payer.createCredential({
      challenge: Wire.fromJsonChallenge(json),
      request: json.request as never,
    })
    const result = await connection.client.getPrompt({
      name: 'briefing',
      _meta: { [Wire.credentialKey]: { challenge: json, payload } },
    })
    expect(result.messages).toHaveLength(1)
    expect(result._meta?.[Wire.receiptKey]).toMatchObject({ challengeId: json.id })
  })

  it('advertises its methods in the initialize result {mcp.capabilities.mcp-server, mcp.capabilities.intents}', async () => {
    connection = await connect()
    expect(connection.client.getServerCapabilities()?.experimental).toEqual({
      payment: { methods: { test: { intents: ['charge'] } } },
    })
  })
})
