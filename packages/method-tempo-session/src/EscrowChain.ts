// The chain-access seam of the session server: the escrow calls it makes (read a
// channel, settle, close), behind a plain object of functions. `fromViem` implements it
// with viem over the payee's wallet; tests can wrap it to inject faults.
import { Errors } from '@paywire/core'
import { Escrow } from '@paywire/escrow'
import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from 'viem'

/** A channel as the escrow's `getChannel` returns it. */
export type Channel = {
  payer: Address
  payee: Address
  token: Address
  authorizedSigner: Address
  deposit: bigint
  settled: bigint
  closeRequestedAt: bigint
  finalized: boolean
}

/** The escrow, as the session server uses it. */
export type EscrowChain = {
  /** The chain id (the voucher domain's `chainId`). */
  readonly chainId: number
  /** The escrow contract (the voucher domain's `verifyingContract`). */
  readonly escrow: Address
  /** Reads a channel; all fields zero when it does not exist. */
  getChannel(channelId: Hex): Promise<Channel>
  /** Sends the payee's `settle` and resolves with its hash once mined. */
  settle(channelId: Hex, cumulativeAmount: bigint, signature: Hex): Promise<Hex>
  /** Sends the payee's `close` and resolves with its hash once mined. */
  close(channelId: Hex, cumulativeAmount: bigint, signature: Hex): Promise<Hex>
  /** Broadcasts a client's signed transaction and resolves with its hash once mined. */
  broadcast(serialized: Hex): Promise<Hex>
}

/**
 * The escrow reached with viem: reads with `publicClient`, writes from the payee's
 * `walletClient` (its account must be the channels' payee).
 *
 * @example
 * ```ts
 * import { EscrowChain } from '@paywire/method-tempo-session'
 * declare const publicClient: import('viem').PublicClient
 * declare const walletClient: import('viem').WalletClient<import('viem').Transport, import('viem').Chain, import('viem').Account>
 * const chain = EscrowChain.fromViem({
 *   publicClient,
 *   walletClient,
 *   escrow: '0x9d136eEa063eDE5418A6BC7bEafF009bBb6CFa70',
 * })
 * ```
 */
export function fromViem(parameters: fromViem.Parameters): EscrowChain {
  const { publicClient, walletClient, escrow } = parameters
  const chainId = walletClient.chain.id
  const mined = async (hash: Hex, what: string) => {
    const receipt = await publicClient.waitForTransactionReceipt({
      hash,
      pollingInterval: parameters.pollingInterval ?? 100,
    })
    if (receipt.status !== 'success') throw new TransactionRevertedError(`${what} ${hash} reverted`)
    return hash
  }
  const send = async (functionName: 'settle' | 'close', args: readonly [Hex, bigint, Hex]) => {
    const hash = await walletClient.writeContract({
      address: escrow,
      abi: Escrow.abi,
      functionName,
      args,
      chain: walletClient.chain,
      account: walletClient.account,
    })
    return mined(hash, `escrow ${functionName}`)
  }
  return {
    chainId,
    escrow,
    getChannel: (channelId) =>
      publicClient.readContract({
        address: escrow,
        abi: Escrow.abi,
        functionName: 'getChannel',
        args: [channelId],
      }),
    settle: (channelId, cumulativeAmount, signature) =>
      send('settle', [channelId, cumulativeAmount, signature]),
    close: (channelId, cumulativeAmount, signature) =>
      send('close', [channelId, cumulativeAmount, signature]),
    broadcast: async (serialized) =>
      mined(
        await publicClient.sendRawTransaction({ serializedTransaction: serialized }),
        'transaction',
      ),
  }
}

export declare namespace fromViem {
  type Parameters = {
    publicClient: PublicClient
    walletClient: WalletClient<Transport, Chain, Account>
    escrow: Address
    /** Receipt polling interval in ms (default 100). */
    pollingInterval?: number | undefined
  }
}

/** A transaction the server sent or broadcast was mined but reverted. */
export class TransactionRevertedError extends Errors.BaseError {
  override readonly name = 'EscrowChain.TransactionRevertedError'
  readonly code = 'ERR_SESSION_ESCROW_REVERTED'
  readonly problem = undefined
}
