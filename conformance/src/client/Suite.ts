// Client mode: runs the compliance server, drives the client under test through its
// adapter's `http.payment_request` (one call per scenario, each with the payer the
// scenario needs), and judges each client check on what the server recorded. A check is
// n/a when the adapter answers `unsupported_operation` (it cannot honour the request or
// its payer), fail (warn below MUST) on a defect, error when the adapter gave no answer.
import * as Catalog from '../Catalog.js'
import * as Progress from '../Progress.js'
import * as Results from '../Results.js'
import type { Progress as Step } from '../Suite.js'
import * as Exchange from '../server/Exchange.js'
import * as Adapter from './Adapter.js'
import {
  type Check,
  Failure,
  NotApplicable,
  type Observation,
  operation,
  read,
  type Sent,
} from './Check.js'
import * as Scenario from './Scenario.js'
import * as Server from './Server.js'

/** Most recorded requests kept as evidence of one test. */
export const maxEvidence = 4

/**
 * Runs the client checks against the client behind `adapter`.
 *
 * @example
 * ```ts
 * import { ClientSuite, Report } from '@paywire/conformance'
 * const results = await ClientSuite.run({
 *   adapter: { command: ['node', 'node_modules/@paywire/conformance/dist/adapters/paywire/main.js'] },
 * })
 * console.log(Report.markdown(results))
 * ```
 */
export async function run(options: run.Options): Promise<Results.Results> {
  const started = Date.now()
  const selected = Catalog.filter(options.filter ?? {}, options.checks ?? Catalog.clientChecks)
  const names = new Set(selected.map((check) => check.scenario))
  const scenarios = Scenario.scenarios.filter((scenario) => names.has(scenario.name))
  const server = await Server.start(scenarios)
  const observations = new Map<string, Observation>()
  try {
    let next = 0
    const worker = async () => {
      while (next < scenarios.length) {
        const scenario = scenarios[next++] as Scenario.Scenario
        observations.set(scenario.name, await play(scenario, server, options))
      }
    }
    await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker))
  } finally {
    await server.close()
  }
  const results = await Progress.inGroups(selected, options.onProgress, async (check) =>
    judge(check, observations.get(check.scenario) as Observation),
  )
  return {
    suite: Results.suite,
    mode: 'client',
    target: {
      url: options.target ?? `adapter:${options.adapter.command.join(' ')}`,
      methods: ['test'],
      intents: ['charge'],
      extensions: [],
      capabilities: [operation],
    },
    seed: 0,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    summary: Results.summarize(results),
    results,
  }
}

export declare namespace run {
  type Options = {
    /** How to start the adapter of the client under test. */
    adapter: Adapter.Command
    /** Which tests to run (default all client checks). */
    filter?: Catalog.filter.Options | undefined
    /** Time allowed per adapter call (default 20 s). */
    timeoutMs?: number | undefined
    /** Adapter calls at once (default 4). */
    concurrency?: number | undefined
    /** How the report names the target (default `adapter:<command>`). */
    target?: string | undefined
    /** Called at the start of each group and after each test. */
    onProgress?: ((progress: Step) => void) | undefined
    /** @internal The checks to choose from (default the catalog's). */
    checks?: readonly Check[] | undefined
  }
}

/**
 * The `http.payment_request` input of a scenario: the harness's request, plus the payer
 * (paywire extension) with the `test` key, a cap of {@link Scenario.maxAmount} usd, the
 * loopback origins credentials may reach over plain HTTP, and what the scenario adds.
 */
export function input(scenario: Scenario.Scenario, server: Pick<Server.Server, 'origins' | 'key'>) {
  const { origins } = server
  return {
    url: `${origins[scenario.start ?? 'main']}/${scenario.name}`,
    method: scenario.method ?? 'GET',
    headers: scenario.body === undefined ? {} : { 'content-type': 'application/json' },
    body: scenario.body ?? null,
    payment: { payload: {} },
    mode: 'payment',
    payer: {
      methods: { test: { key: server.key } },
      policy: {
        currencies: { usd: { maxAmount: Scenario.maxAmount } },
        insecureOrigins: [origins.main, origins.redirect],
        ...scenario.policy?.(origins),
      },
    },
  }
}

async function play(
  scenario: Scenario.Scenario,
  server: Server.Server,
  options: run.Options,
): Promise<Observation> {
  const timeoutMs = options.timeoutMs ?? 20_000
  const adapter = await Adapter.call(
    options.adapter,
    {
      schema: 1,
      op: operation,
      input: input(scenario, server),
      context: { caseName: scenario.name, timeoutMs },
    },
    timeoutMs,
  )
  const { requests, issued } = server.log(scenario.name)
  const sent = requests.flatMap((request) => read(request) ?? []) as Sent[]
  return { requests, issued, sent, adapter, key: server.key }
}

function judge(check: Check, observation: Observation): Results.Result {
  const base = {
    id: check.id,
    title: check.title,
    group: check.group,
    level: check.level,
    requirements: [...check.requirements],
  }
  const response = observation.adapter.response
  const durationMs = observation.adapter.durationMs
  if (response !== undefined && !response.ok && response.error.type === 'unsupported_operation')
    return {
      ...base,
      verdict: 'n/a',
      message: `the adapter cannot run this scenario: ${response.error.message}`,
      durationMs,
      evidence: [],
    }
  try {
    const passed = check.judge(observation)
    return {
      ...base,
      verdict: 'pass',
      ...(passed?.message === undefined ? {} : { message: passed.message }),
      durationMs,
      evidence: evidence(passed?.evidence ?? []),
    }
  } catch (error) {
    if (error instanceof NotApplicable)
      return { ...base, verdict: 'n/a', message: error.message, durationMs, evidence: [] }
    if (error instanceof Failure)
      return {
        ...base,
        verdict: check.level === 'MUST' ? 'fail' : 'warn',
        message: error.message,
        durationMs,
        evidence: evidence(error.evidence),
      }
    return {
      ...base,
      verdict: 'error',
      message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      durationMs,
      evidence: evidence(observation.requests.slice(-maxEvidence)),
    }
  }
}

/** Recorded requests in the report's evidence form, credentials and receipts redacted. */
function evidence(requests: readonly Server.Recorded[]): Exchange.Evidence[] {
  return requests.slice(0, maxEvidence).map((request) => ({
    request: {
      method: request.method,
      url: request.url,
      headers: Exchange.redactRequestHeaders(joinLines(request.headers)),
      ...(request.body === '' ? {} : { body: cut(request.body) }),
    },
    response: {
      status: request.response.status,
      headers: Exchange.redactResponseHeaders(
        new Headers(request.response.headers as [string, string][]),
      ),
      body: cut(request.response.body),
    },
    durationMs: 0,
  }))
}

function joinLines(lines: ReadonlyArray<readonly [string, string]>): Record<string, string> {
  const joined: Record<string, string> = {}
  for (const [name, value] of lines)
    joined[name] = name in joined ? `${joined[name]}, ${value}` : value
  return joined
}

function cut(text: string): string {
  return text.length <= Exchange.maxEvidenceBody
    ? text
    : `${text.slice(0, Exchange.maxEvidenceBody)}… [${text.length - Exchange.maxEvidenceBody} more characters]`
}
