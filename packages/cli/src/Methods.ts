// The payment methods the CLI can pay with: one registry entry per method, each with its
// flags, its config-file settings and how to build its client half. Adding a method
// (stripe, ...) is adding one entry to `registry`. A method's packages are loaded only
// when it is configured, so a command that does not pay with it starts fast.
import { Charge, Method, type Store } from '@paywire/core'
import type { Hex } from 'viem'
import { z } from 'zod'
import * as Home from './Home.js'
import * as Progress from './Progress.js'
import * as Prompt from './Prompt.js'
import * as Rpc from './Rpc.js'
import * as Usage from './Usage.js'

/**
 * What an entry is given to build its client half.
 *
 * @example
 * ```ts
 * import type { Methods } from '@paywire/cli'
 * declare const context: Methods.Context
 * context.flags['test-key'] // the value of --test-key, if given
 * ```
 */
export type Context = {
  /** Values of the request command's flags (every entry's flags included). */
  flags: Record<string, string | boolean | (string | boolean)[] | undefined>
  /** The entry's settings from the config file (`methods.<name>`), unchecked. */
  settings: unknown
  home: Home.Home
  terminal: Prompt.Terminal
  env: NodeJS.ProcessEnv
  /** The URL requested, when the methods pay one request (sessions record where they opened). */
  url?: URL | undefined
  /** The home's store, opened on first use (sessions keep their channels there). */
  store?: (() => Store.Store) | undefined
  /** The largest single payment the spending policy allows in a currency. */
  maxAmount?: ((currency: string) => bigint | undefined) | undefined
}

/**
 * A registry entry: a method the CLI pays with.
 *
 * @example
 * ```ts
 * import type { Methods } from '@paywire/cli'
 * declare const entry: Methods.Entry
 * console.log(entry.name, entry.help)
 * ```
 */
export type Entry = {
  /** Method identifier, as in challenges. */
  name: string
  /** Flags this method adds to `paywire <url>`. */
  flags: Usage.Options
  /** Help lines for those flags and the config settings. */
  help: string
  /** The client halves (one per intent), or `undefined` when the method is not configured for this run. */
  create(context: Context): Promise<Method.Client | readonly Method.Client[] | undefined>
}

const testSettings = z.strictObject({ key: z.string().min(1).optional() })

/** The `test` method of @paywire/testkit: moves no money; for the reference server and demos. */
const test: Entry = {
  name: 'test',
  flags: { 'test-key': { type: 'string' } },
  help: `  --test-key <key>        pay with the test method (moves no money) under this shared key
                          (the reference server's: paywire-reference-test-method-key)
                          config: "methods": { "test": { "key": "..." } }`,
  async create({ flags, settings }) {
    const fromConfig = parseSettings('test', testSettings, settings)
    const key = (flags['test-key'] as string | undefined) ?? fromConfig?.key
    if (key === undefined) return undefined
    const { TestMethod } = await import('@paywire/testkit')
    return TestMethod.client({ key }) as Method.Client
  },
}

const tempoSettings = z.strictObject({
  account: z.string().min(1).optional(),
  rpcUrl: z.url().optional(),
  mode: z.enum(['pull', 'push']).optional(),
  deposit: z
    .string()
    .regex(/^[1-9][0-9]*$/)
    .optional(),
  escrows: z.array(z.string().regex(/^0x[0-9a-fA-F]{40}$/)).optional(),
})

/**
 * Tempo stablecoin charges (@paywire/method-tempo) and sessions
 * (@paywire/method-tempo-session), signed with a keystore account.
 */
const tempo: Entry = {
  name: 'tempo',
  flags: {
    account: { type: 'string' },
    'tempo-rpc': { type: 'string' },
    'tempo-mode': { type: 'string' },
    deposit: { type: 'string' },
    'tempo-escrow': { type: 'string', multiple: true },
  },
  help: `  --account <name>        pay with Tempo from this keystore account (asks the passphrase
                          when a payment is made; PAYWIRE_PASSPHRASE in scripts)
  --tempo-rpc <url>       Tempo JSON-RPC URL (default: the node \`paywire dev\` runs)
  --tempo-mode pull|push  pull: the server broadcasts (default); push: the CLI broadcasts
  --deposit <amount>      deposit of a new session channel, in base units (default: the
                          server's suggestion, lowered to --max-amount)
  --tempo-escrow <address>
                          trust this session escrow although it does not run paywire's
                          escrow contract (repeatable)
                          config: "methods": { "tempo": { "account", "rpcUrl", "mode",
                          "deposit", "escrows" } }`,
  async create({ flags, settings, home, terminal, env, url, store, maxAmount }) {
    const fromConfig = parseSettings('tempo', tempoSettings, settings)
    const account = (flags.account as string | undefined) ?? fromConfig?.account
    if (account === undefined) return undefined
    const mode = (flags['tempo-mode'] as string | undefined) ?? fromConfig?.mode ?? 'pull'
    if (mode !== 'pull' && mode !== 'push')
      throw new Usage.UsageError(`--tempo-mode must be pull or push, found "${mode}"`, {
        command: 'paywire',
      })
    const depositText = (flags.deposit as string | undefined) ?? fromConfig?.deposit
    if (depositText !== undefined && !/^[1-9][0-9]*$/.test(depositText))
      throw new Usage.UsageError(
        `--deposit takes a positive integer of base units, found "${depositText}"`,
        { command: 'paywire' },
      )
    const escrows = [
      ...((flags['tempo-escrow'] as string[] | undefined) ?? []),
      ...(fromConfig?.escrows ?? []),
    ]
    for (const escrow of escrows)
      if (!/^0x[0-9a-fA-F]{40}$/.test(escrow))
        throw new Usage.UsageError(`--tempo-escrow takes an address, found "${escrow}"`, {
          command: 'paywire',
        })
    const Keystore = await import('./Keystore.js')
    const { Chain, ChargeRequest, Client } = await import('@paywire/method-tempo')
    // Fails now, before any request, when the account does not exist.
    const stored = Keystore.get(home.keystore, account)
    const rpcUrl = (flags['tempo-rpc'] as string | undefined) ?? fromConfig?.rpcUrl ?? devRpc(home)
    // The key is unlocked only when a payment is about to be made, once for both intents.
    let unlocked: Promise<Hex> | undefined
    const unlock = () => {
      unlocked ??= Prompt.passphrase(terminal, env).then((passphrase) =>
        Progress.during(
          terminal.output,
          `unlocking ${account}`,
          Keystore.unlock(home.keystore, account, passphrase),
        ),
      )
      return unlocked
    }
    let client: Method.Client | undefined
    const charge = Method.defineClient({
      method: 'tempo',
      intent: Charge.intent,
      requestSchema: ChargeRequest.schema,
      async createCredential(parameters) {
        if (client === undefined) {
          const privateKey = await unlock()
          const chain = Chain.fromRpc({ rpcUrl, chainId: await Rpc.chainId(rpcUrl) })
          client = Client.client({ chain, privateKey, mode }) as unknown as Method.Client
        }
        return Progress.during(
          terminal.output,
          `paying on Tempo from ${account}`,
          client.createCredential(parameters),
        )
      },
    }) as Method.Client
    if (url === undefined || store === undefined) return [charge]
    const SessionMethod = await import('./SessionMethod.js')
    const session = await SessionMethod.create({
      account: stored,
      unlock,
      rpcUrl,
      store,
      url,
      output: terminal.output,
      deposit: depositText === undefined ? undefined : BigInt(depositText),
      maxAmount: maxAmount ?? (() => undefined),
      escrows,
    })
    return [charge, session as unknown as Method.Client]
  },
}

const stripeSettings = z.strictObject({
  paymentMethod: z.string().min(1).optional(),
  api: z.url().optional(),
  keyEnv: z.string().min(1).optional(),
})

/**
 * Card and wallet payments through Stripe Shared Payment Tokens (@paywire/method-stripe):
 * the agent's Stripe account issues a token scoped to each challenge. The secret key is
 * read from the environment only (never a flag, which other users can see).
 */
const stripe: Entry = {
  name: 'stripe',
  flags: {
    'stripe-payment-method': { type: 'string' },
    'stripe-api': { type: 'string' },
  },
  help: `  --stripe-payment-method <pm_...>
                          pay with Stripe: issue a shared payment token from this payment
                          method of your Stripe account (key in STRIPE_SECRET_KEY)
  --stripe-api <url>      a Stripe-compatible API instead of Stripe (e.g. the local one
                          \`paywire dev\` starts)
                          config: "methods": { "stripe": { "paymentMethod", "api", "keyEnv" } }`,
  async create({ flags, settings, env, terminal }) {
    const fromConfig = parseSettings('stripe', stripeSettings, settings)
    const paymentMethod =
      (flags['stripe-payment-method'] as string | undefined) ?? fromConfig?.paymentMethod
    if (paymentMethod === undefined) return undefined
    const keyEnv = fromConfig?.keyEnv ?? 'STRIPE_SECRET_KEY'
    const secretKey = env[keyEnv]
    if (secretKey === undefined || secretKey === '')
      throw new Usage.UsageError(`paying with Stripe needs your secret key in ${keyEnv}`, {
        command: 'paywire',
      })
    const api = (flags['stripe-api'] as string | undefined) ?? fromConfig?.api
    let target: { host: string; port: number; protocol: 'http' | 'https' } | undefined
    if (api !== undefined) {
      let url: URL
      try {
        url = new URL(api)
      } catch {
        throw new Usage.UsageError(`--stripe-api must be a URL, found "${api}"`, {
          command: 'paywire',
        })
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:')
        throw new Usage.UsageError('--stripe-api must be an http(s) URL', { command: 'paywire' })
      const protocol = url.protocol === 'https:' ? 'https' : 'http'
      target = {
        host: url.hostname,
        port: url.port === '' ? (protocol === 'https' ? 443 : 80) : Number(url.port),
        protocol,
      }
    }
    const { default: Stripe } = await import('stripe')
    const { Client, IssuedTokens } = await import('@paywire/method-stripe')
    const client = Client.client({
      provider: IssuedTokens.provider({
        stripe: new Stripe(secretKey, { ...target, maxNetworkRetries: 2, telemetry: false }),
        paymentMethod,
      }),
    }) as unknown as Method.Client
    return Method.defineClient({
      method: client.method,
      intent: client.intent,
      requestSchema: client.requestSchema,
      createCredential: (parameters) =>
        Progress.during(
          terminal.output,
          'issuing a Stripe shared payment token',
          client.createCredential(parameters),
        ),
    }) as Method.Client
  },
}

/**
 * Every method the CLI can pay with. When several are configured, they are preferred
 * equally: the client pays the first challenge, in the server's order, it has a method for.
 *
 * @example
 * ```ts
 * import { Methods } from '@paywire/cli'
 * Methods.registry.map((entry) => entry.name) // ['stripe', 'tempo', 'test']
 * ```
 */
export const registry: readonly Entry[] = [stripe, tempo, test]

/**
 * The flags of every entry, for the request command's parser.
 *
 * @example
 * ```ts
 * import { Methods } from '@paywire/cli'
 * Object.keys(Methods.flags()) // ['stripe-payment-method', 'stripe-api', 'account', 'tempo-rpc', 'tempo-mode', 'deposit', 'tempo-escrow', 'test-key']
 * ```
 */
export function flags(): Usage.Options {
  return Object.assign({}, ...registry.map((entry) => entry.flags))
}

/**
 * The client halves of the configured methods.
 *
 * @throws {Usage.UsageError} when the config names a method the CLI does not know.
 * @example
 * ```ts
 * import { Methods } from '@paywire/cli'
 * declare const context: Omit<Methods.Context, 'settings'>
 * const methods = await Methods.create(context, { test: { key: 'shared-test-key' } })
 * ```
 */
export async function create(
  context: Omit<Context, 'settings'>,
  settings: Record<string, unknown> = {},
): Promise<Method.Client[]> {
  for (const name of Object.keys(settings))
    if (!registry.some((entry) => entry.name === name))
      throw new Usage.UsageError(
        `config file: unknown method "${name}" (known: ${registry.map((entry) => entry.name).join(', ')})`,
        { command: 'paywire' },
      )
  const methods: Method.Client[] = []
  for (const entry of registry) {
    const method = await entry.create({ ...context, settings: settings[entry.name] })
    if (method !== undefined) methods.push(...(isList(method) ? method : [method]))
  }
  return methods
}

function isList(
  method: Method.Client | readonly Method.Client[],
): method is readonly Method.Client[] {
  return Array.isArray(method)
}

function parseSettings<output>(
  name: string,
  schema: z.ZodType<output>,
  settings: unknown,
): output | undefined {
  if (settings === undefined) return undefined
  const result = schema.safeParse(settings)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new Usage.UsageError(
      `config file: methods.${name}.${issue?.path.join('.') ?? ''}: ${issue?.message}`,
      { command: 'paywire' },
    )
  }
  return result.data
}

function devRpc(home: Home.Home): string {
  const node = Home.devNode(home)
  if (node === undefined)
    throw new Usage.UsageError(
      'no Tempo node to pay on: pass --tempo-rpc <url>, or start a local one with `paywire dev`',
      { command: 'paywire' },
    )
  return node.rpcUrl
}
