// Hostile input, as properties: whatever arrives in Authorization, and however a valid
// credential's echoed challenge is changed, no handler runs, no receipt goes out, and the
// answer is a clean 400 or 402 (never a 500). Case budget: FC_NUM_RUNS (vitest.setup.ts).
import { type Challenge, Credential } from '@paywire/core'
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { authorization, challengesOf, makePaywire } from './test/payer.js'

const price = { amount: '1000', currency: 'usd', recipient: 'acct_1' }

describe('Paywire under hostile input', () => {
  it('answers any Authorization value with 400 or 402 and never runs the handler {core.status.malformed-credential}', async () => {
    const handler = vi.fn(() => new Response('content'))
    const protect = makePaywire().protect({ price }, handler)
    const header = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ maxLength: 300 }).map((text) => `Payment ${text}`),
      fc.base64String({ maxLength: 400 }).map((text) => `Payment ${text.replace(/=+$/, '')}`),
      fc.json().map((json) => `Payment ${Buffer.from(json).toString('base64url')}`),
    )
    await fc.assert(
      fc.asyncProperty(header, async (value) => {
        let request: Request
        try {
          request = new Request('https://api.example.com/paid', {
            headers: { authorization: value },
          })
        } catch {
          return // not a valid header value: it cannot reach a server
        }
        const response = await protect(request)
        expect([400, 402]).toContain(response.status)
        expect(response.headers.get('payment-receipt')).toBeNull()
      }),
    )
    expect(handler).not.toHaveBeenCalled()
  })

  it('refuses a valid credential whose echoed challenge has any bound field changed {core.binding.verify}', async () => {
    const handler = vi.fn(() => new Response('content'))
    const protect = makePaywire().protect({ price }, handler)
    const first = await protect(new Request('https://api.example.com/paid'))
    const challenge = challengesOf(first)[0] as Challenge.Challenge
    const field = fc.constantFrom(
      'id',
      'realm',
      'method',
      'intent',
      'request',
      'expires',
      'digest',
      'opaque',
    )
    await fc.assert(
      fc.asyncProperty(field, fc.string({ minLength: 1, maxLength: 60 }), async (name, value) => {
        fc.pre(challenge[name] !== value)
        const changed = { ...challenge, [name]: value } as Challenge.Challenge
        const credential = Credential.from({
          challenge: changed,
          payload: (
            Credential.fromAuthorization(await authorization(challenge)) as Credential.Credential
          ).payload,
        })
        const response = await protect(
          new Request('https://api.example.com/paid', {
            headers: {
              authorization: `Payment ${Buffer.from(JSON.stringify(credential)).toString('base64url')}`,
            },
          }),
        )
        expect([400, 402]).toContain(response.status)
        expect(response.headers.get('payment-receipt')).toBeNull()
      }),
    )
    expect(handler).not.toHaveBeenCalled()
  })
})
