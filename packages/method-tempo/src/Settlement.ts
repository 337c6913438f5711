// After a transaction is mined, in both modes (draft-tempo-charge-00 §"Hash Verification",
// §"Settlement Procedure"): the receipt must show success and `Transfer` /
// `TransferWithMemo` logs of the currency, sent by the payer, that pay every transfer the
// request asks for, the primary one bound to the challenge (Binding.ts). The transaction
// hash is claimed once, so one transaction never pays two challenges.
import { Errors, type Method } from '@paywire/core'
import * as Binding from './Binding.js'
import type * as Chain from './Chain.js'
import type * as ChargeRequest from './ChargeRequest.js'
import * as Transfer from './Transfer.js'

/**
 * Checks a receipt against a request: success, and logs from `payer` paying each
 * expected transfer, the primary one carrying a memo that binds it to `challenge`.
 *
 * @throws {PaymentRevertedError} when the transaction failed.
 * @throws {SenderMismatchError} when the transfers exist but were sent by someone else.
 * @throws {PaymentMismatchError} when a required transfer is missing.
 * @example
 * ```ts
 * import { Settlement } from '@paywire/method-tempo'
 * declare const receipt: import('@paywire/method-tempo').Chain.Receipt
 * declare const request: import('@paywire/method-tempo').ChargeRequest.ChargeRequest
 * Settlement.verifyReceipt({
 *   receipt,
 *   request,
 *   challenge: { id: 'challenge-id', realm: 'api.example.com' },
 *   payer: '0x1234567890abcdef1234567890abcdef12345678',
 * })
 * ```
 */
export function verifyReceipt(parameters: verifyReceipt.Parameters): void {
  const { receipt, request, payer } = parameters
  if (receipt.status !== 'success')
    throw new PaymentRevertedError(`transaction ${receipt.transactionHash} reverted`)
  const binding = Binding.of(request, parameters.challenge)
  const movements = Transfer.fromLogs(receipt.logs, request.currency)
  const fromPayer = movements.filter((movement) => Transfer.sameAddress(movement.from, payer))
  const { missing } = Binding.match(binding, fromPayer)
  const first = missing[0]
  if (first === undefined) return
  if (Binding.match(binding, movements).missing.length === 0)
    throw new SenderMismatchError(`the transfers were not sent by the payer ${payer}`)
  const unbound = Binding.match(
    {
      alternatives: [
        binding.alternatives[0]?.map((transfer) => ({ ...transfer, memo: undefined })) ?? [],
      ],
      bound: false,
    },
    fromPayer,
  )
  if (unbound.missing.length === 0)
    throw new UnboundPaymentError(
      `transaction ${receipt.transactionHash} pays the amount, but its transfer carries no memo binding it to this challenge`,
    )
  throw new PaymentMismatchError(
    `no ${request.currency} transfer from ${payer} pays ${first.amount} to ${first.recipient}${
      first.memo === undefined ? '' : ` with memo ${first.memo}`
    }`,
  )
}

export declare namespace verifyReceipt {
  type Parameters = {
    receipt: Chain.Receipt
    request: ChargeRequest.ChargeRequest
    /** The challenge paid: the primary transfer's memo must bind to it. */
    challenge: Binding.ChallengeRef
    /** The account whose transfers count. */
    payer: string
  }
}

/**
 * Claims a settled transaction hash for one challenge through the transport's store.
 * Call only once every check has passed.
 *
 * @throws {PaymentAlreadyUsedError} when the hash already paid a challenge.
 * @example
 * ```ts
 * import { Settlement } from '@paywire/method-tempo'
 * declare const context: import('@paywire/core').Method.Context
 * await Settlement.claim({ context, chainId: 4217, hash: `0x${'ab'.repeat(32)}` })
 * ```
 */
export async function claim(parameters: claim.Parameters): Promise<void> {
  const key = claimKey(parameters.chainId, parameters.hash)
  const ttlSeconds = parameters.ttlSeconds ?? defaultClaimTtlSeconds
  if (!(await parameters.context.claim(key, { ttlSeconds })))
    throw new PaymentAlreadyUsedError(`transaction ${parameters.hash} already paid a challenge`)
}

export declare namespace claim {
  type Parameters = {
    context: Method.Context
    chainId: number
    hash: string
    ttlSeconds?: number | undefined
  }
}

/**
 * How long a claimed hash is remembered: 30 days. Push mode refuses older transactions.
 *
 * @example
 * ```ts
 * import { Settlement } from '@paywire/method-tempo'
 * Settlement.defaultClaimTtlSeconds / 86_400 // 30 (days)
 * ```
 */
export const defaultClaimTtlSeconds = 30 * 24 * 3600

/**
 * The store key under which a transaction hash is claimed (lower-cased: hashes that differ
 * only in letter case are the same transaction).
 *
 * @example
 * ```ts
 * import { Settlement } from '@paywire/method-tempo'
 * Settlement.claimKey(4217, '0xAB') // 'tempo:charge:4217:0xab'
 * ```
 */
export function claimKey(chainId: number, hash: string): string {
  return `tempo:charge:${chainId}:${hash.toLowerCase()}`
}

/** The transaction was mined but reverted. */
export class PaymentRevertedError extends Errors.BaseError {
  override readonly name = 'Settlement.PaymentRevertedError'
  readonly code = 'ERR_TEMPO_PAYMENT_REVERTED'
  readonly problem = 'verification-failed' as const
}

/** No settled transaction could be found or confirmed. */
export class PaymentNotSettledError extends Errors.BaseError {
  override readonly name = 'Settlement.PaymentNotSettledError'
  readonly code = 'ERR_TEMPO_PAYMENT_NOT_SETTLED'
  readonly problem = 'verification-failed' as const
}

/** The receipt lacks a transfer the challenge asks for. */
export class PaymentMismatchError extends Errors.BaseError {
  override readonly name = 'Settlement.PaymentMismatchError'
  readonly code = 'ERR_TEMPO_PAYMENT_MISMATCH'
  readonly problem = 'verification-failed' as const
}

/** The transfers were sent by another account than the credential's payer. */
export class SenderMismatchError extends Errors.BaseError {
  override readonly name = 'Settlement.SenderMismatchError'
  readonly code = 'ERR_TEMPO_SENDER_MISMATCH'
  readonly problem = 'verification-failed' as const
}

/**
 * The transfers pay the amount but nothing ties them to this challenge (no memo of this
 * challenge): they may have paid someone else's.
 */
export class UnboundPaymentError extends Errors.BaseError {
  override readonly name = 'Settlement.UnboundPaymentError'
  readonly code = 'ERR_TEMPO_PAYMENT_UNBOUND'
  readonly problem = 'verification-failed' as const
}

/** The transaction already paid another challenge. */
export class PaymentAlreadyUsedError extends Errors.BaseError {
  override readonly name = 'Settlement.PaymentAlreadyUsedError'
  readonly code = 'ERR_TEMPO_PAYMENT_ALREADY_USED'
  readonly problem = 'verification-failed' as const
}
