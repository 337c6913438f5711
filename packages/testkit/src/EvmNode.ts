// A plain local EVM node for tests: `anvil` from the `@foundry-rs/anvil` npm package (no
// Tempo network), on a free loopback port, with anvil's ten dev accounts (10,000 ETH each),
// contract deployment, code etching and time travel. Its chain id defaults to 1337, not
// anvil's 31337: the canonical Permit2 runtime caches a domain separator for 31337 and a
// different address, so on 31337 every Permit2 signature would fail. One node per test
// file: start it in `beforeAll`, stop it in `afterAll`.
import { Errors } from '@paywire/core'
import {
  type Address,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  type PublicClient,
  type TransactionReceipt,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import * as Anvil from './internal/anvil.js'

/**
 * The chain id a node gets unless told otherwise.
 *
 * @example
 * ```ts
 * import { EvmNode } from '@paywire/testkit'
 * const node = await EvmNode.start()
 * node.chainId === EvmNode.defaultChainId // true
 * ```
 */
export const defaultChainId = 1337

/** An account: address and private key. */
export type Account = { address: Address; privateKey: Hex }

/** A running node. Plain object; `stop` is idempotent. */
export type EvmNode = {
  /** JSON-RPC URL, e.g. `http://127.0.0.1:41237`. */
  readonly rpcUrl: string
  /** The node's chain id. */
  readonly chainId: number
  /** anvil's pre-funded dev accounts (`test test ... junk`), in order. */
  readonly accounts: readonly Account[]
  /** Id of the node's process group: `process.kill(-pid, 0)` throws once it has exited. */
  readonly pid: number
  /** A viem public client on the node. */
  readonly client: PublicClient
  /** Native balance of `owner` in wei. */
  balance(owner: Address): Promise<bigint>
  /** Sets the native balance of `owner` (`anvil_setBalance`). */
  setBalance(owner: Address, wei: bigint): Promise<void>
  /** A fresh random account holding `wei` of native token (default 1 ETH). */
  newAccount(wei?: bigint): Promise<Account>
  /** Puts `code` (runtime bytecode) at `address` (`anvil_setCode`). */
  setCode(address: Address, code: Hex): Promise<void>
  /** Signs with `from`'s key, sends, and waits for the receipt (one send at a time). */
  send(parameters: send.Parameters): Promise<TransactionReceipt>
  /** Deploys `bytecode` (with ABI-encoded constructor arguments appended) from `from`. */
  deploy(parameters: deploy.Parameters): Promise<Address>
  /** Timestamp (seconds) of the latest block. */
  now(): Promise<bigint>
  /** Moves chain time forward by `seconds` and mines a block at the new time. */
  increaseTime(seconds: number): Promise<void>
  /** Mines `blocks` empty blocks (default 1). */
  mine(blocks?: number): Promise<void>
  /** A JSON-RPC call on the node. */
  rpc<result>(method: string, params?: readonly unknown[]): Promise<result>
  /** Stops the node (SIGTERM to its process group, SIGKILL after 3 s). */
  stop(): Promise<void>
}

export declare namespace send {
  type Parameters = { from: Account; to?: Address | undefined; data?: Hex; value?: bigint }
}

export declare namespace deploy {
  type Parameters = { from: Account; bytecode: Hex }
}

/**
 * Starts a local EVM node and waits until it answers JSON-RPC.
 *
 * @example
 * ```ts
 * import { EvmNode } from '@paywire/testkit'
 * import { afterAll, beforeAll } from 'vitest'
 * let node: EvmNode.EvmNode
 * beforeAll(async () => { node = await EvmNode.start() })
 * afterAll(() => node.stop())
 * ```
 */
export async function start(options: start.Options = {}): Promise<EvmNode> {
  const chainId = options.chainId ?? defaultChainId
  const args = [
    '--chain-id',
    String(chainId),
    '--mnemonic',
    Anvil.mnemonic,
    ...(options.args ?? []),
  ]
  let anvil: Anvil.Process
  try {
    anvil = await Anvil.start({ args, timeoutMs: options.timeoutMs ?? 20_000, name: 'EvmNode' })
  } catch (cause) {
    throw new EvmNodeError((cause as Error).message, { cause })
  }
  try {
    const client = createPublicClient({ transport: http(anvil.rpcUrl, { retryCount: 0 }) })
    const reported = await client.getChainId()
    if (reported !== chainId)
      throw new EvmNodeError(`anvil reports chain ${reported}, expected ${chainId}`)
    return node(anvil, chainId, client)
  } catch (error) {
    await anvil.stop()
    throw error
  }
}

export declare namespace start {
  type Options = {
    /** EIP-155 chain id; default {@link defaultChainId}. */
    chainId?: number | undefined
    /** Extra anvil arguments (e.g. `['--block-time', '1']`). */
    args?: readonly string[] | undefined
    /** How long to wait for the node to answer; default 20 s. */
    timeoutMs?: number | undefined
  }
}

function node(anvil: Anvil.Process, chainId: number, client: PublicClient): EvmNode {
  const accounts = Anvil.devAccounts()
  const chain = {
    id: chainId,
    name: 'local',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [anvil.rpcUrl] } },
  }
  const rpc = <result>(method: string, params: readonly unknown[] = []) =>
    client.request({ method: method as 'eth_chainId', params: params as never }) as Promise<result>
  // Sends go one at a time: nonces are read from the node when each is signed.
  let queue: Promise<unknown> = Promise.resolve()
  const send = (parameters: send.Parameters): Promise<TransactionReceipt> => {
    const next = queue.then(async () => {
      const wallet = createWalletClient({
        account: privateKeyToAccount(parameters.from.privateKey),
        chain,
        transport: http(anvil.rpcUrl, { retryCount: 0 }),
      })
      const hash = await wallet.sendTransaction({
        to: parameters.to ?? null,
        data: parameters.data,
        value: parameters.value ?? 0n,
      } as never)
      return client.waitForTransactionReceipt({ hash, pollingInterval: 50 })
    })
    queue = next.catch(() => undefined)
    return next
  }
  const setBalance = (owner: Address, wei: bigint) =>
    rpc<null>('anvil_setBalance', [owner, `0x${wei.toString(16)}`]).then(() => undefined)
  return {
    rpcUrl: anvil.rpcUrl,
    chainId,
    accounts,
    pid: anvil.pid,
    client,
    rpc,
    send,
    setBalance,
    balance: (owner) => client.getBalance({ address: owner }),
    async newAccount(wei = 10n ** 18n) {
      const privateKey = generatePrivateKey()
      const { address } = privateKeyToAccount(privateKey)
      await setBalance(address, wei)
      return { address, privateKey }
    },
    setCode: (address, code) => rpc<null>('anvil_setCode', [address, code]).then(() => undefined),
    async deploy({ from, bytecode }) {
      const receipt = await send({ from, data: bytecode })
      if (receipt.status !== 'success' || receipt.contractAddress == null)
        throw new EvmNodeError(`deployment from ${from.address} failed`)
      return receipt.contractAddress
    },
    async now() {
      return (await client.getBlock({ blockTag: 'latest' })).timestamp
    },
    async increaseTime(seconds) {
      await rpc('evm_increaseTime', [seconds])
      await rpc('evm_mine')
    },
    async mine(blocks = 1) {
      await rpc('anvil_mine', [`0x${blocks.toString(16)}`])
    },
    stop: anvil.stop,
  }
}

/** The node could not be started, or a deployment failed. */
export class EvmNodeError extends Errors.BaseError {
  override readonly name = 'EvmNode.EvmNodeError'
  readonly code = 'ERR_EVM_NODE'
  readonly problem = undefined
}
