// The reports of a matrix run (Matrix.ts): JSON (schemas/matrix.schema.json), a plain-text
// grid for the terminal, and Markdown (the grid, then every cell with its reason). Payer
// settings (keys) are never part of a matrix run's results, so no report carries them.
import type * as Matrix from './Matrix.js'

/**
 * The JSON report (pretty-printed, with a `$schema` pointer).
 *
 * @example
 * ```ts
 * import { MatrixReport } from '@paywire/conformance'
 * declare const matrix: import('@paywire/conformance').Matrix.Matrix
 * const text = MatrixReport.json(matrix)
 * ```
 */
export function json(matrix: Matrix.Matrix): string {
  return `${JSON.stringify(
    { $schema: 'https://paywire.dev/schemas/conformance/matrix.schema.json', ...matrix },
    null,
    2,
  )}\n`
}

/**
 * A plain-text grid: one row per client, one column per server, each cell its outcome
 * and verdict; then the cells that were not paid, with their reasons.
 *
 * @example
 * ```ts
 * import { MatrixReport } from '@paywire/conformance'
 * declare const matrix: import('@paywire/conformance').Matrix.Matrix
 * process.stdout.write(MatrixReport.text(matrix))
 * ```
 */
export function text(matrix: Matrix.Matrix): string {
  const rows = grid(matrix)
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? []
  const lines = rows.map((row) =>
    row
      .map((entry, column) => entry.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  )
  const notes = matrix.cells
    .filter((cell) => cell.outcome !== 'paid')
    .map(
      (cell) =>
        `${cell.client} × ${cell.server}: ${cell.reason}${cell.expected ? ` (expected: ${cell.expected.reason})` : ''}`,
    )
  return `${[...lines, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n')}\n`
}

/**
 * A Markdown report: totals, the grid, then each cell with what decided it.
 *
 * @example
 * ```ts
 * import { MatrixReport } from '@paywire/conformance'
 * declare const matrix: import('@paywire/conformance').Matrix.Matrix
 * const markdown = MatrixReport.markdown(matrix)
 * ```
 */
export function markdown(matrix: Matrix.Matrix): string {
  const { summary } = matrix
  const [head = [], ...body] = grid(matrix)
  const table = (rows: string[][]) =>
    rows.map((row) => `| ${row.map(cellText).join(' | ')} |`).join('\n')
  const servers = matrix.servers
    .map((server) => `- \`${server.name}\`: ${server.route} on ${server.url}`)
    .join('\n')
  const cells = matrix.cells.map((cell) => [
    `\`${cell.client}\` × \`${cell.server}\``,
    `${cell.outcome}${cell.by ? ` (by ${cell.by})` : ''}`,
    cell.verdict,
    cell.reason,
    cell.expected?.reason ?? '',
  ])
  return `# paywire-conformance matrix

${summary.total} cells: ${summary.pass} pass, ${summary.fail} fail, ${summary.xfail} xfail, ${summary['n/a']} n/a, ${summary.error} error (${matrix.suite.name} ${matrix.suite.version}, ${(matrix.durationMs / 1000).toFixed(1)} s).

Rows are clients, columns servers:

${table([head, head.map(() => '---'), ...body])}

Servers:

${servers}

${table([['cell', 'outcome', 'verdict', 'reason', 'expected because'], ['---', '---', '---', '---', '---'], ...cells])}
`
}

/** The header row (`client \ server`, then the servers) and one row per client. */
function grid(matrix: Matrix.Matrix): string[][] {
  const head = ['client \\ server', ...matrix.servers.map((server) => server.name)]
  const rows = matrix.clients.map((client) => [
    client,
    ...matrix.servers.map((server) => {
      const cell = matrix.cells.find((c) => c.client === client && c.server === server.name)
      return cell === undefined
        ? ''
        : `${cell.outcome}${cell.by ? ` by ${cell.by}` : ''} [${cell.verdict}]`
    }),
  ])
  return [head, ...rows]
}

function cellText(value: string): string {
  return value.replaceAll('|', '\\|').replaceAll('\n', ' ')
}
