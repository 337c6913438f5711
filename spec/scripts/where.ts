// Where a requirement lives in the code (`pnpm spec:where <id> [<id> ...]`): the code that
// enforces it, the tests that name it and the conformance checks that judge other
// implementations on it, each as `file:line`.
//
// Enforcing code names the ids it enforces with an `@enforces` tag in a comment just
// above it, ids separated by commas or spaces:
//
//   /** Refuses a padded request value. @enforces core.challenge.request.no-padding */
//   // @enforces core.replay.reject-reuse, charge.replay.reject
//
// Tests name ids in the `{...}` tag at the end of their title (see link.ts); conformance
// checks list them in their `requirements: [...]` member.
//   tsx scripts/where.ts <id> [<id> ...] [--json] [--root <repository root>]
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findFiles, link, scan } from './link.js'
import { idPattern, load, rootFromArgs } from './requirements.js'

/** One place in the repository. */
export type Place = {
  /** Repository-relative path with `/` separators. */
  file: string
  /** 1-based line. */
  line: number
  /** What is there: the declaration under an `@enforces` tag, a test title, a check id. */
  what: string
}

/** One `@enforces` tag: where it is and the ids it names (well-formed or not). */
export type Tag = Place & { ids: string[]; malformed: string[] }

/** Folders (relative to the repository root) whose non-test sources may enforce requirements. */
export const sourceRoots = ['packages', 'conformance/src', 'apps'] as const

const skipped = new Set(['node_modules', 'dist', 'coverage', 'test', 'fixtures'])

/** Repository-relative paths of every non-test `.ts` source under {@link sourceRoots}, sorted. */
export function findSources(root: string): string[] {
  return findFiles(
    root,
    sourceRoots,
    skipped,
    (name) => name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts'),
  )
}

const tagPattern = /@enforces\s+([^*]*?)\s*(?:\*\/)?\s*$/

/**
 * The `@enforces` tags of one source file. A tag runs to the end of its line; `what` is
 * the first line below it that is neither a comment nor blank (the enforcing declaration
 * or statement).
 */
export function scanEnforcements(source: string, file: string): Tag[] {
  const lines = source.split('\n')
  const tags: Tag[] = []
  lines.forEach((text, index) => {
    const match = tagPattern.exec(text)
    if (match === null) return
    const items = (match[1] ?? '').split(/[\s,]+/).filter((item) => item !== '')
    let what = ''
    for (let next = index + 1; next < lines.length; next++) {
      const candidate = (lines[next] ?? '').trim()
      if (candidate === '' || /^(\/\/|\/\*|\*)/.test(candidate)) continue
      what = candidate.length > 100 ? `${candidate.slice(0, 97)}...` : candidate
      break
    }
    tags.push({
      file,
      line: index + 1,
      what,
      ids: items.filter((item) => idPattern.test(item)),
      malformed: items.filter((item) => !idPattern.test(item)),
    })
  })
  return tags
}

/** Every `@enforces` tag in the repository's sources. */
export function enforcements(root: string): Tag[] {
  return findSources(root).flatMap((file) =>
    scanEnforcements(readFileSync(join(root, file), 'utf8'), file),
  )
}

/**
 * The conformance checks of one source file that list requirements: each `requirements:
 * [...]` member (on one or several lines) is attributed to the nearest `id: '...'` above it.
 */
export function scanChecks(source: string, file: string): Array<Place & { ids: string[] }> {
  const found: Array<Place & { ids: string[] }> = []
  const lines = source.split('\n')
  let checkId = ''
  let checkLine = 0
  for (let index = 0; index < lines.length; index++) {
    const text = lines[index] ?? ''
    const id = /\bid:\s*'([a-z0-9.-]+)'/.exec(text)
    if (id !== null) {
      checkId = id[1] ?? ''
      checkLine = index + 1
    }
    const start = text.indexOf('requirements:')
    if (start === -1 || checkId === '') continue
    let body = text.slice(start)
    let end = index
    while (!body.includes(']') && end + 1 < lines.length) body += lines[++end] ?? ''
    const ids = [...body.matchAll(/'([a-z0-9]+(?:\.[a-z0-9-]+)+)'/g)].map((m) => m[1] as string)
    if (ids.length > 0) found.push({ file, line: checkLine, what: checkId, ids })
    index = end
  }
  return found
}

/** Every conformance check that lists requirements. */
export function checks(root: string): Array<Place & { ids: string[] }> {
  return findSources(root)
    .filter((file) => file.startsWith('conformance/src/'))
    .flatMap((file) => scanChecks(readFileSync(join(root, file), 'utf8'), file))
}

/** Where one requirement is enforced, tested and checked. */
export type Where = {
  id: string
  level: string
  draft: string
  section: string
  summary: string
  enforced: Place[]
  tests: Place[]
  checks: Place[]
}

/** Answers {@link Where} for each id; throws for an id the catalog does not hold. */
export function where(root: string, ids: readonly string[]): Where[] {
  const catalog = new Map(load(root).map((requirement) => [requirement.id, requirement]))
  const tags = enforcements(root)
  const tests = link(scan(root))
  const conformance = checks(root)
  return ids.map((id) => {
    const requirement = catalog.get(id)
    if (requirement === undefined) throw new Error(`no requirement has the id ${id}`)
    return {
      id,
      level: requirement.level,
      draft: requirement.draft,
      section: requirement.section,
      summary: requirement.summary,
      enforced: tags
        .filter((tag) => tag.ids.includes(id))
        .map(({ file, line, what }) => ({ file, line, what })),
      tests: (tests.get(id) ?? []).map((test) => ({
        file: test.file,
        line: test.line,
        what: test.title,
      })),
      checks: conformance
        .filter((check) => check.ids.includes(id))
        .map(({ file, line, what }) => ({ file, line, what })),
    }
  })
}

/** The human form of {@link where}'s answer. */
export function format(answers: readonly Where[]): string {
  const lines: string[] = []
  const places = (title: string, list: readonly Place[]) => {
    lines.push(`  ${title}:${list.length === 0 ? ' none' : ''}`)
    for (const place of list) lines.push(`    ${place.file}:${place.line}  ${place.what}`)
  }
  for (const answer of answers) {
    lines.push(`${answer.id} (${answer.level}, ${answer.draft} §${answer.section})`)
    lines.push(`  ${answer.summary}`)
    places('enforced by', answer.enforced)
    places('tested by', answer.tests)
    places('conformance checks', answer.checks)
    lines.push('')
  }
  return lines.join('\n')
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2)
  const ids = argv.filter(
    (arg, index) => !arg.startsWith('--') && argv[index - 1] !== '--root' && arg !== '--',
  )
  if (ids.length === 0) {
    process.stderr.write('usage: pnpm spec:where <requirement id> [<id> ...] [--json]\n')
    process.exit(2)
  }
  try {
    const answers = where(rootFromArgs(argv), ids)
    process.stdout.write(
      argv.includes('--json') ? `${JSON.stringify(answers, null, 2)}\n` : format(answers),
    )
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`)
    process.exit(2)
  }
}
