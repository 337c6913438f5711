// `authorization` credentials (draft-evm-charge-00 §6.2): an EIP-3009 transfer signed by
// the payer, whose nonce is the challenge hash. Checked (token known to implement EIP-3009,
// signer, recipient, value, nonce, validity window, balance, nonce unused on chain), then
// submitted by the sponsor as `transferWithAuthorization` and confirmed by its Transfer log.
import type { Hex } from 'viem'
import * as Address from '../../Address.js'
import * as Authorization from '../../Authorization.js'
import { erc20Abi } from '../../Binding.js'
import * as ChallengeHash from '../../ChallengeHash.js'
import type * as ChargePayload from '../../ChargePayload.js'
import * as Errors from '../../Errors.js'
import * as Transfer from '../../Transfer.js'
import { claim, type Prepared, payerOf, type Parameters as Verification } from './verification.js'

/** @internal Checks an authorization credential; nothing is claimed, signed or broadcast. */
export async function prepare(
  parameters: Verification,
  payload: ChargePayload.AuthorizationPayload,
): Promise<Prepared> {
  const { request, settings } = parameters
  const { sponsor, eip3009, chain } = settings
  if (
    sponsor === undefined ||
    eip3009 === undefined ||
    !Address.same(eip3009.currency, request.currency)
  )
    throw new Errors.CredentialTypeRefusedError(
      'this server does not know the currency to implement EIP-3009',
    )
  if (!Address.same(payload.to, request.recipient))
    throw new Errors.TransferMismatchError('the authorization pays another recipient')
  if (BigInt(payload.value) !== BigInt(request.amount))
    throw new Errors.TransferMismatchError(
      `the authorization moves ${payload.value}, expected ${request.amount}`,
    )
  if (payload.nonce.toLowerCase() !== ChallengeHash.from(parameters.challenge))
    throw new Errors.BindingMismatchError('the authorization nonce is not the challenge hash')
  const authorization = Authorization.fromPayload(payload)
  if (authorization.validBefore <= parameters.now)
    throw new Errors.AuthorizationExpiredError(
      `the authorization expired at ${authorization.validBefore}`,
    )
  if (authorization.validAfter >= parameters.now)
    throw new Errors.AuthorizationExpiredError(
      `the authorization is valid only after ${authorization.validAfter}`,
    )
  const signer = await Authorization.recover({
    domain: eip3009,
    chainId: chain.chainId,
    token: request.currency,
    authorization,
    signature: payload.signature as Hex,
  })
  if (signer === undefined || !Address.same(signer, payload.from))
    throw new Errors.SignatureInvalidError('the authorization was not signed by its from account')
  payerOf(parameters.source, chain.chainId, payload.from)
  await checkFunds(parameters, authorization)
  const data = Authorization.encodeTransfer(authorization, payload.signature as Hex)
  const transfers = [{ recipient: request.recipient, amount: authorization.value }]
  return {
    simulate: () => sponsor.simulate({ chain, to: request.currency, data }),
    async settle() {
      const { receipt } = await sponsor.submit({
        chain,
        to: request.currency,
        data,
        confirmations: settings.confirmations,
        beforeBroadcast: () =>
          claim(parameters, `authorization:${payload.from.toLowerCase()}:${authorization.nonce}`),
      })
      Transfer.verify({ receipt, token: request.currency, payer: payload.from, transfers })
      return receipt.transactionHash
    },
  }
}

async function checkFunds(
  parameters: Verification,
  authorization: Authorization.Authorization,
): Promise<void> {
  const { chain } = parameters.settings
  const token = parameters.request.currency
  const balance = await chain.read<bigint>({
    address: token,
    abi: erc20Abi,
    functionName: 'balanceOf',
    args: [authorization.from],
  })
  if (balance < authorization.value)
    throw new Errors.InsufficientFundsError('the payer cannot cover the payment')
  const used = await chain.read<boolean>({
    address: token,
    abi: Authorization.abi,
    functionName: 'authorizationState',
    args: [authorization.from, authorization.nonce],
  })
  if (used) throw new Errors.AlreadyUsedError('the authorization was already used or canceled')
}
