// The chain-access seam of the EVM charge: the few JSON-RPC calls both halves make, behind
// a plain object of functions. `fromRpc` implements it over HTTP with viem; tests wrap it
// to inject faults the real node cannot produce on demand. A reverting call is a verdict
// (`simulate` reports it); a failing or slow RPC is not (ChainUnavailableError).
import {
  type Abi,
  createPublicClient,
  decodeFunctionResult,
  encodeFunctionData,
  type Hex,
  http,
  BaseError as ViemBaseError,
} from 'viem'
import * as Errors from './Errors.js'

/** A log entry of a receipt. */
export type Log = { address: string; topics: readonly Hex[]; data: Hex }

/** A mined transaction's receipt, normalized. */
export type Receipt = {
  transactionHash: Hex
  status: 'success' | 'reverted'
  from: string
  to: string | null
  blockNumber: bigint
  logs: readonly Log[]
  gasUsed: bigint
  effectiveGasPrice: bigint
}

/** A transaction as the node reports it (pending or mined). */
export type Transaction = { hash: Hex; from: string; to: string | null; input: Hex }

/** A call to simulate or estimate. */
export type Call = { from?: string | undefined; to: string; data: Hex; gas?: bigint | undefined }

/** The outcome of a simulated call on the pending state. */
export type Simulation = { ok: true; returnData: Hex } | { ok: false; revertData: Hex | undefined }

/** The chain as the EVM charge sees it. */
export type Chain = {
  readonly chainId: number
  /** `eth_call` on the pending state: the return data, or the revert. */
  simulate(call: Call): Promise<Simulation>
  /** `eth_estimateGas` on the pending state. */
  estimateGas(call: Call): Promise<bigint>
  /** `eth_sendRawTransaction`: the hash the node reports. */
  sendRawTransaction(serialized: Hex): Promise<Hex>
  /** `eth_getTransactionReceipt`; `undefined` while unknown or pending. */
  getTransactionReceipt(hash: Hex): Promise<Receipt | undefined>
  /** `eth_getTransactionByHash`; `undefined` when the node does not know it. */
  getTransaction(hash: Hex): Promise<Transaction | undefined>
  /** The latest block's number, timestamp (seconds) and base fee per gas. */
  getLatestBlock(): Promise<{ number: bigint; timestamp: bigint; baseFeePerGas: bigint }>
  /** Native balance in wei. */
  getBalance(address: string): Promise<bigint>
  /** Next nonce of an account, counting pending transactions. */
  getNonce(address: string): Promise<bigint>
  /** `eth_maxPriorityFeePerGas`. */
  getMaxPriorityFeePerGas(): Promise<bigint>
  /** A view call decoded with `abi` (reverts are ChainUnavailableError: reads must not revert). */
  read<result>(parameters: {
    address: string
    abi: Abi
    functionName: string
    args?: readonly unknown[]
  }): Promise<result>
}

/**
 * A chain reached over JSON-RPC (HTTP). Each call fails after `timeoutMs` with a
 * {@link Errors.ChainUnavailableError}; nothing is retried behind the caller's back.
 *
 * @example
 * ```ts
 * import { Chain } from '@paywire/method-evm'
 * const chain = Chain.fromRpc({ rpcUrl: 'http://127.0.0.1:8545', chainId: 1337 })
 * ```
 */
export function fromRpc(options: fromRpc.Options): Chain {
  const client = createPublicClient({
    transport: http(options.rpcUrl, { timeout: options.timeoutMs ?? 10_000, retryCount: 0 }),
  })
  const raw = (method: string, params: readonly unknown[]) =>
    client.request({ method: method as 'eth_chainId', params: params as never }) as Promise<unknown>
  const call = async <result>(method: string, params: readonly unknown[]): Promise<result> => {
    try {
      return (await raw(method, params)) as result
    } catch (cause) {
      throw unavailable(method, cause)
    }
  }
  const toCall = (request: Call) => ({
    ...(request.from === undefined ? {} : { from: request.from }),
    to: request.to,
    data: request.data,
    ...(request.gas === undefined ? {} : { gas: `0x${request.gas.toString(16)}` }),
  })
  return {
    chainId: options.chainId,
    async simulate(request) {
      try {
        return {
          ok: true,
          returnData: (await raw('eth_call', [toCall(request), 'pending'])) as Hex,
        }
      } catch (cause) {
        const revert = revertOf(cause)
        if (revert === undefined) throw unavailable('eth_call', cause)
        return { ok: false, revertData: revert.data }
      }
    },
    async estimateGas(request) {
      return BigInt(await call<Hex>('eth_estimateGas', [toCall(request), 'pending']))
    },
    sendRawTransaction: (serialized) => call<Hex>('eth_sendRawTransaction', [serialized]),
    async getTransactionReceipt(hash) {
      const receipt = await call<RpcReceipt | null>('eth_getTransactionReceipt', [hash])
      return receipt === null ? undefined : toReceipt(receipt)
    },
    async getTransaction(hash) {
      const found = await call<RpcTransaction | null>('eth_getTransactionByHash', [hash])
      if (found === null) return undefined
      return {
        hash: found.hash.toLowerCase() as Hex,
        from: found.from,
        to: found.to,
        input: found.input,
      }
    },
    async getLatestBlock() {
      const block = await call<{ number: Hex; timestamp: Hex; baseFeePerGas?: Hex }>(
        'eth_getBlockByNumber',
        ['latest', false],
      )
      return {
        number: BigInt(block.number),
        timestamp: BigInt(block.timestamp),
        baseFeePerGas: BigInt(block.baseFeePerGas ?? '0x0'),
      }
    },
    getBalance: async (address) => BigInt(await call<Hex>('eth_getBalance', [address, 'latest'])),
    getNonce: async (address) =>
      BigInt(await call<Hex>('eth_getTransactionCount', [address, 'pending'])),
    getMaxPriorityFeePerGas: async () => BigInt(await call<Hex>('eth_maxPriorityFeePerGas', [])),
    async read<result>(parameters: {
      address: string
      abi: Abi
      functionName: string
      args?: readonly unknown[]
    }) {
      const data = encodeFunctionData({
        abi: parameters.abi,
        functionName: parameters.functionName,
        // Addresses are compared by value (§4.1): a wrong EIP-55 case is no reason to fail.
        args: (parameters.args ?? []).map((arg) =>
          typeof arg === 'string' && /^0x[0-9a-fA-F]{40}$/.test(arg) ? arg.toLowerCase() : arg,
        ),
      } as never)
      const returned = await call<Hex>('eth_call', [{ to: parameters.address, data }, 'latest'])
      return decodeFunctionResult({
        abi: parameters.abi,
        functionName: parameters.functionName,
        data: returned,
      } as never) as result
    },
  }
}

export declare namespace fromRpc {
  type Options = {
    /** JSON-RPC endpoint. */
    rpcUrl: string
    /** The chain id the endpoint serves: requests and transactions are checked against it. */
    chainId: number
    /** Per-call timeout; default 10 s. */
    timeoutMs?: number | undefined
  }
}

type RpcReceipt = {
  transactionHash: Hex
  status: Hex
  from: string
  to: string | null
  blockNumber: Hex
  gasUsed: Hex
  effectiveGasPrice?: Hex
  logs: { address: string; topics: Hex[]; data: Hex }[]
}

type RpcTransaction = { hash: Hex; from: string; to: string | null; input: Hex }

function toReceipt(receipt: RpcReceipt): Receipt {
  return {
    transactionHash: receipt.transactionHash.toLowerCase() as Hex,
    status: receipt.status === '0x1' ? 'success' : 'reverted',
    from: receipt.from,
    to: receipt.to,
    blockNumber: BigInt(receipt.blockNumber),
    gasUsed: BigInt(receipt.gasUsed),
    effectiveGasPrice: BigInt(receipt.effectiveGasPrice ?? '0x0'),
    logs: receipt.logs.map((log) => ({ address: log.address, topics: log.topics, data: log.data })),
  }
}

/** A JSON-RPC error that reports a revert (code 3, or "execution reverted"), with its data. */
function revertOf(cause: unknown): { data: Hex | undefined } | undefined {
  let error: unknown = cause
  for (let depth = 0; depth < 6 && error !== undefined && error !== null; depth++) {
    const candidate = error as {
      code?: unknown
      data?: unknown
      message?: unknown
      cause?: unknown
    }
    const message = typeof candidate.message === 'string' ? candidate.message : ''
    if (candidate.code === 3 || /revert/i.test(message)) {
      const data = candidate.data
      const hex =
        typeof data === 'string' && /^0x[0-9a-fA-F]*$/.test(data)
          ? (data as Hex)
          : typeof (data as { data?: unknown })?.data === 'string'
            ? (data as { data: Hex }).data
            : undefined
      return { data: hex }
    }
    error = candidate.cause
  }
  return undefined
}

function unavailable(method: string, cause: unknown): Errors.ChainUnavailableError {
  // The node's text stays in `cause` (for logs), out of the message (problem details).
  const kind = cause instanceof ViemBaseError ? cause.name : 'Error'
  return new Errors.ChainUnavailableError(`the chain could not be reached (${method}, ${kind})`, {
    cause,
  })
}
