// The reports of a run: JSON (the schema in Results.ts), JUnit XML for CI, Markdown for
// pull requests, and a self-contained HTML page for people. Evidence in every report is
// already redacted by the runner.
import type * as Results from './Results.js'

/**
 * The JSON report (pretty-printed, with a `$schema` pointer).
 *
 * @example
 * ```ts
 * import { Report } from '@paywire/conformance'
 * declare const results: import('@paywire/conformance').Results.Results
 * await import('node:fs/promises').then((fs) => fs.writeFile('results.json', Report.json(results)))
 * ```
 */
export function json(results: Results.Results): string {
  return `${JSON.stringify(
    { $schema: 'https://paywire.dev/schemas/conformance/results.schema.json', ...results },
    null,
    2,
  )}\n`
}

/**
 * JUnit XML: one `testsuite` per group, one `testcase` per test. `fail` and `error` are
 * failures and errors; `n/a` is skipped; `warn` and `xfail` pass with a `system-out` note.
 *
 * @example
 * ```ts
 * import { Report } from '@paywire/conformance'
 * declare const results: import('@paywire/conformance').Results.Results
 * const xml = Report.junit(results)
 * ```
 */
export function junit(results: Results.Results): string {
  const groups = [...new Set(results.results.map((result) => result.group))]
  const suites = groups.map((group) => {
    const members = results.results.filter((result) => result.group === group)
    const count = (verdict: Results.Verdict) => members.filter((m) => m.verdict === verdict).length
    const time = members.reduce((sum, m) => sum + m.durationMs, 0) / 1000
    const cases = members.map((result) => testcase(`${results.mode}.${group}`, result)).join('\n')
    return `  <testsuite name="${results.mode}.${xml(group)}" tests="${members.length}" failures="${count('fail')}" errors="${count('error')}" skipped="${count('n/a')}" time="${time.toFixed(3)}">\n${cases}\n  </testsuite>`
  })
  const { summary } = results
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xml(`${results.suite.name} ${results.suite.version}: ${results.target.url}`)}" tests="${summary.total}" failures="${summary.fail}" errors="${summary.error}" skipped="${summary['n/a']}" time="${(results.durationMs / 1000).toFixed(3)}">\n${suites.join('\n')}\n</testsuites>\n`
}

/**
 * A Markdown summary: totals, then a table of every test that did not pass, then the
 * full list.
 *
 * @example
 * ```ts
 * import { Report } from '@paywire/conformance'
 * declare const results: import('@paywire/conformance').Results.Results
 * const markdown = Report.markdown(results)
 * ```
 */
export function markdown(results: Results.Results): string {
  const { summary } = results
  const lines = [
    `# Conformance: ${results.target.url}`,
    '',
    `${results.suite.name} ${results.suite.version}, ${results.mode} mode, seed ${results.seed}, ${results.startedAt}, ${(results.durationMs / 1000).toFixed(1)} s.`,
    '',
    `**${summary.pass} pass, ${summary.fail} fail, ${summary.warn} warn, ${summary.xfail} xfail, ${summary['n/a']} n/a, ${summary.error} error** of ${summary.total}.`,
    '',
  ]
  const notable = results.results.filter((result) => result.verdict !== 'pass')
  if (notable.length > 0) {
    lines.push('## Not passed', '', '| test | level | verdict | why |', '| --- | --- | --- | --- |')
    for (const result of notable)
      lines.push(
        `| \`${result.id}\` | ${result.level} | ${result.verdict} | ${cell(result.message ?? '')} |`,
      )
    lines.push('')
  }
  lines.push(
    '## All tests',
    '',
    '| test | level | verdict | requirements |',
    '| --- | --- | --- | --- |',
  )
  for (const result of results.results)
    lines.push(
      `| \`${result.id}\` | ${result.level} | ${result.verdict} | ${result.requirements.map((id) => `\`${id}\``).join(', ')} |`,
    )
  return `${lines.join('\n')}\n`
}

/**
 * A self-contained HTML page (no scripts, no external resources): totals, then one row per
 * test in run order, with the evidence of each test that did not pass under it (open for
 * `fail` and `error`, folded otherwise). Each row's `id` is its test id, so
 * `results.html#server.cache.no-store` links to it. Below 48em the table becomes a list of
 * cards, so a phone shows it without scrolling sideways.
 *
 * @example
 * ```ts
 * import { Report } from '@paywire/conformance'
 * declare const results: import('@paywire/conformance').Results.Results
 * const page = Report.html(results)
 * ```
 */
export function html(results: Results.Results): string {
  const { summary } = results
  const totals = (['pass', 'fail', 'warn', 'xfail', 'n/a', 'error'] as const)
    .map((verdict) => `<span class="v ${cls(verdict)}">${summary[verdict]} ${verdict}</span>`)
    .join(' ')
  const rows = results.results.map((result) => {
    const open = result.verdict === 'fail' || result.verdict === 'error' ? ' open' : ''
    const details =
      result.verdict === 'pass' || result.evidence.length === 0
        ? ''
        : `<details${open}><summary>evidence</summary><pre>${xml(JSON.stringify(result.evidence, null, 2))}</pre></details>`
    return `<tr id="${xml(result.id)}"><td class="id"><code>${xml(result.id)}</code><div class="t">${xml(result.title)}</div></td><td class="lv">${result.level}</td><td class="vd"><span class="v ${cls(result.verdict)}">${result.verdict}</span></td><td class="why">${xml(result.message ?? '')}${details}</td><td class="req">${result.requirements.map((id) => `<code>${xml(id)}</code>`).join(' ')}</td></tr>`
  })
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Conformance: ${xml(results.target.url)}</title>
<style>${style}</style>
</head><body>
<h1>Conformance: ${xml(results.target.url)}</h1>
<p>${xml(results.suite.name)} ${xml(results.suite.version)}, ${results.mode} mode, seed ${results.seed}, ${xml(results.startedAt)}, ${(results.durationMs / 1000).toFixed(1)} s.</p>
<p class="totals">${totals} of ${summary.total}</p>
<table><thead><tr><th>test</th><th>level</th><th>verdict</th><th>why</th><th>requirements</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>
</body></html>
`
}

// Fonts: DejaVu first (what Debian's fontconfig, and so its chromium, installs), so the
// page renders the same on every such machine (the screenshot test depends on it).
const style = [
  'body{font:14px/1.4 "DejaVu Sans",system-ui,sans-serif;margin:2em;color:#222;background:#fff}',
  'code,pre{font-family:"DejaVu Sans Mono",ui-monospace,monospace}',
  'h1{font-size:24px;overflow-wrap:anywhere}',
  'table{border-collapse:collapse;width:100%}',
  'td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left;vertical-align:top}',
  'th,td.lv,td.vd{white-space:nowrap}td.id,td.why,td.req{overflow-wrap:anywhere}td.id{min-width:14em}td.req{min-width:12em}td.req code{display:block}',
  '.t{color:#666;font-size:12px}',
  '.v{padding:0 .4em;border-radius:3px;white-space:nowrap}',
  '.totals .v{display:inline-block;margin:0 0 .2em}',
  '.pass{background:#d4f4dd}.fail,.error{background:#f8d0d0}.warn{background:#fbecc4}.na,.xfail{background:#e6e6e6}',
  'summary{cursor:pointer;color:#555}',
  'pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:12px;background:#f6f6f6;padding:.5em;margin:.3em 0}',
  'code{font-size:12px}',
  '@media (max-width:48em){body{margin:1em}thead{display:none}table,tbody,tr,td{display:block}',
  'tr{border-bottom:1px solid #ddd;padding:.5em 0}td{border:0;padding:.15em 0}td.id,td.req{min-width:0}',
  'td.lv,td.vd{display:inline-block;margin-right:.6em}td.req code{display:inline}td.req:not(:empty)::before{content:"requirements: ";color:#666;font-size:12px}}',
].join('')

function cls(verdict: Results.Verdict): string {
  return verdict === 'n/a' ? 'na' : verdict
}

function testcase(group: string, result: Results.Result): string {
  const open = `    <testcase classname="${xml(group)}" name="${xml(`${result.id} [${result.level}]`)}" time="${(result.durationMs / 1000).toFixed(3)}"`
  const message = xml(result.message ?? '')
  const evidence = xml(JSON.stringify(result.evidence, null, 2))
  switch (result.verdict) {
    case 'pass':
      return `${open}/>`
    case 'n/a':
      return `${open}>\n      <skipped message="${message}"/>\n    </testcase>`
    case 'fail':
      return `${open}>\n      <failure message="${message}" type="fail">${evidence}</failure>\n    </testcase>`
    case 'error':
      return `${open}>\n      <error message="${message}" type="error">${evidence}</error>\n    </testcase>`
    default:
      return `${open}>\n      <system-out>${xml(`${result.verdict}: ${result.message ?? ''}`)}</system-out>\n    </testcase>`
  }
}

function xml(text: string): string {
  // Characters XML 1.0 cannot carry (C0 controls but tab, LF, CR) become U+FFFD.
  return Array.from(text, (c) => (xmlChar(c.codePointAt(0) ?? 0) ? c : '\ufffd'))
    .join('')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}

function xmlChar(code: number): boolean {
  return (
    code === 0x09 ||
    code === 0x0a ||
    code === 0x0d ||
    (code >= 0x20 && code !== 0xfffe && code !== 0xffff)
  )
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').slice(0, 300)
}
