// A conformance target built from the mppx package (0.11, the ecosystem's TypeScript SDK):
// mppx's server with its Tempo charge method on a local Tempo node (@paywire/testkit's
// TempoNode), served on 127.0.0.1 through mppx's own Node listener. Everything that
// answers a request is mppx's code; this file only picks prices and routes. It also
// writes the suite's configuration for it, with a funded payer account for the suite's
// `tempo` payer (`methods.tempo: { rpcUrl, privateKey, mode }` added to the checked-in
// `methods.tempo`, which sets `memo: 'mppx-attribution'`: mppx 0.11 refuses any transfer
// without its attribution memo, spec/DEVIATIONS.md row 6, so the payer adds it and the
// paying checks test what they mean to).
//
// Run it alone (it stays up until Ctrl-C):
//   pnpm --filter @paywire/conformance target:mppx --config-out /tmp/mppx.json
// or let `pnpm --filter @paywire/conformance results:mppx server` run the suite against it.
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { FreePort, TempoNode } from '@paywire/testkit'
import { Expires } from 'mppx'
import { Mppx, Request as MppxRequest, tempo } from 'mppx/server'
import { type Account, createClient, defineChain, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { tempoLocalnet } from 'viem/chains'
import * as Config from '../src/server/Config.js'
import * as TempoPayer from '../src/server/TempoPayer.js'

/** The suite's configuration for this target, as checked in (methods filled in at start). */
export const configFile = fileURLToPath(new URL('./mppx-server.config.json', import.meta.url))

/**
 * The price of each paid route in whole pathUSD (mppx's unit; 6 decimals on the wire), by
 * `METHOD path`. Each route passes its own scope to mppx (`METHOD path`, the value mppx's
 * Hono middleware derives from a route), so mppx binds credentials to the route; a scope
 * names no query, so `GET /priced` binds its `tier` query through the price. `GET /paid-sponsored` is served by a second mppx
 * instance whose Tempo charge has a fee payer (`feePayer: true` challenges); the free
 * `GET /effects` answers `{ "count": n }`, the number of paid responses served.
 * `GET /paid-bearer` and `GET /paid-sponsored-bearer` are the same charges from mppx
 * instances with `requiresAuth` (challenges select Payment-Authorization, draft -01), served
 * only to requests carrying `Authorization: Bearer` {@link bearerToken} (401 otherwise).
 */
export const prices = {
  'GET /paid': '0.001',
  'GET /other': '0.001',
  'POST /paid-body': '0.001',
  'GET /paid-sponsored': '0.001',
  'GET /priced': { basic: '0.001', pro: '0.002' },
  'GET /paid-bearer': '0.001',
  'GET /paid-sponsored-bearer': '0.001',
} as const satisfies Record<string, string | Record<string, string>>

/** The Bearer token the `-bearer` routes authenticate (the app's own authentication). */
export const bearerToken = 'conformance-bearer-token-0123456789'

/** A running mppx target. */
export type Target = {
  /** Base URL, `http://127.0.0.1:<port>`. */
  url: string
  /**
   * The suite's configuration: the checked-in file with the payer's node, key and mode
   * added to its `methods.tempo`.
   */
  config: Config.Input
  /** The Tempo node it runs on (shared by the matrix's other servers). */
  node: TempoNode.TempoNode
  stop(): Promise<void>
}

/**
 * Starts a Tempo node, funded accounts (the suite's payer, mppx's fee payer) and the mppx
 * server on 127.0.0.1.
 *
 * @example
 * ```ts
 * import * as MppxServer from './mppx-server.js'
 * const target = await MppxServer.start({ expiresSeconds: 5 })
 * await target.stop()
 * ```
 */
export async function start(options: start.Options = {}): Promise<Target> {
  const node = await TempoNode.start({ args: options.nodeArgs })
  try {
    const recipient = await node.newAccount(0n)
    const payer = await node.newAccount()
    const sponsor = await node.newAccount()
    const chain = defineChain({
      ...tempoLocalnet,
      id: node.chainId,
      rpcUrls: { default: { http: [node.rpcUrl] } },
    })
    const client = createClient({ chain, transport: http(node.rpcUrl, { retryCount: 0 }) })
    const charge = { recipient: recipient.address, currency: TempoNode.pathUsd }
    const server = (feePayer?: Account, requiresAuth?: boolean) =>
      Mppx.create({
        methods: [tempo.charge({ ...charge, getClient: () => client, feePayer })],
        realm,
        secretKey,
        ...(requiresAuth === true ? { requiresAuth } : {}),
      })
    const sponsorAccount = privateKeyToAccount(sponsor.privateKey)
    const instances: Record<string, ReturnType<typeof server>> = {
      'GET /paid-sponsored': server(sponsorAccount),
      'GET /paid-bearer': server(undefined, true),
      'GET /paid-sponsored-bearer': server(sponsorAccount, true),
    }
    const mppx = server()
    const expiresSeconds = options.expiresSeconds ?? 5
    let runs = 0
    const handle = async (request: Request): Promise<Response> => {
      const url = new URL(request.url)
      const scope = `${request.method} ${url.pathname}`
      if (scope === 'GET /effects') return Response.json({ count: runs })
      const amount = priceOf(scope, url.searchParams)
      if (amount === undefined) return new Response('not found', { status: 404 })
      // The app's own authentication comes first (core -01 §4.4.3): 401 without the token.
      if (
        scope.endsWith('-bearer') &&
        request.headers.get('authorization') !== `Bearer ${bearerToken}`
      )
        return new Response('unauthenticated', { status: 401 })
      const result = await (instances[scope] ?? mppx).charge({
        amount,
        scope,
        expires: Expires.seconds(expiresSeconds),
      })(request)
      if (result.status === 402) return result.challenge
      runs++
      return result.withReceipt(Response.json({ paid: scope }))
    }
    const listening = await FreePort.listen(createServer(MppxRequest.toNodeListener(handle)))
    const settings = {
      rpcUrl: node.rpcUrl,
      privateKey: payer.privateKey,
      mode: options.mode ?? 'pull',
    }
    return {
      url: listening.url,
      config: configFor(
        settings,
        options.schema ?? Config.schema,
        options.schema === undefined ? TempoPayer.settingsSchema.shape : options.payerShape,
      ),
      node,
      stop: async () => {
        await listening.close()
        await node.stop()
      },
    }
  } catch (error) {
    await node.stop()
    throw error
  }
}

export declare namespace start {
  type Options = {
    /** Lifetime of mppx's challenges, in seconds (default 5; mppx's own default is 5 minutes). */
    expiresSeconds?: number | undefined
    /** Extra arguments of the Tempo node (anvil), e.g. `['--block-time', '1']`. */
    nodeArgs?: readonly string[] | undefined
    /** How the suite's tempo payer pays: `pull` (a signed transaction, the default) or `push` (a hash). */
    mode?: 'pull' | 'push' | undefined
    /**
     * The configuration schema of the suite that will read the configuration (default this
     * checkout's source): the optional routes and fields it does not know are left out.
     */
    schema?: ConfigSchema | undefined
    /**
     * The shape of that suite's `methods.tempo` settings (its `TempoPayer.settingsSchema.shape`;
     * default this checkout's when `schema` is not given): a `memo` it does not know is left out.
     */
    payerShape?: object | undefined
  }
}

/** The part of a suite's configuration schema that {@link start} inspects. */
export type ConfigSchema = { shape: { routes: { shape: object } } }

const realm = 'mppx.conformance.test'
const secretKey = 'mppx-conformance-target-secret-0123456789abcdef'

/**
 * The checked-in configuration with the payer's settings added to its `methods.tempo` (its
 * compatibility `memo` switch left out for a suite whose payer does not know it), and the
 * routes and fields the suite's configuration schema knows of the newer ones (the
 * fee-sponsored route, the side-effect counter, the binding secret), so that one target
 * serves older and newer suites alike.
 */
function configFor(
  payer: Record<string, unknown>,
  schema: ConfigSchema,
  payerShape: object | undefined,
): Config.Input {
  const checkedIn = JSON.parse(readFileSync(configFile, 'utf8')) as Config.Input
  const known = (shape: object, field: string) => Object.hasOwn(shape, field)
  const routeShape = schema.shape.routes.shape
  const { memo, ...checkedInPayer } = (checkedIn.methods?.tempo ?? {}) as Record<string, unknown>
  const tempo = {
    ...checkedInPayer,
    ...(memo !== undefined && (payerShape === undefined || known(payerShape, 'memo'))
      ? { memo }
      : {}),
    ...payer,
  }
  return {
    ...checkedIn,
    routes: {
      ...checkedIn.routes,
      ...(known(routeShape, 'sponsored') ? { sponsored: '/paid-sponsored' } : {}),
      ...(known(routeShape, 'effects') ? { effects: '/effects' } : {}),
    },
    methods: { ...checkedIn.methods, tempo },
    ...(known(schema.shape, 'secret') ? { secret: secretKey } : {}),
  }
}

function priceOf(route: string, query: URLSearchParams): string | undefined {
  const price = Object.hasOwn(prices, route) ? prices[route as keyof typeof prices] : undefined
  if (typeof price !== 'object') return price
  const tier = query.get('tier') ?? ''
  return Object.hasOwn(price, tier) ? price[tier as keyof typeof price] : undefined
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      'config-out': { type: 'string' },
      expires: { type: 'string' },
      mode: { type: 'string' },
    },
  })
  const mode = values.mode === 'push' ? 'push' : 'pull'
  const target = await start({ expiresSeconds: Number(values.expires ?? 5), mode })
  if (values['config-out'] !== undefined)
    writeFileSync(values['config-out'], `${JSON.stringify(target.config, null, 2)}\n`)
  console.log(`mppx target listening on ${target.url}`)
  if (values['config-out'] !== undefined)
    console.log(`suite configuration written to ${values['config-out']}`)
  const stop = () => void target.stop().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
