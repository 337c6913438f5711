// The requirement catalog: one entry per normative statement (BCP 14 keyword) of the
// drafts, in spec/requirements/<prefix>.json. This module holds the schema of an entry
// (the JSON Schema in spec/schemas/requirement.schema.json is generated from it) and
// reads the catalog files.
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'

/** Shape of a requirement id: lower-case dotted segments, at least two. */
export const idPattern = /^[a-z0-9]+(\.[a-z0-9-]+)+$/

/** Requirement levels (RFC 2119 / RFC 8174). REQUIRED and REQUIRES count as MUST, RECOMMENDED as SHOULD. */
export const levels = ['MUST', 'MUST NOT', 'SHOULD', 'SHOULD NOT', 'MAY'] as const

/** Who a requirement binds. An empty list marks a rule for specification authors only. */
export const parties = ['server', 'client', 'parser'] as const

const section = z
  .string()
  .regex(
    /^(?:\d+|[A-Z])(?:\.\d+)* \S.*$/,
    'expected "<number> <title>", e.g. "5.1.1 Required Parameters"',
  )

/** One normative statement of a draft. */
export const schema = z
  .strictObject({
    id: z
      .string()
      .regex(idPattern, 'expected lower-case dotted segments, e.g. core.challenge.id.non-empty')
      .meta({ description: 'Stable id; tests name it in a {tag} at the end of their title.' }),
    draft: z
      .string()
      .regex(
        /^draft-[a-z0-9-]+-\d{2}$/,
        'expected a draft name with its version, e.g. draft-httpauth-payment-00',
      )
      .meta({ description: 'The draft that states the requirement.' }),
    section: section.meta({
      description: 'Section number and title, numbered from the heading structure of the draft.',
    }),
    level: z.enum(levels).meta({ description: 'Requirement level.' }),
    keyword: z
      .enum(['REQUIRED', 'RECOMMENDED', 'REQUIRES', 'OPTIONAL'])
      .optional()
      .meta({ description: 'The keyword the draft used when it is a synonym of `level`.' }),
    binds: z
      .array(z.enum(parties))
      .refine((list) => new Set(list).size === list.length, 'binds lists a party twice')
      .meta({
        description:
          'Implementations the requirement binds; [] for rules on specification authors.',
        uniqueItems: true,
      }),
    summary: z
      .string()
      .min(1)
      .max(240)
      .regex(/^[^\n]*$/, 'summary is one line')
      .meta({ description: 'One-line paraphrase of the requirement.' }),
    restatedIn: z
      .array(section)
      .min(1)
      .optional()
      .meta({ description: 'Other sections that state the same requirement again.' }),
    note: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'Why the entry is cut or numbered the way it is.' }),
    supersededIn: z
      .string()
      .regex(/^\d{2}$/, 'expected a two-digit revision, e.g. "01"')
      .optional()
      .meta({
        description:
          'The later revision of the same draft that no longer states the requirement (it changed or was replaced there); absent while every later revision still states it.',
      }),
  })
  .refine(
    (entry) => entry.supersededIn === undefined || entry.supersededIn > revisionOf(entry.draft),
    {
      message: 'supersededIn must be a revision later than the one in draft',
      path: ['supersededIn'],
    },
  )
  .meta({
    title: 'Requirement',
    description:
      'One normative statement of an MPP draft (spec/requirements/*.json holds arrays of these).',
  })

/** A catalog entry. */
export type Requirement = z.infer<typeof schema>

/** The two-digit revision of a draft name (`draft-httpauth-payment-01` -> `01`). */
export function revisionOf(draft: string): string {
  return /-(\d{2})$/.exec(draft)?.[1] ?? ''
}

/** A draft name without its revision (`draft-httpauth-payment-01` -> `draft-httpauth-payment`). */
export function nameOf(draft: string): string {
  return draft.replace(/-\d{2}$/, '')
}

/**
 * Whether a requirement is stated by revision `revision` of its draft: it was stated in
 * that revision or an earlier one, and is not superseded in it or before.
 */
export function inForce(requirement: Requirement, revision: string): boolean {
  return (
    revisionOf(requirement.draft) <= revision &&
    (requirement.supersededIn === undefined || revision < requirement.supersededIn)
  )
}

/** A requirement level. */
export type Level = (typeof levels)[number]

/** One catalog file as read from disk, before validation. */
export type CatalogFile = { path: string; prefix: string; entries: unknown[] }

/** Folder of the catalog, relative to the repository root. */
export const folder = 'spec/requirements'

/**
 * Reads every `*.json` file of the catalog (unvalidated: `check` reports what is wrong).
 * `prefix` is the file name without `.json`, with `-` read as `.` (`tempo-charge.json`
 * holds `tempo.charge.*`); every id in the file starts with it.
 */
export function readCatalog(root: string): CatalogFile[] {
  const directory = join(root, folder)
  return readdirSync(directory)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const path = `${folder}/${name}`
      let content: unknown
      try {
        content = JSON.parse(readFileSync(join(directory, name), 'utf8'))
      } catch (cause) {
        throw new Error(`${path}: not valid JSON (${(cause as Error).message})`, { cause })
      }
      if (!Array.isArray(content)) throw new Error(`${path}: expected a JSON array of requirements`)
      return { path, prefix: name.slice(0, -'.json'.length).replaceAll('-', '.'), entries: content }
    })
}

/**
 * The entries of the catalog that pass the schema, in file order. Use after `check` has
 * passed, or accept that invalid entries are skipped.
 */
export function load(root: string): Requirement[] {
  const requirements: Requirement[] = []
  for (const file of readCatalog(root))
    for (const entry of file.entries) {
      const result = schema.safeParse(entry)
      if (result.success) requirements.push(result.data)
    }
  return requirements
}
/** The repository root: `--root <dir>` or the parent of spec/. */
export function rootFromArgs(argv: readonly string[]): string {
  const index = argv.indexOf('--root')
  const given = index === -1 ? undefined : argv[index + 1]
  return given === undefined ? fileURLToPath(new URL('../..', import.meta.url)) : resolve(given)
}
