// Scenario 7: memory. Retained heap per stored claim and per session record in each
// library's memory store holding `count` entries (1,000,000; 20,000 with --quick), each
// measured in its own child process run with --expose-gc. The session record is the same
// JSON for both (paywire's persisted channel state), so the difference is the store's own.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Row, ScenarioResult } from '../Report.js'

const run = promisify(execFile)
const child = fileURLToPath(new URL('../memoryChild.ts', import.meta.url))

/** Runs scenario 7. */
export async function runScenario(quick: boolean): Promise<ScenarioResult> {
  const count = quick ? 20_000 : 1_000_000
  const rows: Row[] = []
  for (const kind of ['claim', 'session'] as const) {
    const measured: Record<string, number> = {}
    for (const library of ['paywire', 'mppx'] as const) {
      const { stdout } = await run(
        process.execPath,
        [
          ...process.execArgv,
          '--expose-gc',
          '--max-old-space-size=8192',
          child,
          library,
          kind,
          String(count),
        ],
        { maxBuffer: 1 << 20 },
      )
      measured[library] = (
        JSON.parse(stdout.trim().split('\n').pop() as string) as { bytesPerEntry: number }
      ).bytesPerEntry
    }
    const paywire = measured.paywire as number
    const mppx = measured.mppx as number
    const entry = (side: 'paywire' | 'mppx', value: number) => ({
      side,
      label: side === 'paywire' ? 'MemoryStore' : 'Store.memory()',
      opsPerSecond: value,
      p50Us: Number.NaN,
      p99Us: Number.NaN,
      samples: count,
    })
    rows.push({
      scenario: 7,
      case:
        kind === 'claim'
          ? `bytes per stored claim (${count.toLocaleString('en-US')} entries)`
          : `bytes per session record (${count.toLocaleString('en-US')} entries)`,
      unit: 'bytes',
      measurements: [entry('paywire', paywire), entry('mppx', mppx)],
      ratios: [{ name: 'mppx / paywire bytes (higher: paywire smaller)', value: mppx / paywire }],
      notes: [],
    })
  }
  return {
    scenario: 7,
    title: 'Memory per entry in the memory store (child process, --expose-gc)',
    rows,
    skipped: [],
  }
}
