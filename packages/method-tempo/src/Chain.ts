// The chain-access seam: the few Tempo JSON-RPC calls the charge method makes, behind a
// plain object of functions. `fromRpc` implements it over HTTP with viem; tests wrap it to
// inject faults (timeouts, reverts, dropped transactions) the real node cannot produce on
// demand. Receipts are normalized here so the method never sees RPC encodings.

import { Errors } from '@paywire/core'
import { createPublicClient, type Hex, http } from 'viem'

/** A log entry of a receipt. */
export type Log = {
  address: string
  topics: readonly Hex[]
  data: Hex
  logIndex: number
}

/** A mined transaction's receipt, normalized. */
export type Receipt = {
  transactionHash: Hex
  status: 'success' | 'reverted'
  /** The sender. */
  from: string
  blockNumber: bigint
  logs: readonly Log[]
  gasUsed: bigint
  effectiveGasPrice: bigint
}

/** What `estimateGas` is asked about: a Tempo transaction's calls from a sender. */
export type GasRequest = {
  from: string
  calls: readonly { to: string; data: Hex }[]
  feeToken?: string | undefined
}

/** The outcome of one call of a simulation. */
export type SimulatedCall = {
  status: 'success' | 'reverted'
  gasUsed: bigint
}

/** The chain as the charge method sees it. */
export type Chain = {
  /** The chain id this connection is for. */
  readonly chainId: number
  /** `eth_sendRawTransactionSync`: broadcasts and resolves with the receipt once mined. */
  sendRawTransactionSync(serialized: Hex): Promise<Receipt>
  /** `eth_getTransactionReceipt`; `undefined` while unknown or pending. */
  getTransactionReceipt(hash: Hex): Promise<Receipt | undefined>
  /** Timestamp (seconds) of a block. */
  getBlockTimestamp(blockNumber: bigint): Promise<bigint>
  /** TIP-20 `balanceOf`. */
  getTokenBalance(token: string, owner: string): Promise<bigint>
  /** Next protocol nonce (lane 0) of an account, counting pending transactions. */
  getNonce(address: string): Promise<bigint>
  /** Base fee per gas of the latest block, in attodollars (10^-18 USD). */
  getBaseFee(): Promise<bigint>
  /** Gas a Tempo transaction with these calls would use. */
  estimateGas(request: GasRequest): Promise<bigint>
  /**
   * Runs `calls` from `from`, one after the other in one block, on the pending state,
   * without sending anything (`eth_simulateV1`), each with at most `gas` when given: each
   * call's outcome and gas.
   */
  simulateCalls(request: GasRequest & { gas?: bigint | undefined }): Promise<SimulatedCall[]>
}

/**
 * A chain reached over JSON-RPC (HTTP). Each call fails after `timeoutMs` with a
 * {@link ChainUnavailableError}; nothing is retried behind the caller's back.
 *
 * @example
 * ```ts
 * import { Chain } from '@paywire/method-tempo'
 * const chain = Chain.fromRpc({ rpcUrl: 'http://127.0.0.1:8545', chainId: 31337 })
 * ```
 */
export function fromRpc(options: fromRpc.Options): Chain {
  const client = createPublicClient({
    transport: http(options.rpcUrl, { timeout: options.timeoutMs ?? 10_000, retryCount: 0 }),
  })
  const call = async <result>(method: string, params: readonly unknown[]): Promise<result> => {
    try {
      return (await client.request({
        method: method as 'eth_chainId',
        params: params as never,
      })) as result
    } catch (cause) {
      // The node's own words stay in `cause` (for logs), out of the message a client sees.
      throw new ChainUnavailableError(`the Tempo node did not answer ${method}`, { cause })
    }
  }
  return {
    chainId: options.chainId,
    async sendRawTransactionSync(serialized) {
      return toReceipt(await call<RpcReceipt>('eth_sendRawTransactionSync', [serialized]))
    },
    async getTransactionReceipt(hash) {
      const receipt = await call<RpcReceipt | null>('eth_getTransactionReceipt', [hash])
      return receipt === null ? undefined : toReceipt(receipt)
    },
    async getBlockTimestamp(blockNumber) {
      const block = await call<{ timestamp: Hex } | null>('eth_getBlockByNumber', [
        `0x${blockNumber.toString(16)}`,
        false,
      ])
      if (block === null) throw new ChainUnavailableError(`block ${blockNumber} not found`)
      return BigInt(block.timestamp)
    },
    async getTokenBalance(token, owner) {
      const data = `0x70a08231${owner.slice(2).toLowerCase().padStart(64, '0')}`
      return BigInt(await call<Hex>('eth_call', [{ to: token, data }, 'latest']))
    },
    async getNonce(address) {
      return BigInt(await call<Hex>('eth_getTransactionCount', [address, 'pending']))
    },
    async getBaseFee() {
      const block = await call<{ baseFeePerGas?: Hex }>('eth_getBlockByNumber', ['latest', false])
      return BigInt(block.baseFeePerGas ?? '0x0')
    },
    async estimateGas(request) {
      const calls = request.calls.map((entry) => ({ to: entry.to, data: entry.data, value: '0x0' }))
      const params = {
        from: request.from,
        type: '0x76',
        calls,
        ...(request.feeToken === undefined ? {} : { feeToken: request.feeToken }),
      }
      return BigInt(await call<Hex>('eth_estimateGas', [params]))
    },
    async simulateCalls(request) {
      const calls = request.calls.map((entry) => ({
        from: request.from,
        to: entry.to,
        data: entry.data,
        value: '0x0',
        ...(request.gas === undefined ? {} : { gas: `0x${request.gas.toString(16)}` }),
      }))
      const blocks = await call<SimulatedBlock[]>('eth_simulateV1', [
        { blockStateCalls: [{ calls }] },
        'pending',
      ])
      const results = blocks[0]?.calls ?? []
      if (results.length !== calls.length)
        throw new ChainUnavailableError(
          `eth_simulateV1 answered ${results.length} results for ${calls.length} calls`,
        )
      return results.map((result) => ({
        status: result.status === '0x1' ? 'success' : 'reverted',
        gasUsed: BigInt(result.gasUsed),
      }))
    },
  }
}

export declare namespace fromRpc {
  type Options = {
    /** JSON-RPC endpoint. */
    rpcUrl: string
    /** The chain id the endpoint serves; requests and transactions are checked against it. */
    chainId: number
    /** Per-call timeout; default 10 s. */
    timeoutMs?: number | undefined
  }
}

type SimulatedBlock = { calls: { status: Hex; gasUsed: Hex }[] }

type RpcReceipt = {
  transactionHash: Hex
  status: Hex
  from: string
  blockNumber: Hex
  gasUsed: Hex
  effectiveGasPrice?: Hex
  logs: { address: string; topics: Hex[]; data: Hex; logIndex: Hex }[]
}

function toReceipt(receipt: RpcReceipt): Receipt {
  return {
    transactionHash: receipt.transactionHash.toLowerCase() as Hex,
    status: receipt.status === '0x1' ? 'success' : 'reverted',
    from: receipt.from,
    blockNumber: BigInt(receipt.blockNumber),
    gasUsed: BigInt(receipt.gasUsed),
    effectiveGasPrice: BigInt(receipt.effectiveGasPrice ?? '0x0'),
    logs: receipt.logs.map((log) => ({
      address: log.address,
      topics: log.topics,
      data: log.data,
      logIndex: Number(log.logIndex),
    })),
  }
}

/** A JSON-RPC call failed or timed out: nothing can be concluded from it. */
export class ChainUnavailableError extends Errors.BaseError {
  override readonly name = 'Chain.ChainUnavailableError'
  readonly code = 'ERR_TEMPO_CHAIN_UNAVAILABLE'
  readonly problem = 'verification-failed' as const
}
