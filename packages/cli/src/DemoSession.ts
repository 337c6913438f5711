// The Tempo session half of `paywire serve` (draft-tempo-session, v1 escrow): paywire's
// escrow on the node (deployed by the payee unless one is given), a session server keeping
// channels in the demo's store, and the session method that pays `GET /session` per request.
// The payee must sign settlements and closes, so it is a dev account of the node.
import type { Method, Store } from '@paywire/core'
import type { Address, Hex } from 'viem'
import * as Rpc from './Rpc.js'

/**
 * The demo's session prices, in base units of pathUSD: one `GET /session`, and the deposit
 * suggested to open a channel.
 *
 * @example
 * ```ts
 * import { DemoSession } from '@paywire/cli'
 * DemoSession.prices.request // '10'
 * ```
 */
export const prices = { request: '10', suggestedDeposit: '10000' } as const

/**
 * Starts the session half on the node at `rpcUrl`: deploys paywire's escrow from the payee
 * (unless `escrow` is given) and returns the session method.
 *
 * @example
 * ```ts
 * import { DemoSession } from '@paywire/cli'
 * import { MemoryStore } from '@paywire/store-memory'
 * const session = await DemoSession.start({
 *   rpcUrl: 'http://127.0.0.1:8545',
 *   payeeKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
 *   currency: '0x20c0000000000000000000000000000000000000',
 *   store: MemoryStore.create(),
 * })
 * console.log(session.escrow)
 * ```
 */
export async function start(options: start.Options): Promise<start.ReturnType> {
  const { Escrow } = await import('@paywire/escrow')
  const { EscrowChain, Server, Sessions } = await import('@paywire/method-tempo-session')
  const { createPublicClient, createWalletClient, defineChain, http } = await import('viem')
  const { privateKeyToAccount } = await import('viem/accounts')
  const { rpcUrl, currency } = options
  const chainId = await Rpc.chainId(rpcUrl)
  const chain = defineChain({
    id: chainId,
    name: 'Tempo',
    nativeCurrency: { name: 'USD', symbol: 'USD', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  })
  const publicClient = createPublicClient({ chain, transport: http(rpcUrl, { retryCount: 0 }) })
  const walletClient = createWalletClient({
    account: privateKeyToAccount(options.payeeKey),
    chain,
    transport: http(rpcUrl, { retryCount: 0 }),
  })
  let escrow = options.escrow
  if (escrow === undefined) {
    const hash = await Rpc.reached(
      rpcUrl,
      walletClient.deployContract({ abi: Escrow.abi, bytecode: Escrow.bytecode }),
    )
    const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 100 })
    if (receipt.status !== 'success' || receipt.contractAddress == null)
      throw new Error(`deploying the escrow failed in ${hash}`)
    escrow = receipt.contractAddress
  }
  const payee = walletClient.account.address
  const sessions = Sessions.create({
    store: options.store,
    chain: EscrowChain.fromViem({
      publicClient: publicClient as import('viem').PublicClient,
      walletClient,
      escrow,
    }),
    payee,
    currency,
  })
  const method = Server.server({ sessions, chainId, escrow, currency, recipient: payee })
  return { method: method as Method.Server<unknown>, escrow, payee, sessions }
}

export declare namespace start {
  type Options = {
    rpcUrl: string
    /** The payee's key: it signs settlements and closes. */
    payeeKey: Hex
    /** The token channels hold. */
    currency: Address
    /** Where the session server keeps channel states. */
    store: Store.Store
    /** An escrow already deployed (paywire's), instead of deploying one. */
    escrow?: Address | undefined
  }
  type ReturnType = {
    method: Method.Server<unknown>
    escrow: Address
    payee: Address
    sessions: import('@paywire/method-tempo-session').Sessions.Sessions
  }
}
