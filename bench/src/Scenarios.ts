// The scenario list: each runs paywire and mppx on the same inputs in this process (HTTP
// and memory use child processes), plus the floor where one exists.
import type { Budget } from './Harness.js'
import type { ScenarioResult } from './Report.js'
import * as Codecs from './scenarios/codecs.js'
import * as Growth from './scenarios/growth.js'
import * as Http from './scenarios/http.js'
import * as Issuance from './scenarios/issuance.js'
import * as Memory from './scenarios/memory.js'
import * as Sessions from './scenarios/sessions.js'
import * as Stores from './scenarios/stores.js'
import * as Verification from './scenarios/verification.js'
import * as Vouchers from './scenarios/vouchers.js'

/** What a run asks for. */
export type Options = { budget: Budget; quick: boolean; only?: ReadonlySet<number> | undefined }

const scenarios: ReadonlyArray<{ id: number; run: (options: Options) => Promise<ScenarioResult> }> =
  [
    { id: 1, run: (options) => Issuance.run(options.budget) },
    { id: 2, run: (options) => Codecs.run(options.budget) },
    { id: 3, run: (options) => Verification.run(options.budget) },
    { id: 4, run: (options) => Vouchers.run(options.budget, options.quick) },
    { id: 5, run: (options) => Http.run(options.quick) },
    { id: 6, run: (options) => Stores.run(options.quick) },
    { id: 7, run: (options) => Memory.runScenario(options.quick) },
    { id: 8, run: (options) => Sessions.run(options.budget, options.quick) },
    { id: 9, run: (options) => Growth.run(options.quick) },
  ]

/** Runs the selected scenarios in order; a failing scenario is reported, never hidden. */
export async function runAll(options: Options): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = []
  for (const scenario of scenarios) {
    if (options.only !== undefined && !options.only.has(scenario.id)) continue
    const started = performance.now()
    process.stderr.write(`scenario ${scenario.id}...`)
    try {
      results.push(await scenario.run(options))
    } catch (error) {
      results.push({
        scenario: scenario.id,
        title: `scenario ${scenario.id}`,
        rows: [],
        skipped: [
          `failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        ],
      })
    }
    process.stderr.write(` ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
  }
  return results
}
