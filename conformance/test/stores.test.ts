// The whole server suite against paywire's server on each shared store it ships (Redis,
// PostgreSQL, SQLite), the same routes as the reference server (which runs on the memory
// store in reference.test.ts). Single use, concurrent claims, idempotent replays and
// failures that must leave nothing claimed all go through the store, so each store gets
// the full run, not a sample.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Store } from '@paywire/core'
import { Paywire } from '@paywire/server'
import { listener } from '@paywire/server/node'
import { PostgresStore } from '@paywire/store-postgres'
import { RedisStore } from '@paywire/store-redis'
import { SqliteStore } from '@paywire/store-sqlite'
import { FreePort, TestMethod } from '@paywire/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import type * as Results from '../src/Results.js'
import * as Suite from '../src/Suite.js'
import * as Config from '../src/server/Config.js'

const key = 'stores-conformance-test-method-key'
const directory = mkdtempSync(join(tmpdir(), 'paywire-conformance-stores-'))
const run = `conformance_${process.pid}_${Date.now()}`
const stores: Record<string, () => Store.Store> = {
  redis: () => RedisStore.create({ url: 'redis://127.0.0.1:6379', prefix: `${run}:` }),
  postgres: () =>
    PostgresStore.create({
      connectionString: 'postgres://postgres@127.0.0.1:5432/test',
      table: `paywire_${run}`,
    }),
  sqlite: () => SqliteStore.create({ path: join(directory, 'paywire.db') }),
}
const closers: Array<() => Promise<void>> = []

afterAll(async () => {
  for (const close of closers.reverse()) await close()
  rmSync(directory, { recursive: true, force: true })
})

/** A paid API like the reference server's, on `store`: /paid (?tier=pro), /other, POST /paid-body. */
async function serve(store: Store.Store): Promise<string> {
  const paywire = Paywire.create({
    realm: '127.0.0.1',
    secret: `stores-conformance-secret-${'x'.repeat(32)}`,
    methods: [TestMethod.server({ key })],
    store,
    allowTestMethods: true,
    expiresIn: 2,
    skewSeconds: 1,
  })
  const price = (amount: string) => ({ amount, currency: 'usd', recipient: 'acct_conformance' })
  const paid = listener(
    paywire,
    {
      price: (request: Request) =>
        price(new URL(request.url).searchParams.get('tier') === 'pro' ? '5000' : '1000'),
    },
    (request) => Response.json({ paid: true, tier: new URL(request.url).searchParams.get('tier') }),
  )
  const other = listener(paywire, { price: price('1000') }, () => Response.json({ other: true }))
  const body = listener(paywire, { price: price('2500') }, async (request) =>
    Response.json({ received: await request.text() }),
  )
  const server = createServer((req, res) => {
    const route = `${req.method} ${new URL(req.url ?? '/', 'http://127.0.0.1').pathname}`
    if (route === 'GET /paid') paid(req, res)
    else if (route === 'GET /other') other(req, res)
    else if (route === 'POST /paid-body') body(req, res)
    else res.writeHead(404).end()
  })
  const { url, close } = await FreePort.listen(server)
  closers.push(async () => {
    await close()
    await store.close?.()
  })
  return url
}

const config = Config.from({
  ...JSON.parse(
    readFileSync(
      fileURLToPath(new URL('./fixtures/reference.config.json', import.meta.url)),
      'utf8',
    ),
  ),
  routes: {
    paid: '/paid',
    other: '/other',
    body: { path: '/paid-body', body: '{"order":"conformance"}' },
    query: { path: '/paid', queries: ['tier=basic', 'tier=pro'] },
  },
  methods: { test: { key } },
  expiry: { skewSeconds: 1, maxWaitSeconds: 10 },
})

describe.each(Object.keys(stores))('paywire server on the %s store', (name) => {
  it('passes every MUST of the server suite, and warns on no SHOULD', async () => {
    const url = await serve((stores[name] as () => Store.Store)())
    const results = await Suite.run({ url, config })
    const failed = results.results.filter(
      (result: Results.Result) => result.verdict !== 'pass' && result.verdict !== 'n/a',
    )
    expect(failed.map(({ id, verdict, message }) => ({ id, verdict, message }))).toEqual([])
    const passed = results.results.filter((result) => result.verdict === 'pass').length
    expect(passed, 'most of the catalog applies to this server').toBeGreaterThanOrEqual(45)
    // The checks that go through the store ran and passed; they are not n/a here.
    for (const id of [
      'server.replay.sequential',
      'server.replay.concurrent',
      'server.idempotency.replay',
      'server.expiry.expired-refused',
      'server.status.invalid-challenge',
    ])
      expect(results.results.find((result) => result.id === id)?.verdict, id).toBe('pass')
  }, 120_000)
})
