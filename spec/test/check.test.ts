// The link check on throw-away repositories: a healthy one passes, and each kind of
// mistake is reported with where it is. The command itself is run once per outcome to
// pin its exit code and message.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { check, checkCatalog } from '../scripts/check.js'
import { coverage, format } from '../scripts/coverage.js'
import { link, scan } from '../scripts/link.js'
import { load } from '../scripts/requirements.js'
import { createRepository, removeRepositories } from './repository.js'

const spec = fileURLToPath(new URL('..', import.meta.url))
const repository = join(spec, '..')

function entry(id: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    draft: 'draft-example-00',
    section: '5.1 Parameters',
    level: 'MUST',
    binds: ['parser'],
    summary: `Summary of ${id}.`,
    ...overrides,
  }
}

const fixture = (files: Record<string, unknown>) => createRepository(files, 'paywire-check-')

const healthy = {
  'spec/requirements/ex.json': [
    entry('ex.a'),
    entry('ex.b', { level: 'SHOULD' }),
    entry('ex.c', { binds: [] }),
  ],
  'packages/p/src/P.test.ts':
    "it('does a {ex.a}', () => {})\nit('does a and b {ex.a, ex.b}', () => {})\n",
}

afterEach(removeRepositories)

describe('check', () => {
  it('passes a well-formed catalog whose tags all name known ids', () => {
    expect(check(fixture(healthy))).toEqual([])
  })

  it('reports a tag naming an unknown id, where it is, with the nearest known id', () => {
    const root = fixture({
      ...healthy,
      'conformance/src/C.test.ts': "\n\nit('renamed {ex.aa}', () => {})\n",
    })
    expect(check(root)).toEqual([
      {
        kind: 'unknown-id',
        where: 'conformance/src/C.test.ts:3',
        message: '"renamed" names unknown requirement ex.aa (did you mean ex.a?)',
      },
    ])
  })

  it('reports a tag entry that is not a well-formed id', () => {
    const root = fixture({ ...healthy, 'examples/e/src/E.test.ts': "it('x {Ex.A}', () => {})\n" })
    expect(check(root)).toEqual([
      {
        kind: 'malformed-tag',
        where: 'examples/e/src/E.test.ts:1',
        message: expect.stringContaining('"Ex.A"'),
      },
    ])
  })

  it('reports duplicate ids with both places', () => {
    const root = fixture({
      'spec/requirements/ex.json': [entry('ex.a'), entry('ex.b'), entry('ex.a')],
    })
    expect(check(root)).toEqual([
      {
        kind: 'duplicate',
        where: 'spec/requirements/ex.json[2] ex.a',
        message: 'id "ex.a" is already declared at spec/requirements/ex.json[0] ex.a',
      },
    ])
  })

  it('reports ids that do not match the id pattern', () => {
    const root = fixture({
      'spec/requirements/ex.json': [entry('ex.Upper'), entry('ex'), entry('ex.under_score')],
    })
    const findings = check(root)
    expect(findings.map((finding) => [finding.kind, finding.where])).toEqual([
      ['id-format', 'spec/requirements/ex.json[0] ex.Upper'],
      ['id-format', 'spec/requirements/ex.json[1] ex'],
      ['id-prefix', 'spec/requirements/ex.json[1] ex'],
      ['id-format', 'spec/requirements/ex.json[2] ex.under_score'],
    ])
    expect(findings[0]?.message).toContain('/^[a-z0-9]+(\\.[a-z0-9-]+)+$/')
  })

  it('reports entries that fail the schema, naming the field', () => {
    const root = fixture({
      'spec/requirements/ex.json': [
        entry('ex.level', { level: 'MUST-ish' }),
        entry('ex.binds', { binds: ['server', 'server'] }),
        entry('ex.extra', { tests: ['x'] }),
        entry('ex.section', { section: 'Parameters' }),
        {
          id: 'ex.missing',
          draft: 'draft-example-00',
          section: '1 Intro',
          level: 'MAY',
          binds: [],
        },
      ],
    })
    const findings = check(root)
    expect(findings.every((finding) => finding.kind === 'schema')).toBe(true)
    expect(findings.map((finding) => `${finding.where}: ${finding.message.split(':')[0]}`)).toEqual(
      [
        'spec/requirements/ex.json[0] ex.level: level',
        'spec/requirements/ex.json[1] ex.binds: binds',
        'spec/requirements/ex.json[2] ex.extra: (entry)',
        'spec/requirements/ex.json[3] ex.section: section',
        'spec/requirements/ex.json[4] ex.missing: summary',
      ],
    )
  })

  it('reports ids outside the file prefix and files mixing drafts', () => {
    const root = fixture({
      'spec/requirements/ex.json': [
        entry('ex.a'),
        entry('other.b'),
        entry('ex.c', { draft: 'draft-else-00' }),
      ],
    })
    expect(check(root).map((finding) => [finding.kind, finding.where])).toEqual([
      ['id-prefix', 'spec/requirements/ex.json[1] other.b'],
      ['draft', 'spec/requirements/ex.json'],
    ])
  })

  it('accepts revisions of one draft in a file, and refuses a supersededIn not after the entry', () => {
    const root = fixture({
      'spec/requirements/ex.json': [
        entry('ex.a', { supersededIn: '01' }),
        entry('ex.b', { draft: 'draft-example-01' }),
        entry('ex.c', { draft: 'draft-example-01', supersededIn: '01' }),
      ],
    })
    expect(check(root).map((finding) => [finding.kind, finding.where])).toEqual([
      ['schema', 'spec/requirements/ex.json[2] ex.c'],
    ])
  })

  it('reports a catalog file that is not a JSON array', () => {
    const root = fixture({ 'spec/requirements/ex.json': '{"id":"ex.a"}' })
    expect(check(root)).toEqual([
      {
        kind: 'catalog',
        where: 'spec/requirements',
        message: 'spec/requirements/ex.json: expected a JSON array of requirements',
      },
    ])
  })
})

describe('the check command', () => {
  const run = (root: string) =>
    spawnSync(
      process.execPath,
      ['--import', 'tsx', join(spec, 'scripts/check.ts'), '--root', root],
      {
        cwd: spec,
        encoding: 'utf8',
      },
    )

  it('exits 0 and says so when everything links', () => {
    const result = run(fixture(healthy))
    expect(result.stderr).toBe('')
    expect(result.stdout).toContain('spec check passed: 3 requirements in 1 files; 2 tagged tests')
    expect(result.status).toBe(0)
  })

  it('exits 1 and names the problem when a tag is unknown', () => {
    const result = run(
      fixture({ ...healthy, 'spec/test/S.test.ts': "it('s {ex.zzz}', () => {})\n" }),
    )
    expect(result.status).toBe(1)
    expect(result.stderr).toContain(
      '[unknown-id] spec/test/S.test.ts:1: "s" names unknown requirement ex.zzz',
    )
  })
})

describe('coverage', () => {
  it('counts, per revision, the statements in force in it', () => {
    const root = fixture({
      'spec/requirements/ex.json': [
        entry('ex.a', { supersededIn: '01' }),
        entry('ex.b'),
        entry('ex.c', { draft: 'draft-example-01' }),
      ],
      'packages/p/src/P.test.ts': "it('does c {ex.c}', () => {})\n",
    })
    const report = coverage(load(root), link(scan(root)))
    const all = (draft: string) =>
      report.drafts.find((row) => row.draft === draft)?.levels.find((row) => row.level === 'all')
    expect(all('draft-example-00')).toMatchObject({ total: 2, tested: 0 })
    expect(all('draft-example-01')).toMatchObject({ total: 2, tested: 1 })
  })

  it('counts tested requirements per level and lists untested MUSTs, leaving out binds: []', () => {
    const root = fixture({
      ...healthy,
      'spec/requirements/ex.json': [
        entry('ex.a'),
        entry('ex.b', { level: 'SHOULD' }),
        entry('ex.c', { binds: [] }),
        entry('ex.d', { level: 'MUST NOT' }),
      ],
    })
    const report = coverage(load(root), link(scan(root)))
    const [draft] = report.drafts
    expect(draft?.draft).toBe('draft-example-00')
    expect(draft?.levels.find((row) => row.level === 'MUST')).toEqual({
      level: 'MUST',
      total: 1,
      tested: 1,
      percent: 100,
    })
    expect(draft?.levels.find((row) => row.level === 'MUST NOT')).toEqual({
      level: 'MUST NOT',
      total: 1,
      tested: 0,
      percent: 0,
    })
    expect(draft?.levels.find((row) => row.level === 'all')).toEqual({
      level: 'all',
      total: 3,
      tested: 2,
      percent: 66.6,
    })
    expect(report.uncovered.map((requirement) => requirement.id)).toEqual(['ex.d'])
    expect(report.specAuthorOnly).toEqual(['ex.c'])
    expect(report.requirements.find((requirement) => requirement.id === 'ex.a')?.tests).toEqual([
      'packages/p/src/P.test.ts#does a',
      'packages/p/src/P.test.ts#does a and b',
    ])
    expect(format(report)).toMatch(
      /Untested MUST \/ MUST NOT requirements \(1\):\n {2}ex\.d +MUST NOT/,
    )
  })
})

describe('the checked-in catalog', () => {
  it('passes the catalog checks (schema, id format and prefix, one draft per file, no duplicates)', () => {
    const { findings, ids } = checkCatalog(repository)
    expect(findings).toEqual([])
    expect(ids?.size).toBeGreaterThan(100)
  })
})
