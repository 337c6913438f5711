// What the server suite knows about a target: its paid routes, the methods and intents it
// claims, how the suite may pay, and the run's budgets. Read from the `--config` JSON
// file of `paywire-conformance server`; every field but the routes has a default.
import { z } from 'zod'
import * as SessionPayer from './SessionPayer.js'

const path = z
  .string()
  .regex(/^\/[^\s#]*$/, 'expected an absolute path such as "/paid" (a query is allowed)')

/** A paid route the suite probes: a request method, a path (with its query) and a body. */
export const routeSchema = z.object({
  method: z.string().regex(/^[A-Z]+$/, 'expected an upper-case request method such as GET'),
  path,
  /** The request body the suite sends (its digest is then bound into the challenge). */
  body: z.string().optional(),
  /** `Content-Type` of `body` (default `application/json`). */
  contentType: z.string().optional(),
})

/** A paid route. */
export type Route = z.infer<typeof routeSchema>

/** The configuration file of `paywire-conformance server`. */
export const schema = z
  .strictObject({
    routes: z
      .strictObject({
        /** A paid route answering GET (the main target of the suite). */
        paid: path.meta({ description: 'Path of a paid GET route, e.g. "/paid".' }),
        /** A second paid GET route, for cross-route reuse. */
        other: path.optional().meta({ description: 'Path of a second paid GET route.' }),
        /** A paid GET route whose access policy denies every (valid) payment: 403 expected. */
        denied: path
          .optional()
          .meta({ description: 'Path of a paid GET route that a policy denies.' }),
        /** A paid route with a request body (digest-bound). */
        body: z
          .strictObject({
            path,
            method: z
              .string()
              .regex(/^[A-Z]+$/)
              .default('POST'),
            body: z.string().default('{"order":"conformance"}'),
            contentType: z.string().default('application/json'),
          })
          .optional(),
        /** A paid GET route whose challenges are bound to the query: two different queries. */
        query: z
          .strictObject({
            path,
            queries: z.tuple([z.string().min(1), z.string().min(1)]).meta({
              description: 'Two queries priced or bound differently, e.g. tier=basic, tier=pro.',
            }),
          })
          .optional(),
        /** A paid GET route whose Tempo charge challenges are fee-sponsored (`feePayer: true`). */
        sponsored: path.optional().meta({
          description:
            'Path of a paid GET route whose Tempo challenges carry methodDetails.feePayer: true.',
        }),
        /**
         * A free GET route answering `{"count": <n>}`: how many times the target ran the
         * handler of a paid route (the operation a payment buys), to prove that unpaid and
         * refused requests have no side effect.
         */
        effects: path.optional().meta({
          description:
            'Path of a free GET route answering {"count": n}, n being how many times a paid handler ran.',
        }),
        /** A paid GET route offering a Tempo session challenge (`tempo`/`session`). */
        session: path.optional().meta({
          description: 'Path of a paid GET route whose challenges offer a Tempo session.',
        }),
      })
      .meta({ description: 'The paid endpoints of the target.' }),
    /**
     * Where the target publishes its discovery document (draft-payment-discovery), e.g.
     * `"/openapi.json"`: routes the configuration does not name are read from its paid
     * operations (`Discover.config`).
     */
    discovery: path.optional().meta({
      description:
        'Path of the target\'s discovery document, e.g. "/openapi.json": unnamed routes come from its paid operations.',
    }),
    /** Methods the target claims, with what the suite needs to pay each (e.g. `{ test: { key } }`). */
    methods: z.record(z.string().regex(/^[a-z]+$/), z.unknown()).default({}),
    /**
     * How the suite opens Tempo session channels on routes.session (`rpcUrl`, `privateKey`,
     * `deposit`); see SessionPayer.ts.
     */
    session: SessionPayer.settingsSchema.optional().meta({
      description: 'The Tempo session payer: { rpcUrl, privateKey, deposit }.',
    }),
    /** Intents the target claims. */
    intents: z.array(z.string()).default(['charge']),
    /** Extensions the target claims, e.g. `idempotency-key`. */
    extensions: z.array(z.string()).default([]),
    /** Expired-challenge check: how long the suite may wait for a challenge to expire. */
    expiry: z
      .strictObject({
        /** Clock skew the target tolerates past `expires`, in seconds. */
        skewSeconds: z.number().min(0).default(30),
        /** Longest the suite waits for a challenge to expire, in seconds. */
        maxWaitSeconds: z.number().min(0).default(0),
      })
      .default({ skewSeconds: 30, maxWaitSeconds: 0 }),
    /** Copies of one credential sent at once by the concurrency check. */
    concurrency: z.number().int().min(2).max(256).default(16),
    /** Generated cases per property check. */
    fuzzRuns: z.number().int().min(1).default(40),
    /** fast-check seed of the property checks (default: fixed, printed with any failure). */
    seed: z.number().int().optional(),
    /** Time allowed for one HTTP exchange, in milliseconds. */
    timeoutMs: z.number().int().min(100).default(10_000),
    /**
     * The target's challenge-binding secret (HMAC key), when it has one: every response the
     * suite saw, and the log, are searched for it.
     */
    secret: z
      .string()
      .min(16, 'expected the secret itself (16 characters or more)')
      .optional()
      .meta({
        description: "The target's challenge-binding secret, searched for in responses and logs.",
      }),
    /**
     * The target's log file, read after the run (relative paths from the working directory):
     * searched for the credentials the suite sent, the receipts it got, and the secret.
     */
    logFile: z.string().min(1).optional().meta({
      description: "Path of the target's log, searched after the run for credentials and secrets.",
    }),
    /** Tests expected to fail on this target, with the reason (e.g. a draft section). */
    expectedFailures: z.record(z.string(), z.string()).default({}),
    /**
     * The revision of draft-httpauth-payment the target claims (`--draft` overrides it):
     * `01` (default, the latest) judges by -01 (payment-expired for an expired challenge,
     * the `header` parameter and `Payment-Authorization`), `00` by -00.
     */
    draft: z.enum(['00', '01']).default('01').meta({
      description: 'The draft-httpauth-payment revision the target claims: "01" (default) or "00".',
    }),
  })
  .meta({ title: 'paywire-conformance server configuration' })

/** A configuration as written (defaults not applied). */
export type Input = z.input<typeof schema>

/** A configuration with defaults applied. */
export type Config = z.output<typeof schema>

/** The default fast-check seed of the server suite. */
export const defaultSeed = 20261125

/**
 * Reads a configuration value (parsed JSON), applying defaults.
 *
 * @throws {InvalidConfigError} naming the first field that is wrong.
 * @example
 * ```ts
 * import { Config } from '@paywire/conformance'
 * const config = Config.from({ routes: { paid: '/paid' }, methods: { test: { key: 'k' } } })
 * ```
 */
export function from(value: unknown): Config {
  const result = schema.safeParse(value)
  if (!result.success) {
    const issue = result.error.issues[0]
    const where = issue?.path.length ? issue.path.join('.') : 'config'
    throw new InvalidConfigError(`${where}: ${issue?.message ?? 'invalid'}`)
  }
  return result.data
}

/**
 * The capabilities a configuration claims, as the catalog names them: `method:<name>`,
 * `intent:<name>`, `extension:<name>`, `transport:http` (and `transport:https` for an https
 * `url`), `route:<body|query|other|denied|sponsored|effects|session>`, `payment:session` for a
 * `session` block, `expiry:wait`, `secret` and
 * `log` when they are configured, and `payment` (with `payment:<method>` for each) when the
 * suite can pay one of the claimed methods.
 *
 * @example
 * ```ts
 * import { Config } from '@paywire/conformance'
 * Config.capabilities(Config.from({ routes: { paid: '/paid' } }), ['test']) // Set { 'transport:http', 'intent:charge', ... }
 * ```
 */
export function capabilities(
  config: Config,
  payable: readonly string[],
  url?: string | undefined,
): Set<string> {
  const claimed = new Set<string>(['transport:http'])
  if (url?.startsWith('https:')) claimed.add('transport:https')
  for (const method of Object.keys(config.methods)) claimed.add(`method:${method}`)
  for (const intent of config.intents) claimed.add(`intent:${intent}`)
  for (const extension of config.extensions) claimed.add(`extension:${extension}`)
  if (config.routes.body !== undefined) claimed.add('route:body')
  if (config.routes.query !== undefined) claimed.add('route:query')
  if (config.routes.other !== undefined) claimed.add('route:other')
  if (config.routes.denied !== undefined) claimed.add('route:denied')
  if (config.routes.sponsored !== undefined) claimed.add('route:sponsored')
  if (config.routes.effects !== undefined) claimed.add('route:effects')
  if (config.routes.session !== undefined) claimed.add('route:session')
  if (config.session !== undefined) claimed.add('payment:session')
  if (config.expiry.maxWaitSeconds > 0) claimed.add('expiry:wait')
  if (Object.keys(config.methods).length > 1) claimed.add('offers:several')
  if (config.secret !== undefined) claimed.add('secret')
  if (config.logFile !== undefined) claimed.add('log')
  for (const method of payable) {
    if (!Object.hasOwn(config.methods, method)) continue
    claimed.add('payment')
    claimed.add(`payment:${method}`)
  }
  return claimed
}

/**
 * What to configure to claim the capabilities that come from optional fields: the reason
 * a test needing one is `n/a` says it.
 *
 * @example
 * ```ts
 * import { Config } from '@paywire/conformance'
 * Config.howToClaim.secret // 'set "secret" to the target\'s challenge-binding secret'
 * ```
 */
export const howToClaim: Readonly<Record<string, string>> = {
  secret: 'set "secret" to the target\'s challenge-binding secret',
  log: 'set "logFile" to the file the target logs to',
  'route:effects': 'set routes.effects to a free route counting the runs of paid handlers',
  'route:sponsored': 'set routes.sponsored to a route with fee-sponsored Tempo challenges',
  'route:body': 'set routes.body to a paid route with a request body',
  'route:query': 'set routes.query to a query-bound paid route',
  'route:other': 'set routes.other to a second paid route',
  'route:denied': 'set routes.denied to a paid route whose policy denies payments',
  'expiry:wait': 'set expiry.maxWaitSeconds and give the target a short challenge lifetime',
  'payment:tempo': 'claim "tempo" in "methods" with { rpcUrl, privateKey }',
  'route:session': 'set routes.session to a paid route offering a Tempo session',
  'payment:session': 'set "session" to { rpcUrl, privateKey } of a funded Tempo account',
}

/** Raised when a configuration file does not fit {@link schema}. */
export class InvalidConfigError extends Error {
  override readonly name = 'Config.InvalidConfigError'
  readonly code = 'ERR_CONFORMANCE_CONFIG'
}
