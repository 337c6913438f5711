// Runs the whole server suite against paywire's reference server, started as users start
// it (`pnpm serve:reference`, challenges living 2 s so that the expired-challenge check
// can wait them out, its decisions logged to a file the suite searches). Every MUST passes. One test per catalog entry, its title tagged
// with the requirements the entry checks, so spec coverage counts what the suite
// verified on paywire's server; a last test keeps these titles in step with the catalog.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Catalog from '../src/Catalog.js'
import type * as Results from '../src/Results.js'
import * as Suite from '../src/Suite.js'
import * as Config from '../src/server/Config.js'
import * as Processes from './fixtures/processes.js'

const configFile = fileURLToPath(new URL('./fixtures/reference.config.json', import.meta.url))

let server: Processes.Server | undefined
let results: Results.Results
const logs = mkdtempSync(join(tmpdir(), 'paywire-conformance-reference-'))
const logFile = join(logs, 'reference.log')

beforeAll(async () => {
  server = await Processes.start({
    name: 'reference server',
    args: ['serve:reference', '--port', '0', '--expires', '2', '--skew', '1', '--log-events'],
    // Everything the server prints is its log.
    logFile,
  })
  const url = server.url
  const config = Config.from({
    ...JSON.parse(readFileSync(configFile, 'utf8')),
    expiry: { skewSeconds: 1, maxWaitSeconds: 10 },
    logFile,
  })
  results = await Suite.run({ url, config })
}, 300_000)

afterAll(() => {
  server?.stop()
  rmSync(logs, { recursive: true, force: true })
})

function expectVerdict(id: string, verdict: Results.Verdict): void {
  const result = results.results.find((r) => r.id === id)
  expect(result, `${id} ran`).toBeDefined()
  expect({ id, verdict: result?.verdict, message: result?.message }).toEqual({
    id,
    verdict,
    message: result?.message,
  })
}

describe('paywire reference server', () => {
  it('server.challenge.issued passes {core.status.payment-required, core.status.402-with-challenge, core.402.challenge-required}', () =>
    expectVerdict('server.challenge.issued', 'pass'))
  it('server.challenge.required-params passes {core.challenge.required, core.challenge.id.non-empty, core.challenge.id.server-emit, core.challenge.realm.required}', () =>
    expectVerdict('server.challenge.required-params', 'pass'))
  it('server.challenge.syntax passes {core.challenge.method.lowercase, core.challenge.request.no-padding, core.challenge.request.jcs, core.challenge.opaque.flat, core.challenge.opaque.jcs, core.custom-params.lowercase}', () =>
    expectVerdict('server.challenge.syntax', 'pass'))
  it('server.challenge.intent-registered passes {core.challenge.intent.registered}', () =>
    expectVerdict('server.challenge.intent-registered', 'pass'))
  it('server.challenge.charge-request passes {charge.request.fields, charge.request.amount-string, charge.request.no-expires, charge.request.jcs}', () =>
    expectVerdict('server.challenge.charge-request', 'pass'))
  it('server.challenge.expires passes {core.challenge.expires.include}', () =>
    expectVerdict('server.challenge.expires', 'pass'))
  it('server.challenge.unique passes {core.cache.challenge-not-reused}', () =>
    expectVerdict('server.challenge.unique', 'pass'))
  it('server.challenge.size passes {core.size.challenge-8kb}', () =>
    expectVerdict('server.challenge.size', 'pass'))
  it('server.challenge.realm-ascii passes {core.i18n.realm-ascii}', () =>
    expectVerdict('server.challenge.realm-ascii', 'pass'))
  it('server.challenge.digest passes {core.challenge.digest.include}', () =>
    expectVerdict('server.challenge.digest', 'pass'))
  it('server.problem.payment-required passes {core.problem.body, core.problem.types}', () =>
    expectVerdict('server.problem.payment-required', 'pass'))
  it('server.problem.retry-after passes {core.retry.retry-after}', () =>
    expectVerdict('server.problem.retry-after', 'pass'))
  it('server.status.malformed-credential passes {core.status.malformed-credential, core.status.402-with-challenge}', () =>
    expectVerdict('server.status.malformed-credential', 'pass'))
  it('server.status.invalid-challenge passes {core.status.invalid-challenge, core.status.402-with-challenge, charge.verify.challenge-id}', () =>
    expectVerdict('server.status.invalid-challenge', 'pass'))
  it('server.status.verification-failed passes {core.status.verification-failed, core.status.402-with-challenge, charge.verify.proof}', () =>
    expectVerdict('server.status.verification-failed', 'pass'))
  it('server.status.success passes {core.status.success}', () =>
    expectVerdict('server.status.success', 'pass'))
  it('server.credential.scheme-case passes {core.credential.scheme-case}', () =>
    expectVerdict('server.credential.scheme-case', 'pass'))
  it('server.receipt.send passes {core.receipt.send}', () =>
    expectVerdict('server.receipt.send', 'pass'))
  it('server.receipt.valid passes {core.receipt.status-success}', () =>
    expectVerdict('server.receipt.valid', 'pass'))
  it('server.status.multiple-credentials passes {core.server.multiple-credentials}', () =>
    expectVerdict('server.status.multiple-credentials', 'pass'))
  it('server.status.not-found passes {core.402.not-for-other-failures}', () =>
    expectVerdict('server.status.not-found', 'pass'))
  it('server.status.policy-denied is n/a (no route with a denying policy)', () =>
    expectVerdict('server.status.policy-denied', 'n/a'))
  it('server.status.no-credential-echo passes {core.credential.no-log}', () =>
    expectVerdict('server.status.no-credential-echo', 'pass'))
  it('server.cache.no-store passes {core.cache.no-store}', () =>
    expectVerdict('server.cache.no-store', 'pass'))
  it('server.cache.private-receipt passes {core.cache.receipt-private}', () =>
    expectVerdict('server.cache.private-receipt', 'pass'))
  it('server.receipt.not-on-error passes {core.receipt.not-on-error}', () =>
    expectVerdict('server.receipt.not-on-error', 'pass'))
  it('server.binding.tamper.realm passes {core.binding.verify, core.challenge.id.bound}', () =>
    expectVerdict('server.binding.tamper.realm', 'pass'))
  it('server.binding.tamper.method passes {core.binding.verify, core.challenge.id.bound}', () =>
    expectVerdict('server.binding.tamper.method', 'pass'))
  it('server.binding.tamper.intent passes {core.binding.verify, core.challenge.id.bound}', () =>
    expectVerdict('server.binding.tamper.intent', 'pass'))
  it('server.binding.tamper.request-amount passes {core.binding.verify, core.challenge.id.bound, charge.verify.amount}', () =>
    expectVerdict('server.binding.tamper.request-amount', 'pass'))
  it('server.binding.tamper.request-currency passes {core.binding.verify, core.challenge.id.bound}', () =>
    expectVerdict('server.binding.tamper.request-currency', 'pass'))
  it('server.binding.tamper.request-recipient passes {core.binding.verify, core.challenge.id.bound, charge.verify.recipient}', () =>
    expectVerdict('server.binding.tamper.request-recipient', 'pass'))
  it('server.binding.tamper.expires passes {core.binding.verify, core.challenge.id.bound}', () =>
    expectVerdict('server.binding.tamper.expires', 'pass'))
  it('server.binding.tamper.digest passes {core.binding.verify, core.challenge.id.bound, core.binding.all-params}', () =>
    expectVerdict('server.binding.tamper.digest', 'pass'))
  it('server.binding.tamper.opaque passes {core.binding.verify, core.challenge.id.bound, core.binding.opaque}', () =>
    expectVerdict('server.binding.tamper.opaque', 'pass'))
  it('server.binding.tamper.id passes {core.binding.verify, core.challenge.id.bound, charge.verify.challenge-id}', () =>
    expectVerdict('server.binding.tamper.id', 'pass'))
  it('server.binding.tamper.property passes {core.binding.verify, core.binding.all-params}', () =>
    expectVerdict('server.binding.tamper.property', 'pass'))
  it('server.binding.no-leak passes {core.binding.verify, core.secret.not-disclosed}', () =>
    expectVerdict('server.binding.no-leak', 'pass'))
  it('server.binding.description-free passes {core.challenge.description.not-verified}', () =>
    expectVerdict('server.binding.description-free', 'pass'))
  it('server.expiry.expired-refused passes {charge.verify.not-expired, core.status.invalid-challenge, core.status.payment-expired}', () =>
    expectVerdict('server.expiry.expired-refused', 'pass'))
  it('server.header.value passes {core.header.value}', () =>
    expectVerdict('server.header.value', 'pass'))
  it('server.header.selected-field-only passes {core.server.credential-field, core.cache.credential-elsewhere}', () =>
    expectVerdict('server.header.selected-field-only', 'pass'))
  it('server.header.bound passes {core.binding.header, core.binding.all-params-required}', () =>
    expectVerdict('server.header.bound', 'pass'))
  it('server.header.paid-private is n/a (the reference paid route selects Authorization)', () =>
    expectVerdict('server.header.paid-private', 'n/a'))
  it('server.replay.sequential passes {core.replay.single-use, core.replay.reject-reuse, charge.single-use, charge.replay.reject, charge.replay.protection, charge.replay.id-single-use}', () =>
    expectVerdict('server.replay.sequential', 'pass'))
  it('server.replay.byte-forms passes {core.replay.single-use, core.replay.reject-reuse, charge.replay.reject, charge.replay.id-single-use}', () =>
    expectVerdict('server.replay.byte-forms', 'pass'))
  it('server.replay.delayed passes {core.replay.single-use, core.replay.reject-reuse, charge.replay.reject, charge.replay.protection}', () =>
    expectVerdict('server.replay.delayed', 'pass'))
  it('server.replay.concurrent passes {core.concurrency.single-settlement, core.replay.reject-reuse}', () =>
    expectVerdict('server.replay.concurrent', 'pass'))
  it('server.digest.accepted passes {core.digest.verify, core.status.success}', () =>
    expectVerdict('server.digest.accepted', 'pass'))
  it('server.digest.mismatch passes {core.digest.verify, core.digest.reject-mismatch}', () =>
    expectVerdict('server.digest.mismatch', 'pass'))
  it('server.digest.tamper-with-body passes {core.binding.verify, core.binding.all-params, core.digest.verify}', () =>
    expectVerdict('server.digest.tamper-with-body', 'pass'))
  it('server.route.cross-route passes {charge.verify.amount, core.binding.all-params}', () =>
    expectVerdict('server.route.cross-route', 'pass'))
  it('server.route.cross-query passes {charge.verify.amount, core.binding.all-params}', () =>
    expectVerdict('server.route.cross-query', 'pass'))
  it('server.idempotency.replay passes {core.idempotency.key, core.idempotency.replay-response}', () =>
    expectVerdict('server.idempotency.replay', 'pass'))
  it('server.malformed.corpus passes {core.status.malformed-credential, core.status.402-with-challenge}', () =>
    expectVerdict('server.malformed.corpus', 'pass'))
  it('server.malformed.byte-forms passes {core.status.malformed-credential}', () =>
    expectVerdict('server.malformed.byte-forms', 'pass'))
  it('server.malformed.property passes {core.status.malformed-credential, core.status.402-with-challenge}', () =>
    expectVerdict('server.malformed.property', 'pass'))
  it('server.size.credential-4kb passes {core.size.credential-4kb, core.versioning.ignore-unknown}', () =>
    expectVerdict('server.size.credential-4kb', 'pass'))
  it('server.size.oversized-header passes {core.size.credential-4kb}', () =>
    expectVerdict('server.size.oversized-header', 'pass'))
  it('server.negotiation.absent passes {core.accept-payment.absent}', () =>
    expectVerdict('server.negotiation.absent', 'pass'))
  it('server.negotiation.malformed passes {core.402.challenge-required, core.accept-payment.malformed}', () =>
    expectVerdict('server.negotiation.malformed', 'pass'))
  it('server.negotiation.no-match passes {core.402.challenge-required, core.accept-payment.no-match}', () =>
    expectVerdict('server.negotiation.no-match', 'pass'))
  it('server.negotiation.filter is n/a (needs several methods)', () =>
    expectVerdict('server.negotiation.filter', 'n/a'))
  it('server.negotiation.order is n/a (needs several methods)', () =>
    expectVerdict('server.negotiation.order', 'n/a'))
  it('server.tls.version is n/a (plain HTTP on loopback)', () =>
    expectVerdict('server.tls.version', 'n/a'))
  it('server.tls.prefer-1-3 is n/a (plain HTTP on loopback)', () =>
    expectVerdict('server.tls.prefer-1-3', 'n/a'))
  it('server.tls.no-plaintext passes {core.tls.server-no-plaintext}', () =>
    expectVerdict('server.tls.no-plaintext', 'pass'))
  it('server.tempo.receipt is n/a (tempo not claimed: see reference-tempo.test.ts)', () =>
    expectVerdict('server.tempo.receipt', 'n/a'))
  it('server.tempo.pull.wrong-recipient is n/a (tempo not claimed)', () =>
    expectVerdict('server.tempo.pull.wrong-recipient', 'n/a'))
  it('server.tempo.pull.wrong-amount is n/a (tempo not claimed)', () =>
    expectVerdict('server.tempo.pull.wrong-amount', 'n/a'))
  it('server.tempo.push.replay is n/a (tempo not claimed)', () =>
    expectVerdict('server.tempo.push.replay', 'n/a'))
  it('server.tempo.push.wrong-recipient is n/a (tempo not claimed)', () =>
    expectVerdict('server.tempo.push.wrong-recipient', 'n/a'))
  it('server.tempo.modes.omitted is n/a (tempo not claimed)', () =>
    expectVerdict('server.tempo.modes.omitted', 'n/a'))
  it('server.tempo.modes.unadvertised is n/a (tempo not claimed)', () =>
    expectVerdict('server.tempo.modes.unadvertised', 'n/a'))
  it('server.tempo.sponsored.settles is n/a (tempo not claimed)', () =>
    expectVerdict('server.tempo.sponsored.settles', 'n/a'))
  it('server.tempo.sponsored.hash-refused is n/a (tempo not claimed)', () =>
    expectVerdict('server.tempo.sponsored.hash-refused', 'n/a'))
  it('server.tempo.push.unbound is n/a (tempo not claimed)', () =>
    expectVerdict('server.tempo.push.unbound', 'n/a'))
  it('server.tempo.sponsored.revert-refused is n/a (tempo not claimed)', () =>
    expectVerdict('server.tempo.sponsored.revert-refused', 'n/a'))
  it('server.tempo.sponsored.replay-free is n/a (tempo not claimed)', () =>
    expectVerdict('server.tempo.sponsored.replay-free', 'n/a'))
  it('server.session.open is n/a (no session route: see session.test.ts)', () =>
    expectVerdict('server.session.open', 'n/a'))
  it('server.session.voucher is n/a (no session route: see session.test.ts)', () =>
    expectVerdict('server.session.voucher', 'n/a'))
  it('server.session.voucher-lower is n/a (no session route: see session.test.ts)', () =>
    expectVerdict('server.session.voucher-lower', 'n/a'))
  it('server.session.voucher-equal is n/a (no session route: see session.test.ts)', () =>
    expectVerdict('server.session.voucher-equal', 'n/a'))
  it('server.session.voucher-above-deposit is n/a (no session route: see session.test.ts)', () =>
    expectVerdict('server.session.voucher-above-deposit', 'n/a'))
  it('server.session.top-up is n/a (no session route: see session.test.ts)', () =>
    expectVerdict('server.session.top-up', 'n/a'))
  it('server.session.close is n/a (no session route: see session.test.ts)', () =>
    expectVerdict('server.session.close', 'n/a'))
  it('server.session.sequences is n/a (no session route: see session.test.ts)', () =>
    expectVerdict('server.session.sequences', 'n/a'))
  it('server.effects.challenge-only passes {core.side-effects.challenge-only, core.side-effects.unpaid}', () =>
    expectVerdict('server.effects.challenge-only', 'pass'))
  it('server.effects.refused passes {core.side-effects.unpaid}', () =>
    expectVerdict('server.effects.refused', 'pass'))
  it('server.privacy.no-accounts passes {core.privacy.no-accounts}', () =>
    expectVerdict('server.privacy.no-accounts', 'pass'))
  it('server.privacy.credential-sensitive passes {core.credential.sensitive, core.storage.sensitive-headers}', () =>
    expectVerdict('server.privacy.credential-sensitive', 'pass'))
  it('server.secret.not-disclosed passes {core.secret.not-disclosed, core.secret.server-only}', () =>
    expectVerdict('server.secret.not-disclosed', 'pass'))
  it('server.log.no-credential passes {core.credential.no-log, core.credential.sensitive, core.storage.sensitive-headers}', () =>
    expectVerdict('server.log.no-credential', 'pass'))
  it('server.log.no-secret passes {core.secret.no-log, core.secret.server-only}', () =>
    expectVerdict('server.log.no-secret', 'pass'))
})

describe('the run against paywire reference server', () => {
  it('passes every MUST it has the capabilities for, with no fail and no error', () => {
    const bad = results.results.filter((r) => r.verdict === 'fail' || r.verdict === 'error')
    expect(bad.map((r) => `${r.id}: ${r.message}`)).toEqual([])
    const musts = results.results.filter((r) => r.level === 'MUST')
    expect(musts.filter((r) => r.verdict !== 'pass' && r.verdict !== 'n/a')).toEqual([])
    expect(musts.filter((r) => r.verdict === 'pass').length).toBeGreaterThan(35)
  })

  it("searched a log holding the server's decisions (--log-events) for credentials and the secret", () => {
    const log = readFileSync(logFile, 'utf8')
    expect(log).toContain('"event":"refused"')
    expect(log).toContain('"event":"settled"')
    expect(results.results.find((r) => r.id === 'server.log.no-credential')?.message).toMatch(
      /searched for [1-9][0-9]* credentials/,
    )
  })

  it('has one test above per catalog entry, tagged with exactly its requirements when it passes', () => {
    const source = readFileSync(fileURLToPath(import.meta.url), 'utf8')
    const titles = [
      ...source.matchAll(/^ {2}it\('(server\.[a-z0-9.-]+) ([^'{]*?)(?: \{([^}]*)\})?',/gm),
    ]
    expect(titles.map((m) => m[1])).toEqual(
      Catalog.tests.filter((test) => test.id.startsWith('server.')).map((test) => test.id),
    )
    for (const [, id, , tag] of titles) {
      const test = Catalog.tests.find((t) => t.id === id)
      const passed = results.results.find((r) => r.id === id)?.verdict === 'pass'
      expect({ id, tag: tag?.split(', ') ?? [] }).toEqual({
        id,
        tag: passed ? test?.requirements : [],
      })
    }
  })
})
