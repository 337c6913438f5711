// The checked-in schemas and vectors must equal what the generator builds from
// @paywire/core, and the vectors must agree with a second, independent computation
// (node:crypto and Buffer instead of @noble/hashes and paywire's own codecs).
import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AcceptPayment, Base64Url, Challenge, Credential, Receipt } from '@paywire/core'
import { describe, expect, it } from 'vitest'
import { artifacts, render } from '../scripts/artifacts.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const read = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8'))

describe('generated spec files', () => {
  it.each(artifacts().map((artifact) => [artifact.path, artifact] as const))(
    '%s is in sync with the generator (run `pnpm --filter @paywire/spec generate`)',
    (path, artifact) => {
      expect(readFileSync(join(root, path), 'utf8')).toBe(render(artifact))
    },
  )
})

/** RFC 8785 for the values the vectors use, written independently of paywire's Json module. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`
  return JSON.stringify(value)
}

describe('vectors agree with an independent computation', () => {
  it('challenge ids equal node:crypto HMAC-SHA256 over the seven slots {core.binding.hmac}', () => {
    const { cases } = read('vectors/challenge-id.json')
    expect(cases.length).toBeGreaterThan(0)
    for (const vector of cases) {
      const slots = ['realm', 'method', 'intent', 'request', 'expires', 'digest', 'opaque'].map(
        (field) => vector.challenge[field] ?? '',
      )
      expect(slots.join('|')).toBe(vector.hmacInput)
      expect(createHmac('sha256', vector.secret).update(vector.hmacInput).digest('base64url')).toBe(
        vector.id,
      )
      expect(
        canonical(JSON.parse(Buffer.from(vector.challenge.request, 'base64url').toString('utf8'))),
      ).toBe(Buffer.from(vector.challenge.request, 'base64url').toString('utf8'))
    }
  })

  it('base64url encodings equal Buffer base64url, and rejects fail the strict decoder', () => {
    const { encode, reject } = read('vectors/base64url.json')
    for (const vector of encode) {
      const bytes =
        vector.hex === undefined ? Buffer.from(vector.utf8, 'utf8') : Buffer.from(vector.hex, 'hex')
      expect(bytes.toString('base64url')).toBe(vector.encoded)
    }
    for (const vector of reject)
      expect(() => Base64Url.decode(vector.input)).toThrow(Base64Url.InvalidBase64UrlError)
  })

  it('JCS outputs equal an independent canonicalizer', () => {
    const { cases } = read('vectors/jcs.json')
    for (const vector of cases) expect(canonical(JSON.parse(vector.input))).toBe(vector.canonical)
  })

  it('header vectors parse to their expected objects and rejects carry the error code', () => {
    const www = read('vectors/www-authenticate.json')
    for (const vector of www.parse)
      expect(Challenge.deserializeList(vector.header)).toEqual(vector.challenges)
    for (const vector of www.reject)
      expect(() => Challenge.deserializeList(vector.header)).toThrow(
        expect.objectContaining({ code: vector.error }),
      )
    const credentials = read('vectors/credential.json')
    for (const vector of credentials.parse)
      expect(Credential.fromAuthorization(vector.authorization)).toEqual(vector.credential)
    for (const vector of credentials.reject)
      expect(() => Credential.deserialize(vector.token)).toThrow(
        expect.objectContaining({ code: vector.error }),
      )
    const receipts = read('vectors/receipt.json')
    for (const vector of receipts.parse) {
      expect(Receipt.deserialize(vector.value)).toEqual(vector.receipt)
      expect(Buffer.from(vector.value, 'base64url').toString('utf8')).toBe(
        canonical(vector.receipt),
      )
    }
  })

  it('Accept-Payment vectors follow the draft examples', () => {
    const { offers, cases } = read('vectors/accept-payment.json')
    for (const vector of cases)
      expect(AcceptPayment.negotiate(offers, vector.header)).toEqual(vector.result)
    const pick = (header: string) =>
      cases.find((vector: { header: string }) => vector.header === header).result
    expect(
      pick('tempo/charge, tempo/session;q=0, solana/charge;q=0.8, stripe/charge;q=0.4').map(
        (o: { method: string }) => o.method,
      ),
    ).toEqual(['tempo', 'solana', 'stripe'])
  })
})
