// Every error the EVM charge raises, each with a stable code and the problem type a server
// answers it with (draft-evm-charge-00 §9: `verification-failed`, `malformed-credential`,
// plus the core's `payment-expired`). Messages name the failed check and never carry
// credential material, keys, or the sponsor's state.
import { Errors } from '@paywire/core'

/** The credential's type is not one this challenge accepts, or cannot pay it (splits). */
export class CredentialTypeRefusedError extends Errors.BaseError {
  override readonly name = 'Errors.CredentialTypeRefusedError'
  readonly code = 'ERR_EVM_CREDENTIAL_TYPE_REFUSED'
  readonly problem = 'verification-failed' as const
}

/** The payment is not bound to this challenge (challenge hash, witness, nonce, calldata). */
export class BindingMismatchError extends Errors.BaseError {
  override readonly name = 'Errors.BindingMismatchError'
  readonly code = 'ERR_EVM_BINDING_MISMATCH'
  readonly problem = 'verification-failed' as const
}

/** The payment moves another token, amount or recipient than the challenge asks for. */
export class TransferMismatchError extends Errors.BaseError {
  override readonly name = 'Errors.TransferMismatchError'
  readonly code = 'ERR_EVM_TRANSFER_MISMATCH'
  readonly problem = 'verification-failed' as const
}

/** A signature does not verify, or was not made by the account it names. */
export class SignatureInvalidError extends Errors.BaseError {
  override readonly name = 'Errors.SignatureInvalidError'
  readonly code = 'ERR_EVM_SIGNATURE_INVALID'
  readonly problem = 'verification-failed' as const
}

/** The credential's `source` is malformed, on another chain, or not the paying account. */
export class SourceMismatchError extends Errors.BaseError {
  override readonly name = 'Errors.SourceMismatchError'
  readonly code = 'ERR_EVM_SOURCE_MISMATCH'
  readonly problem = 'verification-failed' as const
}

/** The signed authorization's validity window (deadline, validBefore) has passed or not begun. */
export class AuthorizationExpiredError extends Errors.BaseError {
  override readonly name = 'Errors.AuthorizationExpiredError'
  readonly code = 'ERR_EVM_AUTHORIZATION_EXPIRED'
  readonly problem = 'payment-expired' as const
}

/** The payer's token balance or Permit2 allowance cannot cover the payment. */
export class InsufficientFundsError extends Errors.BaseError {
  override readonly name = 'Errors.InsufficientFundsError'
  readonly code = 'ERR_EVM_INSUFFICIENT_FUNDS'
  readonly problem = 'verification-failed' as const
}

/** Simulated on the pending state, the transaction reverts: nothing was broadcast. */
export class WouldRevertError extends Errors.BaseError {
  override readonly name = 'Errors.WouldRevertError'
  readonly code = 'ERR_EVM_WOULD_REVERT'
  readonly problem = 'verification-failed' as const
}

/** The replay token (nonce, authorization, transaction hash) already paid a challenge. */
export class AlreadyUsedError extends Errors.BaseError {
  override readonly name = 'Errors.AlreadyUsedError'
  readonly code = 'ERR_EVM_ALREADY_USED'
  readonly problem = 'verification-failed' as const
}

/** No successful, confirmed transaction pays the challenge (unknown, reverted, unconfirmed). */
export class NotSettledError extends Errors.BaseError {
  override readonly name = 'Errors.NotSettledError'
  readonly code = 'ERR_EVM_NOT_SETTLED'
  readonly problem = 'verification-failed' as const
}

/**
 * A transaction was broadcast but its outcome could not be learnt in time. No problem
 * type: the server answers 500 and keeps the challenge claimed (fail closed).
 */
export class SettlementUnknownError extends Errors.BaseError {
  override readonly name = 'Errors.SettlementUnknownError'
  readonly code = 'ERR_EVM_SETTLEMENT_UNKNOWN'
  readonly problem = undefined
}

/** The server will not pay gas for this payment now (fee caps, budget, native balance). */
export class SponsorRefusedError extends Errors.BaseError {
  override readonly name = 'Errors.SponsorRefusedError'
  readonly code = 'ERR_EVM_SPONSOR_REFUSED'
  readonly problem = 'verification-failed' as const
}

/** A JSON-RPC call failed or timed out before anything was broadcast. */
export class ChainUnavailableError extends Errors.BaseError {
  override readonly name = 'Errors.ChainUnavailableError'
  readonly code = 'ERR_EVM_CHAIN_UNAVAILABLE'
  readonly problem = 'verification-failed' as const
}

/** The client will not pay this challenge (chain, terms, no usable credential type). */
export class RequestRefusedError extends Errors.BaseError {
  override readonly name = 'Errors.RequestRefusedError'
  readonly code = 'ERR_EVM_REQUEST_REFUSED'
  readonly problem = undefined
}

/** The server's configuration cannot build this request. */
export class ConfigurationError extends Errors.BaseError {
  override readonly name = 'Errors.ConfigurationError'
  readonly code = 'ERR_EVM_CONFIGURATION'
  readonly problem = undefined
}

/** Any error of the EVM charge. */
export type Error =
  | CredentialTypeRefusedError
  | BindingMismatchError
  | TransferMismatchError
  | SignatureInvalidError
  | SourceMismatchError
  | AuthorizationExpiredError
  | InsufficientFundsError
  | WouldRevertError
  | AlreadyUsedError
  | NotSettledError
  | SettlementUnknownError
  | SponsorRefusedError
  | ChainUnavailableError
  | RequestRefusedError
  | ConfigurationError
