// The results of a run, as the JSON report writes them: suite version, target, each
// test's verdict with the evidence that decided it (credentials redacted), and totals.
// The zod schema is the single source: `schemas/results.schema.json` is generated from it.
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { evidenceSchema } from './server/Exchange.js'

/** Verdicts, from best to worst. */
export const verdicts = ['pass', 'xfail', 'n/a', 'warn', 'fail', 'error'] as const

/** A verdict: `warn` is a SHOULD not met, `xfail` an expected failure, `error` a broken harness or target. */
export type Verdict = (typeof verdicts)[number]

/** The result of one test. */
export const resultSchema = z.object({
  id: z.string().meta({ description: 'Stable test id from the catalog.' }),
  title: z.string(),
  group: z.string(),
  level: z.enum(['MUST', 'SHOULD', 'MAY']),
  requirements: z.array(z.string()).meta({ description: 'spec/requirements ids the test checks.' }),
  verdict: z.enum(verdicts),
  message: z
    .string()
    .optional()
    .meta({ description: 'Why: the failure, the reason for n/a or xfail.' }),
  durationMs: z.number(),
  evidence: z
    .array(evidenceSchema)
    .meta({ description: 'The exchanges that decided the verdict, credentials redacted.' }),
})

/** The result of one test. */
export type Result = z.infer<typeof resultSchema>

/** The JSON report of a run. */
export const schema = z
  .object({
    $schema: z.string().optional().meta({ description: 'URI of this schema.' }),
    suite: z.object({ name: z.string(), version: z.string() }),
    mode: z.enum(['server', 'vectors', 'client', 'mcp']).meta({
      description:
        'server: checks against a server; vectors: vectors against an adapter; client: checks of the client behind an adapter; mcp: checks against an MCP server.',
    }),
    target: z.object({
      url: z.string(),
      methods: z.array(z.string()),
      intents: z.array(z.string()),
      extensions: z.array(z.string()),
      capabilities: z.array(z.string()),
    }),
    seed: z.number().int().meta({ description: 'fast-check seed of the property checks.' }),
    startedAt: z.string().meta({ format: 'date-time' }),
    durationMs: z.number(),
    summary: z
      .object(
        Object.fromEntries(verdicts.map((v) => [v, z.number().int()])) as Record<
          Verdict,
          z.ZodNumber
        >,
      )
      .extend({
        total: z.number().int(),
      }),
    results: z.array(resultSchema),
  })
  .meta({
    title: 'paywire-conformance results',
    description: 'Results of a @paywire/conformance run against a server, an adapter or a client.',
  })

/** The JSON report of a run. */
export type Results = z.infer<typeof schema>

/** The package name and version of this suite. */
export const suite: { name: string; version: string } = readSuite()

/**
 * The JSON Schema of the JSON report (draft 2020-12), as published in
 * `schemas/results.schema.json`.
 *
 * @example
 * ```ts
 * import { Results } from '@paywire/conformance'
 * const jsonSchema = Results.jsonSchema()
 * ```
 */
export function jsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://paywire.dev/schemas/conformance/results.schema.json',
    ...z.toJSONSchema(schema, { target: 'draft-2020-12' }),
  }
}

/**
 * Whether a run should fail a CI job: any `fail` or `error`.
 *
 * @example
 * ```ts
 * import { Results } from '@paywire/conformance'
 * declare const results: Results.Results
 * process.exitCode = Results.failed(results) ? 1 : 0
 * ```
 */
export function failed(results: Pick<Results, 'summary'>): boolean {
  return results.summary.fail > 0 || results.summary.error > 0
}

/** Counts verdicts. */
export function summarize(results: readonly Pick<Result, 'verdict'>[]): Results['summary'] {
  const summary = Object.fromEntries(verdicts.map((verdict) => [verdict, 0])) as Record<
    Verdict,
    number
  >
  for (const result of results) summary[result.verdict]++
  return { ...summary, total: results.length }
}

function readSuite(): { name: string; version: string } {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8')
  const { name, version } = JSON.parse(text) as { name: string; version: string }
  return { name, version }
}
