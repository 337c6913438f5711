// The paid side: an MCP server with one paid tool (`forecast`, 0.25 USD a call with the
// test method) and one free tool, served over MCP's Streamable HTTP transport.
import { createServer } from 'node:http'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { Payments } from '@paywire/mcp'
import { MemoryStore } from '@paywire/store-memory'
import { FreePort, TestMethod } from '@paywire/testkit'
import { z } from 'zod'

/** The key the test method shares between the tool and the agent (it moves no money). */
export const testKey = 'example-shared-test-key'

/** Starts the paid tool server on 127.0.0.1; resolves its MCP endpoint and `close`. */
export async function start() {
  const payments = Payments.create({
    realm: 'weather.example',
    secret: 'example-secret-of-at-least-thirty-two-bytes',
    // Replace with a real method (e.g. @paywire/method-tempo) to move real money.
    methods: [TestMethod.server({ key: testKey })],
    allowTestMethods: true,
    store: MemoryStore.create(),
    // Plain HTTP on 127.0.0.1 for the example; in production serve the MCP endpoint over
    // HTTPS and drop this line (a payment over a network transport needs TLS).
    plaintext: 'loopback',
  })
  // Stateless Streamable HTTP: one MCP server and transport per request.
  const http = createServer(async (req, res) => {
    const server = new McpServer(
      { name: 'weather', version: '1.0.0' },
      { capabilities: payments.capabilities },
    )
    payments.tool(
      server,
      'forecast',
      {
        description: "Tomorrow's weather in a city",
        inputSchema: { city: z.string() },
        payment: { price: { amount: '25', currency: 'usd' }, description: 'One forecast' },
      },
      ({ city }, extra) => ({
        content: [{ type: 'text', text: `Tomorrow in ${city}: sunny, 21°C` }],
        _meta: { paidWith: payments.payment(extra)?.method },
      }),
    )
    server.registerTool('ping', { description: 'Free' }, () => ({
      content: [{ type: 'text', text: 'pong' }],
    }))
    const transport = new StreamableHTTPServerTransport({})
    res.on('close', () => {
      void transport.close()
      void server.close()
    })
    await server.connect(payments.transport(transport))
    await transport.handleRequest(req, res)
  })
  const listening = await FreePort.listen(http)
  return { url: `${listening.url}/mcp`, origin: listening.url, close: listening.close }
}
