// CI only checks that the benchmarks run: `bench --quick` for every scenario, as a child
// process exactly as `pnpm bench --quick` starts it (on the built packages), without
// writing results. No timing is asserted: only that each scenario ran, that every paid
// route served paid requests (a paid path that refuses everything would still "run"), and
// that every ratio the issue sets a target for was computed.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
let stdout = ''

/** The rate a table line reports for `label` in scenario `scenario`'s section. */
function served(scenario: number, label: string): number {
  const section = stdout.split(/\n(?=\d+\. )/).find((part) => part.startsWith(`${scenario}. `))
  const line = section?.split('\n').find((candidate) => candidate.includes(label))
  const value = line
    ?.slice(line.indexOf(label) + label.length)
    .match(/([\d,.]+) (req|claims|ops)\/s/)
  return value === null || value === undefined ? Number.NaN : Number(value[1]?.replaceAll(',', ''))
}

describe('bench --quick', () => {
  beforeAll(async () => {
    ;({ stdout } = await run('node', ['--import', 'tsx', 'src/main.ts', '--quick', '--no-write'], {
      cwd: root,
      timeout: 540_000,
      maxBuffer: 1 << 24,
    }))
  }, 560_000)

  it('runs every scenario, none skipped or failed', () => {
    for (const title of [
      '1. Challenge issuance',
      '2. Header codecs',
      '3. Credential verification',
      '4. Session voucher verification',
      '5. HTTP over loopback',
      '6. Stores',
      '7. Outstanding challenges',
      '8. Sessions over HTTP',
      '9. How the cost of a paid request grows',
    ])
      expect(stdout).toContain(title)
    expect(stdout).not.toContain('SKIPPED')
  })

  it('prints a ratio for every target of the issue', () => {
    // Scenarios 1 to 4 against mppx: issuance, three codecs, verify+claim, vouchers.
    expect(stdout.match(/=> paywire \/ mppx throughput: \d/g)).toHaveLength(6)
    expect(stdout.match(/=> paywire paid \/ unpaid req\/s: \d/g)).toHaveLength(2)
    expect(stdout.match(/=> paywire paid \/ mppx paid req\/s: \d/g)).toHaveLength(2)
    expect(stdout.match(/=> raw engine \/ store claims\/s: \d/g)).toHaveLength(3)
    expect(stdout).toMatch(/=> Voucher\.verify ops\/s \/ fresh-voucher req\/s[^:]*: \d/)
    expect(stdout).toMatch(/=> re-sent voucher \/ charge req\/s: \d/)
  })

  it('serves paid requests on every paid route it drives', () => {
    expect(stdout).not.toMatch(/paid route: \d+ non-2xx/)
    for (const [scenario, label] of [
      [5, 'paywire  GET /paid, paid'],
      [5, 'mppx     GET /paid, paid'],
      [8, 'fresh voucher per request'],
      [8, 're-sent voucher (no signature check)'],
      [9, '10 connections'],
      [9, 'two processes: the second'],
    ] as const)
      expect(served(scenario, label), `${scenario}: ${label}`).toBeGreaterThan(0)
  })
})
