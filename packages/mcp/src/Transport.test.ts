// Over a network transport a payment needs TLS (draft-payment-transport-mcp §"Transport
// Security"): Streamable HTTP over HTTPS pays as usual; plain HTTP is refused before any
// challenge or credential is read, unless plaintext on loopback was allowed explicitly.
import { createServer } from 'node:https'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import { FreePort } from '@paywire/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import type * as RpcError from './RpcError.js'
import * as Fixture from './test/fixture.js'
import * as Https from './test/https.js'
import * as Raw from './test/raw.js'

const closing: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of closing.splice(0)) await close()
})

describe('a paid tool over Streamable HTTP', () => {
  it('refuses plain HTTP by default, on loopback too, with no challenge {mcp.transport.tls}', async () => {
    const connection = await Fixture.streamableHttp({ plaintext: undefined })
    closing.push(connection.close)
    const error = await Fixture.refusal(
      connection.client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } }),
    )
    expect(error.code).toBe(-32000)
    expect(error.data).toMatchObject({ httpStatus: 403 })
    expect((error.data as RpcError.Data).challenges).toBeUndefined()
    expect(connection.effects.snapshot().runs.forecast).toBeUndefined()
  })

  it("accepts plain HTTP on loopback only with plaintext: 'loopback'", async () => {
    const connection = await Fixture.streamableHttp({ plaintext: 'loopback' })
    closing.push(connection.close)
    const error = await Fixture.refusal(
      connection.client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } }),
    )
    expect(error.code).toBe(-32042)
  })

  it('pays over HTTPS with the default configuration {mcp.transport.tls}', async () => {
    const { key, cert } = Https.certificate()
    const effects = (await import('./test/effects.js')).create()
    const paid = Fixture.payments({ effects })
    const https = createServer({ key, cert }, async (req, res) => {
      const mcp = Fixture.server(paid, { effects })
      const transport = new StreamableHTTPServerTransport({})
      res.on('close', () => void mcp.close())
      await mcp.connect(paid.transport(transport))
      await transport.handleRequest(req, res)
    })
    const listening = await FreePort.listen(https as never)
    closing.push(listening.close)
    const url = new URL(`https://localhost:${listening.port}/mcp`)
    const transport = new StreamableHTTPClientTransport(url, {
      fetch: Https.fetchTrusting(cert),
    }) as Transport
    const raw = await Raw.open(transport)
    closing.push(() => raw.close())
    const offered = await raw.call('forecast', { city: 'Oslo' })
    expect(offered.error?.code).toBe(-32042)
    const credential = await Raw.pay(offered)
    const answer = await raw.call('forecast', { city: 'Oslo' }, Raw.paying(credential))
    expect(answer.result?._meta?.['org.paymentauth/receipt']).toMatchObject({ status: 'success' })
  })
})
