// Between JSON-RPC and the server core: which origin the core sees (the TLS rule), and a
// kept paid result given back with its receipt.
import { Receipt } from '@paywire/core'
import { describe, expect, it } from 'vitest'
import * as Wire from '../Wire.js'
import { fromResponse, localOrigin, originOf, toResponse } from './bridge.js'

const receipt = Receipt.serialize(
  Receipt.from({ method: 'test', reference: 'test_1', timestamp: '2026-01-01T00:00:00Z' }),
)

describe('originOf', () => {
  it('is the local origin without request information (stdio, in-memory)', () => {
    expect(originOf(undefined)).toBe(localOrigin)
    expect(originOf({})).toBe(localOrigin)
  })

  it("is the HTTP request's own origin on a network transport, plain HTTP when unknown", () => {
    const headers = {}
    expect(originOf({ requestInfo: { headers, url: new URL('http://127.0.0.1:8/mcp') } })).toBe(
      'http://127.0.0.1:8',
    )
    expect(originOf({ requestInfo: { headers, url: new URL('https://tools.example/mcp') } })).toBe(
      'https://tools.example',
    )
    expect(originOf({ requestInfo: { headers } })).toMatch(/^http:\/\//)
  })
})

describe('fromResponse', () => {
  it('gives back a kept result with the receipt of its header', async () => {
    const kept = toResponse({ content: [{ type: 'text', text: 'done' }] })
    kept.headers.set(Receipt.headerName, receipt)
    expect(await fromResponse(kept, 'ch_1')).toEqual({
      content: [{ type: 'text', text: 'done' }],
      _meta: {
        [Wire.receiptKey]: expect.objectContaining({ challengeId: 'ch_1', status: 'success' }),
      },
    })
  })

  it('gives back nothing for a refusal, a response without receipt, or a body that is no result', async () => {
    const refusal = new Response('{}', { status: 402, headers: { [Receipt.headerName]: receipt } })
    expect(await fromResponse(refusal, 'ch_1')).toBeUndefined()
    expect(await fromResponse(toResponse({ content: [] }), 'ch_1')).toBeUndefined()
    for (const body of ['not json', '[1]', 'null'])
      expect(
        await fromResponse(
          new Response(body, { status: 200, headers: { [Receipt.headerName]: receipt } }),
          'ch_1',
        ),
      ).toBeUndefined()
  })
})
