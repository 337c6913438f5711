// Registering paid operations: the entry the gate resolves requests to (with the input the
// handler will receive, parsed by the same schema and the same SDK functions as McpServer
// uses, so that the price is that of what the handler serves), and the guarded handler.
import type { ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js'
import {
  type AnySchema,
  getParseErrorMessage,
  normalizeObjectSchema,
  safeParseAsync,
  type ZodRawShapeCompat,
} from '@modelcontextprotocol/sdk/server/zod-compat.js'
import type { UriTemplate, Variables } from '@modelcontextprotocol/sdk/shared/uriTemplate.js'
import { Paywire } from '@paywire/server'
import type { State } from './gate.js'
import * as Registry from './registry.js'

/** @internal A price: the methods' input, or a function of what the handler receives. */
export type Price<input extends unknown[]> =
  | Record<string, unknown>
  | ((...args: [...input, Paywire.Offer]) => unknown | Promise<unknown>)

/** @internal A paid operation's route with its price. */
export type Payment<input extends unknown[]> = Omit<Paywire.Route, 'price'> & {
  price: Price<input>
}

/** @internal The keys of paid operations (the identity the guard checks). */
export const keys = {
  tool: (name: string) => `tools/call ${name}`,
  prompt: (name: string) => `prompts/get ${name}`,
  resource: (href: string) => `resources/read ${href}`,
  template: (name: string) => `resources/read template:${name}`,
}

/**
 * @internal How an operation is registered: through `Payments` (its handler guarded, its
 * price a function of the handler's input, its arguments parsed by `schema`), or marked
 * with `protect` (a route as `Paywire.protect` takes it: a price of the request).
 */
export type Mode =
  | { guarded: true; schema?: ZodRawShapeCompat | AnySchema | undefined }
  | { guarded: false }

/** @internal Adds (or replaces) a paid tool or prompt, priced from its parsed arguments. */
export function named(
  state: State,
  kind: 'tool' | 'prompt',
  name: string,
  payment: Payment<[Record<string, unknown>]>,
  mode: Mode,
): string {
  const key = keys[kind](name)
  const entry: Registry.Entry = {
    key,
    ...common(state, payment, mode, (input) => [input.args] as [Record<string, unknown>]),
    parse: mode.guarded ? (args) => parse(kind, name, mode.schema, args) : undefined,
  }
  const table = kind === 'tool' ? state.registry.tools : state.registry.prompts
  table.set(name, entry)
  return key
}

/** What a read callback receives: the URI, and a template's variables. */
const readInput = (input: Registry.Input) => [input.uri as URL, input.variables] as [URL, Variables]

/** @internal Adds (or replaces) a paid resource at one URI. */
export function exact(
  state: State,
  uri: string,
  payment: Payment<[URL, Record<string, string | string[]>]>,
  mode: Mode,
): string {
  let href: string
  try {
    href = Registry.normalise(uri)
  } catch (cause) {
    throw new Paywire.ConfigurationError(`resource URI "${uri}" is not a URL`, { cause })
  }
  const key = keys.resource(href)
  state.registry.resources.set(href, { key, ...common(state, payment, mode, readInput) })
  return key
}

/** @internal Adds (or replaces) a paid resource template under `name`. */
export function templated(
  state: State,
  name: string,
  template: string | UriTemplate | ResourceTemplate,
  payment: Payment<[URL, Record<string, string | string[]>]>,
  mode: Mode,
): string {
  const matcher =
    typeof template === 'object' && 'uriTemplate' in template
      ? template.uriTemplate
      : Registry.template(template)
  const key = keys.template(name)
  state.registry.templates[name] = {
    key,
    template: matcher,
    ...common(state, payment, mode, readInput),
  }
  return key
}

/** @internal Throws unless `uri` is written as the SDK looks resources up. */
export function assertNormalised(uri: string): void {
  let href: string
  try {
    href = Registry.normalise(uri)
  } catch (cause) {
    throw new Paywire.ConfigurationError(`resource URI "${uri}" is not a URL`, { cause })
  }
  if (href !== uri)
    throw new Paywire.ConfigurationError(
      `resource URI "${uri}" must be registered as "${href}": the MCP SDK looks resources up by that form`,
    )
}

/** The route, checked now, and the price computed from the handler's input. */
function common<input extends unknown[]>(
  state: State,
  payment: Payment<input>,
  mode: Mode,
  from: (input: Registry.Input) => input,
): Pick<Registry.Entry, 'route' | 'guarded' | 'price'> {
  const route = payment as unknown as Paywire.Route
  const price = payment.price
  if (!mode.guarded || typeof price !== 'function') {
    state.paywire.checkRoute(route)
    return { route, guarded: mode.guarded, price: undefined }
  }
  // Checked with a placeholder price function (a static price would be checked against the
  // methods' request schemas): the real one is computed from each call's input.
  state.paywire.checkRoute({ ...route, price: () => ({}) })
  return { route, guarded: true, price: (input, offer) => price(...from(input), offer) }
}

/** What McpServer's `validateToolInput` and `prompts/get` handler hand the callback. */
async function parse(
  kind: 'tool' | 'prompt',
  name: string,
  schema: ZodRawShapeCompat | AnySchema | undefined,
  args: Record<string, unknown> | undefined,
): Promise<Registry.Parsed> {
  if (schema === undefined) return { ok: true, args: {} }
  const object = normalizeObjectSchema(schema)
  const parsed = await safeParseAsync(
    (kind === 'tool' ? (object ?? schema) : object) as AnySchema,
    args ?? {},
  )
  if (!parsed.success)
    return {
      ok: false,
      detail: `invalid arguments for ${name}: ${getParseErrorMessage('error' in parsed ? parsed.error : parsed)}`,
    }
  return { ok: true, args: parsed.data as Record<string, unknown> }
}
