// Real MCP SDK servers and clients for the end-to-end tests: one paid server definition,
// connected over the SDK's in-memory transport, its Streamable HTTP transport (stateless,
// a server per request; or with sessions) and stdio (a child process, see stdio-server.ts).
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import { McpError } from '@modelcontextprotocol/sdk/types.js'
import type { Store } from '@paywire/core'
import type { Paywire } from '@paywire/server'
import { MemoryStore } from '@paywire/store-memory'
import { FreePort, TestMethod } from '@paywire/testkit'
import { z } from 'zod'
import * as Payments from '../Payments.js'
import * as Effects from './effects.js'

export const key = 'shared-test-key'
export const realm = 'tools.example.com'
export const secret = 'a-test-secret-that-is-at-least-32-bytes-long'

/** A clock the tests can move. */
export type Clock = { now: number }

export type Options = {
  clock?: Clock
  logger?: Paywire.create.Options['logger']
  hooks?: Paywire.Hooks
  settle?: Paywire.SettleMode
  store?: Store.Store
  plaintext?: Paywire.create.Options['plaintext']
  /** Where the server counts handler runs and settlements (one per server by default). */
  effects?: Effects.Effects
  /** The method offered in place of the test method (e.g. one that holds money). */
  method?: ReturnType<typeof TestMethod.server>
}

/** The payments of the test server. */
export function payments(options: Options = {}) {
  const clock = options.clock
  const effects = options.effects
  const onSettled = options.hooks?.onSettled
  return Payments.create({
    realm,
    secret,
    methods: [options.method ?? TestMethod.server({ key })],
    allowTestMethods: true,
    store: options.store ?? MemoryStore.create(),
    ...(clock === undefined ? {} : { now: () => clock.now }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.plaintext === undefined ? {} : { plaintext: options.plaintext }),
    hooks: {
      ...options.hooks,
      onSettled: (event) => {
        effects?.settle(event.payment.challengeId)
        return onSettled?.(event)
      },
    },
  })
}

/**
 * A server with paid tools (`forecast` priced by its parsed city, `alerts`, `deploy`
 * settled after success, which can hold until `release` and fail on demand), free tools
 * (`echo`, `release`, `effects`), paid resources (an exact URI, an `https:` URI, a
 * template), a free resource and a paid prompt.
 */
export function server(paid: Payments.Payments, options: Options = {}): McpServer {
  const effects = options.effects ?? Effects.create()
  const mcp = new McpServer(
    { name: 'weather', version: '1.0.0' },
    { capabilities: { ...paid.capabilities, resources: {}, prompts: {} } },
  )
  paid.tool(
    mcp,
    'forecast',
    {
      description: 'Tomorrow in a city',
      inputSchema: { city: z.string().trim() },
      payment: {
        price: (args) => ({ amount: args.city === 'Paris' ? '150' : '100' }),
        description: 'One forecast',
        ...(options.settle === undefined ? {} : { settle: options.settle }),
      },
    },
    ({ city }, extra) => {
      effects.ran('forecast')
      const payment = paid.payment(extra)
      if (city === 'Atlantis')
        return { content: [{ type: 'text', text: 'no such city' }], isError: true }
      return {
        content: [{ type: 'text', text: `sunny in ${city} (paid ${payment?.request.amount})` }],
      }
    },
  )
  paid.tool(
    mcp,
    'alerts',
    { description: 'Weather alerts', payment: { price: { amount: '10' } } },
    () => {
      effects.ran('alerts')
      return { content: [{ type: 'text', text: 'no alerts' }] }
    },
  )
  paid.tool(
    mcp,
    'deploy',
    {
      description: 'A side effect, paid only when it succeeds',
      inputSchema: { hold: z.boolean().optional(), fail: z.boolean().optional() },
      payment: { price: { amount: '20' }, settle: 'after-success' },
    },
    async ({ hold, fail }, extra) => {
      effects.ran('deploy')
      const progressToken = extra._meta?.progressToken
      if (progressToken !== undefined)
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken, progress: 1 },
        })
      if (hold === true) await effects.hold()
      if (fail === true)
        return { content: [{ type: 'text', text: 'deploy failed' }], isError: true }
      return { content: [{ type: 'text', text: 'deployed' }] }
    },
  )
  free(mcp, effects)
  resources(paid, mcp, effects)
  paid.prompt(
    mcp,
    'briefing',
    { description: 'A weather briefing', payment: { price: { amount: '1' } } },
    () => {
      effects.ran('briefing')
      return {
        messages: [{ role: 'user', content: { type: 'text', text: 'Brief me on the weather.' } }],
      }
    },
  )
  return mcp
}

function free(mcp: McpServer, effects: Effects.Effects): void {
  mcp.registerTool('echo', { inputSchema: { text: z.string() } }, ({ text }) => ({
    content: [{ type: 'text', text }],
    _meta: { 'org.paymentauth/receipt': { status: 'success', forged: true } },
  }))
  mcp.registerTool('release', { description: 'Lets every held deploy finish' }, () => ({
    content: [{ type: 'text', text: String(effects.release()) }],
  }))
  mcp.registerTool('effects', { description: 'What the paid handlers did' }, () => ({
    content: [{ type: 'text', text: JSON.stringify(effects.snapshot()) }],
  }))
}

/**
 * Paid resources: `radar` (an exact URI) and `maps` (a template) registered through
 * `payments.resource` (guarded), `q1` registered on the server and marked with `protect`.
 */
function resources(paid: Payments.Payments, mcp: McpServer, effects: Effects.Effects): void {
  paid.resource(
    mcp,
    'radar',
    'data://premium/radar',
    { payment: { price: { amount: '5' } } },
    (uri) => {
      effects.ran('radar')
      return { contents: [{ uri: uri.href, text: 'radar image' }] }
    },
  )
  mcp.registerResource('q1', 'https://data.example.com/reports/q1', {}, (uri, extra) => {
    if (paid.payment(extra) === undefined) throw new Error('q1 read without a payment')
    effects.ran('q1')
    return { contents: [{ uri: uri.href, text: 'quarterly report' }] }
  })
  paid.protect(
    { method: 'resources/read', uri: 'https://data.example.com/reports/q1' },
    { price: { amount: '7' } },
  )
  paid.resource(
    mcp,
    'maps',
    new ResourceTemplate('data://premium/maps/{region}', { list: undefined }),
    {
      payment: {
        price: (_uri, variables) => ({ amount: variables.region === 'world' ? '50' : '5' }),
      },
    },
    (uri, variables) => {
      effects.ran('maps')
      return { contents: [{ uri: uri.href, text: `map of ${String(variables.region)}` }] }
    },
  )
  mcp.registerResource('info', 'data://free/info', {}, (uri) => ({
    contents: [{ uri: uri.href, text: 'free info' }],
  }))
}

/** A connected pair over the SDK's in-memory transport. */
export async function inMemory(options: Options = {}) {
  const effects = options.effects ?? Effects.create()
  const paid = payments({ ...options, effects })
  const connect = async (transport: Transport, gated = true) => {
    const mcp = server(paid, { ...options, effects })
    await mcp.connect(gated ? paid.transport(transport) : transport)
    return mcp
  }
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
  const mcp = await connect(serverSide)
  const client = new Client({ name: 'agent', version: '1.0.0' })
  await client.connect(clientSide)
  return {
    client,
    paid,
    effects,
    url: `https://${realm}/mcp`,
    insecureOrigins: [] as string[],
    /** A client-side transport to a new server connection (`gated: false` skips the gate). */
    async open(gated = true): Promise<Transport> {
      const [near, far] = InMemoryTransport.createLinkedPair()
      await connect(far, gated)
      return near
    },
    close: async () => {
      await client.close()
      await mcp.close()
    },
  }
}

/**
 * A connected pair over Streamable HTTP on loopback (plain HTTP, allowed by opting in
 * with `plaintext: 'loopback'`): a stateless server built per request, or one transport
 * per session (`sessions: true`).
 */
export async function streamableHttp(options: Options & { sessions?: boolean } = {}) {
  const effects = options.effects ?? Effects.create()
  const configured = { plaintext: 'loopback' as const, ...options, effects }
  const paid = payments(configured)
  const handle =
    options.sessions === true ? sessions(paid, configured) : stateless(paid, configured)
  const listening = await FreePort.listen(createServer(handle))
  const url = `${listening.url}/mcp`
  const client = new Client({ name: 'agent', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(url)) as Transport)
  return {
    client,
    paid,
    effects,
    url,
    insecureOrigins: [listening.url],
    async open(): Promise<Transport> {
      return new StreamableHTTPClientTransport(new URL(url)) as Transport
    },
    close: async () => {
      await client.close()
      await listening.close()
    },
  }
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>

function stateless(paid: Payments.Payments, options: Options): Handler {
  return async (req, res) => {
    const mcp = server(paid, options)
    const transport = new StreamableHTTPServerTransport({})
    res.on('close', () => {
      if (!res.writableFinished) options.effects?.abort()
      void transport.close()
      void mcp.close()
    })
    await mcp.connect(paid.transport(transport))
    await transport.handleRequest(req, res)
  }
}

function sessions(paid: Payments.Payments, options: Options): Handler {
  const open = new Map<string, StreamableHTTPServerTransport>()
  return async (req, res) => {
    const id = req.headers['mcp-session-id']
    const known = typeof id === 'string' ? open.get(id) : undefined
    if (known !== undefined) return known.handleRequest(req, res)
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (session) => void open.set(session, transport),
      onsessionclosed: (session) => void open.delete(session),
    })
    await server(paid, options).connect(paid.transport(transport))
    await transport.handleRequest(req, res)
  }
}

export type Connection = Awaited<ReturnType<typeof inMemory>>

/** The McpError a call through the SDK client is refused with. */
export async function refusal(call: Promise<unknown>): Promise<McpError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  if (!(error instanceof McpError)) throw new Error(`expected an McpError, got ${String(error)}`)
  return error
}

export const transports = [
  ['in-memory', inMemory],
  ['Streamable HTTP', streamableHttp],
] as const
