// The Tempo node's JSON-RPC as the CLI reaches it: a failure to answer becomes an error
// that says how to start a node, instead of a transport stack trace.
import { Errors } from '@paywire/core'

/**
 * Resolves what `work` resolves; when the node at `rpcUrl` does not answer, rejects with
 * {@link NodeUnreachableError}. Other failures pass through unchanged.
 *
 * @example
 * ```ts
 * import { Rpc } from '@paywire/cli'
 * import { createPublicClient, http } from 'viem'
 * const rpcUrl = 'http://127.0.0.1:8545'
 * const chainId = await Rpc.reached(rpcUrl, createPublicClient({ transport: http(rpcUrl) }).getChainId())
 * ```
 */
export async function reached<value>(rpcUrl: string, work: Promise<value>): Promise<value> {
  try {
    return await work
  } catch (cause) {
    const name = (cause as Error).name
    if (name === 'HttpRequestError' || name === 'TimeoutError')
      throw new NodeUnreachableError(
        `no Tempo node answers at ${rpcUrl}: start one with \`paywire dev\` (same --home), or pass --tempo-rpc <url>`,
        { cause },
      )
    throw cause
  }
}

/**
 * The chain id of the node at `rpcUrl`.
 *
 * @throws {NodeUnreachableError}
 * @example
 * ```ts
 * import { Rpc } from '@paywire/cli'
 * const chainId = await Rpc.chainId('http://127.0.0.1:8545')
 * ```
 */
export async function chainId(rpcUrl: string): Promise<number> {
  const { createPublicClient, http } = await import('viem')
  return reached(
    rpcUrl,
    createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) }).getChainId(),
  )
}

/**
 * Raised when the Tempo node does not answer.
 *
 * @example
 * ```ts
 * import { Rpc } from '@paywire/cli'
 * new Rpc.NodeUnreachableError('no node').code // 'ERR_CLI_NODE_UNREACHABLE'
 * ```
 */
export class NodeUnreachableError extends Errors.BaseError {
  override readonly name = 'Rpc.NodeUnreachableError'
  readonly code = 'ERR_CLI_NODE_UNREACHABLE'
  readonly problem = undefined
}
