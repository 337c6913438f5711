// Real MCP SDK servers and clients for the end-to-end tests: one paid server definition,
// connected over the SDK's in-memory transport or its Streamable HTTP transport.
import { createServer } from 'node:http'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { Store } from '@paywire/core'
import type { Paywire } from '@paywire/server'
import { MemoryStore } from '@paywire/store-memory'
import { FreePort, TestMethod } from '@paywire/testkit'
import { z } from 'zod'
import * as Payments from '../Payments.js'

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
}

/** The payments of the test server: a paid `forecast` tool, a free `echo`, a paid resource. */
export function payments(options: Options = {}) {
  const clock = options.clock
  return Payments.create({
    realm,
    secret,
    methods: [TestMethod.server({ key })],
    allowTestMethods: true,
    store: options.store ?? MemoryStore.create(),
    ...(clock === undefined ? {} : { now: () => clock.now }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.hooks === undefined ? {} : { hooks: options.hooks }),
  })
}

/** A server with its tools registered through `payments`. */
export function server(paid: Payments.Payments, options: Options = {}): McpServer {
  const mcp = new McpServer(
    { name: 'weather', version: '1.0.0' },
    { capabilities: { ...paid.capabilities, resources: {}, prompts: {} } },
  )
  paid.tool(
    mcp,
    'forecast',
    {
      description: 'Tomorrow in a city',
      inputSchema: { city: z.string() },
      payment: {
        price: (args) => ({ amount: args.city === 'Paris' ? '150' : '100' }),
        description: 'One forecast',
        ...(options.settle === undefined ? {} : { settle: options.settle }),
      },
    },
    ({ city }, extra) => {
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
    () => ({ content: [{ type: 'text', text: 'no alerts' }] }),
  )
  mcp.registerTool('echo', { inputSchema: { text: z.string() } }, ({ text }) => ({
    content: [{ type: 'text', text }],
    _meta: { 'org.paymentauth/receipt': { status: 'success', forged: true } },
  }))
  mcp.registerResource('radar', 'data://premium/radar', {}, (uri) => ({
    contents: [{ uri: uri.href, text: 'radar image' }],
  }))
  paid.protect(
    { method: 'resources/read', uri: 'data://premium/radar' },
    { price: { amount: '5' } },
  )
  mcp.registerPrompt('briefing', { description: 'A weather briefing' }, () => ({
    messages: [{ role: 'user', content: { type: 'text', text: 'Brief me on the weather.' } }],
  }))
  paid.protect({ method: 'prompts/get', name: 'briefing' }, { price: { amount: '1' } })
  return mcp
}

/** A connected pair over the SDK's in-memory transport. */
export async function inMemory(options: Options = {}) {
  const paid = payments(options)
  const mcp = server(paid, options)
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
  await mcp.connect(paid.transport(serverSide))
  const client = new Client({ name: 'agent', version: '1.0.0' })
  await client.connect(clientSide)
  return {
    client,
    paid,
    url: `https://${realm}/mcp`,
    insecureOrigins: [] as string[],
    close: async () => {
      await client.close()
      await mcp.close()
    },
  }
}

/** A connected pair over Streamable HTTP: a stateless server built per request. */
export async function streamableHttp(options: Options = {}) {
  const paid = payments(options)
  const http = createServer(async (req, res) => {
    const mcp = server(paid, options)
    const transport = new StreamableHTTPServerTransport({})
    res.on('close', () => {
      void transport.close()
      void mcp.close()
    })
    await mcp.connect(paid.transport(transport))
    await transport.handleRequest(req, res)
  })
  const listening = await FreePort.listen(http)
  const url = `${listening.url}/mcp`
  const client = new Client({ name: 'agent', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(url)) as Transport)
  return {
    client,
    paid,
    url,
    insecureOrigins: [listening.url],
    close: async () => {
      await client.close()
      await listening.close()
    },
  }
}

export type Connection = Awaited<ReturnType<typeof inMemory>>

export const transports = [
  ['in-memory', inMemory],
  ['Streamable HTTP', streamableHttp],
] as const
