// The live terminal view of a run: on a TTY, one line per group rewritten in place as its
// tests finish (`binding   7/11  ✓7`); elsewhere (CI logs, pipes) plain text, one line per
// group once it is done and one per test that did not pass.
import type * as Results from './Results.js'
import type { Progress } from './Suite.js'

/** Where progress goes: a writable with an optional `isTTY`, like `process.stderr`. */
export type Output = { write(text: string): unknown; isTTY?: boolean | undefined }

const marks: Record<Results.Verdict, string> = {
  pass: 'pass',
  xfail: 'xfail',
  'n/a': 'n/a',
  warn: 'warn',
  fail: 'FAIL',
  error: 'ERROR',
}

/**
 * @internal Runs `tests` group by group, in order, reporting each group's start and each
 * result to `onProgress`; resolves the results in run order.
 */
export async function inGroups<test extends { group: string }>(
  tests: readonly test[],
  onProgress: ((progress: Progress) => void) | undefined,
  judge: (test: test) => Promise<Results.Result>,
): Promise<Results.Result[]> {
  const results: Results.Result[] = []
  for (const group of [...new Set(tests.map((test) => test.group))]) {
    const members = tests.filter((test) => test.group === group)
    onProgress?.({ kind: 'group', group, tests: members.length })
    for (const test of members) {
      const result = await judge(test)
      results.push(result)
      onProgress?.({ kind: 'result', group, result, done: results.length, total: tests.length })
    }
  }
  return results
}

/**
 * A progress listener for {@link Suite.run} writing to `output`.
 *
 * @example
 * ```ts
 * import { Progress, Suite } from '@paywire/conformance'
 * declare const options: Suite.run.Options
 * await Suite.run({ ...options, onProgress: Progress.reporter(process.stderr) })
 * ```
 */
export function reporter(output: Output): (progress: Progress) => void {
  const live = output.isTTY === true
  const counts = new Map<string, Map<Results.Verdict, number>>()
  const sizes = new Map<string, number>()
  let current: string | undefined
  const line = (group: string) => {
    const tally = counts.get(group) ?? new Map<Results.Verdict, number>()
    const done = [...tally.values()].reduce((sum, n) => sum + n, 0)
    const parts = [...tally].map(([verdict, n]) => `${marks[verdict]} ${n}`).join(', ')
    return `${group.padEnd(12)} ${String(done).padStart(3)}/${sizes.get(group) ?? done}  ${parts}`
  }
  const close = () => {
    if (current === undefined) return
    output.write(live ? `\r\x1b[2K${line(current)}\n` : `${line(current)}\n`)
    current = undefined
  }
  return (progress) => {
    if (progress.kind === 'group') {
      close()
      current = progress.group
      sizes.set(progress.group, progress.tests)
      counts.set(progress.group, new Map())
      if (live) output.write(line(progress.group))
      return
    }
    const { result } = progress
    const tally = counts.get(result.group) ?? new Map<Results.Verdict, number>()
    counts.set(result.group, tally)
    tally.set(result.verdict, (tally.get(result.verdict) ?? 0) + 1)
    if (result.verdict !== 'pass' && result.verdict !== 'n/a') {
      const text = `  ${marks[result.verdict]} ${result.id}: ${result.message ?? ''}\n`
      output.write(live ? `\r\x1b[2K${text}` : text)
    }
    if (live && result.group === current) output.write(`\r\x1b[2K${line(current)}`)
    if (progress.done === progress.total) {
      close()
      // Groups run in the background (waiting for time to pass) had no group line yet.
      for (const group of counts.keys()) if (!sizes.has(group)) output.write(`${line(group)}\n`)
    }
  }
}
