// Server-paid fees of the client's channel transactions (draft-tempo-session §"Fee Payment",
// §"Server Requirements"): under a challenge with `methodDetails.feePayer: true`, an open or
// top-up the client signed with the `0x00` fee payer placeholder is co-signed in the 0x78
// domain by @paywire/method-tempo's `FeePayer` (its policy: a cap per transaction, a total
// budget, and a fee-token balance that covers the worst case) and broadcast. Sessions calls
// it only after every `ChannelTransaction` check passed; a payer short of the deposit is
// refused first (its transaction would revert), and the fee paid is read from the receipt.
import { type Chain, type FeePayer, Transaction } from '@paywire/method-tempo'
import { type Address, type Hex, keccak256 } from 'viem'
import * as ChannelTransaction from './ChannelTransaction.js'

/** A sponsor of channel transactions: a fee payer and the chain it reads balances and receipts on. */
export type ChannelSponsor = {
  /** The sponsor's address. */
  readonly address: Address
  /** The USD TIP-20 token fees are paid in. */
  readonly feeToken: Address
  /** Base units of the fee token spent on the fees of mined transactions so far. */
  spent(): bigint
  /**
   * Co-signs a checked transaction that carries the fee payer placeholder, then hands it to
   * `broadcast` (which resolves once it is mined).
   *
   * @throws {ChannelTransaction.ChannelTransactionError} when the payer holds less of the
   * token than the transaction deposits (it would revert, its fee paid for nothing).
   * @throws {FeePayer.SponsorPolicyError} (from `@paywire/method-tempo`) when the sponsor's
   * policy refuses the fee (`check`: over the cap, the budget, or the fee-token balance).
   * Either before anything is signed or sent.
   */
  send(parameters: send.Parameters): Promise<Hex>
}

export declare namespace send {
  type Parameters = {
    /** The client's checked transaction, with the fee payer placeholder. */
    transaction: Hex
    /** The channel token, and the amount the transaction deposits. */
    currency: Address
    amount: bigint
    /** Broadcasts the co-signed transaction; resolves with its hash once mined. */
    broadcast: (serialized: Hex) => Promise<Hex>
  }
}

/**
 * A sponsor from a `FeePayer` (its key and policy) and the chain it pays on.
 *
 * @example
 * ```ts
 * import { Chain, FeePayer } from '@paywire/method-tempo'
 * import { ChannelSponsor } from '@paywire/method-tempo-session'
 * const sponsor = ChannelSponsor.from({
 *   feePayer: FeePayer.from({
 *     privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
 *     maxFeePerPayment: 100_000n, // 0.10 pathUSD for one open or top-up
 *     budget: 10_000_000n, // 10 pathUSD in all
 *   }),
 *   chain: Chain.fromRpc({ rpcUrl: 'http://127.0.0.1:8545', chainId: 31337 }),
 * })
 * ```
 */
export function from(options: from.Options): ChannelSponsor {
  const { feePayer, chain } = options
  return {
    address: feePayer.address as Address,
    feeToken: feePayer.feeToken as Address,
    spent: () => feePayer.spent(),
    async send({ transaction, currency, amount, broadcast }) {
      const { envelope, sender } = Transaction.deserialize(transaction)
      // A deposit the payer cannot fund reverts on chain, after the sponsor paid its fee.
      const held = await chain.getTokenBalance(currency, sender)
      if (held < amount)
        throw new ChannelTransaction.ChannelTransactionError(
          `the payer holds ${held} of the token, less than the ${amount} it deposits`,
        )
      // Checks the cap, the budget and the fee-token balance, and reserves the worst case.
      const sponsorship = await feePayer.sponsor({ envelope, sender, chain })
      const hash = keccak256(sponsorship.serialized)
      try {
        await broadcast(sponsorship.serialized)
      } catch (error) {
        // Mined but reverted, or sent and the answer lost: a receipt says the fee was paid.
        const receipt = await chain.getTransactionReceipt(hash).catch(() => undefined)
        if (receipt === undefined) sponsorship.release()
        else sponsorship.settle(receipt)
        throw error
      }
      // A receipt that cannot be read keeps the worst case reserved: the budget stays safe.
      const receipt = await chain.getTransactionReceipt(hash).catch(() => undefined)
      if (receipt !== undefined) sponsorship.settle(receipt)
      return hash
    },
  }
}

export declare namespace from {
  type Options = {
    /** The fee payer: its key, fee token (a USD TIP-20 the fee AMM takes) and policy. */
    feePayer: FeePayer.FeePayer
    /** The chain the sponsor's balance and the transactions' receipts are read on. */
    chain: Chain.Chain
  }
}
