// `transaction` credentials (draft-evm-charge-00 §6.3): a signed EIP-1559 ERC-20 transfer
// the server broadcasts. Checked before broadcast (type, chain, token, selector, recipient,
// amount, paywire's challenge-hash calldata binding, a low-s signature, the sender's gas
// money, a simulation of the call), its hash claimed, then broadcast and confirmed.
import {
  type Hex,
  keccak256,
  parseTransaction,
  recoverTransactionAddress,
  type TransactionSerializedEIP1559,
} from 'viem'
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

const halfOrder = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n

/** @internal Checks a transaction credential; nothing is claimed or broadcast. */
export async function prepare(parameters: Verification, serialized: Hex): Promise<Prepared> {
  const { request, settings } = parameters
  const { chain } = settings
  const transaction = decode(serialized)
  if (transaction.chainId !== request.methodDetails.chainId)
    throw new Errors.TransferMismatchError(`the transaction is for chain ${transaction.chainId}`)
  if (transaction.to == null || !Address.same(transaction.to, request.currency))
    throw new Errors.TransferMismatchError('the transaction does not call the currency token')
  if ((transaction.value ?? 0n) !== 0n)
    throw new Errors.TransferMismatchError('the transaction sends native value')
  const call = Binding.decode(transaction.data ?? '0x')
  if (call === undefined)
    throw new Errors.TransferMismatchError(
      'the transaction does not call transfer(address,uint256)',
    )
  if (!Address.same(call.recipient, request.recipient) || call.amount !== BigInt(request.amount))
    throw new Errors.TransferMismatchError('the transfer pays another recipient or amount')
  const bound = call.challengeHash !== undefined
  if (bound && call.challengeHash !== ChallengeHash.from(parameters.challenge))
    throw new Errors.BindingMismatchError('the transfer is bound to another challenge')
  if (!bound && settings.unboundTransactions === 'refuse')
    throw new Errors.BindingMismatchError('the transfer carries no challenge binding')
  const sender = await signer(serialized, transaction.s)
  payerOf(parameters.source, chain.chainId, sender)
  const { gas, maxFeePerGas } = transaction
  if (gas === undefined || maxFeePerGas === undefined)
    throw new Errors.TransferMismatchError('the transaction sets no gas limit or fee')
  if ((await chain.getBalance(sender)) < gas * maxFeePerGas)
    throw new Errors.InsufficientFundsError('the sender cannot pay the gas of its transaction')
  const hash = keccak256(serialized)
  const simulate = async () => {
    const outcome = await chain.simulate({
      from: sender,
      to: request.currency,
      data: transaction.data as Hex,
      gas,
    })
    if (!outcome.ok) throw new Errors.WouldRevertError('the transfer reverts on the current state')
  }
  await simulate()
  return {
    simulate,
    async settle() {
      // Unbound (only when allowed): it counts only if the chain had never seen it, so that
      // it was delivered by its signer in this credential and not lifted from the chain.
      if (!bound && (await chain.getTransaction(hash)) !== undefined)
        throw new Errors.BindingMismatchError(
          'an unbound transfer the chain already knows pays no challenge',
        )
      await claim(parameters, transactionKey(hash))
      await Confirmation.send(chain, serialized, hash)
      const receipt = await Confirmation.wait(chain, hash, settings.confirmations)
      const transfers = [{ recipient: request.recipient, amount: call.amount }]
      Transfer.verify({ receipt, token: request.currency, payer: sender, transfers })
      return hash
    },
  }
}

function decode(serialized: Hex) {
  try {
    const transaction = parseTransaction(serialized as TransactionSerializedEIP1559)
    if (transaction.type !== 'eip1559') throw new Error('not EIP-1559')
    return transaction
  } catch (cause) {
    throw new Errors.TransferMismatchError('the credential holds no signed EIP-1559 transaction', {
      cause,
    })
  }
}

async function signer(serialized: Hex, s: Hex | undefined): Promise<string> {
  if (s === undefined || BigInt(s) > halfOrder)
    throw new Errors.SignatureInvalidError(
      'the transaction signature is missing or not in low-s form',
    )
  try {
    return await recoverTransactionAddress({
      serializedTransaction: serialized as TransactionSerializedEIP1559,
    })
  } catch (cause) {
    throw new Errors.SignatureInvalidError('the transaction signature does not verify', { cause })
  }
}
