// `hash` credentials (draft-evm-charge-00 §6.4): a transaction the client broadcast. It
// counts only when it is a successful, confirmed ERC-20 transfer of exactly the amount to
// the recipient whose calldata carries this challenge's hash (paywire binding; the draft
// alone would let anyone claim any matching transfer), and its hash is claimed once.
import type { Hex } from 'viem'
import * as Address from '../../Address.js'
import * as Binding from '../../Binding.js'
import * as ChallengeHash from '../../ChallengeHash.js'
import * as Errors from '../../Errors.js'
import * as Confirmation from '../../internal/confirmation.js'
import * as Transfer from '../../Transfer.js'
import {
  claim,
  type Prepared,
  payerOf,
  transactionKey,
  type Parameters as Verification,
} from './verification.js'

/** @internal Checks a hash credential against the chain; nothing is claimed. */
export async function prepare(parameters: Verification, hash: Hex): Promise<Prepared> {
  const { request, settings } = parameters
  const { chain } = settings
  const normalized = hash.toLowerCase() as Hex
  const transaction = await chain.getTransaction(normalized)
  if (transaction === undefined)
    throw new Errors.NotSettledError(`transaction ${normalized} is unknown to the chain`)
  if (transaction.to === null || !Address.same(transaction.to, request.currency))
    throw new Errors.TransferMismatchError('the transaction does not call the currency token')
  const call = Binding.decode(transaction.input)
  if (
    call === undefined ||
    !Address.same(call.recipient, request.recipient) ||
    call.amount !== BigInt(request.amount)
  )
    throw new Errors.TransferMismatchError(
      'the transaction is no transfer of the amount to the recipient',
    )
  if (call.challengeHash !== ChallengeHash.from(parameters.challenge))
    throw new Errors.BindingMismatchError('the transfer is not bound to this challenge')
  payerOf(parameters.source, chain.chainId, transaction.from)
  const receipt = await Confirmation.wait(chain, normalized, settings.confirmations).catch(
    (error) => {
      if (!(error instanceof Errors.SettlementUnknownError)) throw error
      throw new Errors.NotSettledError(
        `transaction ${normalized} is not mined with enough confirmations`,
      )
    },
  )
  Transfer.verify({
    receipt,
    token: request.currency,
    payer: transaction.from,
    transfers: [{ recipient: request.recipient, amount: call.amount }],
  })
  return {
    simulate: async () => undefined,
    async settle() {
      await claim(parameters, transactionKey(normalized))
      return normalized
    },
  }
}
