// The progress view: plain lines per group when not on a terminal, one line rewritten in
// place on a terminal; tests that did not pass are always printed with their reason.
import { describe, expect, it } from 'vitest'
import * as Progress from './Progress.js'
import type * as Results from './Results.js'

const result = (id: string, verdict: Results.Verdict, message?: string): Results.Result => ({
  id,
  title: id,
  group: id.split('.')[1] as string,
  level: 'MUST',
  requirements: [],
  verdict,
  ...(message === undefined ? {} : { message }),
  durationMs: 1,
  evidence: [],
})

function feed(isTTY: boolean): string {
  let text = ''
  const report = Progress.reporter({ write: (chunk: string) => (text += chunk), isTTY })
  report({ kind: 'group', group: 'cache', tests: 2 })
  report({
    kind: 'result',
    group: 'cache',
    result: result('server.cache.a', 'pass'),
    done: 1,
    total: 4,
  })
  report({
    kind: 'result',
    group: 'cache',
    result: result('server.cache.b', 'fail', 'no no-store'),
    done: 2,
    total: 4,
  })
  report({
    kind: 'result',
    group: 'expiry',
    result: result('server.expiry.d', 'pass'),
    done: 3,
    total: 4,
  })
  report({ kind: 'group', group: 'replay', tests: 1 })
  report({
    kind: 'result',
    group: 'replay',
    result: result('server.replay.c', 'n/a'),
    done: 4,
    total: 4,
  })
  return text
}

describe('Progress.reporter', () => {
  it('writes plain lines, one per group and one per test that did not pass, off a terminal', () => {
    expect(feed(false)).toBe(
      [
        '  FAIL server.cache.b: no no-store',
        'cache          2/2  pass 1, FAIL 1',
        'replay         1/1  n/a 1',
        'expiry         1/1  pass 1',
        '',
      ].join('\n'),
    )
  })

  it('rewrites the group line in place on a terminal', () => {
    const text = feed(true)
    expect(text).toContain('\r\x1b[2Kcache          1/2  pass 1')
    expect(text).toContain('\r\x1b[2K  FAIL server.cache.b: no no-store\n')
    expect(text.endsWith('\r\x1b[2Kreplay         1/1  n/a 1\nexpiry         1/1  pass 1\n')).toBe(
      true,
    )
  })
})
