// How much of the drafts the catalog checks: per draft and level, the requirements that
// bind an implementation (server, client or parser) and are named by at least one test
// that can run (a server check, a client check, or a vector test with an ABI operation),
// and the MUST / MUST NOT requirements that no such test names.
// `paywire-conformance list --coverage` prints it.
import * as Catalog from './Catalog.js'
import * as Requirements from './Requirements.js'
import type { Test } from './server/Check.js'

/** The level columns of the report: `MUST NOT` counts as `MUST`, `SHOULD NOT` as `SHOULD`. */
export const columns = ['MUST', 'SHOULD', 'MAY', 'all'] as const

/** Checked and total requirements of one column. */
export type Tally = { checked: number; total: number }

/** The coverage of the catalog (or of part of it). */
export type Report = {
  /** One row per draft, in catalog file order. */
  drafts: Array<{ draft: string; levels: Record<(typeof columns)[number], Tally> }>
  /** MUST and MUST NOT requirements binding an implementation that no test checks. */
  unchecked: Array<Pick<Requirements.Requirement, 'id' | 'draft' | 'section' | 'level' | 'binds'>>
  /** Each counted requirement with the ids of the tests that check it. */
  requirements: Array<{ id: string; draft: string; level: string; tests: string[] }>
}

/**
 * Computes which requirements `tests` check. Requirements that bind no implementation
 * (`binds: []`, rules for specification authors) are not counted; nor are tests tagged
 * `no-operation`, which never run.
 *
 * @example
 * ```ts
 * import { Coverage } from '@paywire/conformance'
 * const report = Coverage.compute()
 * report.unchecked.filter((requirement) => requirement.draft.startsWith('draft-payment-intent-charge'))
 * ```
 */
export function compute(
  tests: readonly Test[] = Catalog.tests,
  requirements: readonly Requirements.Requirement[] = Requirements.load(),
): Report {
  const counted = requirements.filter((requirement) => requirement.binds.length > 0)
  const byId = new Map<string, string[]>()
  for (const test of tests)
    if (!test.tags.includes(Catalog.noOperation))
      for (const id of test.requirements) byId.set(id, [...(byId.get(id) ?? []), test.id])
  const checked = (requirement: Requirements.Requirement) => byId.has(requirement.id)
  const drafts = [...new Set(counted.map((requirement) => requirement.draft))]
  return {
    drafts: drafts.map((draft) => {
      const own = counted.filter((requirement) => requirement.draft === draft)
      const tally = (list: readonly Requirements.Requirement[]): Tally => ({
        checked: list.filter(checked).length,
        total: list.length,
      })
      const at = (column: string) =>
        own.filter((requirement) => requirement.level.split(' ')[0] === column)
      return {
        draft,
        levels: {
          MUST: tally(at('MUST')),
          SHOULD: tally(at('SHOULD')),
          MAY: tally(at('MAY')),
          all: tally(own),
        },
      }
    }),
    unchecked: counted
      .filter((requirement) => requirement.level.startsWith('MUST') && !checked(requirement))
      .map(({ id, draft, section, level, binds }) => ({ id, draft, section, level, binds })),
    requirements: counted.map((requirement) => ({
      id: requirement.id,
      draft: requirement.draft,
      level: requirement.level,
      tests: byId.get(requirement.id) ?? [],
    })),
  }
}

/**
 * The report as text: a table of checked/total per draft and level, then the unchecked
 * MUST and MUST NOT requirements.
 *
 * @example
 * ```ts
 * import { Coverage } from '@paywire/conformance'
 * console.log(Coverage.format(Coverage.compute()))
 * ```
 */
export function format(report: Report): string {
  const width = Math.max(5, ...report.drafts.map((row) => row.draft.length))
  const cell = ({ checked, total }: Tally) => {
    const percent = total === 0 ? '-' : `${Math.floor((checked / total) * 100)}%`
    return `${checked}/${total} ${percent.padStart(4)}`.padStart(14)
  }
  const lines = [
    `${'draft'.padEnd(width)}${columns.map((column) => column.padStart(14)).join('')}`,
    ...report.drafts.map(
      (row) =>
        `${row.draft.padEnd(width)}${columns.map((column) => cell(row.levels[column])).join('')}`,
    ),
    '',
    `MUST / MUST NOT requirements no test checks (${report.unchecked.length}):`,
  ]
  const idWidth = Math.max(0, ...report.unchecked.map((entry) => entry.id.length))
  for (const entry of report.unchecked)
    lines.push(
      `  ${entry.id.padEnd(idWidth)}  ${entry.level.padEnd(8)}  ${entry.binds.join(',').padEnd(20)}  ${entry.draft} ${entry.section}`,
    )
  return lines.join('\n')
}
