// Interoperability: Cloudflare's `web-bot-auth` package signs requests this verifier
// accepts and verifies requests this signer makes; the draft's own Ed25519 test vectors
// (draft-ietf-webbotauth-httpsig-protocol-01 Appendix "Test Vectors") verify.
import { MemoryStore } from '@paywire/store-memory'
import * as Httpsig from 'http-message-sig'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signatureHeaders } from 'web-bot-auth'
import { signerFromJWK } from 'web-bot-auth/crypto'
import { Directory, Jwk, Resolver, Signer, Verifier } from './index.js'
import * as DirectoryServer from './test/directoryServer.js'
import * as Rfc from './test/rfc9421.js'

const key = Jwk.generate()
let server: DirectoryServer.DirectoryServer

beforeAll(async () => {
  server = await DirectoryServer.start([key])
})
afterAll(() => server.close())

function verifier() {
  return Verifier.create({ store: MemoryStore.create(), allowLoopback: true })
}

async function webCryptoKeys() {
  const privateKey = await crypto.subtle.importKey(
    'jwk',
    { kty: 'OKP', crv: 'Ed25519', x: key.x, d: key.d },
    { name: 'Ed25519' },
    false,
    ['sign'],
  )
  const publicKey = await crypto.subtle.importKey(
    'jwk',
    { kty: 'OKP', crv: 'Ed25519', x: key.x },
    { name: 'Ed25519' },
    false,
    ['verify'],
  )
  return { privateKey, publicKey }
}

function seconds() {
  return Math.floor(Date.now() / 1000)
}

describe('Cloudflare signs, paywire verifies', () => {
  it.each([
    ['the minimal components', ['@authority']],
    ['method, authority and path', ['@method', '@authority', '@path']],
  ])("http-message-sig 0.3 (web-bot-auth's RFC 9421 engine) over %s", async (_name, names) => {
    const request = new Request('https://api.example.com/paid', {
      headers: { 'signature-agent': `sig1="${server.url}"` },
    })
    const created = seconds()
    const fields = await Httpsig.createSignature(request, {
      label: 'sig1',
      components: [...names, Httpsig.component('signature-agent', { key: 'sig1' })],
      parameters: {
        created,
        expires: created + 60,
        keyid: key.kid,
        nonce: crypto.randomUUID(),
        tag: 'web-bot-auth',
      },
      signer: Httpsig.webcrypto.signer((await webCryptoKeys()).privateKey),
    })
    request.headers.set('signature', fields.signature)
    request.headers.set('signature-input', fields.signatureInput)
    expect(await verifier().verify(request)).toMatchObject({
      outcome: 'verified',
      agent: { identifier: server.url, keyid: key.kid, algorithm: 'ed25519' },
    })
  })

  it('web-bot-auth 0.1.3 with the legacy String Signature-Agent', async () => {
    const request = new Request('https://api.example.com/paid', {
      headers: { 'signature-agent': `"${server.url}"` },
    })
    const now = new Date()
    const headers = await signatureHeaders(request, await signerFromJWK(key), {
      created: now,
      expires: new Date(now.getTime() + 60_000),
    })
    request.headers.set('signature', headers.Signature)
    request.headers.set('signature-input', headers['Signature-Input'])
    expect((await verifier().verify(request)).outcome).toBe('verified')
  })

  it('web-bot-auth 0.1.3 with a Dictionary member: refused, its base carries the whole field (RFC 9421 §2.1.2)', async () => {
    const request = new Request('https://api.example.com/paid', {
      headers: { 'signature-agent': `sig1="${server.url}"` },
    })
    const now = new Date()
    const headers = await signatureHeaders(request, await signerFromJWK(key), {
      created: now,
      expires: new Date(now.getTime() + 60_000),
      components: [
        '@authority',
        { name: 'signature-agent', parameters: new Map([['key', 'sig1']]) },
      ],
    })
    request.headers.set('signature', headers.Signature)
    request.headers.set('signature-input', headers['Signature-Input'])
    const verification = await verifier().verify(request)
    expect(verification.outcome).toBe('invalid')
  })
})

describe('paywire signs, Cloudflare verifies', () => {
  it('http-message-sig 0.3 accepts paywire’s signature, the credential header covered', async () => {
    const request = new Request('https://api.example.com/paid?tier=basic', {
      headers: { authorization: 'Payment eyJjaGFsbGVuZ2UiOnt9fQ' },
    })
    for (const [name, value] of Signer.create({ key, agent: server.url }).sign(request))
      request.headers.set(name, value)
    const { publicKey } = await webCryptoKeys()
    const check = (message: Request) =>
      Httpsig.verifySignature(message, {
        label: 'sig1',
        policy: {
          algorithms: ['ed25519'],
          requiredComponents: [
            '@method',
            '@authority',
            '@path',
            Httpsig.component('signature-agent', { key: 'sig1' }),
            'authorization',
          ],
          requiredParameters: ['created', 'expires', 'keyid', 'nonce', 'tag'],
          validate: (signature) => signature.parameters.tag === 'web-bot-auth',
        },
        resolveVerifier: () => Httpsig.webcrypto.verifier(publicKey),
      })
    await expect(check(request)).resolves.toMatchObject({ label: 'sig1', algorithm: 'ed25519' })
    // The same verifier refuses it once the covered credential changes.
    request.headers.set('authorization', 'Payment other')
    await expect(check(request)).rejects.toThrow()
  })
})

describe('draft-ietf-webbotauth-httpsig-protocol-01 Ed25519 test vectors {webbotauth.signature-agent.legacy, webbotauth.lookup.url-key-pair}', () => {
  const vectorKey = Jwk.fromSeed(Buffer.from(Rfc.ed25519.d, 'base64url'))
  const resolver = Resolver.create({
    allowTestKeys: true,
    lookup: async () => ['93.184.216.34'],
    fetch: async (url) =>
      url === 'https://signature-agent.test/'
        ? Directory.response(Directory.from([vectorKey]))
        : new Response(null, { status: 404 }),
  })
  const at = (seconds: number) => () => seconds * 1000
  it.each([
    {
      name: 'Signature-Agent dictionary member',
      agent: 'agent2="https://signature-agent.test"',
      input:
        'sig2=("@authority" "signature-agent";key="agent2");created=1735689600;keyid="poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U";alg="ed25519";expires=4889289600;nonce="n9p433xm+NJ3ph3upfBIGmsuwHw387YV7Q/F+6BSpGCVjYCqQw6rznNA8PVVLySrAWsv0hQtFioQb6E1YsauiA==";tag="web-bot-auth"',
      signature:
        'sig2=:RdNFx5Bj6au3YgAMQL/RzmUlZE8QZLIaXGRpw985hWnwPfMxT228NMk6ehRS1PSl4e8PhbNZACSanGdhEwYCCg==:',
    },
    {
      name: 'legacy Signature-Agent String',
      agent: '"https://signature-agent.test"',
      input:
        'sig2=("@authority" "signature-agent");created=1735689600;keyid="poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U";alg="ed25519";expires=1735693200;nonce="e8N7S2MFd/qrd6T2R3tdfAuuANngKI7LFtKYI/vowzk4lAZYadIX6wW25MwG7DCT9RUKAJ0qVkU0mEeLElW1qg==";tag="web-bot-auth"',
      signature:
        'sig2=:jdq0SqOwHdyHr9+r5jw3iYZH6aNGKijYp/EstF4RQTQdi5N5YYKrD+mCT1HA1nZDsi6nJKuHxUi/5Syp3rLWBA==:',
    },
  ])('verifies the $name vector', async ({ agent, input, signature }) => {
    const request = new Request('https://example.com/', {
      headers: { 'signature-agent': agent, 'signature-input': input, signature },
    })
    const vectors = Verifier.create({
      store: MemoryStore.create(),
      resolver,
      now: at(1735689600),
      maxLifetimeSeconds: Number.POSITIVE_INFINITY,
    })
    expect(await vectors.verify(request)).toMatchObject({
      outcome: 'verified',
      agent: { identifier: 'https://signature-agent.test/', keyid: vectorKey.kid },
    })
    // The same signature under another authority does not verify.
    const moved = new Request('https://example.org/', { headers: request.headers })
    expect((await vectors.verify(moved)).outcome).toBe('invalid')
  })
})
