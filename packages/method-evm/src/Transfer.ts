// ERC-20 `Transfer` events as proof of payment (draft-evm-charge-00 §6.1 step 14, §6.2
// step 10, §6.3 step 9, §6.4 step 4): a receipt pays a charge when it succeeded and holds,
// for each expected transfer, its own `Transfer` log of the currency from the payer to the
// recipient of exactly the amount (logs compared by value, each used once).
import { decodeEventLog, type Hex } from 'viem'
import * as Address from './Address.js'
import { erc20Abi } from './Binding.js'
import type * as Chain from './Chain.js'
import * as Errors from './Errors.js'

/**
 * The topic of `Transfer(address,address,uint256)`.
 *
 * @example
 * ```ts
 * import { Transfer } from '@paywire/method-evm'
 * Transfer.topic // '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef'
 * ```
 */
export const topic: Hex = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef'

/** A token movement read from a log. */
export type Movement = { from: string; to: string; value: bigint }

/**
 * The `Transfer` events of `token` in `logs`, in log order.
 *
 * @example
 * ```ts
 * import { Transfer } from '@paywire/method-evm'
 * declare const receipt: import('@paywire/method-evm').Chain.Receipt
 * Transfer.fromLogs(receipt.logs, '0xe15fc38f6d8c56af07bbcbe3baf5708a2bf42392')
 * ```
 */
export function fromLogs(logs: readonly Chain.Log[], token: string): Movement[] {
  const movements: Movement[] = []
  for (const log of logs) {
    if (!Address.same(log.address, token) || log.topics[0]?.toLowerCase() !== topic) continue
    try {
      const { args } = decodeEventLog({
        abi: erc20Abi,
        eventName: 'Transfer',
        topics: log.topics as [Hex, ...Hex[]],
        data: log.data,
      })
      movements.push({ from: args.from, to: args.to, value: args.value })
    } catch {
      // Not a standard Transfer encoding: it proves nothing.
    }
  }
  return movements
}

/**
 * Checks that a receipt succeeded and pays every expected transfer from `payer`.
 *
 * @throws {Errors.NotSettledError} when the transaction reverted.
 * @throws {Errors.TransferMismatchError} when an expected transfer has no log of its own.
 * @example
 * ```ts
 * import { Transfer } from '@paywire/method-evm'
 * declare const receipt: import('@paywire/method-evm').Chain.Receipt
 * Transfer.verify({ receipt, token: '0xe15fc38f6d8c56af07bbcbe3baf5708a2bf42392', payer: '0x1234567890abcdef1234567890abcdef12345678', transfers: [{ recipient: '0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00', amount: 1000n }] })
 * ```
 */
export function verify(parameters: verify.Parameters): void {
  const { receipt } = parameters
  if (receipt.status !== 'success')
    throw new Errors.NotSettledError(`transaction ${receipt.transactionHash} reverted`)
  const unused = fromLogs(receipt.logs, parameters.token).filter((movement) =>
    Address.same(movement.from, parameters.payer),
  )
  for (const expected of parameters.transfers) {
    const index = unused.findIndex(
      (movement) =>
        Address.same(movement.to, expected.recipient) && movement.value === expected.amount,
    )
    if (index === -1)
      throw new Errors.TransferMismatchError(
        `no Transfer of ${expected.amount} from ${parameters.payer} to ${expected.recipient} in ${receipt.transactionHash}`,
      )
    unused.splice(index, 1)
  }
}

export declare namespace verify {
  type Parameters = {
    receipt: Chain.Receipt
    token: string
    payer: string
    transfers: readonly { recipient: string; amount: bigint }[]
  }
}
