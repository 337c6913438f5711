// Discovery-driven routes: the server suite reads the paid routes a configuration does not
// name from the target's discovery document (draft-payment-discovery), here the fixture
// paywall publishing one at GET /openapi.json, and refuses, with a clear error, a target
// whose document is missing, not JSON, invalid or without a usable paid GET operation.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Discovery } from '@paywire/discovery'
import { TestMethod } from '@paywire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Cli from '../src/cli/Cli.js'
import * as Suite from '../src/Suite.js'
import * as Config from '../src/server/Config.js'
import * as Discover from '../src/server/Discover.js'
import * as Paywall from './fixtures/paywall.js'

const methods = [TestMethod.server({ key: Paywall.fixture.key })]
const info = { title: 'Conformance fixture', version: '1.0.0' }
const claimed = { test: { key: Paywall.fixture.key } }

const document = await Discovery.document({
  info,
  methods,
  operations: [
    { method: 'GET', path: '/effects' },
    { method: 'GET', path: '/items/{id}', route: { price: { amount: '1000' } } },
    { method: 'GET', path: '/paid', route: { price: { amount: Paywall.fixture.prices.basic } } },
    {
      method: 'POST',
      path: '/paid-body',
      route: { price: { amount: Paywall.fixture.prices.body } },
    },
    { method: 'GET', path: '/other', route: { price: { amount: Paywall.fixture.prices.basic } } },
  ],
})

let target: { url: string; close(): Promise<void> }
let bare: { url: string; close(): Promise<void> }

beforeAll(async () => {
  target = await Paywall.start({ discovery: document })
  bare = await Paywall.start()
})
afterAll(async () => {
  await target?.close()
  await bare?.close()
})

describe('Discover.config', () => {
  it('fills paid, other and body from the paid operations of GET /openapi.json {discovery.location}', async () => {
    const config = await Discover.config(target.url, {
      discovery: Discovery.path,
      methods: claimed,
    })
    expect(config.routes).toEqual({
      paid: '/paid',
      other: '/other',
      body: {
        path: '/paid-body',
        method: 'POST',
        body: '{"order":"conformance"}',
        contentType: 'application/json',
      },
    })
    expect(config.discovery).toBe('/openapi.json')
  })

  it('keeps the routes the configuration names and fetches nothing when it names the paid one', async () => {
    const partial = await Discover.config(target.url, {
      discovery: Discovery.path,
      routes: { other: '/elsewhere' },
      methods: claimed,
    })
    expect(partial.routes.paid).toBe('/paid')
    expect(partial.routes.other).toBe('/elsewhere')
    // The bare fixture publishes no document: naming routes.paid means none is needed.
    const named = await Discover.config(bare.url, {
      discovery: Discovery.path,
      routes: { paid: '/paid' },
    })
    expect(named.routes).toEqual({ paid: '/paid' })
  })

  it('leaves a configuration of the wrong shape to the schema, fetching nothing', async () => {
    await expect(
      Discover.config(bare.url, { discovery: Discovery.path, routes: '/paid' }),
    ).rejects.toThrow(Config.InvalidConfigError)
    await expect(Discover.config(bare.url, { discovery: 'openapi.json' })).rejects.toThrow(
      /discovery: expected an absolute path/,
    )
  })

  it('prefers operations offering a claimed method', async () => {
    const mixed = Discovery.parse({
      ...document,
      paths: {
        '/card': {
          get: {
            'x-payment-info': { intent: 'charge', method: 'stripe', amount: '5', currency: 'usd' },
            responses: { '402': { description: 'Payment Required' } },
          },
        },
        ...document.paths,
      },
    })
    expect(Discover.fromDocument(mixed, ['test']).paid).toBe('/paid')
    expect(Discover.fromDocument(mixed, []).paid).toBe('/card')
  })

  it('refuses a target without a discovery document', async () => {
    await expect(
      Discover.config(bare.url, { discovery: Discovery.path, methods: claimed }),
    ).rejects.toThrow(/openapi\.json answered 4\d\d, expected 200/)
  })

  it('refuses a document not served as application/json {discovery.location.content-type}', async () => {
    const fetch = async () =>
      new Response(JSON.stringify(document), { headers: { 'content-type': 'text/plain' } })
    await expect(
      Discover.config(target.url, { discovery: Discovery.path }, { fetch }),
    ).rejects.toThrow(Discover.DiscoveryError)
  })

  it('refuses a paid operation that declares no 402 response {discovery.response-402}', async () => {
    const fetch = async () =>
      Response.json({
        openapi: '3.1.0',
        info,
        paths: {
          '/paid': {
            get: {
              'x-payment-info': {
                intent: 'charge',
                method: 'test',
                amount: '1000',
                currency: 'usd',
              },
            },
          },
        },
      })
    await expect(
      Discover.config(target.url, { discovery: Discovery.path }, { fetch }),
    ).rejects.toThrow(/responses\.402: a payable operation must declare a 402 response/)
  })

  it('refuses a document without a paid GET operation of a fixed path', async () => {
    const only = await Discovery.document({
      info,
      methods,
      operations: [
        { method: 'GET', path: '/free' },
        { method: 'GET', path: '/items/{id}', route: { price: { amount: '1' } } },
        { method: 'POST', path: '/orders', route: { price: { amount: '1' } } },
      ],
    })
    const fetch = async () => Discovery.response(only)
    await expect(
      Discover.config(target.url, { discovery: Discovery.path }, { fetch }),
    ).rejects.toThrow(/no paid GET operation with a fixed path \(2 paid operation\(s\) in all\)/)
  })
})

describe('the server suite on discovered routes', () => {
  it('runs its checks against the routes the document names', async () => {
    const config = await Discover.config(target.url, {
      discovery: '/openapi.json',
      methods: claimed,
    })
    const results = await Suite.run({
      url: target.url,
      config,
      filter: { prefix: ['server.challenge.issued', 'server.status', 'server.binding.route'] },
    })
    const verdicts = Object.fromEntries(results.results.map((r) => [r.id, r.verdict]))
    expect(verdicts['server.challenge.issued']).toBe('pass')
    expect(verdicts['server.status.success']).toBe('pass')
    expect(results.summary.fail + results.summary.error).toBe(0)
  })

  it('paywire-conformance server --discover runs on the routes of /openapi.json', async () => {
    // A configuration naming no route: only the methods the suite pays with.
    const work = mkdtempSync(join(tmpdir(), 'paywire-conformance-discover-'))
    const file = join(work, 'config.json')
    writeFileSync(file, JSON.stringify({ methods: claimed }))
    let out = ''
    const status = await Cli.main(
      [
        'server',
        target.url,
        '--config',
        file,
        '--discover',
        '--only',
        'server.status.success',
      ].concat(['--json', '-']),
      {
        out: (text) => {
          out += text
        },
        err: () => {},
        stderr: { write: () => true },
      },
    )
    const results = JSON.parse(out) as { results: { id: string; verdict: string }[] }
    rmSync(work, { recursive: true, force: true })
    expect(results.results).toEqual([
      expect.objectContaining({ id: 'server.status.success', verdict: 'pass' }),
    ])
    expect(status).toBe(0)
  })

  it('paywire-conformance server --discover exits 2 naming the missing document', async () => {
    let err = ''
    const status = await Cli.main(['server', bare.url, '--discover', '--quiet'], {
      out: () => {},
      err: (text) => {
        err += text
      },
      stderr: { write: () => true },
    })
    expect(status).toBe(2)
    expect(err).toMatch(/openapi\.json answered 404, expected 200: does the target publish one\?/)
  })
})
