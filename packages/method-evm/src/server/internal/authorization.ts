// `authorization` credentials (draft-evm-charge-00 §6.2): an EIP-3009 transfer signed by
// the payer, whose nonce is the challenge hash. Checked (token known to implement EIP-3009,
// signer, recipient, value, nonce, validity window, balance, nonce unused on chain), then
// submitted by the sponsor as `transferWithAuthorization` and confirmed by its Transfer log.
import type { Hex } from 'viem'
import * as Address from '../../Address.js'
import * as Authorization from '../../Authorization.js'
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
  payerOf(parameters.source, chain.chainId, payload.from)
  await Authorization.verify({
    chain,
    token: request.currency,
    domain: eip3009,
    authorization,
    signature: payload.signature as Hex,
    now: parameters.now,
  })
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
