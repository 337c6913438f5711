// Push mode (draft-tempo-charge-00 §"Hash Settlement", §"Hash Verification"): the client
// broadcast the transaction; the server reads its receipt and counts it only when its
// transfers pay the challenge from the payer and the primary one carries a memo bound to
// this challenge (Binding.ts): anyone can read a transaction on chain and present its hash,
// so nothing else ties a pushed transfer to the challenge it paid. A challenge whose memo
// binds nothing (an operator's memo) is never paid by push.
import type { Hex } from 'viem'
import * as Binding from '../Binding.js'
import * as Settlement from '../Settlement.js'
import * as Source from '../Source.js'
import { assertSource, ModeRefusedError, type Verification } from './verification.js'

/** @internal Checks a pushed payment without claiming it; returns its hash (the method's `check`). */
export async function inspect(
  parameters: Verification & { hash: string },
  record = false,
): Promise<Hex> {
  const { request, context, options, source, challenge } = parameters
  const { chain } = options
  if (!Binding.of(request, challenge).bound)
    throw new ModeRefusedError(
      'this challenge cannot bind a pushed transfer (its memo binds no challenge): pay it in pull mode',
    )
  const hash = parameters.hash.toLowerCase() as Hex
  // Named in the payment record first (only `verify` records): after a crash, reconciliation
  // (`lookup`) reads this transaction back and checks that it pays the challenge.
  if (record) await context.record?.(hash)
  const receipt = await chain.getTransactionReceipt(hash)
  if (receipt === undefined || receipt.transactionHash.toLowerCase() !== hash)
    throw new Settlement.PaymentNotSettledError(
      `transaction ${hash} is not mined on chain ${chain.chainId}`,
    )
  let payer = receipt.from
  if (source !== undefined) {
    const parsed = Source.parse(source)
    assertSource(source, parsed.address, chain.chainId)
    payer = parsed.address
  }
  Settlement.verifyReceipt({ receipt, request, challenge, payer })
  const ttlSeconds = options.claimTtlSeconds ?? Settlement.defaultClaimTtlSeconds
  const minedAt = await chain.getBlockTimestamp(receipt.blockNumber)
  // A marker must outlive every transaction it could be replayed for: refuse older ones.
  if (BigInt(Math.floor(context.now() / 1000)) - minedAt > BigInt(Math.floor(ttlSeconds * 0.9)))
    throw new Settlement.PaymentNotSettledError(
      `transaction ${hash} is too old to pay a new challenge`,
    )
  return hash
}

/** @internal Checks and claims a pushed payment; returns its hash. */
export async function settle(parameters: Verification & { hash: string }): Promise<Hex> {
  const hash = await inspect(parameters, true)
  const { context, options } = parameters
  await Settlement.claim({
    context,
    chainId: options.chain.chainId,
    hash,
    ttlSeconds: options.claimTtlSeconds ?? Settlement.defaultClaimTtlSeconds,
  })
  return hash
}
