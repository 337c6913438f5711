// The results of a run: one row per measured case, each with its measurements and the
// ratios the issue's targets are stated in; printed as a table and written as JSON and
// Markdown with the machine's description.
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import type { Measurement } from './Harness.js'

/** One measured case of a scenario. */
export type Row = {
  scenario: number
  case: string
  /** What `value` counts (ops/s, req/s, claims/s, bytes). */
  unit: string
  measurements: Array<Omit<Measurement, 'name'> & { label: string }>
  ratios: Ratio[]
  notes: string[]
}

/** A ratio with its target, where the issue sets one. */
export type Ratio = {
  name: string
  value: number
  /** E.g. `>= 2` or `<= 1.3`. */
  target?: string | undefined
  met?: boolean | undefined
}

/** A scenario's outcome: its rows, or the reason it was skipped. */
export type ScenarioResult = { scenario: number; title: string; rows: Row[]; skipped: string[] }

/** The machine a run happened on. */
export type Machine = {
  cpu: string
  cores: number
  memoryGiB: number
  node: string
  platform: string
  date: string
}

/** Describes this machine. */
export function machine(): Machine {
  const list = cpus()
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
  }
}

/** A ratio `a / b` against a minimum. */
export function atLeast(name: string, value: number, minimum: number): Ratio {
  return { name, value, target: `>= ${minimum}`, met: value >= minimum }
}

/** A ratio against a maximum. */
export function atMost(name: string, value: number, maximum: number): Ratio {
  return { name, value, target: `<= ${maximum}`, met: value <= maximum }
}

/** A ratio strictly below a maximum. */
export function below(name: string, value: number, maximum: number): Ratio {
  return { name, value, target: `< ${maximum}`, met: value < maximum }
}

/** Formats the results as a plain-text table for the terminal. */
export function table(results: readonly ScenarioResult[]): string {
  const lines: string[] = []
  for (const result of results) {
    lines.push('', `${result.scenario}. ${result.title}`)
    for (const reason of result.skipped) lines.push(`   SKIPPED: ${reason}`)
    for (const row of result.rows) {
      lines.push(`   ${row.case}`)
      for (const m of row.measurements)
        lines.push(
          `     ${m.side.padEnd(8)} ${m.label.padEnd(44)} ${format(m.opsPerSecond).padStart(12)} ${row.unit.padEnd(9)}${latency(m)}`,
        )
      for (const ratio of row.ratios)
        lines.push(
          `     => ${ratio.name}: ${ratio.value.toFixed(2)}${ratio.target ? ` (target ${ratio.target}: ${ratio.met ? 'met' : 'NOT met'})` : ''}`,
        )
      for (const note of row.notes) lines.push(`     note: ${note}`)
    }
  }
  return lines.join('\n')
}

/** Formats the results as Markdown, with the machine's description. */
export function markdown(
  results: readonly ScenarioResult[],
  described: Machine,
  quick: boolean,
): string {
  const lines = [
    '# paywire benchmark results',
    '',
    `${quick ? '**Quick run (`--quick`): numbers are indicative only.** ' : ''}Machine: ${described.cpu}, ${described.cores} cores, ${described.memoryGiB} GiB, Node ${described.node}, ${described.platform}; run ${described.date}.`,
    '',
    'Ratios are measured in one process run, tasks interleaved; absolute numbers move with the load of the shared machine.',
    '',
    '| # | case | side | what | value | unit | p50 | p99 |',
    '| --- | --- | --- | --- | ---: | --- | ---: | ---: |',
  ]
  const ratioLines = [
    '',
    '## Ratios',
    '',
    '| # | case | ratio | value | target | met |',
    '| --- | --- | --- | ---: | --- | --- |',
  ]
  const notes: string[] = []
  for (const result of results) {
    for (const reason of result.skipped)
      notes.push(`- ${result.scenario}. ${result.title}: skipped: ${reason}`)
    for (const row of result.rows) {
      for (const m of row.measurements)
        lines.push(
          `| ${row.scenario} | ${row.case} | ${m.side} | ${m.label} | ${format(m.opsPerSecond)} | ${row.unit} | ${us(m.p50Us)} | ${us(m.p99Us)} |`,
        )
      for (const ratio of row.ratios)
        ratioLines.push(
          `| ${row.scenario} | ${row.case} | ${ratio.name} | ${ratio.value.toFixed(2)} | ${ratio.target ?? ''} | ${ratio.met === undefined ? '' : ratio.met ? 'yes' : '**no**'} |`,
        )
      for (const note of row.notes) notes.push(`- ${row.scenario}. ${row.case}: ${note}`)
    }
  }
  return [...lines, ...ratioLines, '', '## Notes', '', ...notes, ''].join('\n')
}

/**
 * Writes `<name>.json` and `<name>.md` under `directory`: `latest` for a full run, `quick`
 * for a `--quick` one (which never overwrites the published full results).
 */
export function write(
  directory: string,
  results: readonly ScenarioResult[],
  described: Machine,
  quick: boolean,
): void {
  mkdirSync(directory, { recursive: true })
  writeFileSync(
    `${directory}/${quick ? 'quick' : 'latest'}.json`,
    `${JSON.stringify({ machine: described, quick, scenarios: results }, null, 2)}\n`,
  )
  writeFileSync(
    `${directory}/${quick ? 'quick' : 'latest'}.md`,
    markdown(results, described, quick),
  )
}

function format(value: number): string {
  if (!Number.isFinite(value)) return '-'
  if (value >= 100) return Math.round(value).toLocaleString('en-US')
  return value.toPrecision(3)
}

function us(value: number): string {
  if (!Number.isFinite(value)) return ''
  return value >= 1000 ? `${(value / 1000).toFixed(2)} ms` : `${value.toFixed(2)} µs`
}

function latency(m: { p50Us: number; p99Us: number }): string {
  if (!Number.isFinite(m.p50Us)) return ''
  return ` p50 ${us(m.p50Us)}  p99 ${us(m.p99Us)}`
}
