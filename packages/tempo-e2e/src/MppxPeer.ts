// The mppx package (the ecosystem's TypeScript SDK) as the other end of the wire, set up
// for a local Tempo node: chain id 31337 and the node's RPC URL given through mppx's
// `getClient` hook (a viem client on viem's Tempo localnet chain with the node's id).
//
// One shim, for the node and not for mppx: mppx signs its payments on an expiring nonce
// (`nonceKey: 'expiring'`), and viem 2.57 fills such a nonce with a random discriminator,
// which the local node (anvil 1.7.1, hardfork T4) refuses ("expiring nonce transaction
// must have nonce == 0"). The chain below asks for nonce 0 on expiring-nonce requests, the
// rule that node implements; everything else is mppx's and viem's own code
// (spec/DEVIATIONS.md, row 10).
import { createServer } from 'node:http'
import { toRequest, writeResponse } from '@paywire/server/node'
import { FreePort } from '@paywire/testkit'
import { Mppx as MppxClient, tempo as tempoClient } from 'mppx/client'
import { Mppx as MppxServer, tempo as tempoServer } from 'mppx/server'
import { createClient, defineChain, type Hex, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { tempoLocalnet } from 'viem/chains'

/** A viem client for the node, as mppx's `getClient` hook returns it. */
export function viemClient(options: { rpcUrl: string; chainId: number }) {
  const [prepare, prepareOptions] = tempoLocalnet.prepareTransactionRequest
  const chain = defineChain({
    ...tempoLocalnet,
    id: options.chainId,
    rpcUrls: { default: { http: [options.rpcUrl] } },
    prepareTransactionRequest: [
      (request, context) => {
        const expiring = (request as { nonceKey?: unknown }).nonceKey === 'expiring'
        if (expiring && request.nonce === undefined) request.nonce = 0
        return prepare(request, context)
      },
      prepareOptions,
    ],
  })
  return createClient({ chain, transport: http(options.rpcUrl, { retryCount: 0 }) })
}

/** The part of an mppx paying client the tests use. */
export type PayingClient = {
  fetch(input: string, init?: RequestInit): Promise<Response>
  /** The `Authorization` header value answering a 402. */
  createCredential(response: Response): Promise<string>
}

/** An mppx paying client (no fetch polyfill) for the Tempo charge, in `mode`. */
export function client(options: {
  rpcUrl: string
  chainId: number
  privateKey: Hex
  mode?: 'pull' | 'push' | undefined
}): PayingClient {
  const viem = viemClient(options)
  return MppxClient.create({
    methods: [
      tempoClient.charge({
        account: privateKeyToAccount(options.privateKey),
        getClient: () => viem,
        ...(options.mode === undefined ? {} : { mode: options.mode }),
      }),
    ],
    polyfill: false,
  })
}

/** A running mppx paid API. */
export type Api = {
  origin: string
  realm: string
  url(path: string): string
  close(): Promise<void>
}

/**
 * An mppx server on 127.0.0.1 charging `amount` (base units of pathUSD) on every path,
 * recipient `recipient`; with `feePayerKey`, mppx sponsors fees.
 */
export async function serve(options: {
  rpcUrl: string
  chainId: number
  recipient: Hex
  currency: Hex
  amount: string
  feePayerKey?: Hex | undefined
  /**
   * mppx's `requiresAuth`: its challenges select Payment-Authorization, and the API serves
   * only requests carrying `Authorization: Bearer <bearerToken>`.
   */
  bearerToken?: string | undefined
}): Promise<Api> {
  let handle: (request: Request) => Promise<Response> = async () =>
    new Response(null, { status: 503 })
  const server = createServer((req, res) => {
    handle(toRequest(req)).then(
      (response) => writeResponse(res, response),
      (error: Error) => writeResponse(res, new Response(error.message, { status: 500 })),
    )
  })
  const { port, url, close } = await FreePort.listen(server)
  const realm = `127.0.0.1:${port}`
  const viem = viemClient(options)
  const mppx = MppxServer.create({
    methods: [
      tempoServer.charge({
        recipient: options.recipient,
        currency: options.currency,
        getClient: () => viem,
        ...(options.feePayerKey === undefined
          ? {}
          : { feePayer: privateKeyToAccount(options.feePayerKey) }),
      }),
    ],
    realm,
    secretKey: 'mppx-interop-secret-0123456789abcdefghijkl',
    ...(options.bearerToken === undefined ? {} : { requiresAuth: true }),
  })
  // mppx takes amounts in whole tokens (6 decimals) and converts them to base units.
  const amount = (Number(options.amount) / 1_000_000).toString()
  handle = async (request) => {
    // The app's own authentication comes first (core §4.4.3): 401 without the token.
    if (
      options.bearerToken !== undefined &&
      request.headers.get('authorization') !== `Bearer ${options.bearerToken}`
    )
      return new Response('unauthenticated', { status: 401 })
    const result = await mppx.charge({ amount })(request)
    if (result.status === 402) return result.challenge
    return result.withReceipt(Response.json({ paid: true }))
  }
  return { origin: url, realm, url: (path) => `${url}${path}`, close }
}
