// The coverage of the drafts by the catalog: the counting rules on a small catalog, and
// issue 8's bar on the real one: every MUST and MUST NOT of the core and charge drafts
// that binds an implementation is checked by at least one server check, client check or
// vector test that can run.
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import * as Catalog from './Catalog.js'
import * as Coverage from './Coverage.js'
import * as Requirements from './Requirements.js'
import type { Test } from './server/Check.js'
import * as Vectors from './Vectors.js'

const requirement = (
  id: string,
  level: Requirements.Requirement['level'],
  binds: Requirements.Requirement['binds'],
  draft = 'draft-a-00',
): Requirements.Requirement => ({ id, draft, section: '1 Intro', level, binds, summary: id })

const test = (id: string, requirements: string[], tags = ['t']): Test => ({
  id,
  title: id,
  group: id.split('.')[1] as string,
  level: 'MUST',
  requirements,
  needs: [],
  tags,
})

describe('Coverage.compute', () => {
  const catalog = [
    requirement('a.must', 'MUST', ['server']),
    requirement('a.must-not', 'MUST NOT', ['parser']),
    requirement('a.should', 'SHOULD', ['client']),
    requirement('a.authors', 'MUST', []),
    requirement('b.must', 'MUST', ['client'], 'draft-b-00'),
    requirement('b.may', 'MAY', ['server'], 'draft-b-00'),
  ]

  it('counts MUST NOT with MUST, leaves out rules for authors, and lists what is unchecked', () => {
    const report = Coverage.compute(
      [test('server.x.one', ['a.must', 'b.may']), test('vectors.x.two', ['a.must', 'a.should'])],
      catalog,
    )
    expect(report.drafts).toEqual([
      {
        draft: 'draft-a-00',
        levels: {
          MUST: { checked: 1, total: 2 },
          SHOULD: { checked: 1, total: 1 },
          MAY: { checked: 0, total: 0 },
          all: { checked: 2, total: 3 },
        },
      },
      {
        draft: 'draft-b-00',
        levels: {
          MUST: { checked: 0, total: 1 },
          SHOULD: { checked: 0, total: 0 },
          MAY: { checked: 1, total: 1 },
          all: { checked: 1, total: 2 },
        },
      },
    ])
    expect(report.unchecked.map((entry) => entry.id)).toEqual(['a.must-not', 'b.must'])
    expect(report.requirements.find((entry) => entry.id === 'a.must')?.tests).toEqual([
      'server.x.one',
      'vectors.x.two',
    ])
    expect(report.requirements.map((entry) => entry.id)).not.toContain('a.authors')
  })

  it('does not count a vector test that no ABI operation runs', () => {
    const report = Coverage.compute(
      [test('vectors.jcs.1', ['a.must-not'], ['jcs', Catalog.noOperation])],
      catalog,
    )
    expect(report.unchecked.map((entry) => entry.id)).toContain('a.must-not')
  })

  it('formats one row per draft and the unchecked requirements', () => {
    const text = Coverage.format(Coverage.compute([test('server.x.one', ['a.must'])], catalog))
    expect(text).toMatch(/draft-a-00 +1\/2 +50% +0\/1 +0% +0\/0 +- +1\/3 +33%/)
    expect(text).toContain('MUST / MUST NOT requirements no test checks (2):')
    expect(text).toMatch(/a\.must-not +MUST NOT +parser +draft-a-00 1 Intro/)
  })
})

describe('the conformance suite', () => {
  const requirements = Requirements.load(
    fileURLToPath(new URL('../../spec/requirements/', import.meta.url)),
  )
  const vectors = Vectors.cases(
    Vectors.load(fileURLToPath(new URL('../../spec/vectors/', import.meta.url))),
    requirements,
  ).map(({ op, input: _input, check: _check, ...rest }) => ({
    ...rest,
    needs: typeof op === 'string' ? [`adapter:${op}`] : [],
    tags: typeof op === 'string' ? rest.tags : [...rest.tags, Catalog.noOperation],
  }))
  const tests = [...Catalog.tests.filter((entry) => entry.mode !== 'vectors'), ...vectors]
  const report = Coverage.compute(tests, requirements)

  it('checks every MUST and MUST NOT of the core and charge drafts that binds an implementation', () => {
    const drafts = ['draft-httpauth-payment-00', 'draft-payment-intent-charge-00']
    const rows = report.drafts.filter((row) => drafts.includes(row.draft))
    expect(rows.map((row) => row.draft).sort()).toEqual([...drafts].sort())
    const unchecked = report.unchecked
      .filter((entry) => drafts.includes(entry.draft))
      .map(
        (entry) => `${entry.id} (${entry.level}, binds ${entry.binds.join(',')}, ${entry.section})`,
      )
    expect(
      unchecked,
      `MUST requirements no conformance test checks:\n${unchecked.join('\n')}`,
    ).toEqual([])
    for (const row of rows) expect(row.levels.MUST.checked).toBe(row.levels.MUST.total)
  })
})
