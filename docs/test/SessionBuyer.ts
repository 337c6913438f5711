// What the session fixtures share in a block's process: a paid route over a block's (or a
// fixture's) session server, and an agent that buys from it through `@paywire/client` and
// the session client, on the block's accounts of the shared local node.
import { Client } from '@paywire/client'
import { Secret } from '@paywire/core'
import {
  Client as SessionClient,
  Server as SessionServer,
  type Sessions,
  Stream,
} from '@paywire/method-tempo-session'
import { Paywire } from '@paywire/server'
import { MemoryStore } from '@paywire/store-memory'
import type { Hex } from 'viem'
import * as LocalTempo from './LocalTempo.js'

type Local = LocalTempo.Local
type Handler = (request: Request) => Promise<Response>

/** A paywire server taking the session method over `sessions` (0 units a request: metering). */
export function paywire(local: Local, sessions: Sessions.Sessions, unitsPerRequest = 1n) {
  return Paywire.create({
    realm: 'api.example.com',
    secret: Secret.generate(),
    store: MemoryStore.create(),
    methods: [
      SessionServer.server({
        sessions,
        chainId: local.chainId,
        escrow: local.escrow,
        currency: LocalTempo.alphaUsd,
        recipient: local.payee.address,
        unitsPerRequest,
      }),
    ],
  })
}

/** A metered route: `count` tokens at 100 each, over `paywire` and `sessions`. */
export function generate(paywire: Paywire.Paywire, sessions: Sessions.Sessions, count = 20) {
  return paywire.protect(
    { price: { amount: '100', unitType: 'token', suggestedDeposit: '50000' } },
    (_request, payment) =>
      new Response(
        Stream.meter({
          sessions,
          channelId: payment.receipt?.reference as Hex,
          price: 100n,
          units: tokens(count),
          challengeId: payment.challengeId,
          idleTimeoutMs: 10_000,
        }),
        { headers: { ...Stream.headers } },
      ),
  )
}

/** A stand-in for a model: `token-0`, `token-1`... */
export async function* tokens(count: number): AsyncGenerator<string> {
  for (let index = 0; index < count; index++) yield `token-${index}`
}

/** The block's payer as an agent buying from `handler` (all requests go to it). */
export function buyer(local: Local, handler: Handler) {
  const fetch = (input: string | URL | Request, init?: RequestInit) =>
    handler(new Request(input, init))
  const store = MemoryStore.create()
  const session = SessionClient.client({
    privateKey: local.payer.privateKey,
    client: local.publicClient,
    chainId: local.chainId,
    escrow: local.escrow,
    currency: LocalTempo.alphaUsd,
    store,
    maxDeposit: 200_000n,
    fetch,
  })
  const client = Client.create({
    methods: [session],
    policy: { currencies: { [LocalTempo.alphaUsd]: { maxAmount: '100000' } } },
    store,
    fetch,
  })
  return { client, session }
}

/**
 * Reads a metered stream to its end, answering each `payment-need-voucher` with a voucher
 * 5,000 ahead: the tokens, and the final `payment-receipt` event.
 */
export async function read(
  agent: ReturnType<typeof buyer>,
  url: string,
): Promise<{ tokens: string[]; receipt: string | undefined }> {
  const { response } = await agent.client.fetch(url)
  if (response.status !== 200 || response.body === null)
    throw new Error(`the stream was not served: ${response.status}`)
  const tokens: string[] = []
  let receipt: string | undefined
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return { tokens, receipt }
    buffer += value
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const data = block.slice(block.indexOf('data: ') + 6)
      if (block.startsWith('event: message')) tokens.push(data)
      if (block.startsWith('event: payment-receipt')) receipt = data
      if (block.startsWith('event: payment-need-voucher'))
        await agent.session.pay({ url, need: JSON.parse(data), ahead: 5_000n })
    }
  }
}
