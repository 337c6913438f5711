// Links tests to requirements. A vitest title names the requirements it checks in one
// pair of braces at its end: `it('refuses padding {core.challenge.request.no-padding}')`,
// several ids separated by ", ". This module finds every `*.test.ts` file, reads the
// titles of its `it`, `test` and `describe` calls with the TypeScript parser, and maps
// each requirement id to the tests that name it.
//
// Limitation: only titles written as one string literal are read ('...', "..." or a
// template literal without `${}`). A title built from a variable, a concatenation or an
// interpolated template, a call through an alias (`const check = it`), and `it.each`
// with a tagged-template table are not seen; `%s` placeholders of `.each` titles stay
// as written (one test id stands for all the rows).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'

/** Folders (relative to the repository root) searched for test files. */
export const roots = ['packages', 'conformance', 'spec', 'examples'] as const

/** Folders never searched. */
const skipped = new Set(['node_modules', 'dist', 'coverage'])

/** One titled `it`/`test`/`describe` call. */
export type TestTitle = {
  /** Repository-relative path with `/` separators. */
  file: string
  /** 1-based line of the call. */
  line: number
  kind: 'it' | 'test' | 'describe'
  /** The title without its tag, prefixed by the enclosing describe titles (joined by " > "). */
  title: string
  /** `<file>#<title>`: how reports name the test. */
  testId: string
  /** Requirement ids named by the tag (empty when the title has none). */
  ids: string[]
  /** Tag entries that are not well-formed ids (reported by `check`). */
  malformed: string[]
}

/**
 * Splits a title into its text and the requirement ids of a trailing `{...}` tag.
 * Braces at the end count as a tag when they hold dotted words separated by commas;
 * other braces (`'parses {}'`, `'{"a":1}'`) are part of the title.
 */
export function splitTag(title: string): { text: string; ids: string[]; malformed: string[] } {
  const match = /\s*\{([^{}]*)\}$/.exec(title)
  const content = match?.[1]
  if (match === null || content === undefined) return { text: title, ids: [], malformed: [] }
  const items = content.split(',').map((item) => item.trim())
  const looksLikeTag =
    items.every((item) => /^[A-Za-z0-9._-]+$/.test(item)) &&
    items.some((item) => item.includes('.'))
  if (!looksLikeTag) return { text: title, ids: [], malformed: [] }
  const ids = items.filter((item) => /^[a-z0-9]+(\.[a-z0-9-]+)+$/.test(item))
  const malformed = items.filter((item) => !ids.includes(item))
  return { text: title.slice(0, match.index).trimEnd(), ids, malformed }
}

/** Repository-relative paths of every `*.test.ts` file under {@link roots}, sorted. */
export function findTestFiles(root: string): string[] {
  return findFiles(root, roots, skipped, (name) => name.endsWith('.test.ts'))
}

/**
 * Repository-relative paths (`/` separators) of the files under `folders` whose name
 * `accept`s, sorted; folders named in `skip` or starting with `.` are not entered. A folder
 * that does not exist (yet) holds nothing; any other read failure is real.
 */
export function findFiles(
  root: string,
  folders: readonly string[],
  skip: ReadonlySet<string>,
  accept: (name: string) => boolean,
): string[] {
  const found: string[] = []
  const walk = (relative: string) => {
    let entries: import('node:fs').Dirent[]
    try {
      entries = readdirSync(join(root, relative), { withFileTypes: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw error
    }
    for (const entry of entries) {
      const path = `${relative}/${entry.name}`
      if (entry.isDirectory()) {
        if (!skip.has(entry.name) && !entry.name.startsWith('.')) walk(path)
      } else if (entry.isFile() && accept(entry.name)) found.push(path)
    }
  }
  for (const folder of folders) walk(folder)
  return found.sort()
}

/** Reads the titled test calls of one source text. `file` is used for ids and positions. */
export function scanSource(source: string, file: string): TestTitle[] {
  const sourceFile = ts.createSourceFile(
    file,
    source,
    ts.ScriptTarget.Latest,
    true,
    ts.ScriptKind.TS,
  )
  const titles: TestTitle[] = []
  const visit = (node: ts.Node, describes: string[]) => {
    let inner = describes
    if (ts.isCallExpression(node)) {
      const kind = testKind(node.expression)
      const first = node.arguments[0]
      if (kind !== undefined && first !== undefined && ts.isStringLiteralLike(first)) {
        const { text, ids, malformed } = splitTag(first.text)
        const title = [...describes, text].join(' > ')
        const line = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1
        titles.push({ file, line, kind, title, testId: `${file}#${title}`, ids, malformed })
        if (kind === 'describe') inner = [...describes, text]
      }
    }
    ts.forEachChild(node, (child) => visit(child, inner))
  }
  visit(sourceFile, [])
  return titles
}

/** Every titled test call in the repository's test files. */
export function scan(root: string): TestTitle[] {
  return findTestFiles(root).flatMap((file) =>
    scanSource(readFileSync(join(root, file), 'utf8'), file),
  )
}

/** Requirement id → the tests whose tag names it, in scan order. */
export function link(tests: readonly TestTitle[]): Map<string, TestTitle[]> {
  const byId = new Map<string, TestTitle[]>()
  for (const test of tests)
    for (const id of test.ids) {
      const list = byId.get(id) ?? []
      list.push(test)
      byId.set(id, list)
    }
  return byId
}

/** Modifiers that keep a call a test call: `it.skip(...)`, `describe.concurrent(...)`. */
const modifiers = new Set(['only', 'skip', 'todo', 'fails', 'concurrent', 'sequential', 'shuffle'])
/** Modifiers that take arguments first and return the test function: `it.each(rows)(...)`. */
const factories = new Set(['each', 'for', 'skipIf', 'runIf'])

/**
 * Which test function a call's callee is: `it`, `it.only`, `it.each(rows)`, ...; the
 * callee of `it.each(rows)('title')` is the call `it.each(rows)`.
 */
function testKind(callee: ts.Expression): TestTitle['kind'] | undefined {
  let expression = callee
  if (ts.isCallExpression(expression)) {
    const factory = expression.expression
    if (!ts.isPropertyAccessExpression(factory) || !factories.has(factory.name.text))
      return undefined
    expression = factory.expression
  }
  while (ts.isPropertyAccessExpression(expression)) {
    if (!modifiers.has(expression.name.text)) return undefined
    expression = expression.expression
  }
  if (!ts.isIdentifier(expression)) return undefined
  const name = expression.text
  return name === 'it' || name === 'test' || name === 'describe' ? name : undefined
}
