// The requirement catalog of the drafts, as the suite reads it: paywire's
// spec/requirements (shipped in dist/spec-requirements), one entry per normative statement
// with its stable id, draft, section, level and the implementations it binds. Vector tests
// take their level from it, and the coverage report counts it.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import type { Level } from './server/Check.js'

/** One catalog entry (the members the suite reads; the others are ignored). */
export const schema = z.object({
  id: z.string().regex(/^[a-z0-9]+(\.[a-z0-9-]+)+$/),
  draft: z.string().min(1),
  section: z.string().min(1),
  level: z.enum(['MUST', 'MUST NOT', 'SHOULD', 'SHOULD NOT', 'MAY']),
  binds: z.array(z.enum(['server', 'client', 'parser'])),
  summary: z.string(),
})

/** A requirement of a draft. */
export type Requirement = z.infer<typeof schema>

/** Raised when a catalog file cannot be read or holds an entry of the wrong shape. */
export class InvalidCatalogError extends Error {
  override readonly name = 'Requirements.InvalidCatalogError'
  readonly code = 'ERR_CONFORMANCE_REQUIREMENTS_INVALID'
}

/**
 * The directory of the requirement catalog: `dist/spec-requirements` (copied from
 * paywire's `spec/requirements` at build time), else `spec/requirements` of a paywire checkout.
 *
 * @example
 * ```ts
 * import { Requirements } from '@paywire/conformance'
 * Requirements.defaultDirectory() // .../node_modules/@paywire/conformance/dist/spec-requirements
 * ```
 */
export function defaultDirectory(): string {
  const packageDir = fileURLToPath(new URL('..', import.meta.url))
  const shipped = join(packageDir, 'dist/spec-requirements')
  const checkout = join(packageDir, '../spec/requirements')
  return existsSync(join(shipped, 'core.json')) || !existsSync(checkout) ? shipped : checkout
}

/**
 * Every requirement of the catalog files in `dir`, in file order.
 *
 * @throws {InvalidCatalogError} when a file is not JSON or an entry lacks a member.
 * @example
 * ```ts
 * import { Requirements } from '@paywire/conformance'
 * Requirements.load().filter((requirement) => requirement.draft.startsWith('draft-httpauth-payment'))
 * ```
 */
export function load(dir: string = defaultDirectory()): Requirement[] {
  const names = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
  return names.flatMap((name) => {
    let entries: unknown
    try {
      entries = JSON.parse(readFileSync(join(dir, name), 'utf8'))
    } catch (error) {
      throw new InvalidCatalogError(`${name}: ${(error as Error).message}`)
    }
    const result = z.array(schema).safeParse(entries)
    if (!result.success)
      throw new InvalidCatalogError(`${name}: ${z.prettifyError(result.error).split('\n')[0]}`)
    return result.data
  })
}

/**
 * The level of a test that checks `ids`: the strongest level among them (`MUST NOT` counts
 * as `MUST`, `SHOULD NOT` as `SHOULD`). A test that checks no catalogued requirement (a
 * grammar of an RFC the drafts cite) is `MUST`; an id missing from `requirements` counts
 * as `MUST` too, so that it can never weaken a verdict.
 *
 * @example
 * ```ts
 * import { Requirements } from '@paywire/conformance'
 * Requirements.levelOf(['core.binding.hmac'], Requirements.load()) // 'SHOULD'
 * ```
 */
export function levelOf(ids: readonly string[], requirements: readonly Requirement[]): Level {
  if (ids.length === 0) return 'MUST'
  const byId = new Map(requirements.map((requirement) => [requirement.id, requirement.level]))
  const strengths = ids.map((id) => {
    const level = byId.get(id) ?? 'MUST'
    return level.startsWith('MUST') ? 3 : level.startsWith('SHOULD') ? 2 : 1
  })
  return (['MAY', 'SHOULD', 'MUST'] as const)[Math.max(...strengths) - 1] as Level
}
