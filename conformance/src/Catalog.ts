// The catalog of conformance tests: every server check, client check and vector test with
// its stable id, mode, the requirement ids of spec/requirements it checks, its level, the
// capabilities it needs and its tags. `paywire-conformance list` prints it; reports name
// tests by these ids. MCP checks (`mcp.*`) run against an MCP server. Client checks (`client.*`) need `adapter:http.payment_request`;
// vector tests (`vectors.*`) need `adapter:<operation>`, and those of vectors the ABI has
// no operation for need nothing and are tagged `no-operation` (always n/a).
import type * as ClientCheck from './client/Check.js'
import { checks as paying } from './client/checks/paying.js'
import { checks as refusing } from './client/checks/refusing.js'
import type * as McpCheck from './mcp/Check.js'
import { checks as mcpBasics } from './mcp/checks/basics.js'
import { checks as mcpInflight } from './mcp/checks/inflight.js'
import { checks as mcpResources } from './mcp/checks/resources.js'
import type { Check, Level, Test } from './server/Check.js'
import { checks as binding } from './server/checks/binding.js'
import { checks as challenge } from './server/checks/challenge.js'
import { checks as effects } from './server/checks/effects.js'
import { checks as header } from './server/checks/header.js'
import { checks as hostile } from './server/checks/hostile.js'
import { checks as privacy } from './server/checks/privacy.js'
import { checks as replay } from './server/checks/replay.js'
import { checks as session } from './server/checks/session.js'
import { checks as status } from './server/checks/status.js'
import { checks as tempo } from './server/checks/tempo.js'
import { checks as tempoBinding } from './server/checks/tempoBinding.js'
import { checks as transport } from './server/checks/transport.js'
import * as Vectors from './Vectors.js'

/** @internal Every server check, in run order. */
export const serverChecks: readonly Check[] = [
  ...challenge,
  ...status,
  ...binding,
  ...header,
  ...replay,
  ...hostile,
  ...transport,
  ...tempo,
  ...tempoBinding,
  ...session,
  ...effects,
  ...privacy,
]

/** @internal Every client check, in run order. */
export const clientChecks: readonly ClientCheck.Check[] = [...paying, ...refusing]

/** @internal Every MCP check, in run order. */
export const mcpChecks: readonly McpCheck.Check[] = [...mcpBasics, ...mcpResources, ...mcpInflight]

/** The modes of the suite: what a test runs against (`paywire-conformance <mode>`). */
export type Mode = 'server' | 'client' | 'vectors' | 'mcp'

/** A catalog entry: a test's metadata and the mode that runs it. */
export type Entry = Test & { mode: Mode }

/** The tag of vector tests that no ABI operation can run: always n/a. */
export const noOperation = 'no-operation'

/**
 * @internal The vector tests of the shipped vectors (`Vectors.defaultDirectory()`), in
 * run order.
 */
export const vectorTests: readonly Test[] = Vectors.cases().map(
  ({ op, input: _input, check: _check, ...test }) => ({
    ...test,
    needs: typeof op === 'string' ? [`adapter:${op}`] : [],
    tags: typeof op === 'string' ? test.tags : [...test.tags, noOperation],
  }),
)

/**
 * The catalog: every test's metadata, in run order (server checks, client checks, then
 * vector tests).
 *
 * @example
 * ```ts
 * import { Catalog } from '@paywire/conformance'
 * Catalog.tests.find((test) => test.id === 'server.replay.concurrent')?.requirements
 * ```
 */
export const tests: readonly Entry[] = [
  ...serverChecks.map(({ run: _run, background: _background, final: _final, ...test }) => ({
    ...test,
    mode: 'server' as const,
  })),
  ...clientChecks.map(({ judge: _judge, scenario: _scenario, ...test }) => ({
    ...test,
    mode: 'client' as const,
  })),
  ...vectorTests.map((test) => ({ ...test, mode: 'vectors' as const })),
  ...mcpChecks.map(({ run: _run, ...test }) => ({ ...test, mode: 'mcp' as const })),
]

/** The groups of the catalog, in run order. */
export const groups: readonly string[] = [...new Set(tests.map((test) => test.group))]

/**
 * The tests matching every given filter: id prefix (`server.binding`, `vectors`), level, tag.
 *
 * @example
 * ```ts
 * import { Catalog } from '@paywire/conformance'
 * Catalog.filter({ level: 'MUST', tag: 'replay' }).map((test) => test.id)
 * ```
 */
export function filter<test extends Test = Entry>(
  options: filter.Options,
  from: readonly test[] = tests as readonly Test[] as readonly test[],
): test[] {
  return from.filter(
    (test) =>
      (options.prefix === undefined ||
        options.prefix.some((prefix) => test.id.startsWith(prefix))) &&
      (options.level === undefined || test.level === options.level) &&
      (options.tag === undefined || test.tags.includes(options.tag)),
  )
}

export declare namespace filter {
  type Options = {
    /** Id prefixes; a test matches when its id starts with one of them. */
    prefix?: readonly string[] | undefined
    level?: Level | undefined
    tag?: string | undefined
  }
}

/**
 * The catalog as text, one test per line: id, level, needs, tags and requirements.
 *
 * @example
 * ```ts
 * import { Catalog } from '@paywire/conformance'
 * console.log(Catalog.format(Catalog.filter({ prefix: ['server.cache'] })))
 * ```
 */
export function format(list: readonly Test[]): string {
  const width = Math.max(2, ...list.map((test) => test.id.length))
  const lines = list.map(
    (test) =>
      `${test.id.padEnd(width)}  ${test.level.padEnd(6)}  ${test.title}\n${' '.repeat(width + 10)}needs: ${test.needs.join(', ') || '-'}; tags: ${test.tags.join(', ')}; checks: ${test.requirements.join(', ') || '-'}`,
  )
  return [...lines, `${list.length} test(s)`].join('\n')
}
