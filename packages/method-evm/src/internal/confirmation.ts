// Waiting for a settled transaction (draft-evm-charge-00 §7.5): a successful receipt in at
// least one block before any Payment-Receipt, and as many confirmations as the server's
// policy asks. No fixed latency is assumed: the receipt is polled until it is deep enough,
// up to a deadline, then the outcome is unknown.
import type { Hex } from 'viem'
import type * as Chain from '../Chain.js'
import * as Errors from '../Errors.js'

/** @internal How deep and how long. */
export type Options = { confirmations: number; timeoutMs: number; pollMs: number }

/**
 * @internal The receipt of `hash` once it has `confirmations` blocks on top of (and
 * including) its own.
 *
 * @throws {Errors.SettlementUnknownError} when it is not there, deep enough, in time.
 */
export async function wait(
  chain: Chain.Chain,
  hash: Hex,
  options: Options,
): Promise<Chain.Receipt> {
  const deadline = Date.now() + options.timeoutMs
  let failure: unknown
  for (;;) {
    // A failing read is no verdict once a transaction may be on its way: keep asking.
    const receipt = await deep(chain, hash, options.confirmations).catch((error) => {
      failure = error
      return undefined
    })
    if (receipt !== undefined) return receipt
    if (Date.now() >= deadline)
      throw new Errors.SettlementUnknownError(
        `transaction ${hash} has no receipt with ${options.confirmations} confirmation(s) yet`,
        { cause: failure },
      )
    await new Promise((resolve) => setTimeout(resolve, options.pollMs))
  }
}

/**
 * @internal Broadcasts `serialized`. When the send fails, the node may have it anyway: a
 * lookup that finds it counts as sent; one that cannot tell makes the outcome unknown
 * (SettlementUnknownError, no problem type: the server keeps the challenge claimed); only a
 * lookup that does not find it lets the send's failure stand.
 */
export async function send(chain: Chain.Chain, serialized: Hex, hash: Hex): Promise<void> {
  try {
    await chain.sendRawTransaction(serialized)
  } catch (error) {
    let known: boolean
    try {
      known = (await chain.getTransaction(hash)) !== undefined
    } catch (cause) {
      throw new Errors.SettlementUnknownError(`transaction ${hash} may have been broadcast`, {
        cause,
      })
    }
    if (!known) throw error
  }
}

/** @internal The receipt when it has `confirmations` blocks, else `undefined`. */
export async function deep(
  chain: Chain.Chain,
  hash: Hex,
  confirmations: number,
): Promise<Chain.Receipt | undefined> {
  const receipt = await chain.getTransactionReceipt(hash)
  if (receipt === undefined) return undefined
  if (confirmations <= 1) return receipt
  const latest = await chain.getLatestBlock()
  return latest.number - receipt.blockNumber + 1n >= BigInt(confirmations) ? receipt : undefined
}
