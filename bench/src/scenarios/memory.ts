// Scenario 7: stores holding many outstanding challenges (1,000,000; 20,000 with --quick).
// For each paywire store: the space its claims take (retained heap for the memory store, in
// a child process run with --expose-gc; `INFO memory` for Redis; the table's size for
// PostgreSQL; the file's size for SQLite) and the latency of new claims (16 in flight) on
// the empty store and on the full one (src/Outstanding.ts). The memory store is compared
// with mppx's, and so is the space of a session record (the same JSON for both: paywire's
// persisted channel state, so the difference is the store's own).
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Measurement } from '../Harness.js'
import * as Outstanding from '../Outstanding.js'
import type { Row, ScenarioResult } from '../Report.js'

const run = promisify(execFile)
const child = fileURLToPath(new URL('../memoryChild.ts', import.meta.url))

type ChildResult = { bytesPerEntry: number; empty?: Measurement; full?: Measurement }

/** Runs scenario 7. */
export async function runScenario(quick: boolean): Promise<ScenarioResult> {
  const count = quick ? 20_000 : 1_000_000
  const timing: Outstanding.Timing = quick
    ? { warmupMs: 50, timeMs: 200, concurrency: 16 }
    : { warmupMs: 200, timeMs: 1_000, concurrency: 16 }
  const entries = count.toLocaleString('en-US')
  const rows: Row[] = []
  const skipped: string[] = []
  const children: Record<string, ChildResult> = {}
  // Session records: bytes per record settle long before a million (200,000 are enough).
  const records = Math.min(count, 200_000)
  for (const kind of ['claim', 'session'] as const)
    for (const library of ['paywire', 'mppx'] as const)
      children[`${library}:${kind}`] = await measureChild(
        library,
        kind,
        kind === 'claim' ? count : records,
        timing.timeMs,
      )
  const claims = { paywire: children['paywire:claim'], mppx: children['mppx:claim'] } as Record<
    'paywire' | 'mppx',
    Required<ChildResult>
  >
  rows.push({
    scenario: 7,
    case: `memory store: claims with ${entries} outstanding`,
    unit: 'claims/s',
    measurements: [
      { ...claims.paywire.empty, label: 'MemoryStore claim, empty' },
      { ...claims.paywire.full, label: `MemoryStore claim, ${entries} outstanding` },
      { ...claims.mppx.empty, label: 'Store.memory() tryClaim, empty' },
      { ...claims.mppx.full, label: `Store.memory() tryClaim, ${entries} outstanding` },
    ],
    ratios: [
      { name: 'paywire: bytes per outstanding claim', value: claims.paywire.bytesPerEntry },
      {
        name: 'mppx / paywire bytes per claim (higher: paywire smaller)',
        value: claims.mppx.bytesPerEntry / claims.paywire.bytesPerEntry,
      },
      {
        name: 'paywire: full / empty claims/s',
        value: claims.paywire.full.opsPerSecond / claims.paywire.empty.opsPerSecond,
      },
    ],
    notes: [],
  })
  for (const measureStore of [Outstanding.redis, Outstanding.postgres, Outstanding.sqlite]) {
    try {
      const outcome = await measureStore(count, timing)
      rows.push({
        scenario: 7,
        case: `${outcome.label}: claims with ${entries} outstanding`,
        unit: 'claims/s',
        measurements: [
          { ...outcome.empty, label: 'store claim, empty' },
          { ...outcome.full, label: `store claim, ${entries} outstanding` },
        ],
        ratios: [
          { name: 'bytes per outstanding claim (engine space)', value: outcome.bytesPerClaim },
          {
            name: 'full / empty claims/s',
            value: outcome.full.opsPerSecond / outcome.empty.opsPerSecond,
          },
        ],
        notes: [
          `filled in ${outcome.fillSeconds.toFixed(1)} s by the engine in bulk, as the store writes claims`,
        ],
      })
    } catch (error) {
      skipped.push(
        `${measureStore.name}: not available (${error instanceof Error ? error.message : String(error)})`,
      )
    }
  }
  const paywireSession = children['paywire:session'] as ChildResult
  const mppxSession = children['mppx:session'] as ChildResult
  const entry = (side: 'paywire' | 'mppx', value: number) => ({
    side,
    label: side === 'paywire' ? 'MemoryStore' : 'Store.memory()',
    opsPerSecond: value,
    p50Us: Number.NaN,
    p99Us: Number.NaN,
    samples: records,
  })
  rows.push({
    scenario: 7,
    case: `bytes per session record (${records.toLocaleString('en-US')} entries)`,
    unit: 'bytes',
    measurements: [
      entry('paywire', paywireSession.bytesPerEntry),
      entry('mppx', mppxSession.bytesPerEntry),
    ],
    ratios: [
      {
        name: 'mppx / paywire bytes (higher: paywire smaller)',
        value: mppxSession.bytesPerEntry / paywireSession.bytesPerEntry,
      },
    ],
    notes: [],
  })
  return {
    scenario: 7,
    title: `Outstanding challenges: space and claim latency with ${entries} in each store`,
    rows,
    skipped,
  }
}

async function measureChild(
  library: 'paywire' | 'mppx',
  kind: 'claim' | 'session',
  count: number,
  measureMs: number,
): Promise<ChildResult> {
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
      String(measureMs),
    ],
    { maxBuffer: 1 << 20 },
  )
  return JSON.parse(stdout.trim().split('\n').pop() as string) as ChildResult
}
