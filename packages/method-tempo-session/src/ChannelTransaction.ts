// The client's signed channel transactions (draft-tempo-session §"Open Verification" and
// §"TopUp Verification", step 1): Tempo (0x76) transactions whose calls are the payer's
// `approve` of the escrow for the amount (optional) and the escrow's `open` or `topUp`.
// Checked before they are broadcast (and before a sponsor co-signs them, §"Fee Payment"):
// chain, contracts, payee, token, amounts, nothing else, and the fee payer slot the
// challenge asks for; the payer is the recovered sender and the channel id is derived as
// the escrow derives it.
import { Errors } from '@paywire/core'
import { Escrow } from '@paywire/escrow'
import { Transaction } from '@paywire/method-tempo'
import type { TxEnvelopeTempo } from 'ox/tempo'
import {
  type Address,
  decodeFunctionData,
  encodeAbiParameters,
  type Hex,
  keccak256,
  parseAbi,
} from 'viem'

/** What a verified open transaction opens. */
export type Opened = {
  channelId: Hex
  payer: Address
  payee: Address
  token: Address
  deposit: bigint
  salt: Hex
  authorizedSigner: Address
}

/**
 * Decodes a signed open transaction and checks it against the challenge before broadcast.
 *
 * @throws {ChannelTransactionError} naming the check that failed.
 * @example
 * ```ts
 * import { ChannelTransaction } from '@paywire/method-tempo-session'
 * declare const transaction: `0x76${string}`
 * const opened = ChannelTransaction.verifyOpen(transaction, {
 *   chainId: 4217,
 *   escrow: '0x9d136eEa063eDE5418A6BC7bEafF009bBb6CFa70',
 *   recipient: '0x742d35cc6634c0532925a3b844bc9e7595f8fe00',
 *   currency: '0x20c0000000000000000000000000000000000000',
 * })
 * ```
 */
export function verifyOpen(transaction: Hex, options: verifyOpen.Options): Opened {
  const { calls, payer } = decode(transaction, options.chainId, options.feePayer === true)
  const open = decodeCall(calls[calls.length - 1], options.escrow, Escrow.abi, 'open')
  const [payee, token, deposit, salt, authorizedSigner] = open.args as OpenArgs
  if (!same(payee, options.recipient))
    throw new ChannelTransactionError(`open pays ${payee}, not the recipient`)
  if (!same(token, options.currency))
    throw new ChannelTransactionError(`open escrows ${token}, not the currency`)
  checkApprove(calls, options, deposit)
  const channelId = keccak256(
    encodeAbiParameters(
      [
        { type: 'address' },
        { type: 'address' },
        { type: 'address' },
        { type: 'bytes32' },
        { type: 'address' },
        { type: 'address' },
        { type: 'uint256' },
      ],
      [payer, payee, token, salt, authorizedSigner, options.escrow, BigInt(options.chainId)],
    ),
  )
  return { channelId, payer, payee, token, deposit, salt, authorizedSigner }
}

export declare namespace verifyOpen {
  type Options = {
    chainId: number
    escrow: Address
    /** The challenge's `recipient`: the channel's payee. */
    recipient: Address
    /** The challenge's `currency`: the channel's token. */
    currency: Address
    /**
     * The challenge's `methodDetails.feePayer`: with `true` the transaction must carry the
     * `0x00` fee payer placeholder and no fee token; otherwise it must pay its own fees.
     */
    feePayer?: boolean | undefined
  }
}

/**
 * Decodes a signed top-up transaction and checks it before broadcast: sent by the
 * channel's payer, it tops up exactly `additionalDeposit` on `channelId`, nothing else.
 *
 * @throws {ChannelTransactionError} naming the check that failed.
 * @example
 * ```ts
 * import { ChannelTransaction } from '@paywire/method-tempo-session'
 * declare const transaction: `0x76${string}`
 * ChannelTransaction.verifyTopUp(transaction, {
 *   chainId: 4217,
 *   escrow: '0x9d136eEa063eDE5418A6BC7bEafF009bBb6CFa70',
 *   currency: '0x20c0000000000000000000000000000000000000',
 *   channelId: `0x${'ab'.repeat(32)}`,
 *   payer: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
 *   additionalDeposit: 5000000n,
 * })
 * ```
 */
export function verifyTopUp(transaction: Hex, options: verifyTopUp.Options): void {
  const { calls, payer } = decode(transaction, options.chainId, options.feePayer === true)
  if (!same(payer, options.payer))
    throw new ChannelTransactionError(`the top-up is sent by ${payer}, not the channel's payer`)
  const topUp = decodeCall(calls[calls.length - 1], options.escrow, Escrow.abi, 'topUp')
  const [channelId, additionalDeposit] = topUp.args as TopUpArgs
  if (!same(channelId, options.channelId))
    throw new ChannelTransactionError(`the transaction tops up channel ${channelId}`)
  if (additionalDeposit !== options.additionalDeposit)
    throw new ChannelTransactionError(
      `the transaction adds ${additionalDeposit}, the credential says ${options.additionalDeposit}`,
    )
  checkApprove(calls, options, additionalDeposit)
}

export declare namespace verifyTopUp {
  type Options = {
    chainId: number
    escrow: Address
    /** The channel's token. */
    currency: Address
    channelId: Hex
    /** The channel's payer, from the chain. */
    payer: Address
    /** The credential's `additionalDeposit`. */
    additionalDeposit: bigint
    /** The challenge's `methodDetails.feePayer`, as for {@link verifyOpen}. */
    feePayer?: boolean | undefined
  }
}

type Call = TxEnvelopeTempo.TxEnvelopeTempo['calls'][number]

/** Decodes, recovers the sender, and refuses extra effects and a fee payer slot the challenge did not ask for. */
function decode(
  transaction: Hex,
  chainId: number,
  sponsored: boolean,
): { calls: readonly Call[]; payer: Address } {
  let decoded: ReturnType<typeof Transaction.deserialize>
  try {
    decoded = Transaction.deserialize(transaction)
  } catch (cause) {
    throw new ChannelTransactionError('not a signed Tempo transaction', { cause })
  }
  const { envelope } = decoded
  if (envelope.chainId !== chainId)
    throw new ChannelTransactionError(`transaction is for chain ${envelope.chainId}`)
  if ((envelope.accessList?.length ?? 0) > 0 || (envelope.authorizationList?.length ?? 0) > 0)
    throw new ChannelTransactionError('transaction carries an access or authorization list')
  if (envelope.keyAuthorization !== undefined)
    throw new ChannelTransactionError('transaction provisions an access key')
  if (sponsored) {
    if (envelope.feePayerSignature !== null)
      throw new ChannelTransactionError(
        'with feePayer the fee payer slot must hold the 0x00 placeholder',
      )
    if (envelope.feeToken !== undefined)
      throw new ChannelTransactionError('with feePayer the fee token must be left empty')
  } else if (envelope.feePayerSignature === null)
    throw new ChannelTransactionError('fee sponsorship was not offered in the challenge')
  const { calls } = envelope
  if (calls.length === 0 || calls.length > 2)
    throw new ChannelTransactionError('expected an optional approve and one escrow call')
  for (const call of calls)
    if ((call.value ?? 0n) !== 0n) throw new ChannelTransactionError('a call carries value')
  return { calls, payer: decoded.sender.toLowerCase() as Address }
}

/** With two calls, the first approves the escrow for exactly `amount` of the token. */
function checkApprove(
  calls: readonly Call[],
  options: { escrow: Address; currency: Address },
  amount: bigint,
): void {
  if (calls.length !== 2) return
  const [spender, approved] = decodeCall(calls[0], options.currency, approveAbi, 'approve')
    .args as ApproveArgs
  if (!same(spender, options.escrow) || approved !== amount)
    throw new ChannelTransactionError('approve must grant the escrow exactly the amount')
}

const approveAbi = parseAbi(['function approve(address spender, uint256 amount) returns (bool)'])

function decodeCall(
  call: Call | undefined,
  to: Address,
  abi: readonly unknown[],
  name: string,
): { args: readonly unknown[] } {
  if (call?.to == null || !same(call.to, to))
    throw new ChannelTransactionError(
      `the ${name} call goes to ${call?.to ?? 'nowhere'}, not ${to}`,
    )
  try {
    const decoded = decodeFunctionData({ abi: abi as never, data: call.data ?? '0x' }) as {
      functionName: string
      args?: readonly unknown[]
    }
    if (decoded.functionName !== name) throw new Error(`calls ${decoded.functionName}`)
    return { args: decoded.args ?? [] }
  } catch (cause) {
    throw new ChannelTransactionError(`expected a ${name} call`, { cause })
  }
}

type OpenArgs = readonly [Address, Address, bigint, Hex, Address]
type ApproveArgs = readonly [Address, bigint]
type TopUpArgs = readonly [Hex, bigint]

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase()
}

/**
 * The transaction does not open or top up what the credential says, or does more, or it
 * reverted on chain once broadcast (its `cause` is then `EscrowChain.TransactionRevertedError`).
 */
export class ChannelTransactionError extends Errors.BaseError {
  override readonly name = 'ChannelTransaction.ChannelTransactionError'
  readonly code = 'ERR_SESSION_CHANNEL_TRANSACTION'
  readonly problem = 'verification-failed' as const
}
