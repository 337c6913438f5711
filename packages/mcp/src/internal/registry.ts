// The paid operations of a `Payments` object, and which of them a request reaches,
// resolved exactly as the MCP SDK's `McpServer` resolves it (`server/mcp.js` of
// @modelcontextprotocol/sdk): the request is first read with the SDK's own request schema
// (what fails there is never dispatched), tools and prompts are found by exact name, and a
// resource URI is normalised with `new URL(uri).toString()`, matched against exact
// resources first and then against templates with the SDK's `UriTemplate`, in the order
// the server iterates them (draft-payment-transport-mcp §"MCP Covered Operations").
import { UriTemplate, type Variables } from '@modelcontextprotocol/sdk/shared/uriTemplate.js'
import {
  CallToolRequestSchema,
  GetPromptRequestSchema,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js'
import type { Paywire } from '@paywire/server'

/** @internal The JSON-RPC methods that can be paid. */
export const methods = ['tools/call', 'resources/read', 'prompts/get'] as const

/** @internal One of {@link methods}. */
export type PaidMethod = (typeof methods)[number]

/** @internal What a paid operation's handler receives, from which its price is computed. */
export type Input = {
  /** Tool or prompt arguments as the SDK's schema parsed them (`{}` without a schema). */
  args: Record<string, unknown>
  /** The resource URI as the SDK hands it to a read callback. */
  uri: URL | undefined
  /** The variables of a template match (`{}` for an exact resource). */
  variables: Variables
}

/** @internal A paid operation. */
export type Entry = {
  /** Identity of the operation, e.g. `tools/call forecast`, `resources/read template:maps`. */
  key: string
  route: Paywire.Route
  /** Whether its handler was registered through `Payments` and checks the payment itself. */
  guarded: boolean
  /**
   * The arguments the SDK will hand the handler, or a refusal when it would refuse them
   * (the handler never runs then). Absent: the handler's input is not known (`protect`).
   */
  parse?: ((args: Record<string, unknown> | undefined) => Promise<Parsed>) | undefined
  /** A price computed from the handler's input (the route's `price` is then unused). */
  price?: ((input: Input, offer: Paywire.Offer) => unknown) | undefined
}

/** @internal The outcome of {@link Entry.parse}. */
export type Parsed = { ok: true; args: Record<string, unknown> } | { ok: false; detail: string }

/** @internal A paid resource template and the matcher the SDK uses for it. */
export type TemplateEntry = Entry & { template: UriTemplate }

/** @internal The paid operations of one `Payments` object (every server it serves). */
export type Registry = {
  tools: Map<string, Entry>
  prompts: Map<string, Entry>
  /** Exact resources by their normalised URI (`new URL(uri).toString()`). */
  resources: Map<string, Entry>
  /**
   * Templates by name, in a null-prototype object so that they iterate in the order
   * `Object.values` gives the SDK's own table of templates (integer-like names first).
   */
  templates: Record<string, TemplateEntry>
}

/** @internal An empty registry. */
export function create(): Registry {
  return {
    tools: new Map(),
    prompts: new Map(),
    resources: new Map(),
    templates: Object.create(null) as Record<string, TemplateEntry>,
  }
}

/** @internal The outcome of {@link resolve}. */
export type Resolution =
  | { kind: 'free' }
  | { kind: 'refused'; detail: string }
  | {
      kind: 'paid'
      entry: Entry
      /** The operation's target in the route: the name, or the normalised URI. */
      target: string
      params: Record<string, unknown>
      input: Omit<Input, 'args'> & { args: Record<string, unknown> | undefined }
    }

/**
 * @internal Which paid operation `message` (a JSON-RPC request as the SDK will receive it)
 * reaches. `free` for everything the SDK would not dispatch to a paid handler: other
 * methods, params its schema refuses, unknown names.
 */
export function resolve(registry: Registry, message: Record<string, unknown>): Resolution {
  switch (message.method) {
    case 'tools/call': {
      const parsed = CallToolRequestSchema.safeParse(message)
      if (!parsed.success) return { kind: 'free' }
      const { name, arguments: args } = parsed.data.params
      return named(registry.tools.get(name), name, message, args)
    }
    case 'prompts/get': {
      const parsed = GetPromptRequestSchema.safeParse(message)
      if (!parsed.success) return { kind: 'free' }
      const { name, arguments: args } = parsed.data.params
      return named(registry.prompts.get(name), name, message, args)
    }
    case 'resources/read': {
      const parsed = ReadResourceRequestSchema.safeParse(message)
      if (!parsed.success) return { kind: 'free' }
      return resource(registry, parsed.data.params.uri, message)
    }
    default:
      return { kind: 'free' }
  }
}

function named(
  entry: Entry | undefined,
  name: string,
  message: Record<string, unknown>,
  args: Record<string, unknown> | undefined,
): Resolution {
  // The SDK looks names up in a plain object: an own entry is the only one it dispatches.
  if (entry === undefined) return { kind: 'free' }
  const params = message.params as Record<string, unknown>
  return {
    kind: 'paid',
    entry,
    target: name,
    params,
    input: { args, uri: undefined, variables: {} },
  }
}

function resource(registry: Registry, uri: string, message: Record<string, unknown>): Resolution {
  const paidResources = registry.resources.size > 0 || Object.keys(registry.templates).length > 0
  if (!paidResources) return { kind: 'free' }
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    // The SDK could not resolve it either; refused here so that no handler with its own
    // resolution sees it.
    return { kind: 'refused', detail: 'the resource URI is not a URL' }
  }
  const href = url.toString()
  const params = message.params as Record<string, unknown>
  const exact = registry.resources.get(href)
  if (exact !== undefined)
    return {
      kind: 'paid',
      entry: exact,
      target: href,
      params,
      input: { args: undefined, uri: url, variables: {} },
    }
  for (const entry of Object.values(registry.templates)) {
    let variables: Variables | null
    try {
      variables = entry.template.match(href)
    } catch {
      return { kind: 'refused', detail: 'the resource URI cannot be matched' }
    }
    if (variables !== null)
      return {
        kind: 'paid',
        entry,
        target: href,
        params,
        input: { args: undefined, uri: url, variables },
      }
  }
  return { kind: 'free' }
}

/**
 * @internal The normalised form of a resource URI, as the SDK looks it up.
 * @throws {TypeError} when it is not a URL.
 */
export function normalise(uri: string): string {
  return new URL(uri).toString()
}

/** @internal A URI template from its text, or the SDK's own instance. */
export function template(value: string | UriTemplate): UriTemplate {
  return typeof value === 'string' ? new UriTemplate(value) : value
}
