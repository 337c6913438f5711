// Client mode: the client suite against paywire's adapter (every test passes: one vitest
// test per client catalog entry, its title tagged with the requirements it checks, so
// spec coverage counts what the suite verified on paywire's client), against broken
// clients (one defect each, caught by exactly the test naming it), and through the CLI.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Catalog from '../src/Catalog.js'
import * as ClientSuite from '../src/client/Suite.js'
import * as Results from '../src/Results.js'
import * as Processes from './fixtures/processes.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const bin = join(packageDir, 'dist/cli/main.js')
const adapter = join(packageDir, 'dist/adapters/paywire/main.js')
const broken = join(packageDir, 'test/fixtures/broken-client.mjs')
const work = mkdtempSync(join(tmpdir(), 'paywire-client-'))

/** Each defect of the broken client and the one test that must fail on it. */
const caughtBy = {
  'slow-clock': 'client.expiry.expired',
  'retry-on-402': 'client.retry.no-runaway',
  'ignores-cap': 'client.policy.max-amount',
  plaintext: 'client.transport.plaintext',
  'logs-credential': 'client.credential.not-logged',
  'forwards-credential': 'client.credential.no-forward',
} as const

let results: Results.Results
const brokenRuns = new Map<string, Results.Results>()

beforeAll(async () => {
  if (!existsSync(adapter))
    throw new Error(`${adapter} is missing: run \`pnpm --filter @paywire/conformance build\` first`)
  const runs = [
    ClientSuite.run({ adapter: { command: ['node', adapter] }, concurrency: 2 }).then((r) => {
      results = r
    }),
    ...Object.keys(caughtBy).map((defect) =>
      ClientSuite.run({ adapter: { command: ['node', broken, defect] }, concurrency: 2 }).then(
        (r) => void brokenRuns.set(defect, r),
      ),
    ),
  ]
  await Promise.all(runs)
}, 240_000)

afterAll(() => rmSync(work, { recursive: true, force: true }))

function expectVerdict(id: string, verdict: Results.Verdict): void {
  const result = results.results.find((r) => r.id === id)
  expect(result, `${id} ran`).toBeDefined()
  expect({ id, verdict: result?.verdict, message: result?.message }).toEqual({
    id,
    verdict,
    message: result?.message,
  })
}

describe("paywire's client, through its adapter", () => {
  it('client.pay.basic passes {charge.payload.proof}', () =>
    expectVerdict('client.pay.basic', 'pass'))
  it('client.header.payment-authorization passes {core.header.payment-authorization-field, core.header.only-selected-field, core.credential.echo-header}', () =>
    expectVerdict('client.header.payment-authorization', 'pass'))
  it('client.credential.echo passes {core.credential.echo}', () =>
    expectVerdict('client.credential.echo', 'pass'))
  it('client.credential.single-authorization passes {core.client.single-authorization}', () =>
    expectVerdict('client.credential.single-authorization', 'pass'))
  it('client.select.supported passes {core.client.select-one}', () =>
    expectVerdict('client.select.supported', 'pass'))
  it('client.negotiation.accept-payment passes {core.accept-payment.send}', () =>
    expectVerdict('client.negotiation.accept-payment', 'pass'))
  it('client.challenge.opaque-unchanged passes {core.challenge.opaque.unchanged}', () =>
    expectVerdict('client.challenge.opaque-unchanged', 'pass'))
  it('client.challenge.unknown-params passes {core.challenge.unknown-params}', () =>
    expectVerdict('client.challenge.unknown-params', 'pass'))
  it('client.challenge.size-4kb passes {core.size.challenge-4kb}', () =>
    expectVerdict('client.challenge.size-4kb', 'pass'))
  it('client.digest.match passes {core.challenge.digest.client-match}', () =>
    expectVerdict('client.digest.match', 'pass'))
  it('client.intermediary.relayed-402 passes {core.intermediary.client-prepared}', () =>
    expectVerdict('client.intermediary.relayed-402', 'pass'))
  it('client.select.unknown-methods passes {core.client.select-one}', () =>
    expectVerdict('client.select.unknown-methods', 'pass'))
  it('client.select.unknown-intent passes {core.intent.unknown-unsupported}', () =>
    expectVerdict('client.select.unknown-intent', 'pass'))
  it('client.expiry.expired passes {core.client.no-expired}', () =>
    expectVerdict('client.expiry.expired', 'pass'))
  it('client.expiry.validity-window passes {core.client.verify-validity}', () =>
    expectVerdict('client.expiry.validity-window', 'pass'))
  it('client.policy.max-amount passes {core.client.verify-amount, charge.client.verify-amount}', () =>
    expectVerdict('client.policy.max-amount', 'pass'))
  it('client.policy.currency passes {core.client.verify-currency, charge.client.verify-currency}', () =>
    expectVerdict('client.policy.currency', 'pass'))
  it('client.policy.recipient passes {core.client.verify-recipient, charge.client.verify-recipient}', () =>
    expectVerdict('client.policy.recipient', 'pass'))
  it('client.negotiation.validate-challenge passes {core.accept-payment.client-validate}', () =>
    expectVerdict('client.negotiation.validate-challenge', 'pass'))
  it('client.header.other-value passes {core.header.other-value}', () =>
    expectVerdict('client.header.other-value', 'pass'))
  it('client.challenge.empty-id passes {core.challenge.id.reject-empty}', () =>
    expectVerdict('client.challenge.empty-id', 'pass'))
  it('client.origin.redirect passes {core.client.verify-recipient}', () =>
    expectVerdict('client.origin.redirect', 'pass'))
  it('client.transport.plaintext passes {core.tls.client-no-plaintext}', () =>
    expectVerdict('client.transport.plaintext', 'pass'))
  it('client.digest.mismatch passes {core.challenge.digest.client-match}', () =>
    expectVerdict('client.digest.mismatch', 'pass'))
  it('client.retry.no-runaway passes {core.client.verify-amount, charge.client.verify-amount}', () =>
    expectVerdict('client.retry.no-runaway', 'pass'))
  it('client.retry.bad-receipt passes {core.client.verify-amount}', () =>
    expectVerdict('client.retry.bad-receipt', 'pass'))
  it('client.credential.no-forward passes {core.credential.sensitive}', () =>
    expectVerdict('client.credential.no-forward', 'pass'))
  it('client.credential.not-logged passes {core.credential.sensitive, core.storage.sensitive-headers}', () =>
    expectVerdict('client.credential.not-logged', 'pass'))

  it('has one test above per client catalog entry, tagged with exactly its requirements', () => {
    const source = readFileSync(fileURLToPath(import.meta.url), 'utf8')
    const titles = [...source.matchAll(/^ {2}it\('(client\.[a-z0-9.-]+) passes \{([^}]*)\}',/gm)]
    const client = Catalog.tests.filter((test) => test.id.startsWith('client.'))
    expect(titles.map((m) => m[1])).toEqual(client.map((test) => test.id))
    for (const [, id, tag] of titles)
      expect({ id, tag: tag?.split(', ') }).toEqual({
        id,
        tag: client.find((test) => test.id === id)?.requirements,
      })
  })

  it('writes a client-mode report that validates against the results schema', () => {
    expect(results.mode).toBe('client')
    expect(results.summary).toMatchObject({ pass: results.results.length, total: 28 })
    expect(Results.schema.safeParse(results).success).toBe(true)
  })
})

describe('each broken client', () => {
  it.each(Object.entries(caughtBy))('with %s fails on %s, and only there', (defect, id) => {
    const run = brokenRuns.get(defect) as Results.Results
    const notPassed = run.results
      .filter((result) => result.verdict !== 'pass')
      .map((result) => `${result.id}: ${result.verdict}`)
    expect(notPassed).toEqual([`${id}: fail`])
    expect(run.results.find((result) => result.id === id)?.evidence.length).toBeGreaterThan(0)
  })
})

const cli = (args: readonly string[]) => Processes.run(bin, args)

describe('paywire-conformance client', () => {
  it('exits 0 against paywire, writing the reports it is asked for', async () => {
    const json = join(work, 'client.json')
    const junit = join(work, 'client.xml')
    const outcome = await cli([
      'client',
      '--only',
      'client.expiry',
      '--only',
      'client.pay',
      '--json',
      json,
      '--junit',
      junit,
      '--',
      'node',
      adapter,
    ])
    expect(outcome.stderr).toContain('3 tests: 3 pass')
    expect(outcome.status).toBe(0)
    const report = JSON.parse(readFileSync(json, 'utf8')) as Results.Results
    expect(report.mode).toBe('client')
    expect(report.results.map((result) => result.id)).toEqual([
      'client.pay.basic',
      'client.expiry.expired',
      'client.expiry.validity-window',
    ])
    expect(readFileSync(junit, 'utf8')).toContain('testsuite name="client.expiry"')
  })

  it('exits 1 against a broken client, naming the failed test', async () => {
    const outcome = await cli([
      'client',
      '--only',
      'client.retry',
      '--',
      'node',
      broken,
      'retry-on-402',
    ])
    expect(outcome.status).toBe(1)
    expect(outcome.stderr).toContain('FAIL client.retry.no-runaway')
  })

  it('reads the adapter from a manifest claiming http.payment_request', async () => {
    const manifest = join(work, 'adapter.json')
    writeFileSync(
      manifest,
      JSON.stringify({ command: ['node', adapter], capabilities: ['http.payment_request'] }),
    )
    const outcome = await cli([
      'client',
      '--quiet',
      '--only',
      'client.policy',
      '--adapter',
      manifest,
    ])
    expect(outcome.stderr).toContain('3 tests: 3 pass')
    expect(outcome.status).toBe(0)
  })

  it.each([
    ['no adapter', ['client']],
    ['both a manifest and a command', ['client', '--adapter', 'a.json', '--', 'node']],
    ['a stray positional', ['client', 'extra', '--', 'node']],
    ['a bad timeout', ['client', '--timeout', '0', '--', 'node']],
  ])('exits 2 on %s', async (_, args) => {
    const outcome = await cli(args)
    expect(outcome.status).toBe(2)
    expect(outcome.stderr).toContain('Usage:')
  })

  it('lists the client checks with the capability they need', async () => {
    const outcome = await cli(['list', '--prefix', 'client.expiry'])
    expect(outcome.status).toBe(0)
    expect(outcome.stdout).toContain('client.expiry.expired')
    expect(outcome.stdout).toContain('needs: adapter:http.payment_request')
    expect(outcome.stdout).toContain('2 test(s)')
  })
})
