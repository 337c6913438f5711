// The gate seen from raw JSON-RPC messages (no SDK client): credential placement,
// notifications, concurrent redemption, settlement after success, and the fail-closed
// guard on handlers reached without the gate.
import { Payments as ServerPayments } from '@paywire/server'
import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'
import { describe, expect, it } from 'vitest'
import * as Fixture from '../test/fixture.js'
import * as Raw from '../test/raw.js'
import * as Wire from '../Wire.js'

/** A server behind the gate (or not: `gate: false`) and a raw client on it. */
async function raw(options: Fixture.Options & { gate?: boolean } = {}) {
  const fixture = await Fixture.inMemory(options)
  const client = await Raw.open(await fixture.open(options.gate !== false))
  return {
    request: (method: string, params: Record<string, unknown>, root?: Record<string, unknown>) =>
      client.request(method, params, root === undefined ? {} : { root }),
    notify: client.notify,
    seen: client.seen,
    effects: fixture.effects,
    close: fixture.close,
  }
}

const pay = Raw.pay

/** The test method holding the payment before the handler, capturing or releasing it after. */
function holding(calls: string[]): ReturnType<typeof TestMethod.server> {
  const test = TestMethod.server({ key: Fixture.key })
  return {
    ...test,
    async hold(parameters) {
      await test.check?.(parameters)
      calls.push('hold')
      return { authorization: 'auth_1' }
    },
    async verify(parameters) {
      calls.push('capture')
      return test.verify(parameters)
    },
    async release() {
      calls.push('release')
    },
  }
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
    await server.notify('tools/call', { ...call, _meta: { [Wire.credentialKey]: credential } })
    // Messages are handled in order: once a later ping is answered, the notification was.
    await server.request('ping', {})
    expect(server.seen.length).toBe(before + 1)
    expect(server.effects.snapshot().runs.forecast).toBeUndefined()
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
    // Every copy refused: -32043 once the challenge is used, or -32603 with httpStatus 503
    // (retry later, do not pay again) while the call that pays it holds its payment.
    const refused = answers.filter(
      (answer) =>
        answer.error?.code === -32043 ||
        (answer.error?.code === -32603 &&
          (answer.error.data as { httpStatus?: number } | undefined)?.httpStatus === 503),
    )
    expect(refused).toHaveLength(7)
    expect(server.effects.snapshot().runs.forecast).toBe(1)
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
    // The handler ran: the challenge is never released to run it again (nothing was settled).
    const again = await server.request('tools/call', {
      ...atlantis,
      _meta: { [Wire.credentialKey]: credential },
    })
    expect(again.result).toBeUndefined()
    expect(again.error?.code).toBe(-32043)
    await server.close()
  })

  it('completes a failed tool as HTTP does: after-success, the hold is given back and the payment voided; the credential stays spent {core.side-effects.unpaid}', async () => {
    const calls: string[] = []
    const store = MemoryStore.create()
    const server = await raw({ store, method: holding(calls) })
    const records = ServerPayments.create({ store, methods: [] })
    const deploy = { name: 'deploy', arguments: { fail: true } }
    const credential = await pay(await server.request('tools/call', deploy))
    const failed = await server.request('tools/call', {
      ...deploy,
      _meta: { [Wire.credentialKey]: credential },
    })
    expect(failed.result?.isError).toBe(true)
    expect(failed.result?._meta?.[Wire.receiptKey]).toBeUndefined()
    expect(calls).toEqual(['hold', 'release'])
    expect(await records.get(credential.challenge.id)).toMatchObject({
      phase: 'voided',
      note: 'handler-failed',
    })
    const again = await server.request('tools/call', {
      ...deploy,
      _meta: { [Wire.credentialKey]: credential },
    })
    expect(again.error?.code).toBe(-32043)
    expect(calls).toEqual(['hold', 'release'])
    expect(server.effects.snapshot().runs.deploy).toBe(1)
    // A tool that succeeds is captured and delivered.
    const ok = { name: 'deploy', arguments: {} }
    const paid = await pay(await server.request('tools/call', ok))
    const served = await server.request('tools/call', {
      ...ok,
      _meta: { [Wire.credentialKey]: paid },
    })
    expect(served.result?._meta).toHaveProperty([Wire.receiptKey])
    expect(calls).toEqual(['hold', 'release', 'hold', 'capture'])
    expect((await records.get(paid.challenge.id))?.phase).toBe('delivered')
    await server.close()
  })

  it('completes a failed before-handler tool as HTTP does: the payment was taken and the request answered (delivered, no receipt)', async () => {
    const store = MemoryStore.create()
    const server = await raw({ store })
    const atlantis = { name: 'forecast', arguments: { city: 'Atlantis' } }
    const credential = await pay(await server.request('tools/call', atlantis))
    const failed = await server.request('tools/call', {
      ...atlantis,
      _meta: { [Wire.credentialKey]: credential },
    })
    expect(failed.result?.isError).toBe(true)
    expect(failed.result?._meta?.[Wire.receiptKey]).toBeUndefined()
    const record = await ServerPayments.create({ store, methods: [] }).get(credential.challenge.id)
    expect(record?.phase).toBe('delivered')
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

  it('keeps paid tools, resources and prompts closed when the server is connected without the gate', async () => {
    const server = await raw({ gate: false })
    const forged = { [Wire.credentialKey]: { challenge: { id: 'x' }, payload: {} } }
    const tool = await server.request('tools/call', { ...call, _meta: forged })
    expect(tool.result?.isError).toBe(true)
    expect(JSON.stringify(tool.result?.content)).toContain('without a payment verified for it')
    for (const uri of ['data://premium/radar', 'data://premium/maps/europe']) {
      const read = await server.request('resources/read', { uri, _meta: forged })
      expect([uri, read.error?.message]).toEqual([
        uri,
        expect.stringContaining('without a payment verified for it'),
      ])
    }
    const prompt = await server.request('prompts/get', { name: 'briefing', _meta: forged })
    expect(prompt.error?.message).toContain('without a payment verified for it')
    await server.close()
  })
})

describe('what the gate refuses before the SDK sees it', () => {
  it('refuses a paid call made as a task, or tied to one, running nothing', async () => {
    const server = await raw()
    const credential = await pay(await server.request('tools/call', call))
    const meta = { [Wire.credentialKey]: credential }
    const asTask = await server.request('tools/call', {
      ...call,
      task: { ttl: 60_000 },
      _meta: meta,
    })
    expect(asTask.error?.code).toBe(-32602)
    const related = await server.request('tools/call', {
      ...call,
      _meta: { ...meta, 'io.modelcontextprotocol/related-task': { taskId: 't1' } },
    })
    expect(related.error?.code).toBe(-32602)
    expect(server.effects.snapshot().runs.forecast).toBeUndefined()
    // Neither used the credential.
    const paid = await server.request('tools/call', { ...call, _meta: meta })
    expect(paid.result?._meta).toHaveProperty([Wire.receiptKey])
  })

  it('leaves params the SDK refuses to the SDK, issuing no challenge', async () => {
    const server = await raw()
    // The SDK's own answer (its schema refuses them): an error, never a challenge.
    for (const [method, params] of [
      ['tools/call', { arguments: {} }],
      ['resources/read', { uri: 42 }],
      ['prompts/get', { name: ['briefing'] }],
    ] as const) {
      const answer = await server.request(method, params)
      expect([method, typeof answer.error?.code]).toEqual([method, 'number'])
      expect([-32042, -32043]).not.toContain(answer.error?.code)
    }
    expect(server.effects.snapshot().runs).toEqual({})
  })

  it('hands the SDK a request without the root-level _meta it cannot take', async () => {
    const server = await raw()
    const answer = await server.request(
      'tools/call',
      { name: 'echo', arguments: { text: 'hi' } },
      { _meta: { [Wire.credentialKey]: { nonsense: true } } },
    )
    expect(answer.result?.content).toEqual([{ type: 'text', text: 'hi' }])
  })
})
