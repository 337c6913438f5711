// `pnpm bench [--quick] [--only 1,2,3]`: runs the scenarios, prints the table, and writes
// results/latest.json and results/latest.md (with the machine's description); a --quick run
// writes results/quick.* instead, which git ignores.
import { fileURLToPath } from 'node:url'
import type { Budget } from './Harness.js'
import * as Report from './Report.js'
import * as Scenarios from './Scenarios.js'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const onlyIndex = args.indexOf('--only')
const only =
  onlyIndex >= 0
    ? new Set((args[onlyIndex + 1] ?? '').split(',').map((value) => Number(value)))
    : undefined
const output = args.includes('--no-write')
  ? undefined
  : fileURLToPath(new URL('../results', import.meta.url))

const budget: Budget = quick
  ? { warmupMs: 50, timeMs: 150, rounds: 1 }
  : { warmupMs: 300, timeMs: 2_000, rounds: 2 }

const started = performance.now()
const described = Report.machine()
console.log(
  `paywire bench${quick ? ' (quick)' : ''}: ${described.cpu}, ${described.cores} cores, Node ${described.node}`,
)
const results = await Scenarios.runAll({ budget, quick, only })
console.log(Report.table(results))
if (output !== undefined) {
  Report.write(output, results, described, quick)
  const name = quick ? 'quick' : 'latest'
  console.log(`\nwrote ${output}/${name}.json and ${name}.md`)
}
console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`)
