// The `paywire-conformance` executable, built, driven as a user runs it: `list` with its
// filters, `server` against a correct and a broken fixture with every report written,
// and exit status 2 for usage mistakes.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Catalog from '../src/Catalog.js'
import * as Results from '../src/Results.js'
import { fixture, start } from './fixtures/paywall.js'
import * as Processes from './fixtures/processes.js'

const bin = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url))
const work = mkdtempSync(join(tmpdir(), 'paywire-conformance-'))
const servers: Array<Awaited<ReturnType<typeof start>>> = []

const cli = (args: readonly string[]) => Processes.run(bin, args)

const configFile = join(work, 'config.json')

beforeAll(() => {
  if (!existsSync(bin))
    throw new Error(`${bin} is missing: run \`pnpm --filter @paywire/conformance build\` first`)
  writeFileSync(
    configFile,
    JSON.stringify({
      routes: { paid: '/paid', body: { path: '/paid-body' } },
      methods: { test: { key: fixture.key } },
    }),
  )
})

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()))
  rmSync(work, { recursive: true, force: true })
})

describe('paywire-conformance list', () => {
  it('prints the catalog filtered by prefix and level', async () => {
    const { status, stdout } = await cli(['list', '--prefix', 'server.replay', '--level', 'MUST'])
    expect(status).toBe(0)
    expect(stdout).toContain('server.replay.concurrent')
    expect(stdout).toContain('server.replay.sequential')
    expect(stdout).not.toContain('server.cache')
    expect(stdout).toContain('4 test(s)')
  })

  it('prints the whole catalog as JSON, filtered by tag', async () => {
    const all = JSON.parse((await cli(['list', '--json'])).stdout) as unknown[]
    expect(all).toHaveLength(Catalog.tests.length)
    const tagged = JSON.parse((await cli(['list', '--json', '--tag', 'tamper'])).stdout) as Array<{
      id: string
    }>
    expect(tagged.length).toBeGreaterThan(5)
    expect(tagged.every((test) => test.id.startsWith('server.binding.tamper'))).toBe(true)
  })
})

describe('paywire-conformance list, vectors and coverage', () => {
  it('lists the vector tests with mode vectors, filtered by prefix, level and tag', async () => {
    const all = JSON.parse((await cli(['list', '--json'])).stdout) as Catalog.Entry[]
    const vectors = all.filter((test) => test.mode === 'vectors')
    expect(vectors.length).toBeGreaterThan(90)
    expect(vectors.every((test) => test.id.startsWith('vectors.'))).toBe(true)
    const rejects = JSON.parse(
      (await cli(['list', '--json', '--prefix', 'vectors.www-authenticate', '--tag', 'reject']))
        .stdout,
    ) as Catalog.Entry[]
    expect(rejects.map((test) => test.id)).toContain('vectors.www-authenticate.reject.empty-id')
    expect(rejects.every((test) => test.mode === 'vectors' && test.tags.includes('reject'))).toBe(
      true,
    )
    const { stdout } = await cli(['list', '--prefix', 'vectors.challenge-id', '--level', 'SHOULD'])
    expect(stdout).toContain('vectors.challenge-id.with-opaque')
    expect(stdout).toContain('needs: adapter:challenge.id')
    expect(stdout).toContain(
      'checks: core.binding.hmac, core.binding.all-params, core.binding.opaque',
    )
  })

  it('prints the coverage per draft of the listed tests, as text and JSON', async () => {
    const text = await cli(['list', '--coverage'])
    expect(text.status).toBe(0)
    expect(text.stdout).toMatch(/draft-httpauth-payment-00 +(\d+)\/\1 +100%/)
    expect(text.stdout).toMatch(/draft-payment-intent-charge-00 +(\d+)\/\1 +100%/)
    expect(text.stdout).toContain('MUST / MUST NOT requirements no test checks')
    const onlyVectors = JSON.parse(
      (await cli(['list', '--coverage', '--json', '--prefix', 'vectors'])).stdout,
    ) as { unchecked: Array<{ id: string }>; requirements: Array<{ id: string; tests: string[] }> }
    const unchecked = onlyVectors.unchecked.map((entry) => entry.id)
    expect(unchecked).toContain('core.replay.reject-reuse')
    expect(unchecked).not.toContain('charge.client.display-shared')
    expect(
      onlyVectors.requirements.find((entry) => entry.id === 'charge.client.display-shared')?.tests,
    ).toEqual(['vectors.www-authenticate.parse.unknown-method-with-exotic-methoddetails'])
  })
})

describe('paywire-conformance server', () => {
  it('exits 0 against a correct server and writes JSON, JUnit, Markdown and HTML reports', async () => {
    const server = await start()
    servers.push(server)
    const files = {
      json: join(work, 'r.json'),
      junit: join(work, 'r.xml'),
      markdown: join(work, 'r.md'),
      html: join(work, 'r.html'),
    }
    const outcome = await cli([
      'server',
      server.url,
      '--config',
      configFile,
      '--only',
      'server.cache',
      '--only',
      'server.replay',
      '--json',
      files.json,
      '--junit',
      files.junit,
      '--markdown',
      files.markdown,
      '--html',
      files.html,
    ])
    expect(outcome.stderr).toMatch(/6 tests: 5 pass, 0 fail, 0 warn, 0 xfail, 1 n\/a/)
    expect(outcome.status).toBe(0)
    const results = Results.schema.parse(JSON.parse(readFileSync(files.json, 'utf8')))
    expect(results.results.map((r) => r.id)).toEqual([
      'server.cache.no-store',
      'server.cache.private-receipt',
      'server.replay.sequential',
      'server.replay.byte-forms',
      'server.replay.delayed',
      'server.replay.concurrent',
    ])
    expect(readFileSync(files.json, 'utf8')).not.toMatch(/"authorization": "Payment eyJ/)
    expect(readFileSync(files.junit, 'utf8')).toContain(
      '<testsuite name="server.cache" tests="2" failures="0"',
    )
    expect(readFileSync(files.markdown, 'utf8')).toContain('**5 pass, 0 fail')
    expect(readFileSync(files.html, 'utf8')).toContain('<span class="v pass">5 pass</span>')
  })

  it('exits 1 and names the failing test against a broken server', async () => {
    const server = await start({ defect: 'no-cache-control' })
    servers.push(server)
    const outcome = await cli([
      'server',
      server.url,
      '--config',
      configFile,
      '--only',
      'server.cache',
      '--json',
      '-',
    ])
    expect(outcome.status).toBe(1)
    expect(outcome.stderr).toContain('FAIL server.cache.no-store')
    const results = JSON.parse(outcome.stdout) as Results.Results
    expect(results.results.find((r) => r.id === 'server.cache.no-store')?.verdict).toBe('fail')
  })

  it('without --config, checks the URL as the paid route and marks paying checks n/a', async () => {
    const server = await start()
    servers.push(server)
    const outcome = await cli([
      'server',
      `${server.url}/paid`,
      '--only',
      'server.challenge',
      '--only',
      'server.replay',
      '--json',
      '-',
    ])
    expect(outcome.status).toBe(0)
    const results = JSON.parse(outcome.stdout) as Results.Results
    expect(results.results.find((r) => r.id === 'server.challenge.required-params')?.verdict).toBe(
      'pass',
    )
    expect(results.results.find((r) => r.id === 'server.replay.sequential')).toMatchObject({
      verdict: 'n/a',
      message: 'needs payment, not claimed',
    })
    // The console says how much was not checked, why, and that this is not a full pass.
    const skipped = results.summary['n/a']
    expect(skipped).toBeGreaterThan(0)
    expect(outcome.stderr).toContain(
      `SKIPPED ${skipped} of ${results.summary.total} checks (n/a), only the ${results.summary.total - skipped} that ran passed: this is not a full pass`,
    )
    expect(outcome.stderr).toMatch(/^ +\d+ {2}needs payment, not claimed$/m)
    expect(outcome.stderr).toContain('give --config with the payers (methods)')
  })

  it('gives error verdicts and exits 1 when the target does not answer', async () => {
    const outcome = await cli([
      'server',
      'http://127.0.0.1:1/paid',
      '--only',
      'server.cache',
      '--json',
      '-',
    ])
    expect(outcome.status).toBe(1)
    const results = JSON.parse(outcome.stdout) as Results.Results
    expect(results.summary).toMatchObject({ error: 1, 'n/a': 1, fail: 0, total: 2 })
    expect(results.results[0]?.message).toMatch(/no response/)
  })

  it('exits 2 on usage and configuration mistakes', async () => {
    expect((await cli(['server'])).status).toBe(2)
    expect((await cli(['server', 'ftp://example.com'])).status).toBe(2)
    expect((await cli(['list', '--level', 'OFTEN'])).status).toBe(2)
    expect((await cli(['nonsense'])).status).toBe(2)
    writeFileSync(join(work, 'bad.json'), '{"routes":{"paid":"no-slash"}}')
    const bad = await cli(['server', 'http://127.0.0.1:1', '--config', join(work, 'bad.json')])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('routes.paid')
    writeFileSync(join(work, 'nokey.json'), '{"routes":{"paid":"/paid"},"methods":{"test":{}}}')
    const noKey = await cli(['server', 'http://127.0.0.1:1', '--config', join(work, 'nokey.json')])
    expect(noKey.status).toBe(2)
    expect(noKey.stderr).toContain('methods.test.key')
  })
})

describe('the package bin', () => {
  it('is the only bin, so `npx @paywire/conformance <command>` runs it (npm runs a single bin)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      bin: Record<string, string>
    }
    expect(pkg.bin).toEqual({ 'paywire-conformance': './dist/cli/main.js' })
  })

  it('serves as paywire’s mpp-tools adapter with `adapter`: one request on stdin, one line out', async () => {
    const child = spawn(process.execPath, [bin, 'adapter'], { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stdin.end(
      JSON.stringify({
        schema: 1,
        op: 'challenge.parse',
        input: {
          header: 'Payment id="ch_1", realm="api", method="tempo", intent="charge", request="e30"',
        },
      }),
    )
    const status = await new Promise((resolve) => child.on('close', resolve))
    expect(status).toBe(0)
    expect(stdout.endsWith('\n')).toBe(true)
    expect(JSON.parse(stdout)).toEqual({
      ok: true,
      value: { id: 'ch_1', realm: 'api', method: 'tempo', intent: 'charge', request: {} },
    })
  })
})
