// The paid API: `GET /generate?prompt=` streams an answer token by token as Server-Sent
// Events, each token charged to the caller's Tempo session before it is sent. Nothing is
// charged for the request itself (`unitsPerRequest: 0`): only tokens cost money.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Secret, type Store } from '@paywire/core'
import {
  EscrowChain,
  Server as SessionServer,
  Sessions,
  Stream,
} from '@paywire/method-tempo-session'
import { Paywire } from '@paywire/server'
import { listener } from '@paywire/server/node'
import { MemoryStore } from '@paywire/store-memory'
import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from 'viem'

/** Price of one token: 0.0001 of a 6-decimal stablecoin. */
export const pricePerToken = 100n
/** The deposit the server suggests for a new channel: 0.05, i.e. 500 tokens. */
export const suggestedDeposit = 50_000n

export type Options = {
  publicClient: PublicClient
  /** The seller's wallet: it receives the payments and sends settle and close. */
  seller: WalletClient<Transport, Chain, Account>
  escrow: Address
  currency: Address
  /** Where channels live; share it between instances (default: in memory). */
  store?: Store.Store | undefined
  /** How long a stream waits for a voucher when the balance runs out (default 10 s). */
  idleTimeoutMs?: number | undefined
}

/** A stand-in for a model: the words of an answer, one at a time, a little apart. */
export async function* tokens(prompt: string, count: number): AsyncGenerator<string> {
  for (let index = 0; index < count; index++) {
    if (index % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 1))
    yield `${prompt.split(' ')[index % prompt.split(' ').length]}#${index}`
  }
}

/** Serves the API on 127.0.0.1 (`port` 0 picks a free one). */
export async function serve(options: Options, port = 0) {
  const sessions = Sessions.create({
    store: options.store ?? MemoryStore.create(),
    chain: EscrowChain.fromViem({
      publicClient: options.publicClient,
      walletClient: options.seller,
      escrow: options.escrow,
      pollingInterval: 50,
    }),
    payee: options.seller.account.address,
    currency: options.currency,
  })
  const routes: Record<string, ReturnType<typeof listener>> = {}
  const server = createServer((req, res) => {
    const route = routes[new URL(req.url ?? '/', 'http://localhost').pathname]
    if (route === undefined) res.writeHead(404).end()
    else route(req, res)
  })
  const { port: bound, close } = await new Promise<{ port: number; close(): Promise<void> }>(
    (resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () =>
        resolve({
          port: (server.address() as AddressInfo).port,
          close: () =>
            new Promise((done) => {
              server.closeAllConnections()
              server.close(() => done())
            }),
        }),
      )
    },
  )
  const url = `http://127.0.0.1:${bound}`
  const paywire = Paywire.create({
    realm: new URL(url).host,
    secret: process.env.PAYWIRE_SECRET_KEY ?? Secret.generate(),
    store: MemoryStore.create(),
    methods: [
      SessionServer.server({
        sessions,
        chainId: options.seller.chain.id,
        escrow: options.escrow,
        currency: options.currency,
        recipient: options.seller.account.address,
        unitsPerRequest: 0n,
      }),
    ],
  })
  routes['/generate'] = listener(
    paywire,
    {
      price: {
        amount: pricePerToken.toString(),
        unitType: 'token',
        suggestedDeposit: suggestedDeposit.toString(),
      },
      description: 'Streamed answer, per token',
    },
    (request, payment) => {
      const query = new URL(request.url).searchParams
      const body = Stream.meter({
        sessions,
        channelId: payment.receipt?.reference as Hex,
        price: pricePerToken,
        units: tokens(query.get('prompt') ?? 'hello', Number(query.get('max') ?? 100)),
        challengeId: payment.challengeId,
        idleTimeoutMs: options.idleTimeoutMs ?? 10_000,
      })
      return new Response(body, { headers: { ...Stream.headers } })
    },
  )
  return { url, sessions, close }
}
