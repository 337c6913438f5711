// The suite must never pass a broken target: each deliberately broken fixture (one defect
// each) fails on the test that names its defect, while the correct fixture, with HMAC or
// stateful binding, passes every MUST.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type * as Results from '../src/Results.js'
import * as Suite from '../src/Suite.js'
import * as Config from '../src/server/Config.js'
import { type Defect, defects, fixture, start } from './fixtures/paywall.js'

/** Each defect and the test id that must fail on it. */
const caughtBy: Record<Defect, string> = {
  'no-cache-control': 'server.cache.no-store',
  'receipt-not-private': 'server.cache.private-receipt',
  'receipt-on-error': 'server.receipt.not-on-error',
  'wrong-problem-type': 'server.status.malformed-credential',
  'no-challenge-on-error': 'server.status.invalid-challenge',
  'crash-on-malformed': 'server.malformed.corpus',
  'replay-accepted': 'server.replay.sequential',
  'race-on-claim': 'server.replay.concurrent',
  'digest-ignored': 'server.digest.mismatch',
  'unbound-id': 'server.binding.tamper.id',
  'amount-unchecked': 'server.binding.tamper.request-amount',
  'route-unbound': 'server.route.cross-route',
  'query-unbound': 'server.route.cross-query',
  'expiry-unchecked': 'server.expiry.expired-refused',
  'proof-unchecked': 'server.status.verification-failed',
  'challenge-reused': 'server.challenge.unique',
  'plaintext-challenges': 'server.tls.no-plaintext',
  'effect-before-payment': 'server.effects.refused',
  'effect-on-challenge': 'server.effects.challenge-only',
  'secret-in-error': 'server.secret.not-disclosed',
  'logs-credentials': 'server.log.no-credential',
  'logs-secret': 'server.log.no-secret',
  'account-required': 'server.privacy.no-accounts',
  'credential-echoed': 'server.privacy.credential-sensitive',
  'lenient-json': 'server.malformed.byte-forms',
  'padded-accepted': 'server.malformed.byte-forms',
  'replay-by-bytes': 'server.replay.byte-forms',
  'scheme-case-sensitive': 'server.credential.scheme-case',
  'refusal-leaks-id': 'server.binding.no-leak',
  'log-not-written': 'server.log.no-credential',
  'replay-marker-short': 'server.replay.delayed',
  'digest-unbound': 'server.digest.tamper-with-body',
}

/** Fixtures that bind statefully: the defect lives in that design. */
const stateful = new Set<Defect>(['amount-unchecked'])

/** Each fixture logs to its own file here. */
const logs = mkdtempSync(join(tmpdir(), 'paywire-conformance-broken-'))

const config = (logFile: string) =>
  Config.from({
    routes: {
      paid: '/paid',
      other: '/other',
      denied: '/denied',
      body: { path: '/paid-body' },
      query: { path: '/paid', queries: ['tier=basic', 'tier=pro'] },
      effects: '/effects',
    },
    methods: { test: { key: fixture.key } },
    secret: fixture.secret,
    logFile,
    expiry: { skewSeconds: 1, maxWaitSeconds: 6 },
    fuzzRuns: 12,
    concurrency: 10,
  })

type Run = { results: Results.Results; failed: string[] }
const runs = new Map<string, Run>()
const servers: Array<{ close(): Promise<void> }> = []

async function runAgainst(name: string, options: Parameters<typeof start>[0]): Promise<void> {
  const logFile = join(logs, `${name}.log`)
  const server = await start({ expiresIn: 3, logFile, ...options })
  servers.push(server)
  const results = await Suite.run({ url: server.url, config: config(logFile) })
  const failed = results.results.filter((r) => r.verdict === 'fail').map((r) => r.id)
  runs.set(name, { results, failed })
}

beforeAll(async () => {
  await Promise.all([
    runAgainst('correct', {}),
    runAgainst('correct-stateful', { binding: 'stateful' }),
    ...defects.map((defect) =>
      runAgainst(defect, { defect, binding: stateful.has(defect) ? 'stateful' : 'hmac' }),
    ),
  ])
}, 600_000)

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()))
  rmSync(logs, { recursive: true, force: true })
})

describe('the correct fixture', () => {
  it.each(['correct', 'correct-stateful'])('%s passes every MUST, with no error', (name) => {
    const { results } = runs.get(name) as Run
    const bad = results.results.filter((r) => r.verdict === 'fail' || r.verdict === 'error')
    expect(bad.map((r) => `${r.id}: ${r.message}`)).toEqual([])
    expect(results.summary.pass).toBeGreaterThan(40)
    const configured = [
      'server.expiry.expired-refused',
      'server.tls.no-plaintext',
      'server.effects.challenge-only',
      'server.effects.refused',
      'server.privacy.no-accounts',
      'server.privacy.credential-sensitive',
      'server.secret.not-disclosed',
      'server.log.no-credential',
      'server.log.no-secret',
      'server.replay.byte-forms',
      'server.malformed.byte-forms',
      'server.credential.scheme-case',
      'server.binding.no-leak',
      'server.replay.delayed',
      'server.digest.tamper-with-body',
    ]
    expect(configured.map((id) => [id, results.results.find((r) => r.id === id)?.verdict])).toEqual(
      configured.map((id) => [id, 'pass']),
    )
  })
})

describe('each broken fixture', () => {
  it.each(defects.map((defect) => [defect, caughtBy[defect]] as const))(
    'with %s fails on %s',
    (defect, id) => {
      const run = runs.get(defect) as Run
      expect(run.failed).toContain(id)
      expect(run.results.results.filter((r) => r.verdict === 'error')).toEqual([])
      expect(run.results.summary.fail).toBeGreaterThan(0)
    },
  )

  it('names every defect in the table', () => {
    expect(Object.keys(caughtBy).sort()).toEqual([...defects].sort())
  })
})
