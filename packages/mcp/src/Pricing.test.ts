// A tool is priced from the arguments its handler receives: as its input schema parses
// them, not as the client wrote them (`z.string().trim()` turns "Paris " into "Paris").
import { afterEach, describe, expect, it } from 'vitest'
import * as Connections from './test/connections.js'
import * as Raw from './test/raw.js'

const transports = Connections.all.filter(([name]) => name !== 'Streamable HTTP with sessions')

describe.each(transports)('the price of a paid tool over %s', (_, connect) => {
  let connection: Connections.Connection | undefined
  afterEach(async () => connection?.close())

  it('is computed from the schema-parsed arguments the handler is served', async () => {
    connection = await connect()
    const { raw } = connection
    for (const city of ['Paris', 'Paris ', ' Paris', '\tParis\n']) {
      const offered = await raw.call('forecast', { city })
      const data = offered.error?.data as { challenges?: Array<{ request: unknown }> } | undefined
      expect([city, data?.challenges?.[0]?.request]).toEqual([
        city,
        { amount: '150', currency: 'usd' },
      ])
      const credential = await Raw.pay(offered)
      const paid = await raw.call('forecast', { city }, Raw.paying(credential))
      expect(paid.result?.content).toEqual([{ type: 'text', text: 'sunny in Paris (paid 150)' }])
    }
  })

  it('issues no challenge for arguments the schema refuses, and runs nothing', async () => {
    connection = await connect()
    const { raw } = connection
    const answer = await raw.call('forecast', { city: 42 })
    expect(answer.error?.code).not.toBe(-32042)
    expect(answer.result?.isError ?? answer.error !== undefined).toBe(true)
    expect((await Raw.effects(raw)).runs.forecast).toBeUndefined()
  })
})
