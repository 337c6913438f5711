// `permit2` credentials (draft-evm-charge-00 §6.1): the ten checks before submission, the
// owner recovered from the EIP-712 signature (and matched to `source`), balance, Permit2
// allowance and the on-chain nonce, then the Permit2 call submitted by the sponsor (the
// signed `spender`), single or batch, and the Transfer logs of every leg.
import { type Hex, recoverTypedDataAddress } from 'viem'
import * as Address from '../../Address.js'
import { erc20Abi } from '../../Binding.js'
import * as ChallengeHash from '../../ChallengeHash.js'
import type * as ChargePayload from '../../ChargePayload.js'
import * as ChargeRequest from '../../ChargeRequest.js'
import * as Errors from '../../Errors.js'
import * as Permit2 from '../../Permit2.js'
import * as Transfer from '../../Transfer.js'
import { claim, type Prepared, payerOf, type Parameters as Verification } from './verification.js'

/** @internal Checks a permit2 credential; nothing is claimed, signed or broadcast. */
export async function prepare(
  parameters: Verification,
  payload: ChargePayload.Permit2Payload,
): Promise<Prepared> {
  const { request, settings } = parameters
  const { sponsor, permit2Address, chain } = settings
  if (sponsor === undefined || permit2Address === undefined)
    throw new Errors.CredentialTypeRefusedError('this server does not settle permit2 credentials')
  if (!Address.same(request.methodDetails.permit2Address, permit2Address))
    throw new Errors.CredentialTypeRefusedError('the challenge names another Permit2 contract')
  const expected = ChargeRequest.transfers(request)
  const permitted = checkLegs(payload, expected, request.currency)
  const witness = checkWitness(parameters, payload)
  const deadline = BigInt(payload.permit.deadline)
  if (deadline <= parameters.now)
    throw new Errors.AuthorizationExpiredError(`the permit's deadline ${deadline} has passed`)
  const permit = {
    permitted,
    spender: sponsor.address,
    nonce: BigInt(payload.permit.nonce),
    deadline,
    witness,
  }
  const { owner, layout } = await signer(parameters, payload.signature as Hex, permit)
  const total = expected.reduce((sum, transfer) => sum + transfer.amount, 0n)
  await checkFunds(parameters, owner, total, permit.nonce)
  const data = Permit2.encodeTransfer({
    permit,
    transferDetails: payload.transferDetails.map((detail) => ({
      to: detail.to,
      requestedAmount: BigInt(detail.requestedAmount),
    })),
    owner,
    layout,
    signature: payload.signature as Hex,
  })
  return {
    simulate: () => sponsor.simulate({ chain, to: permit2Address, data }),
    async settle() {
      const { receipt } = await sponsor.submit({
        chain,
        to: permit2Address,
        data,
        confirmations: settings.confirmations,
        beforeBroadcast: () => claim(parameters, `permit2:${owner.toLowerCase()}:${permit.nonce}`),
      })
      Transfer.verify({ receipt, token: request.currency, payer: owner, transfers: expected })
      return receipt.transactionHash
    },
  }
}

/** Steps 6-10: lengths, tokens, the primary leg, then each split leg in order. */
function checkLegs(
  payload: ChargePayload.Permit2Payload,
  expected: ChargeRequest.Transfer[],
  currency: string,
): { token: string; amount: bigint }[] {
  const { permitted } = payload.permit
  const details = payload.transferDetails
  if (permitted.length !== details.length)
    throw new Errors.TransferMismatchError('permitted and transferDetails differ in length')
  if (details.length !== expected.length)
    throw new Errors.TransferMismatchError(
      `the permit moves ${details.length} transfer(s), the challenge asks for ${expected.length}`,
    )
  return expected.map((transfer, index) => {
    const entry = permitted[index] as (typeof permitted)[number]
    const detail = details[index] as (typeof details)[number]
    const leg = index === 0 ? 'the primary transfer' : `split ${index - 1}`
    if (!Address.same(entry.token, currency))
      throw new Errors.TransferMismatchError(`${leg} permits another token than the currency`)
    if (!Address.same(detail.to, transfer.recipient))
      throw new Errors.TransferMismatchError(`${leg} pays another recipient`)
    if (BigInt(detail.requestedAmount) !== transfer.amount)
      throw new Errors.TransferMismatchError(
        `${leg} requests ${detail.requestedAmount}, expected ${transfer.amount}`,
      )
    if (BigInt(entry.amount) < transfer.amount)
      throw new Errors.TransferMismatchError(`${leg} permits less than it requests`)
    return { token: entry.token, amount: BigInt(entry.amount) }
  })
}

/** Step 5: the witness binds this challenge (and the request's externalId, draft-00 layout). */
function checkWitness(
  parameters: Verification,
  payload: ChargePayload.Permit2Payload,
): Permit2.Witness {
  const challengeHash = ChallengeHash.from(parameters.challenge)
  if (payload.witness.challengeHash.toLowerCase() !== challengeHash)
    throw new Errors.BindingMismatchError('the permit witness is for another challenge')
  const externalId = parameters.request.externalId ?? ''
  if (payload.witness.externalId !== undefined && payload.witness.externalId !== externalId)
    throw new Errors.BindingMismatchError('the permit witness carries another externalId')
  return { challengeHash, externalId }
}

/**
 * Step 1: the owner is the account the signature recovers to under either witness layout
 * and equals `source`; without `source`, only the draft-00 layout's signer is taken.
 */
async function signer(
  parameters: Verification,
  signature: Hex,
  permit: Permit2.Permit,
): Promise<{ owner: string; layout: Permit2.WitnessLayout }> {
  const { chain, permit2Address } = parameters.settings
  const claimed = payerOf(parameters.source, chain.chainId)
  const layouts: Permit2.WitnessLayout[] =
    claimed === undefined ? ['draft-00'] : ['draft-00', 'challenge-hash-only']
  for (const layout of layouts) {
    const typed = Permit2.typedData({
      chainId: chain.chainId,
      permit2Address: permit2Address as string,
      permit,
      layout,
    })
    const recovered = await recoverTypedDataAddress({
      ...(typed as Parameters<typeof recoverTypedDataAddress>[0]),
      signature,
    }).catch(() => undefined)
    if (recovered !== undefined && (claimed === undefined || Address.same(recovered, claimed)))
      return { owner: recovered, layout }
  }
  throw new Errors.SignatureInvalidError(
    'the permit signature was not made by the source account for this permit',
  )
}

/** Steps 3-4 and the nonce: balance, Permit2 allowance, nonce not yet used on chain. */
async function checkFunds(
  parameters: Verification,
  owner: string,
  total: bigint,
  nonce: bigint,
): Promise<void> {
  const { chain, permit2Address } = parameters.settings
  const token = parameters.request.currency
  const balance = await chain.read<bigint>({
    address: token,
    abi: erc20Abi,
    functionName: 'balanceOf',
    args: [owner],
  })
  if (balance < total) throw new Errors.InsufficientFundsError('the payer cannot cover the payment')
  const allowance = await chain.read<bigint>({
    address: token,
    abi: erc20Abi,
    functionName: 'allowance',
    args: [owner, permit2Address],
  })
  if (allowance < total)
    throw new Errors.InsufficientFundsError('the payer has not approved Permit2 for the payment')
  const { word, bit } = Permit2.nonceBit(nonce)
  const bitmap = await chain.read<bigint>({
    address: permit2Address as string,
    abi: Permit2.abi,
    functionName: 'nonceBitmap',
    args: [owner, word],
  })
  if (((bitmap >> bit) & 1n) === 1n)
    throw new Errors.AlreadyUsedError('the permit nonce was already used')
}
