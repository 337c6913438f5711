// MCP mode: runs the MCP checks against an MCP server over Streamable HTTP and gives each
// its verdict (n/a when the configuration does not claim what it needs, pass, fail or warn,
// xfail when listed as expected, error when the target did not answer in time). The
// evidence of a test is the last messages of the sessions it opened.
import * as Catalog from '../Catalog.js'
import * as Progress from '../Progress.js'
import * as Results from '../Results.js'
import { describeTest, judge, notClaimed, type Progress as Step } from '../Suite.js'
import type * as Exchange from '../server/Exchange.js'
import * as Payer from '../server/Payer.js'
import type { Check, Context } from './Check.js'
import * as Config from './Config.js'
import * as Session from './Session.js'

/** Messages kept as evidence of one test. */
export const maxEvidence = 6

/**
 * Runs the MCP checks against the MCP endpoint `url`.
 *
 * @example
 * ```ts
 * import { McpConfig, McpSuite } from '@paywire/conformance'
 * const results = await McpSuite.run({
 *   url: 'http://127.0.0.1:8403/mcp',
 *   config: McpConfig.from({
 *     tools: { paid: { name: 'forecast', arguments: { city: 'Oslo' } } },
 *     methods: { test: { key: 'the shared test key' } },
 *   }),
 * })
 * console.log(results.summary)
 * ```
 */
export async function run(options: run.Options): Promise<Results.Results> {
  const started = Date.now()
  const { config, url } = options
  const payers = Payer.forMethods(config.methods)
  const capabilities = Config.capabilities(config, Object.keys(Payer.factories))
  const selected = Catalog.filter(options.filter ?? {}, options.checks ?? Catalog.mcpChecks)
  const results = await Progress.inGroups(selected, options.onProgress, (check) =>
    runOne(check, { config, url, payers }, capabilities),
  )
  return {
    suite: Results.suite,
    mode: 'mcp',
    target: {
      url,
      methods: Object.keys(config.methods),
      intents: ['charge'],
      extensions: [],
      capabilities: [...capabilities].sort(),
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
    /** The target's MCP endpoint (Streamable HTTP). */
    url: string
    config: Config.Config
    /** Which tests to run (default every MCP check). */
    filter?: Catalog.filter.Options | undefined
    /** Called at the start of each group and after each test. */
    onProgress?: ((progress: Step) => void) | undefined
    /** @internal The checks to choose from (default the catalog's). */
    checks?: readonly Check[] | undefined
  }
}

async function runOne(
  check: Check,
  shared: Pick<Context, 'config' | 'url' | 'payers'>,
  capabilities: Set<string>,
): Promise<Results.Result> {
  const started = performance.now()
  const base = describeTest(check)
  const unclaimed = notClaimed(check, capabilities, Config.howToClaim)
  if (unclaimed !== undefined) return unclaimed
  const sessions: Session.Session[] = []
  const context: Context = {
    ...shared,
    open: async () => {
      const session = await Session.open(shared.url, { timeoutMs: shared.config.timeoutMs })
      sessions.push(session)
      return session
    },
  }
  const expected = shared.config.expectedFailures[check.id]
  let verdict: Results.Verdict
  let message: string | undefined
  try {
    message = (await check.run(context))?.message
    verdict = 'pass'
    if (expected !== undefined) message = `listed as an expected failure (${expected}) but passed`
  } catch (error) {
    ;({ verdict, message } = judge(error, check.level, expected))
  } finally {
    await Promise.all(sessions.map((session) => session.close().catch(() => undefined)))
  }
  const evidence: Exchange.Evidence[] = sessions.flatMap((session) => session.evidence)
  return {
    ...base,
    verdict,
    ...(message === undefined ? {} : { message }),
    durationMs: Math.round(performance.now() - started),
    evidence: evidence.slice(-maxEvidence),
  }
}
