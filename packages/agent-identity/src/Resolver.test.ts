// Key-directory resolution against a real loopback server: the bounds every fetch keeps
// (size, time, redirects, transport, addresses), and the cache (lifetime, rotation,
// failures that do not evict, one fetch for many requests).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Directory, Jwk, Resolver } from './index.js'
import * as DirectoryServer from './test/directoryServer.js'

const key = Jwk.generate()
let server: DirectoryServer.DirectoryServer

beforeAll(async () => {
  server = await DirectoryServer.start([key], { maxAge: 60 })
})
afterAll(() => server.close())

function resolver(options: Resolver.create.Options = {}) {
  return Resolver.create({ allowLoopback: true, ...options })
}

describe('Resolver.resolve: bounded fetches {webbotauth.directory.ssrf, webbotauth.directory.no-redirects, webbotauth.directory.status-200, webbotauth.directory.https}', () => {
  it('resolves a key of a directory by its thumbprint', async () => {
    const resolved = await resolver().resolve(server.url, key.kid)
    expect(resolved.identifier).toBe(server.url)
    expect(resolved.key.jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', x: key.x })
  })

  it.each([
    ['declares more bytes than the cap', '/large', Directory.TooLargeError],
    ['streams more bytes than the cap', '/large-chunked', Directory.TooLargeError],
    ['redirects to another host', '/redirect', Directory.RedirectRefusedError],
    ['answers 404', '/missing', Directory.StatusError],
  ])('refuses a directory that %s', async (_name, path, type) => {
    await expect(
      resolver({ maxBytes: 65_536 }).resolve(`${server.origin}${path}`, key.kid),
    ).rejects.toBeInstanceOf(type)
  })

  it('refuses a directory that does not answer within the time cap', async () => {
    const error = await resolver({ timeoutMs: 300 })
      .resolve(`${server.origin}/slow`, key.kid)
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(Directory.TimeoutError)
    expect((error as Directory.TimeoutError).toProblem()).toMatchObject({
      status: 403,
      code: 'ERR_AGENT_DIRECTORY_TIMEOUT',
    })
  })

  it.each([
    ['plain http outside loopback', 'http://agent.example/keys', ['93.184.216.34']],
    ['a private address', 'https://10.1.2.3/keys', []],
    [
      'a name resolving to a link-local address',
      'https://metadata.example/keys',
      ['169.254.169.254'],
    ],
    ['a name resolving to a private IPv6 address', 'https://inside.example/keys', ['fd00::1']],
    ['a URL with credentials', 'https://user:secret@agent.example/keys', ['93.184.216.34']],
  ])('refuses %s without fetching', async (_name, url, addresses) => {
    let fetched = 0
    const guarded = Resolver.create({
      lookup: async () => addresses,
      fetch: async () => {
        fetched += 1
        return new Response('{"keys":[]}')
      },
    })
    await expect(guarded.resolve(url, key.kid)).rejects.toBeInstanceOf(Directory.InsecureUrlError)
    expect(fetched).toBe(0)
  })

  it('refuses loopback directories unless allowed', async () => {
    await expect(Resolver.create().resolve(server.url, key.kid)).rejects.toBeInstanceOf(
      Directory.InsecureUrlError,
    )
  })

  it('refuses a body that is not a JWK Set, or has too many keys', async () => {
    const serve = (body: string) =>
      Resolver.create({
        lookup: async () => ['93.184.216.34'],
        fetch: async () => new Response(body),
      })
    await expect(serve('[1]').resolve('https://agent.example/k', key.kid)).rejects.toBeInstanceOf(
      Directory.InvalidDirectoryError,
    )
    const many = JSON.stringify(Directory.from(Array.from({ length: 40 }, () => Jwk.generate())))
    await expect(serve(many).resolve('https://agent.example/k', key.kid)).rejects.toBeInstanceOf(
      Directory.InvalidDirectoryError,
    )
  })

  it('refuses the RFC 9421 test keys unless told it runs test vectors {webbotauth.security.test-keys}', async () => {
    const testKey = Jwk.fromSeed(
      Buffer.from('n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU', 'base64url'),
    )
    const body = JSON.stringify(Directory.from([testKey]))
    const options = { lookup: async () => ['93.184.216.34'], fetch: async () => new Response(body) }
    await expect(
      Resolver.create(options).resolve('https://agent.example/k', testKey.kid),
    ).rejects.toBeInstanceOf(Resolver.UnknownKeyError)
    await expect(
      Resolver.create({ ...options, allowTestKeys: true }).resolve(
        'https://agent.example/k',
        testKey.kid,
      ),
    ).resolves.toMatchObject({ key: { thumbprint: testKey.kid } })
  })

  it('skips a well-known key whose kid is not its thumbprint {webbotauth.directory.kid-thumbprint}', async () => {
    const published = { keys: [{ ...Jwk.toPublic(key), kid: 'chosen-label' }] }
    const guarded = Resolver.create({
      lookup: async () => ['93.184.216.34'],
      fetch: async () => new Response(JSON.stringify(published)),
    })
    await expect(
      guarded.resolve(`https://agent.example${Directory.wellKnownPath}`, key.kid),
    ).rejects.toBeInstanceOf(Resolver.UnknownKeyError)
    await expect(guarded.resolve('https://agent.example/jwks.json', key.kid)).resolves.toBeDefined()
  })
})

describe('Resolver.resolve: the cache {webbotauth.directory.rotation}', () => {
  it('fetches a directory once for many concurrent requests, then serves it from cache', async () => {
    const before = server.hits()
    const shared = resolver()
    await Promise.all(Array.from({ length: 20 }, () => shared.resolve(server.url, key.kid)))
    await shared.resolve(server.url, key.kid)
    expect(server.hits() - before).toBe(1)
  })

  it('picks up a rotated key, and stops accepting a removed one once the cache expires {webbotauth.directory.rotation}', async () => {
    let clock = Date.now()
    const rotating = await DirectoryServer.start([key], { maxAge: 60 })
    try {
      const shared = resolver({ now: () => clock })
      await shared.resolve(rotating.url, key.kid)
      const next = Jwk.generate()
      rotating.publish([key, next])
      // A new key is looked up again once the last fetch is older than the refresh interval.
      clock += 31_000
      await expect(shared.resolve(rotating.url, next.kid)).resolves.toBeDefined()
      rotating.publish([next])
      // The old key keeps verifying while the cached copy is fresh, not after.
      await expect(shared.resolve(rotating.url, key.kid)).resolves.toBeDefined()
      clock += 61_000
      await expect(shared.resolve(rotating.url, key.kid)).rejects.toBeInstanceOf(
        Resolver.UnknownKeyError,
      )
    } finally {
      await rotating.close()
    }
  })

  it('keeps a cached directory when a refresh fails {webbotauth.directory.failure-no-evict}', async () => {
    let clock = Date.now()
    let up = true
    const flaky = Resolver.create({
      now: () => clock,
      lookup: async () => ['93.184.216.34'],
      fetch: async () => {
        if (!up) throw new TypeError('connection refused')
        return new Response(JSON.stringify(Directory.from([key])), {
          headers: { 'cache-control': 'max-age=60' },
        })
      },
    })
    await flaky.resolve('https://agent.example/k', key.kid)
    up = false
    clock += 120_000
    await expect(flaky.resolve('https://agent.example/k', key.kid)).resolves.toBeDefined()
    // Without anything cached, the same failure is a typed refusal.
    await expect(flaky.resolve('https://other.example/k', key.kid)).rejects.toBeInstanceOf(
      Directory.UnreachableError,
    )
  })

  it.each([
    ['max-age=120', {}, 120],
    ['no-store', {}, 0],
    ['no-cache, max-age=600', {}, 0],
    [
      null,
      { expires: 'Thu, 01 Jan 2026 00:10:00 GMT', date: 'Thu, 01 Jan 2026 00:00:00 GMT' },
      600,
    ],
    [null, {}, 300],
  ] as const)('reads the lifetime of Cache-Control %s', (cacheControl, extra, seconds) => {
    const headers = new Headers(extra)
    if (cacheControl !== null) headers.set('cache-control', cacheControl)
    expect(Resolver.lifetime(headers, 300)).toBe(seconds)
  })
})
