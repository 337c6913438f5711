// The paying side: an agent that calls the paid tool under a spending policy (at most
// 0.30 USD a call, 0.60 USD a day), with a ledger of what it paid.
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import { Payer, Payments } from '@paywire/mcp'
import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'
import { testKey } from './tool.js'

/** Connects an agent to the tool server at `url` (an http: origin allowed for this demo). */
export async function connect(url: string, origin: string) {
  const methods = [TestMethod.client({ key: testKey, source: 'did:example:agent' })]
  const client = new Client(
    { name: 'agent', version: '1.0.0' },
    { capabilities: Payments.capabilities(methods) },
  )
  await client.connect(new StreamableHTTPClientTransport(new URL(url)) as Transport)
  const payer = Payer.create({
    client,
    url,
    insecureOrigins: [origin], // local demo only: credentials otherwise go over https only
    methods,
    policy: {
      currencies: { usd: { maxAmount: '30' } },
      budgets: [{ currency: 'usd', amount: '60', window: 'day', scope: 'total' }],
      realms: ['weather.example'],
    },
    store: MemoryStore.create(),
  })
  return { client, payer }
}
