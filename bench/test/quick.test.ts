// CI only checks that the benchmarks run: `bench --quick` for scenarios 1 to 3, as a
// child process exactly as `pnpm bench --quick` starts it, without writing results.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))

describe('bench --quick', () => {
  it('runs scenarios 1 to 3 and prints a paywire / mppx ratio for every case', async () => {
    const { stdout } = await run(
      'node',
      [
        '--import',
        'tsx',
        '--conditions=@paywire/source',
        'src/main.ts',
        '--quick',
        '--only',
        '1,2,3',
        '--no-write',
      ],
      { cwd: root, timeout: 30_000 },
    )
    expect(stdout).toContain('1. Challenge issuance')
    expect(stdout).toContain('2. Header codecs')
    expect(stdout).toContain('3. Credential verification')
    expect(stdout).not.toContain('SKIPPED')
    // Five cases, each with its ratio against mppx.
    expect(stdout.match(/paywire \/ mppx throughput: \d/g)).toHaveLength(5)
  }, 30_000)
})
