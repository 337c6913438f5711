// A local Tempo node for tests: `anvil --network tempo --hardfork T4` from the
// `@foundry-rs/anvil` npm package, on a free loopback port, with its ten pre-funded dev
// accounts (each holds 2^64-1 base units of pathUSD and the other fee tokens). One node
// per test file: start it in `beforeAll`, stop it in `afterAll`.
import { Errors } from '@paywire/core'
import {
  type Address,
  createPublicClient,
  encodeFunctionData,
  type Hex,
  http,
  type PublicClient,
  parseAbi,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import * as Anvil from './internal/anvil.js'

/**
 * pathUSD, the TIP-20 token every Tempo node has at genesis (and the default fee token).
 *
 * @example
 * ```ts
 * import { TempoNode } from '@paywire/testkit'
 * const node = await TempoNode.start()
 * await node.balanceOf(node.accounts[0].address, TempoNode.pathUsd)
 * ```
 */
export const pathUsd: Address = '0x20c0000000000000000000000000000000000000'

/**
 * The hardfork the node runs: T4 has the account keychain's newer functions.
 *
 * @example
 * ```ts
 * import { TempoNode } from '@paywire/testkit'
 * console.log(`anvil --network tempo --hardfork ${TempoNode.hardfork}`)
 * ```
 */
export const hardfork = 'T4'

/**
 * The mnemonic of anvil's dev accounts (`test test ... junk`).
 *
 * @example
 * ```ts
 * import { TempoNode } from '@paywire/testkit'
 * import { mnemonicToAccount } from 'viem/accounts'
 * const first = mnemonicToAccount(TempoNode.mnemonic)
 * ```
 */
export const mnemonic = Anvil.mnemonic

/** A dev account: address and private key. */
export type Account = { address: Address; privateKey: Hex }

/** A running node. Plain object; `stop` is idempotent. */
export type TempoNode = {
  /** JSON-RPC URL, e.g. `http://127.0.0.1:41237`. */
  readonly rpcUrl: string
  /** The node's chain id (31337 for anvil). */
  readonly chainId: number
  /** The pre-funded dev accounts, in anvil's order. */
  readonly accounts: readonly Account[]
  /**
   * Id of the node's process group (its leader is a watchdog that runs anvil):
   * `process.kill(-pid, 0)` throws once every process of the node has exited.
   */
  readonly pid: number
  /** A viem public client on the node. */
  readonly client: PublicClient
  /** TIP-20 balance of `owner` in base units (`token` defaults to pathUSD). */
  balanceOf(owner: Address, token?: Address): Promise<bigint>
  /**
   * Transfers `amount` base units of `token` (default pathUSD) from a dev account (default
   * the last one, kept as the faucet) to `to`, and waits until it is mined.
   */
  fund(parameters: fund.Parameters): Promise<Hex>
  /** A fresh random account funded with `amount` base units of pathUSD (default 100 tokens). */
  newAccount(amount?: bigint): Promise<Account>
  /** Stops the node (SIGTERM to its process group, SIGKILL after 3 s). */
  stop(): Promise<void>
}

export declare namespace fund {
  type Parameters = { to: Address; amount: bigint; token?: Address; from?: Account }
}

/**
 * Starts a local Tempo node and waits until it answers JSON-RPC.
 *
 * @example
 * ```ts
 * import { TempoNode } from '@paywire/testkit'
 * import { afterAll, beforeAll } from 'vitest'
 * let node: TempoNode.TempoNode
 * beforeAll(async () => { node = await TempoNode.start() })
 * afterAll(() => node.stop())
 * ```
 */
export async function start(options: start.Options = {}): Promise<TempoNode> {
  const args = ['--network', 'tempo', '--hardfork', hardfork, '--mnemonic', mnemonic]
  let anvil: Anvil.Process
  try {
    anvil = await Anvil.start({
      args: [...args, ...(options.args ?? [])],
      timeoutMs: options.timeoutMs ?? 20_000,
      name: 'TempoNode',
    })
  } catch (cause) {
    throw new NodeStartError((cause as Error).message, { cause })
  }
  try {
    const client = createPublicClient({ transport: http(anvil.rpcUrl, { retryCount: 0 }) })
    const chainId = await client.getChainId()
    return node(anvil, chainId, client)
  } catch (error) {
    await anvil.stop()
    throw error
  }
}

export declare namespace start {
  type Options = {
    /** Extra anvil arguments (e.g. `['--block-time', '1']`). */
    args?: readonly string[] | undefined
    /** How long to wait for the node to answer; default 20 s. */
    timeoutMs?: number | undefined
  }
}

function node(anvil: Anvil.Process, chainId: number, client: PublicClient): TempoNode {
  const accounts = Anvil.devAccounts()
  const faucet = accounts[accounts.length - 1] as Account
  const balanceOf = (owner: Address, token: Address = pathUsd) =>
    client.readContract({ address: token, abi, functionName: 'balanceOf', args: [owner] })
  // Funding transfers are sent one at a time: the node assigns nonces on send.
  let queue: Promise<unknown> = Promise.resolve()
  const fund = (parameters: fund.Parameters): Promise<Hex> => {
    const next = queue.then(() => send(parameters))
    queue = next.catch(() => undefined)
    return next
  }
  const send = async ({ to, amount, token = pathUsd, from = faucet }: fund.Parameters) => {
    const data = encodeFunctionData({ abi, functionName: 'transfer', args: [to, amount] })
    const hash = await client.request({
      // anvil's dev accounts are unlocked: the node signs.
      method: 'eth_sendTransaction' as 'eth_chainId',
      params: [{ from: from.address, to: token, data }] as never,
    })
    const receipt = await client.waitForTransactionReceipt({
      hash: hash as Hex,
      pollingInterval: 50,
    })
    if (receipt.status !== 'success') throw new NodeStartError(`funding ${to} reverted`)
    return hash as Hex
  }
  return {
    rpcUrl: anvil.rpcUrl,
    chainId,
    accounts,
    pid: anvil.pid,
    client,
    balanceOf,
    fund,
    async newAccount(amount = 100_000_000n) {
      const privateKey = generatePrivateKey()
      const { address } = privateKeyToAccount(privateKey)
      await fund({ to: address, amount })
      return { address, privateKey }
    },
    stop: anvil.stop,
  }
}

const abi = parseAbi([
  'function balanceOf(address owner) view returns (uint256)',
  'function transfer(address to, uint256 amount) returns (bool)',
])

/** Raised when the node cannot be started or a funding transfer fails. */
export class NodeStartError extends Errors.BaseError {
  override readonly name = 'TempoNode.NodeStartError'
  readonly code = 'ERR_TEMPO_NODE'
  readonly problem = undefined
}
