// Pull mode before broadcast (draft-tempo-charge-00 §"Transaction Verification"): decode
// the client's signed 0x76 transaction, recover its sender (low-s signatures only), and
// check that it does exactly what the challenge asked: chain id, token, recipients,
// amounts, memos bound to the challenge (Binding.ts), splits, a validity window inside the
// challenge's expiry, the fee fields of its fee mode, and nothing else (no extra call,
// access list, authorization or key provisioning).
import { Errors } from '@paywire/core'
import { Secp256k1 } from 'ox'
import { SignatureEnvelope, TxEnvelopeTempo } from 'ox/tempo'
import * as Binding from './Binding.js'
import type * as ChargeRequest from './ChargeRequest.js'
import * as Transfer from './Transfer.js'

/** A decoded client transaction and its recovered sender. */
export type Decoded = {
  envelope: TxEnvelopeTempo.TxEnvelopeTempo
  /** The signer (secp256k1 recovery over the sender sign payload). */
  sender: string
}

/**
 * Decodes a serialized signed Tempo transaction and recovers its sender. Refuses
 * anything that does not re-serialize to the same bytes (no alternative encodings), an
 * unsigned transaction, and signature types other than secp256k1.
 *
 * @throws {MalformedTransactionError}
 * @example
 * ```ts
 * import { Transaction } from '@paywire/method-tempo'
 * declare const serialized: `0x76${string}`
 * const { envelope, sender } = Transaction.deserialize(serialized)
 * ```
 */
export function deserialize(serialized: string): Decoded {
  let envelope: TxEnvelopeTempo.TxEnvelopeTempo
  try {
    envelope = TxEnvelopeTempo.deserialize(serialized as TxEnvelopeTempo.Serialized)
    TxEnvelopeTempo.assert(envelope)
  } catch (cause) {
    throw new MalformedTransactionError('payload.signature is not a valid Tempo transaction', {
      cause,
    })
  }
  const signature = envelope.signature
  if (signature === undefined)
    throw new MalformedTransactionError('the transaction carries no sender signature')
  if (signature.type !== 'secp256k1')
    throw new MalformedTransactionError(`sender signature type ${signature.type} is not supported`)
  // The malleable twin of a signature (s above half the order) recovers the same sender
  // but gives other bytes and another hash: refuse it, so one payment has one hash.
  if (signature.signature.s > Secp256k1.noble.CURVE.n / 2n)
    throw new MalformedTransactionError('the sender signature is not in low-s form')
  let canonical: string
  let sender: string
  try {
    canonical = TxEnvelopeTempo.serialize(envelope)
    sender = SignatureEnvelope.extractAddress({
      payload: TxEnvelopeTempo.getSignPayload(envelope),
      signature,
    })
  } catch (cause) {
    throw new MalformedTransactionError('the sender signature cannot be recovered', { cause })
  }
  if (canonical.toLowerCase() !== serialized.toLowerCase())
    throw new MalformedTransactionError('the transaction is not canonically encoded')
  return { envelope, sender }
}

/**
 * Checks, before anything is broadcast, that a decoded transaction pays exactly what the
 * request asks and nothing else, within the challenge's validity, with its primary
 * transfer bound to `challenge` (Binding.ts). `expires` is the challenge's expiry in Unix
 * seconds (when the challenge has one); `now` is in seconds.
 *
 * @throws {TransactionMismatchError} naming the failed check.
 * @throws {TransactionExpiredError} when the transaction's validity already ended.
 * @example
 * ```ts
 * import { Transaction } from '@paywire/method-tempo'
 * declare const decoded: Transaction.Decoded
 * declare const request: import('@paywire/method-tempo').ChargeRequest.ChargeRequest
 * const challenge = { id: 'challenge-id', realm: 'api.example.com' }
 * Transaction.verify(decoded, { request, challenge, now: Math.floor(Date.now() / 1000) })
 * ```
 */
export function verify(decoded: Decoded, options: verify.Options): void {
  const { envelope } = decoded
  const { request } = options
  const fail = (check: Check, detail: string) => {
    throw new TransactionMismatchError(check, detail)
  }
  if (envelope.chainId !== request.methodDetails.chainId)
    fail(
      'chain-id',
      `transaction is for chain ${envelope.chainId}, the challenge for chain ${request.methodDetails.chainId}`,
    )
  verifyCalls(envelope, Binding.of(request, options.challenge), request, fail)
  if ((envelope.accessList?.length ?? 0) > 0)
    fail('extra-effect', 'transaction carries an access list')
  if ((envelope.authorizationList?.length ?? 0) > 0)
    fail('extra-effect', 'transaction carries an authorization list')
  if (envelope.keyAuthorization !== undefined)
    fail('extra-effect', 'transaction provisions an access key')
  verifyValidity(envelope, options, fail)
  if (request.methodDetails.feePayer === true) {
    if (envelope.feePayerSignature !== null)
      fail('fee-payer', 'with feePayer the fee payer slot must hold the 0x00 placeholder')
    if (envelope.feeToken !== undefined)
      fail('fee-payer', 'with feePayer the fee token must be empty')
  } else if (envelope.feePayerSignature === null)
    fail('fee-payer', 'transaction asks for a fee payer, but the challenge has none')
}

export declare namespace verify {
  type Options = {
    request: ChargeRequest.ChargeRequest
    /** The challenge the transaction pays: its transfers must be bound to it. */
    challenge: Binding.ChallengeRef
    /** Challenge expiry, Unix seconds. */
    expires?: number | undefined
    /** Current time, Unix seconds. */
    now: number
  }
}

/** The names of the checks a transaction can fail. */
export type Check =
  | 'chain-id'
  | 'call'
  | 'token'
  | 'transfers'
  | 'extra-effect'
  | 'validity-window'
  | 'fee-payer'

function verifyCalls(
  envelope: TxEnvelopeTempo.TxEnvelopeTempo,
  binding: Binding.Binding,
  request: ChargeRequest.ChargeRequest,
  fail: (check: Check, detail: string) => never,
): void {
  const movements: Transfer.Movement[] = []
  envelope.calls.forEach((call, index) => {
    const movement = Transfer.decodeCall(call)
    if (movement === undefined)
      fail('call', `call ${index} is not a transfer or transferWithMemo without value`)
    if (!Transfer.sameAddress(movement.token, request.currency))
      fail(
        'token',
        `call ${index} transfers token ${movement.token}, the challenge asks ${request.currency}`,
      )
    movements.push(movement)
  })
  const { missing, unused } = Binding.match(binding, movements)
  const first = missing[0]
  if (first !== undefined)
    fail(
      'transfers',
      `no call pays ${first.amount} to ${first.recipient}${first.memo === undefined ? '' : ` with memo ${first.memo}`}${binding.alternatives.length > 1 ? ' (or the attribution memo of this challenge)' : ''}`,
    )
  if (unused.length > 0)
    fail('extra-effect', `${unused.length} transfer call(s) beyond what the challenge asks`)
}

function verifyValidity(
  envelope: TxEnvelopeTempo.TxEnvelopeTempo,
  options: verify.Options,
  fail: (check: Check, detail: string) => never,
): void {
  const { validBefore, validAfter } = envelope
  if (validBefore === undefined) fail('validity-window', 'transaction has no validBefore')
  if (options.expires !== undefined && validBefore > options.expires)
    fail(
      'validity-window',
      `validBefore ${validBefore} is after the challenge expiry ${options.expires}`,
    )
  if (validBefore <= options.now)
    throw new TransactionExpiredError(`transaction expired at ${validBefore} (now ${options.now})`)
  if (validAfter !== undefined && validAfter > options.now)
    fail('validity-window', `validAfter ${validAfter} is in the future`)
}

/** `payload.signature` is not a decodable, signed, canonical Tempo transaction. */
export class MalformedTransactionError extends Errors.BaseError {
  override readonly name = 'Transaction.MalformedTransactionError'
  readonly code = 'ERR_TEMPO_TRANSACTION_MALFORMED'
  readonly problem = 'malformed-credential' as const
}

/** The transaction does not do exactly what the challenge asked; `check` says which check failed. */
export class TransactionMismatchError extends Errors.BaseError {
  override readonly name = 'Transaction.TransactionMismatchError'
  readonly code = 'ERR_TEMPO_TRANSACTION_MISMATCH'
  readonly problem = 'verification-failed' as const
  constructor(
    readonly check: Check,
    detail: string,
  ) {
    super(`transaction check "${check}" failed: ${detail}`)
  }
}

/** The transaction's validity window has ended. */
export class TransactionExpiredError extends Errors.BaseError {
  override readonly name = 'Transaction.TransactionExpiredError'
  readonly code = 'ERR_TEMPO_TRANSACTION_EXPIRED'
  readonly problem = 'payment-expired' as const
}
