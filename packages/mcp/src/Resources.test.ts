// Paid resources are read only for a payment, whatever the spelling of their URI: the
// gate resolves a URI as the SDK does (`new URL(uri).toString()`, exact resources, then
// templates), protects templates, and refuses a URI that cannot be resolved.
import { afterEach, describe, expect, it } from 'vitest'
import * as Connections from './test/connections.js'
import * as Raw from './test/raw.js'

/** Spellings the SDK resolves to a paid resource (radar, q1, or the maps template). */
const spellings = [
  'DATA://premium/radar',
  ' data://premium/radar',
  'data://premium/ra\tdar',
  'data://premium/x/../radar',
  'data://premium/./radar',
  'https://DATA.example.com/reports/q1',
  'https://data.example.com:443/reports/q1',
  'HTTPS://data.example.com/reports/./q1',
  'data://premium/maps/europe',
  'DATA://premium/maps/europe',
  'data://premium/maps/x/../asia',
]

describe.each(Connections.all)('a paid resource over %s', (_, connect) => {
  let connection: Connections.Connection | undefined
  afterEach(async () => connection?.close())

  it('answers every spelling of a paid URI with -32042 and never serves it unpaid {mcp.challenge.code, mcp.operations.resources}', async () => {
    connection = await connect()
    const { raw } = connection
    for (const uri of spellings) {
      const answer = await raw.request('resources/read', { uri })
      expect([uri, answer.error?.code, answer.result]).toEqual([uri, -32042, undefined])
    }
    const { runs } = await Raw.effects(raw)
    expect([runs.radar, runs.q1, runs.maps]).toEqual([undefined, undefined, undefined])
  })

  it('serves a template match once paid, with its receipt', async () => {
    connection = await connect()
    const { raw } = connection
    const uri = 'data://premium/maps/europe'
    const credential = await Raw.pay(await raw.request('resources/read', { uri }))
    const paid = await raw.request('resources/read', { uri, _meta: Raw.paying(credential) })
    expect(paid.result?.contents).toEqual([{ uri, text: 'map of europe' }])
    expect(paid.result?._meta?.['org.paymentauth/receipt']).toMatchObject({
      challengeId: credential.challenge.id,
    })
  })

  it('refuses a resource URI it cannot resolve with -32602, running nothing', async () => {
    connection = await connect()
    const { raw } = connection
    for (const uri of ['not a uri', 'data', '']) {
      const answer = await raw.request('resources/read', { uri })
      expect([uri, answer.error?.code]).toEqual([uri, -32602])
    }
  })

  it('serves a free resource without payment', async () => {
    connection = await connect()
    const answer = await connection.raw.request('resources/read', { uri: 'data://free/info' })
    expect(answer.result?.contents).toEqual([{ uri: 'data://free/info', text: 'free info' }])
  })
})
