// `paywire conformance ...` runs @paywire/conformance's suite: here against `paywire serve`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { command, daemon, paywire } from './test/run.js'

let serve: Awaited<ReturnType<typeof daemon>>

beforeAll(async () => {
  serve = await daemon(
    command('serve', '--port', '0'),
    /listening on (http:\/\/127\.0\.0\.1:\d+)\n/,
  )
})
afterAll(() => serve?.stop())

describe('paywire conformance', () => {
  it('runs the server suite against the demo API and passes its exit status through', async () => {
    const run = await paywire(['conformance', 'server', `${serve.match[1]}/paid`, '--json', '-'])
    const report = JSON.parse(run.stdout)
    expect(report).toMatchObject({ mode: 'server', summary: { fail: 0, error: 0 } })
    expect(report.summary.pass).toBeGreaterThan(0)
    expect(run.code).toBe(0)
  })

  it('passes a usage mistake through as exit 2', async () => {
    const run = await paywire(['conformance', 'nonsense'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('unknown command "nonsense"')
  })
})
