// The second check inside paid handlers, and what the gate settles when the SDK answers a
// paid request without its paid handler: a handler registered through `Payments` runs
// only for a payment the gate verified for that very operation and request.
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js'
import { Paywire } from '@paywire/server'
import { describe, expect, it } from 'vitest'
import type * as Payments from './Payments.js'
import * as Effects from './test/effects.js'
import * as Fixture from './test/fixture.js'
import * as Raw from './test/raw.js'

/** A server built by `build`, behind the gate, and a raw client on it. */
async function serve(
  build: (mcp: McpServer, effects: Effects.Effects, payments: Payments.Payments) => void,
) {
  const effects = Effects.create()
  const payments = Fixture.payments({ effects })
  const mcp = new McpServer({ name: 'guarded', version: '1.0.0' })
  build(mcp, effects, payments)
  const [client, server] = InMemoryTransport.createLinkedPair()
  await mcp.connect(payments.transport(server))
  return { effects, raw: await Raw.open(client) }
}

describe('a guarded handler', () => {
  it('refuses a payment the gate verified for another operation', async () => {
    const { effects, raw } = await serve((mcp, effects, payments) => {
      // The gate tries `first` before `second`; the SDK holds `second` before `first`.
      payments.protect(
        { method: 'resources/read', template: 'data://x/{b}', name: 'first' },
        { price: { amount: '1' } },
      )
      payments.resource(
        mcp,
        'second',
        new ResourceTemplate('data://x/{a}', { list: undefined }),
        { payment: { price: { amount: '9' } } },
        (uri) => {
          effects.ran('second')
          return { contents: [{ uri: uri.href, text: 'second' }] }
        },
      )
      mcp.registerResource(
        'first',
        new ResourceTemplate('data://x/{b}', { list: undefined }),
        {},
        (uri) => {
          effects.ran('first')
          return { contents: [{ uri: uri.href, text: 'first' }] }
        },
      )
    })
    const offered = await raw.request('resources/read', { uri: 'data://x/1' })
    const credential = await Raw.pay(offered)
    expect(credential.challenge.request).toMatchObject({ amount: '1' })
    const answer = await raw.request('resources/read', {
      uri: 'data://x/1',
      _meta: Raw.paying(credential),
    })
    expect(answer.error?.message).toContain('without a payment verified for it')
    expect(effects.snapshot().runs).toEqual({})
    await raw.close()
  })

  it('settles nothing after success when the SDK served the request with another handler', async () => {
    const { effects, raw } = await serve((mcp, counts, payments) => {
      // Registered first, an exact resource wins over the paid template, as the SDK resolves.
      mcp.registerResource('free', 'data://premium/maps/free', {}, (uri) => ({
        contents: [{ uri: uri.href, text: 'free map' }],
      }))
      payments.resource(
        mcp,
        'maps',
        new ResourceTemplate('data://premium/maps/{region}', { list: undefined }),
        { payment: { price: { amount: '5' }, settle: 'after-success' } },
        (uri) => {
          counts.ran('maps')
          return { contents: [{ uri: uri.href, text: 'paid map' }] }
        },
      )
    })
    const uri = 'data://premium/maps/free'
    const credential = await Raw.pay(await raw.request('resources/read', { uri }))
    const answer = await raw.request('resources/read', { uri, _meta: Raw.paying(credential) })
    expect(answer.result?.contents).toEqual([{ uri, text: 'free map' }])
    expect(answer.result?._meta?.['org.paymentauth/receipt']).toBeUndefined()
    expect(effects.snapshot()).toMatchObject({ runs: {}, settled: 0 })
    await raw.close()
  })
})

describe('Payments.resource', () => {
  it('refuses a URI the SDK could never look up as written', () => {
    const payments = Fixture.payments()
    const mcp = new McpServer({ name: 'x', version: '1.0.0' })
    const read = (uri: URL) => ({ contents: [{ uri: uri.href, text: 'x' }] })
    const payment = { price: { amount: '1' } }
    for (const uri of ['DATA://premium/radar', 'data://premium/x/../radar', 'not a url'])
      expect(() => payments.resource(mcp, uri, uri, { payment }, read)).toThrow(
        Paywire.ConfigurationError,
      )
  })
})
