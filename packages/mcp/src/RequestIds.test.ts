// A JSON-RPC id names one request: while a paid request is in flight, another request
// with its id is refused (-32600) and cannot touch the paid one, which settles on its own
// outcome; its credential is never usable again.
import { afterEach, describe, expect, it } from 'vitest'
import * as Connections from './test/connections.js'
import * as Raw from './test/raw.js'

/** Stateless HTTP gives every request a gate of its own: ids cannot meet there. */
const transports = Connections.all.filter(([name]) => name !== 'stateless Streamable HTTP')

/**
 * Streamable HTTP routes each response to the HTTP request that last carried its id, so a
 * client that reuses an id over sessions loses the earlier request's response (the SDK's
 * transport, not the gate): there the test reads the outcome from the server's counts.
 */
const delivered = (name: string) => name !== 'Streamable HTTP with sessions'

describe.each(transports)('a request id reused over %s', (name, connect) => {
  let connection: Connections.Connection | undefined
  afterEach(async () => connection?.close())

  it('refuses a second request with the id of a paid request in flight, which then settles once {mcp.replay.used, mcp.receipt.every-paid-success}', async () => {
    connection = await connect()
    const { raw } = connection
    const hold = { hold: true }
    const credential = await Raw.pay(await raw.call('deploy', hold))
    const id = 77
    void raw.request(
      'tools/call',
      { name: 'deploy', arguments: hold, _meta: Raw.paying(credential, { progressToken: 'p77' }) },
      { id },
    )
    // The paid handler is running once it reports progress.
    await raw.next((message) => message.method === 'notifications/progress')
    void raw.request('tools/call', { name: 'no-such-tool', arguments: {} }, { id })
    const reused = await raw.next((message) => message.id === id && message.error !== undefined)
    expect(reused.error?.code).toBe(-32600)
    await raw.call('release')
    if (delivered(name)) {
      const answer = await raw.next((message) => message.id === id && message.result !== undefined)
      expect(answer.result?.content).toEqual([{ type: 'text', text: 'deployed' }])
      expect(answer.result?._meta?.['org.paymentauth/receipt']).toMatchObject({
        challengeId: credential.challenge.id,
      })
    } else await connection.effects?.until((counts) => counts.settled === 1)
    const replayed = await raw.call('deploy', hold, Raw.paying(credential))
    expect(replayed.error?.code).toBe(-32043)
    expect(await Raw.effects(raw)).toMatchObject({ runs: { deploy: 1 }, settled: 1 })
  })

  it('refuses a paid request whose id is that of another request in flight, and leaves its credential unused', async () => {
    connection = await connect()
    const { raw } = connection
    const credential = await Raw.pay(await raw.call('deploy', {}))
    const held = await Raw.pay(await raw.call('deploy', { hold: true }))
    const id = 'shared'
    void raw.request(
      'tools/call',
      {
        name: 'deploy',
        arguments: { hold: true },
        _meta: Raw.paying(held, { progressToken: 'p' }),
      },
      { id },
    )
    await raw.next((message) => message.method === 'notifications/progress')
    void raw.request(
      'tools/call',
      { name: 'deploy', arguments: {}, _meta: Raw.paying(credential) },
      { id },
    )
    const second = await raw.next((message) => message.id === id && message.error !== undefined)
    expect(second.error?.code).toBe(-32600)
    await raw.call('release')
    if (delivered(name)) {
      const first = await raw.next((message) => message.id === id && message.result !== undefined)
      expect(first.result?._meta?.['org.paymentauth/receipt']).toBeDefined()
    } else await connection.effects?.until((counts) => counts.settled === 1)
    // The refused request used nothing: its credential still pays once.
    const paid = await raw.call('deploy', {}, Raw.paying(credential))
    expect(paid.result?._meta?.['org.paymentauth/receipt']).toBeDefined()
  })
})
