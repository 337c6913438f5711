// Keeps the recorded results against mppx (results/mppx-*.{json,md}, written by
// `pnpm --filter @paywire/conformance results:mppx`) honest: they fit the published
// results schema, the Markdown is the rendering of the JSON, every server failure is an
// expected failure with its reason, and mppx still gets the recorded verdict on every
// test, vectors in-process and through the adapter's executable, server checks live
// against a fresh mppx target. A change on either side (mppx, the suite, the vectors)
// fails here until the results are recorded again.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Mppx from '../src/adapters/mppx/ops.js'
import * as Catalog from '../src/Catalog.js'
import * as ClientSuite from '../src/client/Suite.js'
import * as Report from '../src/Report.js'
import * as Results from '../src/Results.js'
import * as Suite from '../src/Suite.js'
import * as Config from '../src/server/Config.js'
import * as Vectors from '../src/Vectors.js'
import * as MppxServer from '../targets/mppx-server.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const specVectors = join(packageDir, '../spec/vectors')
const manifestFile = join(packageDir, 'adapters/mppx/adapter.json')
const rerecord = 're-record with `pnpm --filter @paywire/conformance results:mppx`'

function recorded(name: string): { results: Results.Results; markdown: string } {
  const file = join(packageDir, 'results', name)
  return {
    results: Results.schema.parse(JSON.parse(readFileSync(`${file}.json`, 'utf8'))),
    markdown: readFileSync(`${file}.md`, 'utf8'),
  }
}

/** Test id → verdict. */
const verdicts = (results: { results: readonly Pick<Results.Result, 'id' | 'verdict'>[] }) =>
  Object.fromEntries(results.results.map((result) => [result.id, result.verdict]))

const adapter = recorded('mppx-adapter')
const server = recorded('mppx-server')
const client = recorded('mppx-client')
const checkedInConfig = Config.from(JSON.parse(readFileSync(MppxServer.configFile, 'utf8')))

describe('the recorded results against mppx', () => {
  it('fit the results schema, with Markdown reports rendered from the JSON', () => {
    for (const { results, markdown } of [adapter, server, client]) {
      expect(Results.schema.safeParse(results).success).toBe(true)
      expect(results.summary).toEqual(Results.summarize(results.results))
      expect(markdown).toBe(Report.markdown(results))
    }
    expect(adapter.results.mode).toBe('vectors')
    expect(adapter.results.target.url).toMatch(/\/conformance\/adapters\/mppx\/adapter\.json$/)
    expect(server.results.mode).toBe('server')
    expect(server.results.target.methods).toEqual(['tempo'])
    expect(client.results.mode).toBe('client')
  })

  it('are summed up in docs/conformance-results.md with their current counts', () => {
    const page = readFileSync(join(packageDir, '../docs/conformance-results.md'), 'utf8')
    for (const [run, { results }] of [
      ['vectors', adapter],
      ['server', server],
      ['client', client],
    ] as const) {
      const { total, pass, fail, warn, xfail } = results.summary
      const counts = [total, pass, fail, warn, xfail, results.summary['n/a']].join(' *\\| *')
      expect(page, `the ${run} row of the summary; ${rerecord} and update it`).toMatch(
        new RegExp(`\\| ${run} +\\| *${counts} *\\|`),
      )
    }
  })

  it('record no server fail or error: each failure is an expected failure naming its draft section', () => {
    const bad = server.results.results.filter((r) => r.verdict === 'fail' || r.verdict === 'error')
    expect(bad.map((r) => `${r.id}: ${r.message}`)).toEqual([])
    const xfails = server.results.results.filter((r) => r.verdict === 'xfail').map((r) => r.id)
    // An expected failure that did not fail would pass with a note; none is stale.
    const ran = new Set(server.results.results.filter((r) => r.verdict !== 'n/a').map((r) => r.id))
    const listed = Object.keys(checkedInConfig.expectedFailures)
    expect(xfails.sort()).toEqual(listed.filter((id) => ran.has(id)).sort())
    for (const reason of Object.values(checkedInConfig.expectedFailures))
      expect(reason).toMatch(/§\d/)
  })
})

describe('the mppx adapter', () => {
  const manifest = Vectors.readManifest(manifestFile)

  it('still gets the recorded verdict on every vector, in-process', () => {
    const live = Vectors.cases(Vectors.load(specVectors)).map((test) => ({
      id: test.id,
      verdict: verdictOf(test, manifest),
    }))
    expect(verdicts({ results: live }), rerecord).toEqual(verdicts(adapter.results))
    expect(adapter.results.summary.pass).toBeGreaterThan(30)
  })

  it('still gets the recorded verdicts through its executable and manifest', async () => {
    const bin = join(packageDir, 'dist/adapters/mppx/main.js')
    if (!existsSync(bin))
      throw new Error(`${bin} is missing: run \`pnpm --filter @paywire/conformance build\` first`)
    // A few spawns (mppx loads in about half a second): refusals and the two it lets through.
    const only = ['vectors.credential.reject', 'vectors.receipt.parse']
    const results = await Vectors.run({ manifest, directory: specVectors, only })
    const expected = adapter.results.results.filter((r) => only.some((p) => r.id.startsWith(p)))
    expect(results.results.length).toBeGreaterThanOrEqual(5)
    expect(results.summary.fail).toBeGreaterThan(0)
    expect(verdicts(results), rerecord).toEqual(verdicts({ results: expected }))
  })
})

describe('the mppx client', () => {
  const manifest = Vectors.readManifest(manifestFile)

  it('is recorded n/a on every client check: the scenarios pay only with the `test` method', () => {
    // When the client suite offers a method mppx pays (tempo), this fails: record again.
    const reasons = new Set(client.results.results.map((r) => `${r.verdict}: ${r.message}`))
    expect([...reasons], rerecord).toEqual([
      'n/a: the adapter cannot run this scenario: payer.methods.test: mppx has no `test` payment method',
    ])
    expect(client.results.results.length).toBe(Catalog.clientChecks.length)
  })

  it('still gets the recorded verdicts through its executable and manifest', async () => {
    const bin = join(packageDir, 'dist/adapters/mppx/main.js')
    if (!existsSync(bin))
      throw new Error(`${bin} is missing: run \`pnpm --filter @paywire/conformance build\` first`)
    // A few scenarios (one mppx spawn each): the paid one and the policy refusals.
    const prefix = ['client.pay', 'client.policy']
    const live = await ClientSuite.run({
      adapter: { command: manifest.command, cwd: manifest.cwd },
      filter: { prefix },
    })
    const expected = client.results.results.filter((r) => prefix.some((p) => r.id.startsWith(p)))
    expect(live.results.length).toBeGreaterThanOrEqual(4)
    expect(verdicts(live), rerecord).toEqual(verdicts({ results: expected }))
  }, 30_000)
})

describe('the mppx server target', () => {
  let target: MppxServer.Target
  let live: Results.Results

  beforeAll(async () => {
    target = await MppxServer.start()
    live = await Suite.run({ url: target.url, config: Config.from(target.config) })
  }, 90_000)
  afterAll(() => target?.stop())

  it('still gets the recorded verdict on every check', () => {
    expect(verdicts(live), rerecord).toEqual(verdicts(server.results))
  })
})

/** The verdict `Vectors.run` gives a case, with the adapter run in-process. */
function verdictOf(test: Vectors.Case, manifest: Vectors.Manifest): Results.Verdict {
  if (typeof test.op !== 'string' || !manifest.capabilities.includes(test.op)) return 'n/a'
  const response = Mppx.handle(JSON.stringify({ schema: 1, op: test.op, input: test.input }))
  if (!response.ok && response.error.type === 'unsupported_operation') return 'n/a'
  if (test.check?.(response) === undefined) return 'pass'
  return test.level === 'MUST' ? 'fail' : 'warn'
}
