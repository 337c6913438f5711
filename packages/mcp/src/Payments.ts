// Paid operations on an MCP server (draft-payment-transport-mcp §"MCP Covered
// Operations", §"MCP Capability Advertisement"): declare which tools, resources (by URI or
// URI template) and prompts cost what, wrap the server's transport with the payment gate,
// and advertise the methods in the server's capabilities. Verification is
// @paywire/server's, unchanged: HMAC-bound challenges, single use through the store,
// expiry, the method's verify.
import type {
  McpServer,
  PromptCallback,
  ReadResourceCallback,
  ReadResourceTemplateCallback,
  RegisteredPrompt,
  RegisteredResource,
  RegisteredResourceTemplate,
  RegisteredTool,
  ResourceMetadata,
  ResourceTemplate,
  ToolCallback,
} from '@modelcontextprotocol/sdk/server/mcp.js'
import type { AnySchema, ZodRawShapeCompat } from '@modelcontextprotocol/sdk/server/zod-compat.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import { Paywire } from '@paywire/server'
import * as Binding from './internal/binding.js'
import { gate, type State } from './internal/gate.js'
import { guard } from './internal/guard.js'
import * as Register from './internal/register.js'
import * as Registry from './internal/registry.js'

export { UnpaidCallError } from './internal/guard.js'

/**
 * Payments for one MCP server: the paid operations, the gate, the capabilities.
 *
 * @example
 * ```ts
 * import { Payments } from '@paywire/mcp'
 * declare const payments: Payments.Payments
 * payments.capabilities // { experimental: { payment: { methods: { test: { intents: ['charge'] } } } } }
 * ```
 */
export type Payments = {
  /** The server core that decides every paid request (its binding key is the gate's own). */
  readonly paywire: Paywire.Paywire
  /** Server capabilities advertising the payment methods (pass to `new McpServer`). */
  readonly capabilities: Capabilities
  /**
   * Registers a paid tool (as `server.registerTool`, with `payment` added to the config),
   * priced from the arguments as its input schema parses them. The handler runs only for a
   * payment verified for this call.
   */
  tool<
    OutputArgs extends ZodRawShapeCompat | AnySchema,
    InputArgs extends undefined | ZodRawShapeCompat | AnySchema = undefined,
  >(
    server: McpServer,
    name: string,
    config: ToolConfig<InputArgs, OutputArgs>,
    handler: ToolCallback<InputArgs>,
  ): RegisteredTool
  /**
   * Registers a paid resource (as `server.registerResource`): at one URI, or every URI a
   * `ResourceTemplate` matches. The read callback runs only for a verified payment.
   */
  resource(
    server: McpServer,
    name: string,
    uri: string,
    config: ResourceConfig,
    read: ReadResourceCallback,
  ): RegisteredResource
  resource(
    server: McpServer,
    name: string,
    template: ResourceTemplate,
    config: ResourceConfig,
    read: ReadResourceTemplateCallback,
  ): RegisteredResourceTemplate
  /** Registers a paid prompt (as `server.registerPrompt`), priced from its parsed arguments. */
  prompt<Args extends ZodRawShapeCompat>(
    server: McpServer,
    name: string,
    config: PromptConfig<Args>,
    callback: PromptCallback<Args>,
  ): RegisteredPrompt
  /**
   * Marks an operation registered on the server by other means as paid: `tools/call` or
   * `prompts/get` by name, `resources/read` by URI or URI template. Its handler is not
   * guarded: check `payments.payment(extra)` in it. Marking it again replaces its route.
   */
  protect(operation: Operation, route: Paywire.Route): void
  /** Wraps a server transport with the payment gate; connect the server to what it returns. */
  transport(inner: Transport): Transport
  /** The verified payment of the request being handled (from the handler's `extra`). */
  payment(extra: { _meta?: object | undefined }): Paywire.Payment | undefined
}

/**
 * A paid operation: `tools/call` and `prompts/get` by name, `resources/read` by URI or by
 * URI template (RFC 6570, matched as the MCP SDK matches it).
 * @example
 * ```ts
 * import type { Payments } from '@paywire/mcp'
 * const radar: Payments.Operation = { method: 'resources/read', uri: 'data://premium/radar' }
 * const maps: Payments.Operation = { method: 'resources/read', template: 'data://premium/maps/{region}' }
 * ```
 */
export type Operation =
  | { method: 'tools/call'; name: string }
  | { method: 'prompts/get'; name: string }
  | { method: 'resources/read'; uri: string }
  | { method: 'resources/read'; template: string; name?: string | undefined }

/**
 * What a paid tool costs: a route of @paywire/server whose price may be a function of the
 * arguments as the tool's input schema parsed them (what the handler receives).
 * @example
 * ```ts
 * import type { Payments } from '@paywire/mcp'
 * const payment: Payments.ToolPayment = {
 *   price: (args) => ({ amount: args.city === 'Paris' ? '150' : '100' }),
 *   settle: 'after-success',
 * }
 * ```
 */
export type ToolPayment = Register.Payment<[args: Record<string, unknown>]>

/**
 * What a paid resource costs: its price may be a function of the URI and, for a
 * template, its variables.
 * @example
 * ```ts
 * import type { Payments } from '@paywire/mcp'
 * const payment: Payments.ResourcePayment = {
 *   price: (_uri, variables) => ({ amount: variables.region === 'world' ? '50' : '5' }),
 * }
 * ```
 */
export type ResourcePayment = Register.Payment<
  [uri: URL, variables: Record<string, string | string[]>]
>

/**
 * `McpServer.registerTool`'s config with the tool's `payment`.
 * @example
 * ```ts
 * import type { Payments } from '@paywire/mcp'
 * const config: Payments.ToolConfig<undefined, never> = { description: 'Alerts', payment: { price: { amount: '10' } } }
 * ```
 */
export type ToolConfig<InputArgs, OutputArgs> = {
  title?: string
  description?: string
  inputSchema?: InputArgs
  outputSchema?: OutputArgs
  annotations?: Record<string, unknown>
  _meta?: Record<string, unknown>
  payment: ToolPayment
}

/**
 * `McpServer.registerResource`'s metadata with the resource's `payment`.
 * @example
 * ```ts
 * import type { Payments } from '@paywire/mcp'
 * const config: Payments.ResourceConfig = { mimeType: 'image/png', payment: { price: { amount: '5' } } }
 * ```
 */
export type ResourceConfig = ResourceMetadata & { payment: ResourcePayment }

/**
 * `McpServer.registerPrompt`'s config with the prompt's `payment`.
 * @example
 * ```ts
 * import type { Payments } from '@paywire/mcp'
 * const config: Payments.PromptConfig<undefined> = { description: 'A briefing', payment: { price: { amount: '1' } } }
 * ```
 */
export type PromptConfig<Args> = {
  title?: string
  description?: string
  argsSchema?: Args
  payment: ToolPayment
}

/**
 * The `capabilities` member advertising payment support.
 * @example
 * ```ts
 * import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
 * import type { Payments } from '@paywire/mcp'
 * declare const capabilities: Payments.Capabilities
 * new McpServer({ name: 'weather', version: '1.0.0' }, { capabilities })
 * ```
 */
export type Capabilities = {
  experimental: { payment: { methods: Record<string, { intents: string[] }> } }
}

/**
 * Creates the payments of an MCP server, with the options of `Paywire.create` (realm,
 * secret, methods, store, ...). Two differences: challenges are bound under a key derived
 * from `secret` (an HTTP paywire with the same realm and secret never accepts the gate's
 * challenges, nor the reverse), and `plaintext` defaults to `'refuse'`: over a network
 * transport (Streamable HTTP) a payment needs TLS, and plain HTTP on a loopback host is
 * allowed only with `plaintext: 'loopback'` (stdio and in-memory transports are local).
 * Throws as `Paywire.create` does for a configuration that could not protect money.
 *
 * @example
 * ```ts
 * import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
 * import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
 * import { Payments } from '@paywire/mcp'
 * import { MemoryStore } from '@paywire/store-memory'
 * import { TestMethod } from '@paywire/testkit'
 *
 * const payments = Payments.create({
 *   realm: 'tools.example.com',
 *   secret: process.env.PAYWIRE_SECRET_KEY,
 *   methods: [TestMethod.server({ key: 'shared-test-key' })],
 *   allowTestMethods: true,
 *   store: MemoryStore.create(),
 * })
 * const server = new McpServer({ name: 'weather', version: '1.0.0' }, { capabilities: payments.capabilities })
 * payments.tool(server, 'forecast', { description: 'Tomorrow', payment: { price: { amount: '100' } } }, () => ({
 *   content: [{ type: 'text', text: 'sunny' }],
 * }))
 * const [serverSide] = InMemoryTransport.createLinkedPair()
 * await server.connect(payments.transport(serverSide))
 * ```
 */
export function create(options: create.Options): Payments {
  const paywire = Paywire.create(Binding.options(options))
  const state: State = { paywire, registry: Registry.create(), dispatched: new WeakMap() }
  return {
    paywire,
    capabilities: capabilities(options.methods),
    transport: (inner) => gate(inner, state),
    payment: (extra) => {
      const meta = extra._meta
      return meta === undefined ? undefined : state.dispatched.get(meta)?.paid.payment
    },
    protect: (operation, route) => protect(state, operation, route),
    tool(server, name, config, handler) {
      const { payment, ...toolConfig } = config
      const key = Register.named(state, 'tool', name, payment, {
        guarded: true,
        schema: config.inputSchema,
      })
      return server.registerTool(
        name,
        toolConfig as Parameters<McpServer['registerTool']>[1],
        guard(state, key, handler as ToolCallback<undefined>),
      )
    },
    resource(
      server: McpServer,
      name: string,
      uriOrTemplate: string | ResourceTemplate,
      config: ResourceConfig,
      read: ReadResourceCallback | ReadResourceTemplateCallback,
    ) {
      const { payment, ...metadata } = config
      if (typeof uriOrTemplate === 'string') {
        Register.assertNormalised(uriOrTemplate)
        const key = Register.exact(state, uriOrTemplate, payment, { guarded: true })
        return server.registerResource(
          name,
          uriOrTemplate,
          metadata,
          guard(state, key, read as ReadResourceCallback),
        )
      }
      const key = Register.templated(state, name, uriOrTemplate, payment, { guarded: true })
      return server.registerResource(
        name,
        uriOrTemplate,
        metadata,
        guard(state, key, read as ReadResourceTemplateCallback),
      )
    },
    prompt(server, name, config, callback) {
      const { payment, ...promptConfig } = config
      const key = Register.named(state, 'prompt', name, payment, {
        guarded: true,
        schema: config.argsSchema,
      })
      return server.registerPrompt(
        name,
        promptConfig,
        guard(state, key, callback as PromptCallback<ZodRawShapeCompat>) as typeof callback,
      )
    },
  } as Payments
}

export declare namespace create {
  type Options = Paywire.create.Options
}

/**
 * The capabilities object advertising methods and intents (in `InitializeResult` for a
 * server, in `InitializeRequest` for a client).
 *
 * @example
 * ```ts
 * import { Payments } from '@paywire/mcp'
 * Payments.capabilities([{ method: 'tempo', intent: 'charge' }, { method: 'stripe', intent: 'charge' }])
 * // { experimental: { payment: { methods: { tempo: { intents: ['charge'] }, stripe: { intents: ['charge'] } } } } }
 * ```
 */
export function capabilities(
  methods: ReadonlyArray<{ method: string; intent: string }>,
): Capabilities {
  const table: Record<string, { intents: string[] }> = {}
  for (const { method, intent } of methods) {
    const entry = table[method] ?? { intents: [] }
    if (!entry.intents.includes(intent)) entry.intents.push(intent)
    table[method] = entry
  }
  return { experimental: { payment: { methods: table } } }
}

/** `protect`: an operation registered elsewhere, priced by its route as it is. */
function protect(state: State, operation: Operation, route: Paywire.Route): void {
  // biome-ignore lint/suspicious/noExplicitAny: a protect route's price takes the request
  const payment = route as Register.Payment<any>
  const unguarded = { guarded: false } as const
  if (operation.method === 'resources/read') {
    if ('template' in operation)
      Register.templated(
        state,
        operation.name ?? operation.template,
        operation.template,
        payment,
        unguarded,
      )
    else Register.exact(state, operation.uri, payment, unguarded)
    return
  }
  const kind = operation.method === 'tools/call' ? 'tool' : 'prompt'
  Register.named(state, kind, operation.name, payment, unguarded)
}
