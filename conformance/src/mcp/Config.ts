// What the MCP suite knows about a target (an MCP server over Streamable HTTP speaking
// draft-payment-transport-mcp): its paid tools and resources, how the suite pays them,
// and the time it waits for an answer. Read from the `--config` JSON file of
// `paywire-conformance mcp`.
import { z } from 'zod'
import { InvalidConfigError } from '../server/Config.js'

const call = z.strictObject({
  name: z.string().min(1),
  arguments: z.record(z.string(), z.unknown()).default({}),
})

/** The configuration file of `paywire-conformance mcp`. */
export const schema = z.strictObject({
  tools: z
    .strictObject({
      /** A paid tool and arguments it accepts. */
      paid: call.meta({ description: 'A paid tool and arguments it accepts.' }),
      /**
       * A tool settled after success whose handler takes a while: it reports progress when
       * the request carries a `progressToken`, and holds until `release` is called (when
       * given). The checks of in-flight requests need it.
       */
      afterSuccess: call
        .extend({ progress: z.boolean().default(false) })
        .optional()
        .meta({ description: 'A paid tool settled after success that takes a while.' }),
      /** A free tool that lets the held `afterSuccess` handlers finish. */
      release: call.optional().meta({ description: 'A free tool ending held handlers.' }),
    })
    .meta({ description: 'The tools of the target.' }),
  resources: z
    .strictObject({
      /** The URI of a paid resource. */
      paid: z.string().min(1).optional(),
      /** A URI that a paid resource template matches (and no exact resource). */
      template: z.string().min(1).optional(),
    })
    .default({}),
  /** The methods the target offers, each with what the suite needs to pay it. */
  methods: z.record(z.string(), z.unknown()),
  /** Time allowed for each answer, in milliseconds (default 10 s). */
  timeoutMs: z.number().int().positive().default(10_000),
  /** Test id → reason: its failure is reported as `xfail`. */
  expectedFailures: z.record(z.string(), z.string()).default({}),
})

/** The configuration of an MCP run. */
export type Config = z.infer<typeof schema>

/**
 * Reads a configuration (the parsed JSON file).
 *
 * @throws {InvalidConfigError} naming the first field at fault.
 * @example
 * ```ts
 * import { McpConfig } from '@paywire/conformance'
 * const config = McpConfig.from({
 *   tools: { paid: { name: 'forecast', arguments: { city: 'Oslo' } } },
 *   methods: { test: { key: 'the shared test key' } },
 * })
 * ```
 */
export function from(json: unknown): Config {
  const parsed = schema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new InvalidConfigError(
      `invalid MCP configuration at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    )
  }
  return parsed.data
}

/**
 * The capabilities an MCP target claims by its configuration (what the checks need).
 *
 * @example
 * ```ts
 * import { McpConfig } from '@paywire/conformance'
 * declare const config: McpConfig.Config
 * McpConfig.capabilities(config, ['test']).has('mcp:after-success') // true when configured
 * ```
 */
export function capabilities(config: Config, payable: readonly string[]): Set<string> {
  const claimed = new Set<string>()
  if (config.resources.paid !== undefined) claimed.add('mcp:resource')
  if (config.resources.template !== undefined) claimed.add('mcp:template')
  if (config.tools.afterSuccess !== undefined) claimed.add('mcp:after-success')
  for (const method of payable) if (Object.hasOwn(config.methods, method)) claimed.add('payment')
  return claimed
}

/** What to configure to claim each capability (the reason of an n/a says it). */
export const howToClaim: Readonly<Record<string, string>> = {
  'mcp:resource': 'set resources.paid to the URI of a paid resource',
  'mcp:template': 'set resources.template to a URI a paid resource template matches',
  'mcp:after-success': 'set tools.afterSuccess to a paid tool settled after success',
  payment: 'claim a method the suite can pay in "methods" (test: { key })',
}
