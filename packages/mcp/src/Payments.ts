// Paid operations on an MCP server (draft-payment-transport-mcp §"MCP Covered
// Operations", §"MCP Capability Advertisement"): declare which tools (or resources, or
// prompts) cost what, wrap the server's transport with the payment gate, and advertise
// the methods in the server's capabilities. Verification is @paywire/server's, unchanged:
// HMAC-bound challenges, single use through the store, expiry, the method's verify.
import type {
  McpServer,
  RegisteredTool,
  ToolCallback,
} from '@modelcontextprotocol/sdk/server/mcp.js'
import type { AnySchema, ZodRawShapeCompat } from '@modelcontextprotocol/sdk/server/zod-compat.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import { Errors } from '@paywire/core'
import { Paywire } from '@paywire/server'
import { gate, type State } from './internal/gate.js'
import * as Wire from './Wire.js'

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
  /** The server core that decides every paid request. */
  readonly paywire: Paywire.Paywire
  /** Server capabilities advertising the payment methods (pass to `new McpServer`). */
  readonly capabilities: Capabilities
  /**
   * Registers a paid tool on an `McpServer` (as `server.registerTool`, with `payment`
   * added to the config). The handler runs only for a verified payment.
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
   * Marks any operation as paid: `tools/call` or `prompts/get` by name, `resources/read`
   * by URI. Register the operation on the server as usual. Marking it again replaces its
   * route (for servers built once per request).
   */
  protect(operation: Operation, route: Paywire.Route): void
  /** Wraps a server transport with the payment gate; connect the server to what it returns. */
  transport(inner: Transport): Transport
  /** The verified payment of the request being handled (from the handler's `extra`). */
  payment(extra: { _meta?: Record<string, unknown> | undefined }): Paywire.Payment | undefined
}

/**
 * A paid operation: `tools/call` and `prompts/get` by name, `resources/read` by URI.
 * @example
 * ```ts
 * import type { Payments } from '@paywire/mcp'
 * const radar: Payments.Operation = { method: 'resources/read', uri: 'data://premium/radar' }
 * ```
 */
export type Operation =
  | { method: 'tools/call'; name: string }
  | { method: 'prompts/get'; name: string }
  | { method: 'resources/read'; uri: string }

/**
 * What a paid tool costs: a route of @paywire/server whose price is read from the arguments.
 * @example
 * ```ts
 * import type { Payments } from '@paywire/mcp'
 * const payment: Payments.ToolPayment = {
 *   price: (args) => ({ amount: args.city === 'Paris' ? '150' : '100' }),
 *   settle: 'after-success',
 * }
 * ```
 */
export type ToolPayment = Omit<Paywire.Route, 'price'> & {
  /** The methods' input (e.g. `{ amount: '100' }`), or a function of the tool's arguments. */
  price:
    | Record<string, unknown>
    | ((args: Record<string, unknown>, offer: Paywire.Offer) => unknown | Promise<unknown>)
}

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
 * Creates the payments of an MCP server, with the same options as `Paywire.create`
 * (realm, secret, methods, store, ...). Throws as `Paywire.create` does for a
 * configuration that could not protect money.
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
  const paywire = Paywire.create(options)
  const state: State = { paywire, routes: new Map(), verified: new Map() }
  const payment: Payments['payment'] = (extra) => {
    const credential = extra._meta?.[Wire.credentialKey] as { challenge?: { id?: unknown } }
    const id = credential?.challenge?.id
    return typeof id === 'string' ? state.verified.get(id) : undefined
  }
  const protect = (operation: Operation, route: Paywire.Route) => {
    paywire.checkRoute(route)
    const name = operation.method === 'resources/read' ? operation.uri : operation.name
    // Registering again (a server built per request) replaces the price.
    state.routes.set(`${operation.method} ${name}`, route)
  }
  return {
    paywire,
    capabilities: capabilities(options.methods),
    protect,
    transport: (inner) => gate(inner, state),
    payment,
    tool(server, name, config, handler) {
      const { payment: route, ...toolConfig } = config
      protect({ method: 'tools/call', name }, toRoute(route))
      // Defence in depth: without the gate (or with a forged `_meta`) no payment is
      // recorded for the request, and the handler does not run.
      const guarded = (...args: unknown[]) => {
        const extra = args.at(-1) as { _meta?: Record<string, unknown> }
        if (payment(extra) === undefined)
          throw new UnpaidCallError(
            `tool ${name} reached without a verified payment; connect the server through payments.transport()`,
          )
        return (handler as (...args: unknown[]) => unknown)(...args)
      }
      return server.registerTool(
        name,
        toolConfig as Parameters<McpServer['registerTool']>[1],
        guarded as ToolCallback<undefined>,
      )
    },
  }
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

function toRoute(payment: ToolPayment): Paywire.Route {
  const { price } = payment
  if (typeof price !== 'function') return payment
  const priceOf = price as (args: Record<string, unknown>, offer: Paywire.Offer) => unknown
  return {
    ...payment,
    price: async (request: Request, offer: Paywire.Offer) => {
      const { arguments: args } = (await request.json()) as { arguments?: Record<string, unknown> }
      return priceOf(args ?? {}, offer)
    },
  }
}

/**
 * Raised (and turned by the MCP SDK into an error result) when a paid tool's handler is
 * reached without a payment the gate verified: the server was connected without
 * `payments.transport()`, or a request forged `_meta`.
 *
 * @example
 * ```ts
 * import { Payments } from '@paywire/mcp'
 * const error = new Payments.UnpaidCallError('tool forecast reached without a verified payment')
 * error.code // 'ERR_MCP_UNPAID_CALL'
 * ```
 */
export class UnpaidCallError extends Errors.BaseError {
  override readonly name = 'Payments.UnpaidCallError'
  readonly code = 'ERR_MCP_UNPAID_CALL'
  readonly problem = undefined
}
