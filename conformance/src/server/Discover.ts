// Discovery-driven routes of the server suite: when the configuration names where the
// target publishes its discovery document (draft-payment-discovery, an OpenAPI document
// whose paid operations carry `x-payment-info`) but not its paid route, the document is
// fetched and the routes the configuration leaves out are read from its paid operations.
import { Discovery } from '@paywire/discovery'
import * as Config from './Config.js'

/** Request methods whose operations can stand for `routes.body` (a paid route with a body). */
export const bodyMethods = ['POST', 'PUT', 'PATCH'] as const

/**
 * Reads a configuration value (parsed JSON) for a target at `url`, filling the routes
 * from the target's discovery document when `discovery` is set and `routes.paid` is not:
 * `routes.paid` and `routes.other` become the first two paid GET operations with a fixed
 * path (no `{template}`), `routes.body` the first paid POST, PUT or PATCH one. Operations
 * with an offer of a method the configuration claims come first; routes the configuration
 * names are kept. Without `discovery`, or with `routes.paid` named, it is `Config.from`.
 *
 * @throws {DiscoveryError} when the document cannot be fetched, is not a valid discovery
 * document, or has no usable paid GET operation.
 * @throws {Config.InvalidConfigError} when the configuration does not fit the schema.
 * @example
 * ```ts
 * import { Discover } from '@paywire/conformance'
 * const config = await Discover.config('http://127.0.0.1:8402', {
 *   discovery: '/openapi.json',
 *   methods: { test: { key: 'paywire-reference-test-method-key' } },
 * })
 * config.routes.paid // e.g. '/paid'
 * ```
 */
export async function config(
  url: string,
  value: unknown,
  options: config.Options = {},
): Promise<Config.Config> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return Config.from(value)
  const input = value as {
    discovery?: unknown
    routes?: unknown
    methods?: unknown
    timeoutMs?: unknown
  }
  const routes = (input.routes ?? {}) as Record<string, unknown>
  // Nothing to discover, or routes of the wrong shape: the schema says what is wrong.
  if (
    input.discovery === undefined ||
    typeof routes !== 'object' ||
    routes === null ||
    Array.isArray(routes) ||
    routes.paid !== undefined
  )
    return Config.from(value)
  const location = Config.schema.shape.discovery.safeParse(input.discovery)
  if (!location.success)
    throw new Config.InvalidConfigError(
      `discovery: ${location.error.issues[0]?.message ?? 'invalid'}`,
    )
  if (location.data === undefined) return Config.from(value)
  const claimed = Object.keys(
    input.methods !== null && typeof input.methods === 'object' ? input.methods : {},
  )
  const timeoutMs =
    options.timeoutMs ?? (typeof input.timeoutMs === 'number' ? input.timeoutMs : undefined)
  const document = await fetchDocument(new URL(location.data, url).href, {
    ...options,
    timeoutMs,
  })
  const found = fromDocument(document, claimed)
  return Config.from({ ...input, routes: { ...found, ...routes } })
}

export declare namespace config {
  type Options = {
    /** The fetch to use (default the global one). */
    fetch?: ((input: string, init: RequestInit) => Promise<Response>) | undefined
    /** Time allowed for the document, in milliseconds (default the configuration's `timeoutMs`, else 10 s). */
    timeoutMs?: number | undefined
  }
}

/** The routes a discovery document gives. */
export type Found = {
  paid: string
  other?: string | undefined
  body?: { path: string; method: string } | undefined
}

/**
 * The routes of a discovery document's paid operations, preferring those offering one of
 * `methods` (the claimed methods; every operation when empty).
 *
 * @throws {DiscoveryError} when no paid GET operation has a fixed path.
 * @example
 * ```ts
 * import { Discover } from '@paywire/conformance'
 * import type { Discovery } from '@paywire/discovery'
 * declare const document: Discovery.Document
 * Discover.fromDocument(document, ['test']) // { paid: '/paid', other: '/other' }
 * ```
 */
export function fromDocument(document: Discovery.Document, methods: readonly string[]): Found {
  const payable = Discovery.payable(document)
  const fixed = payable.filter((entry) => !entry.path.includes('{'))
  const offering = (entry: (typeof fixed)[number]) =>
    methods.length === 0 || entry.offers.some((offer) => methods.includes(offer.method))
  const usable = [...fixed.filter(offering), ...fixed.filter((entry) => !offering(entry))]
  const gets = usable.filter((entry) => entry.method === 'GET')
  const [paid, other] = gets
  if (paid === undefined)
    throw new DiscoveryError(
      `the discovery document lists no paid GET operation with a fixed path (${payable.length} paid operation(s) in all): name routes.paid in the configuration`,
    )
  const body = usable.find((entry) => (bodyMethods as readonly string[]).includes(entry.method))
  return {
    paid: paid.path,
    ...(other === undefined ? {} : { other: other.path }),
    ...(body === undefined ? {} : { body: { path: body.path, method: body.method } }),
  }
}

async function fetchDocument(href: string, options: config.Options): Promise<Discovery.Document> {
  const send = options.fetch ?? globalThis.fetch.bind(globalThis)
  let answer: Response
  try {
    answer = await send(href, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    })
  } catch (error) {
    throw new DiscoveryError(`cannot fetch the discovery document ${href}: ${messageOf(error)}`)
  }
  if (answer.status !== 200)
    throw new DiscoveryError(
      `the discovery document ${href} answered ${answer.status}, expected 200: does the target publish one?`,
    )
  const type = answer.headers.get('content-type') ?? ''
  if (!/^application\/json\s*(;|$)/i.test(type))
    throw new DiscoveryError(
      `the discovery document ${href} is served as "${type}", expected application/json`,
    )
  let body: unknown
  try {
    body = await answer.json()
  } catch {
    throw new DiscoveryError(`the discovery document ${href} is not JSON`)
  }
  try {
    return Discovery.parse(body)
  } catch (error) {
    throw new DiscoveryError(`${href} is not a discovery document: ${messageOf(error)}`)
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Raised when the target's discovery document cannot give the suite its routes. */
export class DiscoveryError extends Error {
  override readonly name = 'Discover.DiscoveryError'
  readonly code = 'ERR_CONFORMANCE_DISCOVERY'
}
