// The link check (`pnpm spec:check`): the catalog is well-formed and every tag in a test
// title names a requirement that exists. Exits 1 with one line per finding.
//   tsx scripts/check.ts [--root <repository root>]
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { scan, type TestTitle } from './link.js'
import { idPattern, load, nameOf, readCatalog, rootFromArgs, schema } from './requirements.js'
import { enforcements, type Tag } from './where.js'

/**
 * Drafts whose every MUST and MUST NOT (binding an implementation) must name enforcing
 * code with an `@enforces` tag, so that `pnpm spec:where <id>` answers with it.
 */
export const enforcedDrafts: readonly string[] = [
  'draft-httpauth-payment-00',
  'draft-httpauth-payment-01',
  'draft-payment-intent-charge-00',
]

/** One thing wrong with the catalog or the tags. */
export type Finding = {
  kind:
    | 'catalog'
    | 'schema'
    | 'id-format'
    | 'id-prefix'
    | 'draft'
    | 'duplicate'
    | 'unknown-id'
    | 'malformed-tag'
    | 'unenforced'
  /** `file[index]` of an entry, or `file:line` of a test. */
  where: string
  message: string
}

/** Checks the catalog under `root` and the tags of every test file under `root`. */
export function check(root: string): Finding[] {
  const catalog = checkCatalog(root)
  if (catalog.ids === undefined) return catalog.findings
  const tags = enforcements(root)
  return [
    ...catalog.findings,
    ...checkTags(scan(root), catalog.ids),
    ...checkEnforcements(tags, catalog.ids),
    ...checkEnforced(load(root), tags),
  ]
}

/** Reports `@enforces` tags that name ids outside `known`, and entries that are not ids. */
export function checkEnforcements(tags: readonly Tag[], known: ReadonlySet<string>): Finding[] {
  const findings: Finding[] = []
  for (const tag of tags) {
    const where = `${tag.file}:${tag.line}`
    for (const id of tag.ids)
      if (!known.has(id)) {
        const hint = closest(id, known)
        findings.push({
          kind: 'unknown-id',
          where,
          message: `@enforces names unknown requirement ${id}${hint ? ` (did you mean ${hint}?)` : ''}`,
        })
      }
    if (tag.ids.length === 0 && tag.malformed.length === 0)
      findings.push({ kind: 'malformed-tag', where, message: '@enforces names no requirement' })
    for (const item of tag.malformed)
      findings.push({
        kind: 'malformed-tag',
        where,
        message: `@enforces has an entry "${item}" that is not a requirement id`,
      })
  }
  return findings
}

/**
 * Reports each MUST / MUST NOT of {@link enforcedDrafts} that binds an implementation
 * but that no `@enforces` tag names.
 */
export function checkEnforced(
  requirements: readonly { id: string; draft: string; level: string; binds: readonly string[] }[],
  tags: readonly Tag[],
  drafts: readonly string[] = enforcedDrafts,
): Finding[] {
  const named = new Set(tags.flatMap((tag) => tag.ids))
  return requirements
    .filter(
      (requirement) =>
        drafts.includes(requirement.draft) &&
        (requirement.level === 'MUST' || requirement.level === 'MUST NOT') &&
        requirement.binds.length > 0 &&
        !named.has(requirement.id),
    )
    .map((requirement) => ({
      kind: 'unenforced' as const,
      where: 'spec/requirements',
      message: `${requirement.id} (${requirement.level}) names no enforcing code: tag it with @enforces where paywire enforces it`,
    }))
}

/**
 * Validates the catalog files under `root`: schema, id format, id prefix, one draft per
 * file (its revisions may differ), no duplicate ids. `ids` holds every id declared (undefined when unreadable).
 */
export function checkCatalog(root: string): { findings: Finding[]; ids: Set<string> | undefined } {
  const findings: Finding[] = []
  let files: ReturnType<typeof readCatalog>
  try {
    files = readCatalog(root)
  } catch (error) {
    findings.push({
      kind: 'catalog',
      where: 'spec/requirements',
      message: (error as Error).message,
    })
    return { findings, ids: undefined }
  }
  const firstSeen = new Map<string, string>()
  for (const file of files) {
    const drafts = new Set<string>()
    file.entries.forEach((entry, index) => {
      const id =
        typeof entry === 'object' && entry !== null ? (entry as { id?: unknown }).id : undefined
      const where = `${file.path}[${index}]${typeof id === 'string' ? ` ${id}` : ''}`
      const result = schema.safeParse(entry)
      if (typeof id === 'string' && !idPattern.test(id))
        findings.push({
          kind: 'id-format',
          where,
          message: `id "${id}" does not match ${idPattern}`,
        })
      if (!result.success)
        for (const issue of result.error.issues) {
          if (issue.path[0] === 'id' && typeof id === 'string') continue // reported as id-format
          const path = issue.path.join('.') || '(entry)'
          findings.push({ kind: 'schema', where, message: `${path}: ${issue.message}` })
        }
      // One draft per file; its revisions may differ (an -01 statement beside -00 ones).
      else drafts.add(nameOf(result.data.draft))
      if (typeof id !== 'string') return
      if (!id.startsWith(`${file.prefix}.`))
        findings.push({
          kind: 'id-prefix',
          where,
          message: `ids in ${file.path} start with "${file.prefix}."`,
        })
      const previous = firstSeen.get(id)
      if (previous === undefined) firstSeen.set(id, where)
      else
        findings.push({
          kind: 'duplicate',
          where,
          message: `id "${id}" is already declared at ${previous}`,
        })
    })
    if (drafts.size > 1)
      findings.push({
        kind: 'draft',
        where: file.path,
        message: `one file holds one draft; found ${[...drafts].join(', ')}`,
      })
  }
  return { findings, ids: new Set(firstSeen.keys()) }
}

/** Reports tags that name ids outside `known`, and tag entries that are not ids. */
export function checkTags(tests: readonly TestTitle[], known: ReadonlySet<string>): Finding[] {
  const findings: Finding[] = []
  for (const test of tests) {
    const where = `${test.file}:${test.line}`
    for (const id of test.ids)
      if (!known.has(id)) {
        const hint = closest(id, known)
        findings.push({
          kind: 'unknown-id',
          where,
          message: `"${test.title}" names unknown requirement ${id}${hint ? ` (did you mean ${hint}?)` : ''}`,
        })
      }
    for (const item of test.malformed)
      findings.push({
        kind: 'malformed-tag',
        where,
        message: `"${test.title}" has a tag entry "${item}" that is not a requirement id`,
      })
  }
  return findings
}

/** The known id nearest to `id` by edit distance, when it is close enough to be a typo or a rename. */
function closest(id: string, known: ReadonlySet<string>): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(3, Math.floor(id.length / 4)) + 1
  for (const candidate of known) {
    const distance = editDistance(id, candidate)
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(
        (row[j] as number) + 1,
        (next[j - 1] as number) + 1,
        (row[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
    row = next
  }
  return row[b.length] as number
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = rootFromArgs(process.argv.slice(2))
  const findings = check(root)
  if (findings.length > 0) {
    console.error(`spec check failed: ${findings.length} problem(s)`)
    for (const finding of findings)
      console.error(`  [${finding.kind}] ${finding.where}: ${finding.message}`)
    process.exitCode = 1
  } else {
    const files = readCatalog(root)
    const entries = files.reduce((sum, file) => sum + file.entries.length, 0)
    const tagged = scan(root).filter((test) => test.ids.length > 0).length
    console.log(
      `spec check passed: ${entries} requirements in ${files.length} files; ${tagged} tagged tests name only known ids`,
    )
  }
}
