// The chain-access seam of the session server: the escrow calls it makes (read a
// channel, settle, close, find the transaction that closed a channel), behind a plain
// object of functions. `fromViem` implements it with viem over the payee's wallet, its fees
// paid in the chain's default way or, with `feeToken`, in a TIP-20 token of the payee's
// choice (a Tempo 0x76 transaction); tests can wrap it to inject faults.
import { Errors } from '@paywire/core'
import { Escrow } from '@paywire/escrow'
import { Signature } from 'ox'
import { TxEnvelopeTempo } from 'ox/tempo'
import {
  type Account,
  type Address,
  type Chain,
  encodeFunctionData,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem'

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
  /**
   * The transaction that finalized a channel (its `ChannelClosed` event) and its sender:
   * the payee for a cooperative `close`, the payer for a `withdraw`; `undefined` while the
   * channel is not finalized.
   */
  closeTransaction(channelId: Hex): Promise<{ txHash: Hex; sender: Address } | undefined>
}

/**
 * The escrow reached with viem: reads with `publicClient`, writes from the payee's
 * `walletClient` (its account must be the channels' payee). The payee's own transactions
 * are sent one at a time (each takes the next nonce). With `feeToken` they are Tempo
 * transactions (type 0x76) paying their fees in that TIP-20 token, so a payee holding only,
 * say, pathUSD can settle and close; the wallet's account must then sign locally
 * (`privateKeyToAccount`...).
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
 *   feeToken: '0x20c0000000000000000000000000000000000000',
 * })
 * ```
 */
export function fromViem(parameters: fromViem.Parameters): EscrowChain {
  const { publicClient, walletClient, escrow, feeToken } = parameters
  const chainId = walletClient.chain.id
  const account = walletClient.account
  if (feeToken !== undefined && account.sign === undefined)
    throw new FeeTokenAccountError(
      'paying fees in a feeToken needs an account that signs locally (account.sign)',
    )
  const mined = async (hash: Hex, what: string) => {
    const receipt = await publicClient.waitForTransactionReceipt({
      hash,
      pollingInterval: parameters.pollingInterval ?? 100,
    })
    if (receipt.status !== 'success') throw new TransactionRevertedError(`${what} ${hash} reverted`)
    return hash
  }
  /** Signs and sends a Tempo transaction whose fees are paid in `feeToken`. */
  const sendInFeeToken = async (token: Address, data: Hex) => {
    const calls = [{ to: escrow, data }]
    const [nonce, estimate, block] = await Promise.all([
      publicClient.getTransactionCount({ address: account.address, blockTag: 'pending' }),
      publicClient.request({
        method: 'eth_estimateGas',
        params: [
          {
            from: account.address,
            type: '0x76',
            calls: [{ to: escrow, data, value: '0x0' }],
            feeToken: token,
          },
        ],
      } as never) as Promise<Hex>,
      publicClient.getBlock(),
    ])
    const envelope = TxEnvelopeTempo.from({
      chainId,
      calls,
      nonce: BigInt(nonce),
      nonceKey: 0n,
      // The node's estimate, with a margin for state that changes before inclusion.
      gas: (BigInt(estimate) * 13n) / 10n,
      maxFeePerGas: (block.baseFeePerGas ?? 1n) * 2n,
      maxPriorityFeePerGas: 0n,
      feeToken: token,
    })
    const signature = await (account.sign as NonNullable<Account['sign']>)({
      hash: TxEnvelopeTempo.getSignPayload(envelope),
    })
    return publicClient.sendRawTransaction({
      serializedTransaction: TxEnvelopeTempo.serialize(envelope, {
        signature: Signature.fromHex(signature),
      }) as Hex,
    })
  }
  const sendOnce = (data: Hex) =>
    feeToken === undefined
      ? walletClient.sendTransaction({ to: escrow, data, chain: walletClient.chain, account })
      : sendInFeeToken(feeToken, data)
  // One payee transaction at a time, until it is accepted by the node: each one then takes
  // the next pending nonce, also when settlements of several channels run at once. Another
  // process sending from the same payee may take a nonce first: the node then refuses the
  // transaction (it never runs), and it is signed again with the next nonce.
  let sending: Promise<unknown> = Promise.resolve()
  const send = async (functionName: 'settle' | 'close', args: readonly [Hex, bigint, Hex]) => {
    const data = encodeFunctionData({ abi: Escrow.abi, functionName, args })
    const sent = sending.then(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await sendOnce(data)
        } catch (error) {
          if (attempt < nonceAttempts && nonceTaken(error)) {
            await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80))
            continue
          }
          if (!nodeRefused(error)) throw error
          throw new TransactionRejectedError(
            `the node refused the escrow ${functionName}: ${(error as Error).message.split('\n')[0]}`,
            { cause: error },
          )
        }
      }
    })
    sending = sent.catch(() => undefined)
    return mined(await sent, `escrow ${functionName}`)
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
    async closeTransaction(channelId) {
      const [closed] = await publicClient.getContractEvents({
        address: escrow,
        abi: Escrow.abi,
        eventName: 'ChannelClosed',
        args: { channelId },
        fromBlock: parameters.fromBlock ?? 0n,
        toBlock: 'latest',
      })
      if (closed === undefined) return undefined
      const { from } = await publicClient.getTransaction({ hash: closed.transactionHash })
      return { txHash: closed.transactionHash, sender: from }
    },
  }
}

export declare namespace fromViem {
  type Parameters = {
    publicClient: PublicClient
    walletClient: WalletClient<Transport, Chain, Account>
    escrow: Address
    /**
     * The TIP-20 token the payee's settle and close transactions pay their fees in (a USD
     * token the fee AMM takes, pathUSD for one); unset, the chain's default applies.
     */
    feeToken?: Address | undefined
    /** The first block searched for a channel's `ChannelClosed` event (default 0: the escrow's deployment block is best). */
    fromBlock?: bigint | undefined
    /** Receipt polling interval in ms (default 100). */
    pollingInterval?: number | undefined
  }
}

/** Attempts at sending one transaction while other senders take its nonce. */
const nonceAttempts = 5

/** Whether the node refused a transaction because its nonce was already used. */
function nonceTaken(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause)
    if (
      cause.name === 'NonceTooLowError' ||
      /nonce too low|replacement transaction underpriced/i.test(cause.message)
    )
      return true
  return false
}

/** Whether the node answered a send with an error (the transaction never ran), rather than not answering. */
function nodeRefused(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause)
    if (cause.name === 'RpcRequestError') return true
  return false
}

/**
 * The node refused a transaction the server was sending (insufficient fee balance, a taken
 * nonce, a failing estimate...): it was never broadcast and never runs.
 */
export class TransactionRejectedError extends Errors.BaseError {
  override readonly name = 'EscrowChain.TransactionRejectedError'
  readonly code = 'ERR_SESSION_ESCROW_REJECTED'
  readonly problem = undefined
}

/** A transaction the server sent or broadcast was mined but reverted. */
export class TransactionRevertedError extends Errors.BaseError {
  override readonly name = 'EscrowChain.TransactionRevertedError'
  readonly code = 'ERR_SESSION_ESCROW_REVERTED'
  readonly problem = undefined
}

/** `feeToken` was given with an account that cannot sign a Tempo transaction locally. */
export class FeeTokenAccountError extends Errors.BaseError {
  override readonly name = 'EscrowChain.FeeTokenAccountError'
  readonly code = 'ERR_SESSION_FEE_TOKEN_ACCOUNT'
  readonly problem = undefined
}
