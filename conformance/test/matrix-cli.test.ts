// `paywire-conformance matrix` as users run it (the built command), with no chain: paywire's
// adapter and the mppx adapter against the test fixture's `test` method. paywire pays the
// basic route, refuses the route over its cap (expected, so xfail; unexpected, so fail);
// mppx has no `test` method, so its cells are n/a. Configuration mistakes exit 2.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Matrix from '../src/Matrix.js'
import { fixture, start } from './fixtures/paywall.js'
import * as Processes from './fixtures/processes.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const bin = join(packageDir, 'dist/cli/main.js')
const work = mkdtempSync(join(tmpdir(), 'paywire-matrix-cli-'))
let server: Awaited<ReturnType<typeof start>>

const cli = (args: readonly string[]) => Processes.run(bin, args)

/** A configuration file in `work` (manifests relative to it: `adapters` is linked there). */
function configFile(name: string, config: unknown): string {
  const file = join(work, `${name}.json`)
  writeFileSync(file, JSON.stringify(config))
  return file
}

const expectedOverCap = {
  client: 'paywire',
  server: 'pro',
  outcome: 'refused',
  by: 'client',
  match: 'max-amount',
  reason: 'the pro tier costs 5000, over the payer cap of 1000',
}

/** The configuration; `only` keeps the one cell paywire × pro. */
function config(expected: unknown[] = [expectedOverCap], only = false) {
  const payer = {
    methods: { test: { key: fixture.key } },
    policy: {
      currencies: { usd: { maxAmount: '1000' } },
      insecureOrigins: [server.url],
      realms: [fixture.realm],
    },
  }
  const clients = [
    { name: 'paywire', adapter: join(packageDir, 'adapters/paywire/adapter.json') },
    { name: 'mppx', adapter: join(packageDir, 'adapters/mppx/adapter.json') },
  ]
  const servers = [
    { name: 'basic', url: server.url, route: { path: '/paid' }, payer },
    { name: 'pro', url: server.url, route: { path: '/paid?tier=pro' }, payer },
  ]
  return only
    ? { clients: clients.slice(0, 1), servers: servers.slice(1), expected }
    : { clients, servers, expected }
}

beforeAll(async () => {
  if (!existsSync(bin))
    throw new Error(`${bin} is missing: run \`pnpm --filter @paywire/conformance build\` first`)
  server = await start()
})

afterAll(async () => {
  await server?.close()
  rmSync(work, { recursive: true, force: true })
})

describe('paywire-conformance matrix', () => {
  it('prints the table, writes JSON (schema-valid) and Markdown, exits 0 when every cell is as expected', async () => {
    const json = join(work, 'matrix.json')
    const markdown = join(work, 'matrix.md')
    const file = configFile('ok', config())
    const { status, stdout } = await cli([
      'matrix',
      '--config',
      file,
      '--json',
      json,
      '--markdown',
      markdown,
      '--quiet',
    ])
    expect(status).toBe(0)
    const matrix = Matrix.schema.parse(JSON.parse(readFileSync(json, 'utf8')))
    expect(
      matrix.cells.map(({ client, server, outcome, by, verdict }) => ({
        client,
        server,
        outcome,
        by,
        verdict,
      })),
    ).toEqual([
      { client: 'paywire', server: 'basic', outcome: 'paid', by: undefined, verdict: 'pass' },
      { client: 'paywire', server: 'pro', outcome: 'refused', by: 'client', verdict: 'xfail' },
      { client: 'mppx', server: 'basic', outcome: 'unsupported', by: undefined, verdict: 'n/a' },
      { client: 'mppx', server: 'pro', outcome: 'unsupported', by: undefined, verdict: 'n/a' },
    ])
    expect(matrix.cells[0]?.payment).toMatchObject({
      method: 'test',
      amount: '1000',
      currency: 'usd',
    })
    expect(matrix.cells[2]?.reason).toMatch(/payer\.methods\.test/)
    expect(stdout).toMatch(/^client \\ server\s+basic\s+pro$/m)
    expect(stdout).toMatch(/^paywire\s+paid \[pass\]\s+refused by client \[xfail\]$/m)
    expect(readFileSync(markdown, 'utf8')).toContain(
      '| paywire | paid [pass] | refused by client [xfail] |',
    )
    expect(JSON.stringify(matrix)).not.toContain(fixture.key)
  })

  it('exits 1 when a cell is not paid and no expectation says why', async () => {
    const { status, stdout } = await cli([
      'matrix',
      '--config',
      configFile('unexpected', config([], true)),
      '--quiet',
    ])
    expect(status).toBe(1)
    expect(stdout).toMatch(/^paywire\s+refused by client \[fail\]$/m)
  })

  it('exits 1 when an expected refusal does not have the expected reason', async () => {
    const other = { ...expectedOverCap, match: 'currency' }
    const { status, stdout } = await cli([
      'matrix',
      '--config',
      configFile('mismatch', config([other], true)),
      '--quiet',
    ])
    expect(status).toBe(1)
    expect(stdout).toMatch(/^paywire\s+refused by client \[fail\]$/m)
  })

  it.each([
    ['no --config', () => ['matrix']],
    ['a positional argument', () => ['matrix', 'extra', '--config', configFile('p', config())]],
    [
      'an expectation for a cell not in the matrix',
      () => [
        'matrix',
        '--config',
        configFile('cell', config([{ ...expectedOverCap, server: 'nope' }])),
      ],
    ],
    [
      'a client named twice',
      () => [
        'matrix',
        '--config',
        configFile('twice', { ...config(), clients: [config().clients[0], config().clients[0]] }),
      ],
    ],
    [
      'a manifest without http.payment_request',
      () => {
        const manifest = join(work, 'codecs.json')
        writeFileSync(
          manifest,
          JSON.stringify({ command: ['node', 'x.js'], capabilities: ['challenge.parse'] }),
        )
        return [
          'matrix',
          '--config',
          configFile('codecs', { ...config(), clients: [{ name: 'codecs', adapter: manifest }] }),
        ]
      },
    ],
    [
      'a server route that is not a path',
      () => [
        'matrix',
        '--config',
        configFile('route', {
          ...config(),
          servers: [{ ...config().servers[0], route: { path: 'paid' } }],
        }),
      ],
    ],
  ])('exits 2 with the usage on %s', async (_, args) => {
    const { status, stderr } = await cli(args())
    expect(status).toBe(2)
    expect(stderr).toMatch(/^paywire-conformance: /)
  })
})
