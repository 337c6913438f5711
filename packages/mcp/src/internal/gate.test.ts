// The gate seen from raw JSON-RPC messages (no SDK client): credential placement,
// notifications, concurrent redemption, settlement after success, and the fail-closed
// guard on handlers reached without the gate.
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import { Challenge } from '@paywire/core'
import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'
import { describe, expect, it } from 'vitest'
import type * as RpcError from '../RpcError.js'
import * as Fixture from '../test/fixture.js'
import * as Wire from '../Wire.js'

type Answer = {
  id?: number
  result?: Record<string, unknown> & { _meta?: Record<string, unknown> }
  error?: RpcError.RpcError
}

/** A server behind the gate and a raw client transport that collects answers by id. */
async function raw(options: Fixture.Options & { gate?: boolean } = {}) {
  const paid = Fixture.payments(options)
  const server = Fixture.server(paid, options)
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
  await server.connect(options.gate === false ? serverSide : paid.transport(serverSide))
  const answers = new Map<number, (answer: Answer) => void>()
  const seen: Answer[] = []
  clientSide.onmessage = (message) => {
    seen.push(message as Answer)
    answers.get((message as Answer).id ?? -1)?.(message as Answer)
  }
  await clientSide.start()
  let next = 1
  const send = (message: Record<string, unknown>) => clientSide.send(message as JSONRPCMessage)
  const request = (method: string, params: Record<string, unknown>, extra = {}) => {
    const id = next++
    const answer = new Promise<Answer>((resolve) => answers.set(id, resolve))
    void send({ jsonrpc: '2.0', id, method, params, ...extra })
    return answer
  }
  await request('initialize', {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1.0.0' },
  })
  await send({ jsonrpc: '2.0', method: 'notifications/initialized' })
  return { request, send, seen, close: () => server.close() }
}

const payer = TestMethod.client({ key: Fixture.key })

async function pay(answer: Answer): Promise<Wire.JsonCredential> {
  const data = answer.error?.data as RpcError.Data
  const json = data.challenges[0] as Wire.JsonChallenge
  const challenge = Wire.fromJsonChallenge(json)
  const { payload } = await payer.createCredential({
    challenge,
    request: Challenge.decodeRequest(challenge) as never,
  })
  return { challenge: json, payload }
}

const call = { name: 'forecast', arguments: { city: 'Oslo' } }

describe('the payment gate', () => {
  it('accepts the credential in root-level or nested _meta, and refuses both at once {mcp.meta.both-locations, mcp.meta.no-required-placement, mcp.credential.single}', async () => {
    const server = await raw()
    const rootCredential = await pay(await server.request('tools/call', call))
    const root = await server.request('tools/call', call, {
      _meta: { [Wire.credentialKey]: rootCredential },
    })
    expect(root.result?._meta).toMatchObject({
      [Wire.receiptKey]: { challengeId: rootCredential.challenge.id },
    })
    const nestedCredential = await pay(await server.request('tools/call', call))
    const nested = await server.request('tools/call', {
      ...call,
      _meta: { [Wire.credentialKey]: nestedCredential },
    })
    expect(nested.result?._meta).toMatchObject({
      [Wire.receiptKey]: { challengeId: nestedCredential.challenge.id },
    })
    const a = await pay(await server.request('tools/call', call))
    const b = await pay(await server.request('tools/call', call))
    const both = await server.request(
      'tools/call',
      { ...call, _meta: { [Wire.credentialKey]: a } },
      { _meta: { [Wire.credentialKey]: b } },
    )
    expect(both.error?.code).toBe(-32602)
    await server.close()
  })

  it('never runs a paid operation sent as a notification, and answers nothing {mcp.notifications.not-processed, mcp.notifications.drop-silently}', async () => {
    const server = await raw()
    const credential = await pay(await server.request('tools/call', call))
    const before = server.seen.length
    await server.send({
      jsonrpc: '2.0',
      method: 'tools/call',
      params: { ...call, _meta: { [Wire.credentialKey]: credential } },
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(server.seen.length).toBe(before)
    // The challenge was not consumed by the notification.
    const paid = await server.request('tools/call', {
      ...call,
      _meta: { [Wire.credentialKey]: credential },
    })
    expect(paid.result?._meta).toHaveProperty([Wire.receiptKey])
    await server.close()
  })

  it('lets exactly one of concurrent calls redeem a challenge {mcp.replay.atomic}', async () => {
    const server = await raw()
    const credential = await pay(await server.request('tools/call', call))
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        server.request('tools/call', { ...call, _meta: { [Wire.credentialKey]: credential } }),
      ),
    )
    expect(answers.filter((answer) => answer.result !== undefined)).toHaveLength(1)
    expect(answers.filter((answer) => answer.error?.code === -32043)).toHaveLength(7)
    await server.close()
  })

  it('settles after success: a tool error result carries no receipt and spends the challenge (the after-success model: the tool never runs twice for it)', async () => {
    const server = await raw({ settle: 'after-success' })
    const atlantis = { name: 'forecast', arguments: { city: 'Atlantis' } }
    const credential = await pay(await server.request('tools/call', atlantis))
    const failed = await server.request('tools/call', {
      ...atlantis,
      _meta: { [Wire.credentialKey]: credential },
    })
    expect(failed.result?.isError).toBe(true)
    expect(failed.result?._meta?.[Wire.receiptKey]).toBeUndefined()
    // Nothing was settled, and the challenge is spent: the tool does not run again for it.
    const again = await server.request('tools/call', {
      ...atlantis,
      _meta: { [Wire.credentialKey]: credential },
    })
    expect(again.result).toBeUndefined()
    expect(again.error?.code).toBe(-32043)
    await server.close()
  })

  it('answers a store failure with -32603 and runs nothing {mcp.errors.map.internal}', async () => {
    const failing = MemoryStore.create()
    const server = await raw({
      store: {
        ...failing,
        claim: async () => {
          throw new Error('store down')
        },
        compareAndSwap: async () => {
          throw new Error('store down')
        },
      },
    })
    const credential = await pay(await server.request('tools/call', call))
    const answer = await server.request('tools/call', {
      ...call,
      _meta: { [Wire.credentialKey]: credential },
    })
    expect(answer.error?.code).toBe(-32603)
    expect(answer.error?.data).toMatchObject({ httpStatus: 503 })
    await server.close()
  })

  it('logs no credential material {mcp.confidentiality.server-no-log}', async () => {
    const entries: unknown[] = []
    const server = await raw({ logger: (entry) => entries.push(entry) })
    const credential = await pay(await server.request('tools/call', call))
    await server.request('tools/call', { ...call, _meta: { [Wire.credentialKey]: credential } })
    await server.request('tools/call', { ...call, _meta: { [Wire.credentialKey]: credential } })
    expect(entries.length).toBeGreaterThan(2)
    const logged = JSON.stringify(entries)
    expect(logged).not.toContain(String(credential.payload.proof))
    expect(logged).not.toContain('org.paymentauth')
    await server.close()
  })

  it('answers a credential for a method the operation does not take with -32602', async () => {
    const server = await raw()
    const credential = await pay(await server.request('tools/call', call))
    const other = { ...credential, challenge: { ...credential.challenge, method: 'other' } }
    const answer = await server.request('tools/call', {
      ...call,
      _meta: { [Wire.credentialKey]: other },
    })
    expect(answer.error?.code).toBe(-32602)
    expect(answer.error?.data).toMatchObject({ httpStatus: 400 })
    await server.close()
  })

  it('lets the throttle hook refuse challenge issuance with -32000 and httpStatus 429 {mcp.dos.rate-limit}', async () => {
    let calls = 0
    const server = await raw({ hooks: { throttle: () => (++calls > 1 ? 30 : 0) } })
    expect((await server.request('tools/call', call)).error?.code).toBe(-32042)
    const throttled = await server.request('tools/call', call)
    expect(throttled.error?.code).toBe(-32000)
    expect(throttled.error?.data).toMatchObject({ httpStatus: 429 })
    await server.close()
  })

  it('answers a payment the access policy denies with -32000 and httpStatus 403, without running the tool', async () => {
    const server = await raw({ hooks: { authorize: () => false } })
    const credential = await pay(await server.request('tools/call', call))
    const answer = await server.request('tools/call', {
      ...call,
      _meta: { [Wire.credentialKey]: credential },
    })
    expect(answer.error?.code).toBe(-32000)
    expect(answer.error?.data).toMatchObject({ httpStatus: 403 })
    expect(answer.result).toBeUndefined()
    await server.close()
  })

  it('keeps a paid tool closed when the server is connected without the gate', async () => {
    const server = await raw({ gate: false })
    const answer = await server.request('tools/call', {
      ...call,
      _meta: { [Wire.credentialKey]: { challenge: { id: 'x' }, payload: {} } },
    })
    expect(answer.result?.isError).toBe(true)
    expect(JSON.stringify(answer.result?.content)).toContain('without a verified payment')
    await server.close()
  })
})
