// The Web Bot Auth verifier against real signed requests and a real loopback key
// directory: what verifies, and each refusal with its typed error and outcome.
import { MemoryStore } from '@paywire/store-memory'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  Component,
  Directory,
  Jwk,
  MessageSignature,
  Resolver,
  SignatureAgent,
  SignatureFields,
  Signer,
  Verifier,
} from './index.js'
import * as DirectoryServer from './test/directoryServer.js'

const key = Jwk.generate()
let server: DirectoryServer.DirectoryServer

beforeAll(async () => {
  server = await DirectoryServer.start([key])
})
afterAll(() => server.close())

function verifier(options: Partial<Verifier.create.Options> = {}) {
  return Verifier.create({ store: MemoryStore.create(), allowLoopback: true, ...options })
}

function signed(
  url = 'https://api.example.com/paid?tier=basic',
  init: RequestInit = {},
  signer = Signer.create({ key, agent: server.url }),
): Request {
  const request = new Request(url, init)
  for (const [name, value] of signer.sign(request)) request.headers.set(name, value)
  return request
}

/** A request signed by hand, for signatures the Signer would never make. */
function signedBy(
  components: readonly Component.Component[],
  change: (parameters: Map<string, unknown>) => void = () => {},
): Request {
  const request = new Request('https://api.example.com/paid')
  request.headers.set('signature-agent', SignatureAgent.serialize({ sig1: server.url }))
  const created = Math.floor(Date.now() / 1000)
  const parameters = new Map<string, string | number>([
    ['created', created],
    ['expires', created + 60],
    ['keyid', key.kid],
    ['nonce', crypto.randomUUID()],
    ['tag', 'web-bot-auth'],
  ])
  change(parameters as Map<string, unknown>)
  const entry = MessageSignature.sign({
    message: request,
    label: 'sig1',
    components,
    parameters,
    key,
  })
  for (const [name, value] of Object.entries(SignatureFields.serialize([entry])))
    request.headers.set(name, value)
  return request
}

function errorOf(verification: Verifier.Verification) {
  if (verification.outcome === 'verified' || verification.outcome === 'unsigned')
    throw new Error(`expected a refusal, got ${verification.outcome}`)
  return verification.error
}

describe('Verifier.verify', () => {
  it('verifies a signed request and attributes it to the resolved Signature-Agent URL {webbotauth.identifier.url}', async () => {
    const verification = await verifier().verify(signed())
    expect(verification.outcome).toBe('verified')
    if (verification.outcome !== 'verified') return
    expect(verification.agent).toMatchObject({
      identifier: server.url,
      keyid: key.kid,
      algorithm: 'ed25519',
      label: 'sig1',
    })
    expect(verification.agent.components).toEqual([
      '"@method"',
      '"@authority"',
      '"@path"',
      '"@query"',
      '"signature-agent";key="sig1"',
    ])
  })

  it('reports a request without signatures as unsigned', async () => {
    expect(await verifier().verify(new Request('https://api.example.com/paid'))).toEqual({
      outcome: 'unsigned',
    })
  })

  it.each([
    ['@method', (request: Request) => new Request(request, { method: 'POST' })],
    ['@path', (request: Request) => new Request(request.url.replace('/paid', '/other'), request)],
    ['@query', (request: Request) => new Request(request.url.replace('basic', 'pro'), request)],
    [
      '@authority',
      (request: Request) =>
        new Request(request.url.replace('api.example.com', 'evil.example'), request),
    ],
    [
      'the covered Authorization credential',
      (request: Request) => {
        const changed = new Request(request)
        changed.headers.set('authorization', 'Payment other')
        return changed
      },
    ],
  ])(
    'refuses a request whose %s was changed after signing {webbotauth.identifier.no-policy-unresolved}',
    async (_name, tamper) => {
      const original = new Request('https://api.example.com/paid?tier=basic', {
        headers: { authorization: 'Payment abc' },
      })
      for (const [name, value] of Signer.create({ key, agent: server.url }).sign(original))
        original.headers.set(name, value)
      const verification = await verifier().verify(tamper(original))
      expect(verification.outcome).toBe('invalid')
      expect(errorOf(verification)).toBeInstanceOf(MessageSignature.BadSignatureError)
      expect(errorOf(verification).toProblem()).toMatchObject({
        status: 403,
        code: 'ERR_AGENT_SIGNATURE_INVALID',
      })
    },
  )

  it.each([
    ['expired', -3_600_000, 'expired'],
    ['created in the future', 3_600_000, 'future'],
    ['created too long ago', -900_000, 'too-old'],
  ] as const)(
    'refuses a signature %s {httpsig.verify.application-requirements}',
    async (_name, shift, reason) => {
      const lifetimeSeconds = reason === 'too-old' ? 3600 : 60
      const signer = Signer.create({
        key,
        agent: server.url,
        now: () => Date.now() + shift,
        lifetimeSeconds,
      })
      const verification = await verifier().verify(signed(undefined, {}, signer))
      expect(verification.outcome).toBe('invalid')
      const error = errorOf(verification)
      expect(error).toBeInstanceOf(Verifier.StaleSignatureError)
      expect((error as Verifier.StaleSignatureError).reason).toBe(reason)
    },
  )

  it('accepts a nonce once and refuses its replay, across verifiers sharing a store {httpsig.verify.application-requirements, webbotauth.request.replay-429}', async () => {
    const store = MemoryStore.create()
    const request = signed()
    const first = await verifier({ store }).verify(request.clone())
    const replay = await verifier({ store }).verify(request.clone())
    expect(first.outcome).toBe('verified')
    expect(replay.outcome).toBe('invalid')
    expect(errorOf(replay)).toBeInstanceOf(Verifier.ReplayedSignatureError)
    expect(errorOf(replay).status).toBe(429)
  })

  it('claims no nonce for a signature that does not verify', async () => {
    const store = MemoryStore.create()
    const request = signed()
    const forged = new Request(request, { method: 'DELETE' })
    expect((await verifier({ store }).verify(forged)).outcome).toBe('invalid')
    expect((await verifier({ store }).verify(request)).outcome).toBe('verified')
  })

  it('refuses a key the directory does not publish, as unverified {httpsig.verify.unknown-key, webbotauth.directory.failure-no-attribution}', async () => {
    const stranger = Signer.create({ key: Jwk.generate(), agent: server.url })
    const verification = await verifier().verify(signed(undefined, {}, stranger))
    expect(verification.outcome).toBe('unverified')
    expect(errorOf(verification)).toBeInstanceOf(Resolver.UnknownKeyError)
  })

  it('refuses a signature whose key is published under another URL than the one it names {webbotauth.lookup.url-key-pair}', async () => {
    const other = await DirectoryServer.start([Jwk.generate()])
    try {
      // The key is known (from server.url), but the request claims `other`.
      const shared = verifier()
      expect((await shared.verify(signed())).outcome).toBe('verified')
      const claimed = Signer.create({ key, agent: other.url })
      const verification = await shared.verify(signed(undefined, {}, claimed))
      expect(verification.outcome).toBe('unverified')
      expect(errorOf(verification)).toBeInstanceOf(Resolver.UnknownKeyError)
    } finally {
      await other.close()
    }
  })

  it.each([
    ['without the web-bot-auth tag', 'tag', (p: Map<string, unknown>) => p.set('tag', 'other')],
    ['without created', 'created', (p: Map<string, unknown>) => p.delete('created')],
    ['without expires', 'expires', (p: Map<string, unknown>) => p.delete('expires')],
    ['without a nonce', 'nonce', (p: Map<string, unknown>) => p.delete('nonce')],
    [
      'whose keyid is not a thumbprint',
      'keyid',
      (p: Map<string, unknown>) => p.set('keyid', 'my-key'),
    ],
  ] as const)(
    'refuses a signature %s {webbotauth.sign.parameters, webbotauth.sign.tag, webbotauth.sign.keyid-thumbprint, httpsig.verify.application-requirements}',
    async (_name, rule, change) => {
      const components = [
        Component.from('@authority'),
        Component.from('signature-agent', { key: 'sig1' }),
      ]
      const request = signedBy(components, change)
      const error = errorOf(await verifier().verify(request))
      expect(error).toBeInstanceOf(Verifier.ProfileError)
      expect((error as Verifier.ProfileError).rule).toBe(rule)
    },
  )

  it.each([
    [
      'covers neither @authority nor @target-uri',
      [Component.from('@path'), Component.from('signature-agent', { key: 'sig1' })],
      'coverage',
    ],
    [
      'does not cover its Signature-Agent member',
      [Component.from('@authority')],
      'signature-agent',
    ],
  ] as const)(
    'refuses a signature that %s {webbotauth.sign.authority, webbotauth.signature-agent.covered, webbotauth.multiple.attribution}',
    async (_name, components, rule) => {
      const request = signedBy(components)
      const error = errorOf(await verifier().verify(request))
      expect((error as Verifier.ProfileError).rule).toBe(rule)
    },
  )

  it('refuses a signature valid for more than a day {webbotauth.sign.expires-24h}', async () => {
    const signer = Signer.create({ key, agent: server.url, lifetimeSeconds: 2 * 86_400 })
    const error = errorOf(
      await verifier({ maxAgeSeconds: 600 }).verify(signed(undefined, {}, signer)),
    )
    expect((error as Verifier.StaleSignatureError).reason).toBe('window')
  })

  it('verifies every signature on its own: one bad signature refuses the request {webbotauth.multiple.independent}', async () => {
    const request = signed()
    const second = Signer.create({ key: Jwk.generate(), agent: server.url, label: 'sig2' })
    for (const [name, value] of second.sign(request)) request.headers.set(name, value)
    const verification = await verifier().verify(request)
    expect(verification.outcome).toBe('unverified')
    const both = Signer.create({ key, agent: server.url, label: 'sig2' })
    const twice = signed()
    for (const [name, value] of both.sign(twice)) twice.headers.set(name, value)
    const verified = await verifier().verify(twice)
    expect(verified.outcome === 'verified' && verified.agents.map((agent) => agent.label)).toEqual([
      'sig1',
      'sig2',
    ])
  })

  it('refuses a request whose components a route requires are not covered', async () => {
    const signer = Signer.create({ key, agent: server.url, cover: [] })
    const request = signed(
      'https://api.example.com/paid',
      { headers: { 'content-type': 'x' } },
      signer,
    )
    const error = errorOf(await verifier({ require: ['content-type'] }).verify(request))
    expect((error as Verifier.ProfileError).rule).toBe('coverage')
  })

  it('ignores a Signature-Agent member that carries parameters {webbotauth.signature-agent.no-parameters}', async () => {
    const request = signed()
    request.headers.set('signature-agent', `sig1="${server.url}";type=directory`)
    const error = errorOf(await verifier().verify(request))
    expect((error as Verifier.ProfileError).rule).toBe('signature-agent')
  })

  it('refuses unparseable signature fields as malformed (400) {webbotauth.verify.malformed-400}', async () => {
    const request = signed()
    request.headers.set('signature', 'sig1=not-bytes')
    const error = errorOf(await verifier().verify(request))
    expect(error).toBeInstanceOf(SignatureFields.MalformedSignatureError)
    expect(error.status).toBe(400)
  })

  it('refuses a plain-http Signature-Agent outside loopback {webbotauth.signature-agent.https}', async () => {
    const request = signed()
    request.headers.set('signature-agent', `sig1="http://agent.example${Directory.wellKnownPath}"`)
    const error = errorOf(await verifier().verify(request))
    expect(error).toBeInstanceOf(SignatureFields.MalformedSignatureError)
    expect(() =>
      Signer.create({ key, agent: `http://agent.example${Directory.wellKnownPath}` }),
    ).toThrow(SignatureFields.MalformedSignatureError)
  })

  it('refuses an http loopback Signature-Agent unless loopback is allowed', async () => {
    const verification = await Verifier.create({ store: MemoryStore.create() }).verify(signed())
    expect(verification.outcome).toBe('invalid')
  })
})
