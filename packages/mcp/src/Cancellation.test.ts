// The after-success model, MCP face: once a paid request is handed to its handler, its
// challenge is never released. A client that cancels or disconnects mid-handler gets no
// free side effect: the handler's success settles, and the credential never runs the
// handler again.
import { afterEach, describe, expect, it } from 'vitest'
import * as Connections from './test/connections.js'
import * as Raw from './test/raw.js'

const hold = { hold: true }

/** Pays `deploy` and starts it (held), resolving once the handler runs. */
async function started(raw: Raw.Raw, id: number) {
  const credential = await Raw.pay(await raw.call('deploy', hold))
  const answer = raw.request(
    'tools/call',
    { name: 'deploy', arguments: hold, _meta: Raw.paying(credential, { progressToken: `p${id}` }) },
    { id },
  )
  await raw.next((message) => message.method === 'notifications/progress')
  return { credential, answer }
}

/** Connections whose cancellation reaches the paid request's own gate. */
const connected = Connections.all.filter(([name]) => name !== 'stateless Streamable HTTP')

describe.each(connected)('a paid request cancelled over %s', (_, connect) => {
  let connection: Connections.Connection | undefined
  afterEach(async () => connection?.close())

  it('keeps running its handler, settles its success and refuses its credential again {mcp.replay.used}', async () => {
    connection = await connect()
    const { raw } = connection
    const { credential, answer } = await started(raw, 5)
    await raw.notify('notifications/cancelled', { requestId: 5, reason: 'changed my mind' })
    await raw.call('release')
    expect((await answer).result?._meta?.['org.paymentauth/receipt']).toMatchObject({
      challengeId: credential.challenge.id,
    })
    const replayed = await raw.call('deploy', hold, Raw.paying(credential))
    expect(replayed.error?.code).toBe(-32043)
    expect(await Raw.effects(raw)).toMatchObject({ runs: { deploy: 1 }, settled: 1 })
  })

  it('settles nothing for a handler that fails, and never releases its challenge', async () => {
    connection = await connect()
    const { raw } = connection
    const failing = { fail: true }
    const credential = await Raw.pay(await raw.call('deploy', failing))
    const failed = await raw.call('deploy', failing, Raw.paying(credential))
    expect(failed.result?.isError).toBe(true)
    expect(failed.result?._meta?.['org.paymentauth/receipt']).toBeUndefined()
    const again = await raw.call('deploy', failing, Raw.paying(credential))
    expect(again.error?.code).toBe(-32043)
    expect(await Raw.effects(raw)).toMatchObject({ runs: { deploy: 1 }, settled: 0 })
  })
})

/** Transports whose server lives in this process, so the test can release the handler. */
const inProcess = Connections.all.filter(([name]) => name !== 'stdio')

describe.each(inProcess)('a client that disconnects mid-handler over %s', (name, connect) => {
  let connection: Connections.Connection | undefined
  afterEach(async () => connection?.close())

  it('gets no free side effect: the handler settles, its credential never runs it again', async () => {
    connection = await connect()
    const effects = connection.effects as NonNullable<Connections.Connection['effects']>
    const { credential } = await started(connection.raw, 9)
    if (name === 'Streamable HTTP with sessions')
      await (
        connection.raw.transport as unknown as { terminateSession(): Promise<void> }
      ).terminateSession()
    await connection.raw.close()
    // Over stateless HTTP the server learns of the disconnection when the request aborts.
    if (name === 'stateless Streamable HTTP') await effects.until((counts) => counts.aborted === 1)
    expect(effects.release()).toBe(1)
    const other = await connection.another()
    const replayed = await other.call('deploy', hold, Raw.paying(credential))
    expect(replayed.error?.code).toBe(-32043)
    expect(await effects.until((counts) => counts.settled === 1)).toMatchObject({
      runs: { deploy: 1 },
      settled: 1,
    })
  })
})
