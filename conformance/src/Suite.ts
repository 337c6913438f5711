// Runs the server checks of the catalog against a target and gives each its verdict:
// n/a when the target does not claim what the check needs, pass, fail (warn for SHOULD
// and MAY tests), xfail when the configuration lists the failure as expected, and error
// when the harness or the target broke in a way no check anticipated.
import { statSync } from 'node:fs'
import { Challenge, Credential } from '@paywire/core'
import * as Catalog from './Catalog.js'
import * as Results from './Results.js'
import type { Check, Context, Passed, Routes, Test } from './server/Check.js'
import { Failure, NotApplicable, Unreachable } from './server/Check.js'
import * as Config from './server/Config.js'
import * as Exchange from './server/Exchange.js'
import * as Journal from './server/Journal.js'
import * as Payer from './server/Payer.js'

/** Most exchanges kept as evidence of one test. */
export const maxEvidence = 4

/** What the runner reports as it goes. */
export type Progress =
  | { kind: 'group'; group: string; tests: number }
  | { kind: 'result'; group: string; result: Results.Result; done: number; total: number }

/**
 * Runs the server suite against `url` (the target's base URL; without a configured
 * `routes.paid`, the paid route itself).
 *
 * @example
 * ```ts
 * import { Config, Suite } from '@paywire/conformance'
 * const results = await Suite.run({
 *   url: 'http://127.0.0.1:8402',
 *   config: Config.from({ routes: { paid: '/paid' }, methods: { test: { key: 'paywire-reference-test-method-key' } } }),
 * })
 * console.log(results.summary)
 * ```
 */
export async function run(options: run.Options): Promise<Results.Results> {
  const started = Date.now()
  const config = options.config
  const seed = options.seed ?? config.seed ?? Config.defaultSeed
  const payers = Payer.forMethods(config.methods)
  const capabilities = Config.capabilities(config, Object.keys(Payer.factories), options.url)
  const routes = resolveRoutes(options.url, config)
  const selected = Catalog.filter(options.filter ?? {}, options.checks ?? Catalog.serverChecks)
  const journal = Journal.create()
  const logStart = logSize(config.logFile)
  const shared = {
    config,
    routes,
    payers,
    seed,
    url: options.url,
    fetch: options.fetch,
    journal,
    logStart,
  }

  const results = new Map<string, Results.Result>()
  let done = 0
  const finish = (check: Check, result: Results.Result) => {
    results.set(check.id, result)
    done++
    options.onProgress?.({
      kind: 'result',
      group: check.group,
      result,
      done,
      total: selected.length,
    })
  }
  const execute = async (check: Check) => finish(check, await runOne(check, shared, capabilities))
  const inOrder = async (checks: readonly Check[]) => {
    for (const group of [...new Set(checks.map((check) => check.group))]) {
      const members = checks.filter((check) => check.group === group)
      options.onProgress?.({ kind: 'group', group, tests: members.length })
      for (const check of members) await execute(check)
    }
  }
  const background = selected.filter((check) => check.background === true)
  const pending = background.map((check) => execute(check))
  await inOrder(selected.filter((check) => check.background !== true && check.final !== true))
  await Promise.all(pending)
  // Last, alone: the checks of the run as a whole, and those no other traffic may overlap.
  await inOrder(selected.filter((check) => check.final === true && check.background !== true))

  const ordered = selected.flatMap((check) => results.get(check.id) ?? [])
  return {
    suite: Results.suite,
    mode: 'server',
    target: {
      url: options.url,
      methods: Object.keys(config.methods),
      intents: config.intents,
      extensions: config.extensions,
      capabilities: [...capabilities].sort(),
    },
    seed,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    summary: Results.summarize(ordered),
    results: ordered,
  }
}

export declare namespace run {
  type Options = {
    /** Base URL of the target. */
    url: string
    config: Config.Config
    /** Which tests to run (default all). */
    filter?: Catalog.filter.Options | undefined
    /** fast-check seed (default: the configuration's, else {@link Config.defaultSeed}). */
    seed?: number | undefined
    /** The fetch the checks use (default the global one). */
    fetch?: typeof fetch | undefined
    /** Called after each test and at the start of each group. */
    onProgress?: ((progress: Progress) => void) | undefined
    /** @internal The checks to choose from (default the catalog's). */
    checks?: readonly Check[] | undefined
  }
}

/** @internal The configured routes as requests against `url`. */
export function resolveRoutes(url: string, config: Config.Config): Routes {
  const path = (value: string) => {
    const resolved = new URL(value, url)
    return `${resolved.pathname}${resolved.search}`
  }
  const { paid, other, body, query, denied } = config.routes
  return {
    paid: { method: 'GET', path: path(paid) },
    other: other === undefined ? undefined : { method: 'GET', path: path(other) },
    denied: denied === undefined ? undefined : { method: 'GET', path: path(denied) },
    body:
      body === undefined
        ? undefined
        : {
            method: body.method,
            path: path(body.path),
            body: body.body,
            contentType: body.contentType,
          },
    query:
      query === undefined
        ? undefined
        : [
            { method: 'GET', path: path(`${query.path}?${query.queries[0]}`) },
            { method: 'GET', path: path(`${query.path}?${query.queries[1]}`) },
          ],
  }
}

type Shared = Pick<
  Context,
  'config' | 'routes' | 'payers' | 'seed' | 'url' | 'journal' | 'logStart'
> & {
  fetch: typeof fetch | undefined
}

async function runOne(
  check: Check,
  shared: Shared,
  capabilities: Set<string>,
): Promise<Results.Result> {
  const started = performance.now()
  const base = describeTest(check)
  const unclaimed = notClaimed(check, capabilities, Config.howToClaim)
  if (unclaimed !== undefined) return unclaimed
  const context = contextFor(shared)
  let outcome: Outcome
  try {
    const passed = await check.run(context)
    outcome = passedOutcome(passed, shared.config.expectedFailures[check.id])
  } catch (error) {
    outcome = thrownOutcome(error, check, shared.config.expectedFailures[check.id])
  }
  const chosen = outcome.evidence.length > 0 ? outcome.evidence : context.exchanges.slice(-1)
  return {
    ...base,
    verdict: outcome.verdict,
    ...(outcome.message === undefined ? {} : { message: outcome.message }),
    durationMs: Math.round(performance.now() - started),
    evidence: chosen.slice(0, maxEvidence).map((exchange) => exchange.evidence),
  }
}

/** @internal What a result says of its test: id, title, group, level, requirements. */
export function describeTest(test: Test) {
  return {
    id: test.id,
    title: test.title,
    group: test.group,
    level: test.level,
    requirements: [...test.requirements],
  }
}

/**
 * @internal The n/a result of a test whose needs the target does not claim, saying how to
 * claim them (from `howToClaim`) when a configuration field gives them; else `undefined`.
 */
export function notClaimed(
  test: Test,
  capabilities: ReadonlySet<string>,
  howToClaim: Readonly<Record<string, string>>,
): Results.Result | undefined {
  const missing = test.needs.filter((need) => !capabilities.has(need))
  if (missing.length === 0) return undefined
  const hints = missing.flatMap((need) => howToClaim[need] ?? [])
  return {
    ...describeTest(test),
    verdict: 'n/a',
    message: `needs ${missing.join(', ')}, not claimed${hints.length === 0 ? '' : ` (${hints.join('; ')})`}`,
    durationMs: 0,
    evidence: [],
  }
}

/** A verdict, its reason and the exchanges that decided it. */
type Outcome = {
  verdict: Results.Verdict
  message: string | undefined
  evidence: readonly Exchange.Exchange[]
}

function passedOutcome(passed: Passed | undefined, expected: string | undefined): Outcome {
  const message =
    expected === undefined
      ? passed?.message
      : `listed as an expected failure (${expected}) but passed`
  return { verdict: 'pass', message, evidence: passed?.evidence ?? [] }
}

function thrownOutcome(error: unknown, check: Check, expected: string | undefined): Outcome {
  const evidence = error instanceof Failure || error instanceof Unreachable ? error.evidence : []
  return {
    ...judge(error, check.level, expected),
    evidence: error instanceof NotApplicable ? [] : evidence,
  }
}

/**
 * @internal The verdict of a check that threw `error`: n/a, fail (warn below MUST), xfail
 * when `expected` names the failure, error for anything the check did not throw on purpose.
 */
export function judge(
  error: unknown,
  level: Check['level'],
  expected: string | undefined,
): { verdict: Results.Verdict; message: string } {
  if (error instanceof NotApplicable) return { verdict: 'n/a', message: error.message }
  if (error instanceof Failure) {
    if (expected !== undefined)
      return { verdict: 'xfail', message: `expected failure (${expected}): ${error.message}` }
    return { verdict: level === 'MUST' ? 'fail' : 'warn', message: error.message }
  }
  return {
    verdict: 'error',
    message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  }
}

/** The context of one check: its exchanges are recorded for its evidence. */
function contextFor(shared: Shared): Context {
  const exchanges: Exchange.Exchange[] = []
  const send = async (request: Exchange.Request, options: { verbatim?: boolean } = {}) => {
    const exchange = await Exchange.send(request, {
      timeoutMs: shared.config.timeoutMs,
      fetch: options.verbatim === true ? Exchange.fetchVerbatim : shared.fetch,
    })
    exchanges.push(exchange)
    shared.journal.record(exchange)
    return exchange
  }
  return {
    config: shared.config,
    url: shared.url,
    routes: shared.routes,
    payers: shared.payers,
    seed: shared.seed,
    send,
    journal: shared.journal,
    logStart: shared.logStart,
    request: (route, init = {}) => {
      const body = init.body ?? route.body
      const headers: Record<string, string> = { ...(init.headers ?? {}) }
      if (body !== undefined) headers['content-type'] = route.contentType ?? 'application/json'
      // A credential goes in the field its challenge selected: `Payment-Authorization`
      // when the echo carries header="Payment-Authorization" (draft -01), else Authorization.
      if (init.authorization !== undefined)
        headers[credentialField(init.authorization, shared.config.draft)] = init.authorization
      const url = new URL(route.path, shared.url).href
      return send({ method: route.method, url, headers, body })
    },
    exchanges,
  }
}

/** The size in bytes of the target's log file before the run (0 when there is none yet). */
function logSize(file: string | undefined): number {
  if (file === undefined) return 0
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}

/**
 * The request field for a credential: `payment-authorization` when its echoed challenge
 * selects it (draft -01 targets only), otherwise `authorization` (also for values that are
 * not a decodable credential: checks send those on purpose).
 */
function credentialField(value: string, draft: '00' | '01'): string {
  if (draft === '00') return 'authorization'
  try {
    const credential = Credential.fromAuthorization(value)
    return credential !== undefined &&
      Challenge.credentialField(credential.challenge) === Challenge.paymentAuthorization
      ? 'payment-authorization'
      : 'authorization'
  } catch {
    return 'authorization'
  }
}
