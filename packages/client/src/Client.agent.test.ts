// A client that signs as an agent (Web Bot Auth): every request it sends, the paid retry
// included, carries a fresh signature that a verifier accepts, the credential covered, and
// the ledger records the identity the payment was made as.
import { Directory, Jwk, Signer, Verifier } from '@paywire/agent-identity'
import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { type Listening, listen, offer, paidHandler, testKey } from '../test/http.js'
import { Client } from './index.js'

const servers: Listening[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

describe('Client.create({ agent })', () => {
  it('signs the first request and the paid retry, covering the credential {webbotauth.sign.parameters, webbotauth.sign.narrow, webbotauth.signature-agent.covered, webbotauth.security.static-signatures}', async () => {
    const key = Jwk.generate()
    const seen: Request[] = []
    const handler = paidHandler({ offers: () => [offer()] })
    const server = await listen((request) => {
      if (new URL(request.url).pathname === Directory.wellKnownPath)
        return Directory.response(Directory.from([key]))
      seen.push(request.clone())
      return handler(request)
    })
    servers.push(server)
    const agent = Signer.create({ key, agent: `${server.origin}${Directory.wellKnownPath}` })
    const client = Client.create({
      methods: [TestMethod.client({ key: testKey })],
      policy: { currencies: { usd: { maxAmount: '1000' } } },
      store: MemoryStore.create(),
      insecureOrigins: [server.origin],
      agent,
    })
    const result = await client.fetch(`${server.url('/paid')}?tier=basic`)
    expect(result.response.status).toBe(200)
    expect(seen).toHaveLength(2)
    const verifier = Verifier.create({ store: MemoryStore.create(), allowLoopback: true })
    const verdicts = []
    for (const request of seen) verdicts.push(await verifier.verify(request))
    expect(verdicts.map((verdict) => verdict.outcome)).toEqual(['verified', 'verified'])
    const [first, paid] = verdicts
    if (first?.outcome !== 'verified' || paid?.outcome !== 'verified') return
    expect(first.agent.components).not.toContain('"authorization"')
    expect(paid.agent.components).toEqual(
      expect.arrayContaining([
        '"@method"',
        '"@authority"',
        '"@path"',
        '"@query"',
        '"authorization"',
      ]),
    )
    expect(paid.agent.nonce).not.toBe(first.agent.nonce)
    expect(paid.agent.identifier).toBe(agent.agent)
    expect(result.payment?.agent).toEqual({ url: agent.agent, keyid: key.kid })
    expect((await client.ledger.list())[0]?.agent).toEqual({ url: agent.agent, keyid: key.kid })
  })

  it('sends unsigned requests when no agent is configured', async () => {
    const seen: Request[] = []
    const server = await listen((request) => {
      seen.push(request)
      return new Response('free')
    })
    servers.push(server)
    const client = Client.create({
      methods: [TestMethod.client({ key: testKey })],
      policy: { currencies: { usd: { maxAmount: '1000' } } },
      store: MemoryStore.create(),
    })
    await client.fetch(server.url('/free'))
    expect(seen[0]?.headers.has('signature')).toBe(false)
  })
})
