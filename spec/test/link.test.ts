// The tag scanner on real files: a throw-away repository in a temporary folder, with test
// files in every searched root and in folders that must be skipped.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findTestFiles, link, scan, scanSource, splitTag } from '../scripts/link.js'

let root: string

function write(path: string, text: string) {
  mkdirSync(dirname(join(root, path)), { recursive: true })
  writeFileSync(join(root, path), text)
}

const sample = `import { describe, expect, it, test } from 'vitest'

describe('Codec', () => {
  it('refuses padding {a.padding}', () => {
    expect(1).toBe(1)
  })

  it.each([
    ['one', 1],
    ['two', 2],
  ])('reads %s {a.read, a.numbers}', (_, n) => {
    expect(n).toBeGreaterThan(0)
  })

  test("uses double quotes {a.quotes}", () => {})
  it(\`uses a template {a.template}\`, () => {})
  it('has no tag', () => {})
  it('keeps braces that are not a tag {}', () => {})
  it('keeps JSON in a title {"a":1}', () => {})
  it.skip('is skipped but still linked {a.skipped}', () => {})
  it.concurrent.each([1])(
    'wraps its title onto the next line {a.wrapped}',
    () => {},
  )

  describe('nested {a.group}', () => {
    it('inherits both describe titles {a.nested}', () => {})
  })
})

const name = 'built from a variable {a.hidden}'
it(name, () => {})
it(\`interpolated \${name} {a.hidden}\`, () => {})
it('names an id with a capital {a.Bad, a.good}', () => {})
`

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'paywire-link-'))
  write('packages/a/src/Codec.test.ts', sample)
  write('packages/a/src/Codec.ts', "it('not a test file {a.ignored}', () => {})\n")
  write('packages/a/src/Codec.fuzz.test.ts', "it('property {a.fuzz}', () => {})\n")
  write('packages/a/node_modules/dep/x.test.ts', "it('dependency {a.ignored}', () => {})\n")
  write('packages/a/dist/x.test.ts', "it('build output {a.ignored}', () => {})\n")
  write('packages/a/.turbo/x.test.ts', "it('hidden folder {a.ignored}', () => {})\n")
  write('conformance/src/suite.test.ts', "it('conformance {a.padding}', () => {})\n")
  write('examples/demo/src/demo.test.ts', "it('example {a.example}', () => {})\n")
  write('spec/test/own.test.ts', "it('spec {a.spec}', () => {})\n")
  write('other/x.test.ts', "it('outside the roots {a.ignored}', () => {})\n")
})

afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

describe('splitTag', () => {
  it('separates the title from one or several ids', () => {
    expect(splitTag('refuses padding {core.challenge.request.no-padding}')).toEqual({
      text: 'refuses padding',
      ids: ['core.challenge.request.no-padding'],
      malformed: [],
    })
    expect(splitTag('reads %s {a.b, c.d-e}').ids).toEqual(['a.b', 'c.d-e'])
  })

  it('leaves braces that are no tag in the title', () => {
    for (const title of [
      'no tag',
      'empty braces {}',
      'json {"a":1}',
      'one word {word}',
      'a {tag} in the middle',
    ])
      expect(splitTag(title)).toEqual({ text: title, ids: [], malformed: [] })
  })

  it('reports entries of a tag that are not well-formed ids', () => {
    expect(splitTag('x {Core.Thing, core.thing, core}')).toEqual({
      text: 'x',
      ids: ['core.thing'],
      malformed: ['Core.Thing', 'core'],
    })
  })
})

describe('findTestFiles', () => {
  it('finds *.test.ts under the searched roots and skips node_modules, dist and hidden folders', () => {
    expect(findTestFiles(root)).toEqual([
      'conformance/src/suite.test.ts',
      'examples/demo/src/demo.test.ts',
      'packages/a/src/Codec.fuzz.test.ts',
      'packages/a/src/Codec.test.ts',
      'spec/test/own.test.ts',
    ])
  })
})

describe('scan', () => {
  it('reads literal titles with their describe path, line and ids', () => {
    const tests = scan(root).filter((test) => test.file === 'packages/a/src/Codec.test.ts')
    const byTitle = Object.fromEntries(tests.map((test) => [test.title, test]))
    expect(byTitle['Codec > refuses padding']).toMatchObject({
      kind: 'it',
      line: 4,
      ids: ['a.padding'],
      testId: 'packages/a/src/Codec.test.ts#Codec > refuses padding',
    })
    expect(byTitle['Codec > reads %s']).toMatchObject({ line: 8, ids: ['a.read', 'a.numbers'] })
    expect(byTitle['Codec > uses double quotes']).toMatchObject({ kind: 'test', ids: ['a.quotes'] })
    expect(byTitle['Codec > uses a template']?.ids).toEqual(['a.template'])
    expect(byTitle['Codec > has no tag']?.ids).toEqual([])
    expect(byTitle['Codec > keeps braces that are not a tag {}']?.ids).toEqual([])
    expect(byTitle['Codec > keeps JSON in a title {"a":1}']?.ids).toEqual([])
    expect(byTitle['Codec > is skipped but still linked']?.ids).toEqual(['a.skipped'])
    expect(byTitle['Codec > wraps its title onto the next line']).toMatchObject({
      line: 21,
      ids: ['a.wrapped'],
    })
    expect(byTitle['Codec > nested']).toMatchObject({ kind: 'describe', ids: ['a.group'] })
    expect(byTitle['Codec > nested > inherits both describe titles']?.ids).toEqual(['a.nested'])
    expect(byTitle['names an id with a capital']).toMatchObject({
      ids: ['a.good'],
      malformed: ['a.Bad'],
    })
  })

  it('does not see titles that are not a single literal (the documented limitation)', () => {
    const ids = scan(root).flatMap((test) => test.ids)
    expect(ids).not.toContain('a.hidden')
    expect(ids).not.toContain('a.ignored')
  })

  it('scans source text without a file system', () => {
    expect(scanSource("test.each([1])('x %i {b.c}', () => {})", 'f.test.ts')).toEqual([
      {
        file: 'f.test.ts',
        line: 1,
        kind: 'test',
        title: 'x %i',
        testId: 'f.test.ts#x %i',
        ids: ['b.c'],
        malformed: [],
      },
    ])
  })
})

describe('link', () => {
  it('maps each id to every test that names it, across files', () => {
    const byId = link(scan(root))
    expect(byId.get('a.padding')?.map((test) => test.testId)).toEqual([
      'conformance/src/suite.test.ts#conformance',
      'packages/a/src/Codec.test.ts#Codec > refuses padding',
    ])
    expect(byId.get('a.fuzz')?.map((test) => test.file)).toEqual([
      'packages/a/src/Codec.fuzz.test.ts',
    ])
    expect(byId.has('a.example')).toBe(true)
    expect(byId.has('a.spec')).toBe(true)
    expect(byId.has('a.ignored')).toBe(false)
  })
})
