// The reports: the published JSON Schema matches the zod schema of the results, and the
// JSON, JUnit and Markdown renderings carry every verdict with redacted evidence.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as Report from './Report.js'
import * as Results from './Results.js'

const evidence = {
  request: {
    method: 'GET',
    url: 'http://127.0.0.1:1/paid',
    headers: { authorization: 'Payment [redacted: 120 characters]' },
  },
  response: {
    status: 200,
    headers: { 'payment-receipt': '[redacted: 80 characters]' },
    body: '<ok & "fine">',
  },
  durationMs: 3,
}

const results: Results.Results = {
  suite: Results.suite,
  mode: 'server',
  target: {
    url: 'http://127.0.0.1:1',
    methods: ['test'],
    intents: ['charge'],
    extensions: [],
    capabilities: ['payment'],
  },
  seed: 7,
  startedAt: '2026-11-25T12:00:00.000Z',
  durationMs: 1234,
  summary: Results.summarize([
    { verdict: 'pass' },
    { verdict: 'fail' },
    { verdict: 'warn' },
    { verdict: 'n/a' },
    { verdict: 'xfail' },
    { verdict: 'error' },
  ]),
  results: (['pass', 'fail', 'warn', 'n/a', 'xfail', 'error'] as const).map((verdict, index) => ({
    id: `server.group${index % 2}.t${index}`,
    title: `test ${index}`,
    group: `group${index % 2}`,
    level: verdict === 'warn' ? 'SHOULD' : 'MUST',
    requirements: ['core.cache.no-store'],
    verdict,
    ...(verdict === 'pass' ? {} : { message: `why ${verdict} | <${index}>` }),
    durationMs: 10,
    evidence: [evidence],
  })),
}

describe('Results', () => {
  it('publishes schemas/results.schema.json generated from the zod schema', () => {
    const file = readFileSync(new URL('../schemas/results.schema.json', import.meta.url), 'utf8')
    expect(JSON.parse(file)).toEqual(Results.jsonSchema())
  })

  it('counts verdicts and fails a run on any fail or error only', () => {
    expect(results.summary).toMatchObject({
      pass: 1,
      fail: 1,
      warn: 1,
      'n/a': 1,
      xfail: 1,
      error: 1,
      total: 6,
    })
    expect(Results.failed(results)).toBe(true)
    expect(
      Results.failed({
        summary: Results.summarize([{ verdict: 'warn' }, { verdict: 'xfail' }, { verdict: 'n/a' }]),
      }),
    ).toBe(false)
  })
})

describe('Report', () => {
  it('writes JSON that the results schema accepts', () => {
    const parsed = Results.schema.parse(JSON.parse(Report.json(results)))
    expect(parsed.results).toHaveLength(6)
    expect(Report.json(results)).not.toMatch(/Payment eyJ/)
  })

  it('writes JUnit XML with failures, errors and skips counted and text escaped', () => {
    const xml = Report.junit(results)
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>/)
    expect(xml).toContain('<testsuites name="@paywire/conformance')
    expect(xml).toMatch(/tests="6" failures="1" errors="1" skipped="1"/)
    expect(xml).toContain('<failure message="why fail | &lt;1&gt;" type="fail">')
    expect(xml).toContain('<skipped message="why n/a | &lt;3&gt;"/>')
    expect(xml).toContain('&lt;ok &amp; \\&quot;fine\\&quot;&gt;')
    expect(xml).not.toMatch(/<ok/)
  })

  it('writes a self-contained HTML page with escaped text and the evidence of what did not pass', () => {
    const page = Report.html({
      ...results,
      target: { ...results.target, url: 'http://x/<script>alert(1)</script>' },
    })
    expect(page.startsWith('<!doctype html>')).toBe(true)
    expect(page).not.toContain('<script>')
    expect(page).toContain('&lt;script&gt;')
    expect(page).not.toMatch(/src=|href=/)
    expect(page).toContain('<span class="v fail">1 fail</span>')
    // Five tests did not pass: their evidence is there, open for the fail and the error.
    expect(page.match(/<details[ >]/g)).toHaveLength(5)
    expect(page.match(/<details open>/g)).toHaveLength(2)
    expect(page).toContain('<tr id="server.group1.t1">')
  })

  it('writes Markdown with the totals and a table of what did not pass', () => {
    const markdown = Report.markdown(results)
    expect(markdown).toContain('**1 pass, 1 fail, 1 warn, 1 xfail, 1 n/a, 1 error** of 6.')
    expect(markdown).toContain('| `server.group1.t1` | MUST | fail | why fail \\| <1> |')
    expect(markdown).toContain('## All tests')
  })
})
