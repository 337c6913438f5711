// Requirement coverage (`pnpm spec:coverage`): per draft revision and level, how many
// requirements in force in that revision have at least one tagged test, and which MUST / MUST NOT requirements have none.
// Requirements with `binds: []` (rules for specification authors) are listed apart and
// left out of the counts. Always exits 0; the link check is `check.ts`.
//   tsx scripts/coverage.ts [--json] [--root <repository root>]
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { link, scan, type TestTitle } from './link.js'
import {
  inForce,
  type Level,
  levels,
  load,
  nameOf,
  type Requirement,
  revisionOf,
  rootFromArgs,
} from './requirements.js'

/** Counts for one level (or all levels) of one draft (or all drafts). */
export type Tally = { level: Level | 'all'; total: number; tested: number; percent: number }

/** What the coverage report holds; `--json` prints it as is. */
export type Coverage = {
  drafts: Array<{ draft: string; levels: Tally[] }>
  overall: Tally[]
  /** MUST and MUST NOT requirements (binding an implementation) without a test. */
  uncovered: Array<Pick<Requirement, 'id' | 'draft' | 'section' | 'level' | 'binds'>>
  /** Requirements on specification authors only, not counted. */
  specAuthorOnly: string[]
  /** Every requirement with the ids of its tests. */
  requirements: Array<{ id: string; level: Level; binds: Requirement['binds']; tests: string[] }>
}

/** Computes coverage of `requirements` by the linked tests. */
export function coverage(
  requirements: readonly Requirement[],
  byId: ReadonlyMap<string, readonly TestTitle[]>,
): Coverage {
  const counted = requirements.filter((requirement) => requirement.binds.length > 0)
  const isTested = (requirement: Requirement) => (byId.get(requirement.id)?.length ?? 0) > 0
  const drafts = [...new Set(counted.map((requirement) => requirement.draft))].sort()
  return {
    // Each revision counts what it states: its own statements and those of earlier
    // revisions of the same draft that it has not superseded.
    drafts: drafts.map((draft) => ({
      draft,
      levels: tally(
        counted.filter(
          (requirement) =>
            nameOf(requirement.draft) === nameOf(draft) && inForce(requirement, revisionOf(draft)),
        ),
        isTested,
      ),
    })),
    overall: tally(counted, isTested),
    uncovered: [...counted]
      .sort((a, b) => a.draft.localeCompare(b.draft))
      .filter(
        (requirement) =>
          (requirement.level === 'MUST' || requirement.level === 'MUST NOT') &&
          !isTested(requirement),
      )
      .map(({ id, draft, section, level, binds }) => ({ id, draft, section, level, binds })),
    specAuthorOnly: requirements
      .filter((requirement) => requirement.binds.length === 0)
      .map((requirement) => requirement.id),
    requirements: requirements.map((requirement) => ({
      id: requirement.id,
      level: requirement.level,
      binds: requirement.binds,
      tests: (byId.get(requirement.id) ?? []).map((test) => test.testId),
    })),
  }
}

function tally(
  requirements: readonly Requirement[],
  isTested: (requirement: Requirement) => boolean,
): Tally[] {
  const row = (level: Tally['level'], list: readonly Requirement[]): Tally => {
    const tested = list.filter(isTested).length
    return {
      level,
      total: list.length,
      tested,
      percent: list.length === 0 ? 0 : Math.floor((tested / list.length) * 1000) / 10,
    }
  }
  return [
    ...levels.map((level) =>
      row(
        level,
        requirements.filter((requirement) => requirement.level === level),
      ),
    ),
    row('all', requirements),
  ]
}

/** The report as a text table. */
export function format(report: Coverage): string {
  const lines: string[] = []
  const table = (title: string, rows: readonly Tally[]) => {
    lines.push(
      title,
      `  ${'level'.padEnd(11)}${'total'.padStart(6)}${'tested'.padStart(8)}${'percent'.padStart(9)}`,
    )
    for (const row of rows)
      lines.push(
        `  ${row.level.padEnd(11)}${String(row.total).padStart(6)}${String(row.tested).padStart(8)}${`${row.percent.toFixed(1)}%`.padStart(9)}`,
      )
    lines.push('')
  }
  for (const { draft, levels: rows } of report.drafts) table(draft, rows)
  table('all drafts', report.overall)
  lines.push(`Untested MUST / MUST NOT requirements (${report.uncovered.length}):`)
  const width = Math.max(0, ...report.uncovered.map((entry) => entry.id.length))
  for (const entry of report.uncovered)
    lines.push(
      `  ${entry.id.padEnd(width)}  ${entry.level.padEnd(8)}  ${entry.binds.join(',').padEnd(20)}  ${entry.section}`,
    )
  lines.push(
    '',
    `Not counted (binds: [], rules for specification authors): ${report.specAuthorOnly.join(', ') || 'none'}`,
  )
  return lines.join('\n')
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2)
  const root = rootFromArgs(argv)
  const report = coverage(load(root), link(scan(root)))
  console.log(argv.includes('--json') ? JSON.stringify(report, null, 2) : format(report))
}
