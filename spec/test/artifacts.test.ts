// The checked-in schemas and vectors must equal what the generator builds from
// @paywire/core, and the vectors must agree with a second, independent computation
// (node:crypto and Buffer instead of @noble/hashes and paywire's own codecs).
import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AcceptPayment, Base64Url, Challenge, Credential, Receipt } from '@paywire/core'
import { describe, expect, it } from 'vitest'
import { artifacts, caseLists, namedRequirements, render } from '../scripts/artifacts.js'
import * as Requirements from '../scripts/requirements.js'

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

describe('requirement ids of the vectors', () => {
  const vectorFiles = artifacts().filter((artifact) => artifact.path.startsWith('vectors/'))

  it('every case carries a requirements array naming catalog entries that bind an implementation', () => {
    const binds = new Map(
      Requirements.load(join(root, '..')).map((requirement) => [requirement.id, requirement.binds]),
    )
    const named = vectorFiles.flatMap((artifact) =>
      namedRequirements({ ...artifact, content: read(artifact.path) }),
    )
    expect(named.length).toBeGreaterThan(50)
    expect(
      named.filter(({ id }) => !(binds.get(id)?.length ?? 0)).map(({ at, id }) => `${at}: ${id}`),
    ).toEqual([])
    for (const artifact of vectorFiles) {
      const content = read(artifact.path)
      for (const list of caseLists)
        for (const entry of content[list] ?? []) expect(entry.requirements).toBeInstanceOf(Array)
    }
  })

  it('a case with no requirement is one that checks only the grammar of a cited RFC', () => {
    const none = vectorFiles.flatMap((artifact) => {
      const content = read(artifact.path)
      return caseLists.flatMap((list) =>
        (content[list] ?? [])
          .filter((entry: { requirements: string[] }) => entry.requirements.length === 0)
          .map((entry: { name: string }) => `${artifact.path} ${list}: ${entry.name}`),
      )
    })
    expect(none).toEqual([
      'vectors/www-authenticate.json reject: duplicate parameter',
      'vectors/www-authenticate.json reject: unterminated quoted-string',
      'vectors/www-authenticate.json reject: backslash at the end',
      'vectors/www-authenticate.json reject: request not an object',
      'vectors/credential.json parse: echo, source and payload',
      'vectors/receipt.json reject: missing reference',
    ])
  })
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
  it('challenge ids equal node:crypto HMAC-SHA256 over the seven slots, and header as an eighth after opaque {core.binding.hmac, core.binding.hmac-header-slot}', () => {
    const { cases } = read('vectors/challenge-id.json')
    expect(cases.length).toBeGreaterThan(0)
    expect(
      cases.some((vector: { challenge: { header?: string } }) => vector.challenge.header),
    ).toBe(true)
    for (const vector of cases) {
      const slots = ['realm', 'method', 'intent', 'request', 'expires', 'digest', 'opaque'].map(
        (field) => vector.challenge[field] ?? '',
      )
      if (vector.challenge.header !== undefined) slots.push(vector.challenge.header)
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

  it('a challenge of an unknown method parses with its shared request fields intact {charge.client.display-shared}', () => {
    const { parse } = read('vectors/www-authenticate.json')
    const vector = parse.find((entry: { requirements: string[] }) =>
      entry.requirements.includes('charge.client.display-shared'),
    )
    const [challenge] = Challenge.deserializeList(vector.header)
    expect(challenge?.method).toBe('acmepay')
    const independent = JSON.parse(
      Buffer.from(vector.challenges[0].request, 'base64url').toString('utf8'),
    )
    expect(independent).toMatchObject({
      amount: '250000',
      currency: 'acme-credit',
      recipient: 'acct:merchant-7@acme.example',
      description: 'Caf\u00e9 \u2615 \u00d7 2',
      externalId: 'order-\u{1f9fe}-42',
    })
    expect(Object.keys(independent.methodDetails).length).toBeGreaterThan(3)
    expect(Challenge.decodeRequest(challenge as Challenge.Challenge)).toEqual(independent)
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
