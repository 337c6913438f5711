// `pnpm spec:where`: enforcing code is found by its `@enforces` tags, tests by their title
// tags and conformance checks by their `requirements` member; the check fails on a tag
// naming an unknown id and on a core or charge MUST that names no enforcing code. Each on
// a throw-away repository, then on this one.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { check, checkEnforced, enforcedDrafts } from '../scripts/check.js'
import { load } from '../scripts/requirements.js'
import { enforcements, scanChecks, scanEnforcements, where } from '../scripts/where.js'
import { createRepository, removeRepositories } from './repository.js'

const spec = fileURLToPath(new URL('..', import.meta.url))
const repository = join(spec, '..')

afterEach(removeRepositories)

const fixture = (files: Record<string, unknown>) => createRepository(files, 'paywire-where-')

const requirement = (id: string, level = 'MUST') => ({
  id,
  draft: 'draft-example-00',
  section: '3 Rules',
  level,
  binds: ['server'],
  summary: `Summary of ${id}.`,
})

describe('scanEnforcements', () => {
  it('reads line and block tags, ids split by commas or spaces, and the declaration below', () => {
    const source = [
      '// @enforces ex.a, ex.b',
      '/** Docs. */',
      'export function guard() {}',
      '  /** @enforces ex.c ex.d */',
      '',
      '  if (bad) refuse()',
      '// @enforces Not.An.Id',
      'const x = 1',
    ].join('\n')
    expect(scanEnforcements(source, 'packages/p/src/P.ts')).toEqual([
      {
        file: 'packages/p/src/P.ts',
        line: 1,
        what: 'export function guard() {}',
        ids: ['ex.a', 'ex.b'],
        malformed: [],
      },
      {
        file: 'packages/p/src/P.ts',
        line: 4,
        what: 'if (bad) refuse()',
        ids: ['ex.c', 'ex.d'],
        malformed: [],
      },
      {
        file: 'packages/p/src/P.ts',
        line: 7,
        what: 'const x = 1',
        ids: [],
        malformed: ['Not.An.Id'],
      },
    ])
  })
})

describe('scanChecks', () => {
  it('attributes a requirements list, on one line or several, to the check id above it', () => {
    const source = [
      "  { id: 'server.a',",
      "    requirements: ['ex.a'] },",
      '  {',
      "    id: 'server.b',",
      '    requirements: [',
      "      'ex.b',",
      "      'ex.c',",
      '    ],',
      '  },',
    ].join('\n')
    expect(scanChecks(source, 'conformance/src/c.ts')).toEqual([
      { file: 'conformance/src/c.ts', line: 1, what: 'server.a', ids: ['ex.a'] },
      { file: 'conformance/src/c.ts', line: 4, what: 'server.b', ids: ['ex.b', 'ex.c'] },
    ])
  })
})

describe('where', () => {
  it('answers with the enforcing code, the tests and the checks of an id, and refuses an unknown id', () => {
    const root = fixture({
      'spec/requirements/ex.json': [requirement('ex.a'), requirement('ex.b', 'SHOULD')],
      'packages/p/src/Guard.ts': 'const a = 1\n// @enforces ex.a\nexport function guard() {}\n',
      'packages/p/src/Guard.test.ts': "it('refuses {ex.a}', () => {})\n",
      'packages/p/test/helper.ts': '// @enforces ex.a\nexport const ignored = 1\n',
      'conformance/src/server/checks/c.ts':
        "const c = { id: 'server.a', requirements: ['ex.a'] }\n",
    })
    expect(where(root, ['ex.a'])).toEqual([
      {
        id: 'ex.a',
        level: 'MUST',
        draft: 'draft-example-00',
        section: '3 Rules',
        summary: 'Summary of ex.a.',
        enforced: [
          { file: 'packages/p/src/Guard.ts', line: 2, what: 'export function guard() {}' },
        ],
        tests: [{ file: 'packages/p/src/Guard.test.ts', line: 1, what: 'refuses' }],
        checks: [{ file: 'conformance/src/server/checks/c.ts', line: 1, what: 'server.a' }],
      },
    ])
    expect(() => where(root, ['ex.z'])).toThrow('no requirement has the id ex.z')
  })

  it('is what `pnpm spec:where` prints, and exits 2 for an unknown id', () => {
    const root = fixture({
      'spec/requirements/ex.json': [requirement('ex.a')],
      'packages/p/src/Guard.ts': '// @enforces ex.a\nexport function guard() {}\n',
      'packages/p/src/Guard.test.ts': "it('refuses {ex.a}', () => {})\n",
    })
    const script = join(spec, 'scripts', 'where.ts')
    const tsx = join(repository, 'node_modules', '.bin', 'tsx')
    const found = spawnSync(tsx, [script, 'ex.a', '--root', root], { encoding: 'utf8' })
    expect(found.status).toBe(0)
    expect(found.stdout).toBe(
      [
        'ex.a (MUST, draft-example-00 §3 Rules)',
        '  Summary of ex.a.',
        '  enforced by:',
        '    packages/p/src/Guard.ts:1  export function guard() {}',
        '  tested by:',
        '    packages/p/src/Guard.test.ts:1  refuses',
        '  conformance checks: none',
        '',
      ].join('\n'),
    )
    const unknown = spawnSync(tsx, [script, 'ex.z', '--root', root], { encoding: 'utf8' })
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toContain('no requirement has the id ex.z')
  })
})

describe('the enforcement check', () => {
  it('reports an @enforces tag naming an unknown id, and a MUST of an enforced draft without a tag', () => {
    const root = fixture({
      'spec/requirements/ex.json': [requirement('ex.a'), requirement('ex.b')],
      'packages/p/src/Guard.ts': '// @enforces ex.aa\nexport function guard() {}\n',
    })
    expect(check(root)).toEqual([
      {
        kind: 'unknown-id',
        where: 'packages/p/src/Guard.ts:1',
        message: '@enforces names unknown requirement ex.aa (did you mean ex.a?)',
      },
    ])
    expect(checkEnforced(load(root), enforcements(root), ['draft-example-00'])).toEqual([
      expect.objectContaining({ kind: 'unenforced', message: expect.stringContaining('ex.a ') }),
      expect.objectContaining({ kind: 'unenforced', message: expect.stringContaining('ex.b ') }),
    ])
  })

  it('finds enforcing code for every MUST and MUST NOT of the core and charge drafts in this repository', () => {
    const requirements = load(repository).filter(
      (entry) =>
        enforcedDrafts.includes(entry.draft) &&
        (entry.level === 'MUST' || entry.level === 'MUST NOT') &&
        entry.binds.length > 0,
    )
    expect(requirements.length).toBeGreaterThanOrEqual(80)
    expect(checkEnforced(requirements, enforcements(repository))).toEqual([])
    for (const answer of where(
      repository,
      requirements.map((entry) => entry.id),
    ))
      expect(answer.tests.length, `${answer.id} has tests`).toBeGreaterThan(0)
  })
})
