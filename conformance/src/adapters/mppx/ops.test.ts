// The mppx adapter's envelope and operations: mppx's own codecs answer, refusals get the
// operation's error type, and what mppx has no public function for is unsupported.
import { Challenge } from '@paywire/core'
import { describe, expect, it } from 'vitest'
import * as Mppx from './ops.js'

const header =
  'Payment id="ch_1", realm="api.example.com", method="tempo", intent="charge", request="eyJhbW91bnQiOiIxMDAwIn0", expires="2030-01-01T00:00:00Z"'
const request = (op: string, input: unknown) => JSON.stringify({ schema: 1, op, input })

describe('the mppx adapter', () => {
  it("parses and formats a challenge with mppx's codecs, round trip", () => {
    const parsed = Mppx.handle(request('challenge.parse', { header }))
    expect(parsed).toEqual({
      ok: true,
      value: {
        id: 'ch_1',
        realm: 'api.example.com',
        method: 'tempo',
        intent: 'charge',
        request: { amount: '1000' },
        expires: '2030-01-01T00:00:00Z',
      },
    })
    const formatted = Mppx.handle(request('challenge.format', parsed.ok ? parsed.value : null))
    expect(formatted.ok).toBe(true)
    const text = (formatted as { value: { header: string } }).value.header
    expect(Challenge.deserialize(text)).toMatchObject({
      id: 'ch_1',
      request: 'eyJhbW91bnQiOiIxMDAwIn0',
    })
  })

  it('formats a credential that parses back, and computes challenge ids with a secret', () => {
    const challenge = { id: 'ch_1', realm: 'r', method: 'tempo', intent: 'charge', request: {} }
    const formatted = Mppx.handle(
      request('credential.format', { challenge, payload: { type: 'hash' }, source: null }),
    )
    expect(formatted.ok).toBe(true)
    const authorization = (formatted as { value: { header: string } }).value.header
    expect(Mppx.handle(request('credential.parse', { header: authorization }))).toEqual({
      ok: true,
      value: { challenge, payload: { type: 'hash' } },
    })
    const { id: _id, ...fields } = challenge
    const id = Mppx.handle(request('challenge.id', { secretKey: 'k', ...fields }))
    expect(id).toMatchObject({ ok: true, value: { id: expect.stringMatching(/^[\w-]{43}$/) } })
  })

  it("answers mppx's refusals with the operation's error type", () => {
    expect(Mppx.handle(request('challenge.parse', { header: 'Basic realm="x"' }))).toMatchObject({
      ok: false,
      error: { type: 'parse_error' },
    })
    expect(
      Mppx.handle(request('receipt.format', { method: 'tempo', status: 'failed' })),
    ).toMatchObject({ ok: false, error: { type: 'format_error' } })
    expect(
      Mppx.handle(request('challenge.id', { secretKey: 'k', realm: 'r', method: 'tempo' })),
    ).toMatchObject({ ok: false, error: { type: 'generation_error' } })
  })

  it('answers unsupported_operation for base64url (mppx exports no codec) and a foreign schema', () => {
    for (const op of ['base64url.encode', 'base64url.decode', 'http.payment_request', 'x.y'])
      expect(Mppx.handle(request(op, { text: 'hi' }))).toMatchObject({
        ok: false,
        error: { type: 'unsupported_operation' },
      })
    expect(
      Mppx.handle(JSON.stringify({ schema: 2, op: 'challenge.parse', input: { header } })),
    ).toMatchObject({ ok: false, error: { type: 'unsupported_operation' } })
  })

  it('answers unknown_error for a request that is not an ABI envelope', () => {
    for (const text of ['not json', '[]', '{"schema":1}', '{"schema":1,"op":"x","input":1,"y":2}'])
      expect(Mppx.handle(text)).toMatchObject({ ok: false, error: { type: 'unknown_error' } })
  })
})
