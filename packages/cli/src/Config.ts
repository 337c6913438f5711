// The config file (`~/.paywire/config.json` or `--config <file>`): a spending policy and
// method settings that flags add to. The policy is checked by the client's own
// `Policy.from`, the settings of each method by its registry entry.
import { readFileSync } from 'node:fs'
import type { Policy } from '@paywire/client'
import { z } from 'zod'
import * as Usage from './Usage.js'

/**
 * The config file's content.
 *
 * @example
 * ```ts
 * import type { Config } from '@paywire/cli'
 * const config: Config.Config = {
 *   policy: {
 *     currencies: { usd: { maxAmount: '1000' } },
 *     budgets: [{ currency: 'usd', amount: '5000', window: 'day', scope: 'total' }],
 *   },
 *   methods: { test: { key: 'paywire-reference-test-method-key' } },
 * }
 * ```
 */
export type Config = {
  /** A spending policy (every member of the client's `Policy` but `approve`). */
  policy?: Omit<Policy.Policy, 'approve'> | undefined
  /** Settings per method, by method name (`test`, `tempo`). */
  methods?: Record<string, unknown> | undefined
}

/**
 * Reads the config file: `path` when given (it must exist), else `fallback` when it exists,
 * else an empty config.
 *
 * @throws {Usage.UsageError} when the file cannot be read or is not a config.
 * @example
 * ```ts
 * import { Config } from '@paywire/cli'
 * const config = Config.read({ fallback: '/home/me/.paywire/config.json' })
 * ```
 */
export function read(options: { path?: string | undefined; fallback: string }): Config {
  const path = options.path ?? options.fallback
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    if (options.path === undefined && (cause as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new Usage.UsageError(`cannot read config file ${path}: ${(cause as Error).message}`, {
      command: 'paywire',
      cause,
    })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    throw new Usage.UsageError(`config file ${path} is not JSON`, { command: 'paywire', cause })
  }
  const result = schema.safeParse(json)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new Usage.UsageError(
      `config file ${path}: ${issue?.path.join('.') || 'root'}: ${issue?.message}`,
      { command: 'paywire' },
    )
  }
  return result.data as Config
}

const schema = z.strictObject({
  $schema: z.string().optional(),
  // Members are checked by Policy.from, with messages that name them.
  policy: z.record(z.string(), z.unknown()).optional(),
  methods: z.record(z.string(), z.unknown()).optional(),
})
