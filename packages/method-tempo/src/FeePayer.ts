// Server-paid fees (draft-tempo-charge-00 §"Fee Payment", §"Server-Paid Fees" in the
// security considerations): the server co-signs the client's transaction in the 0x78
// fee-payer domain, choosing the fee token, under a policy: caps on the fee of one payment
// and on the priority fee the payer bids, a total budget, and a fee-token balance that must
// cover the worst case. A sponsor never signs what it has not simulated: a transaction the
// chain already knows, or whose calls would revert, is refused before anything is reserved.
import { Errors } from '@paywire/core'
import { Secp256k1 } from 'ox'
import { TxEnvelopeTempo } from 'ox/tempo'
import { type Hex, keccak256 } from 'viem'
import { privateKeyToAddress } from 'viem/accounts'
import type * as Chain from './Chain.js'

/**
 * pathUSD, the default fee token.
 *
 * @example
 * ```ts
 * import { FeePayer } from '@paywire/method-tempo'
 * FeePayer.from({ privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d', feeToken: FeePayer.pathUsd, maxFeePerPayment: 50_000n, budget: 10_000_000n })
 * ```
 */
export const pathUsd = '0x20c0000000000000000000000000000000000000'

/** A sponsor: co-signs transactions within its policy and keeps its budget. */
export type FeePayer = {
  /** The sponsor's address. */
  readonly address: string
  /** The TIP-20 token fees are paid in. */
  readonly feeToken: string
  /** Base units spent on the fees of transactions this sponsor's own sponsorships got mined. */
  spent(): bigint
  /**
   * Checks the transaction against the policy (gas, fee caps), simulates its calls on the
   * pending state (refusing one that would revert), co-signs it, refuses it when the chain
   * already knows the co-signed transaction (a replay: its fee was paid once, by whoever got
   * it mined) or while another sponsorship of it is open, then checks and reserves the
   * worst-case fee against the budget and the fee-token balance. Nothing is reserved for a
   * refused transaction. Call `settle` (with the receipt of the broadcast this sponsorship
   * made) or `release` on the result once the outcome is known.
   */
  sponsor(parameters: sponsor.Parameters): Promise<Sponsorship>
  /**
   * The hash the transaction will have once this sponsor co-signs it, for looking it up on
   * chain before sponsoring. The co-signature itself is never handed out here.
   */
  hashOf(parameters: { envelope: TxEnvelopeTempo.TxEnvelopeTempo; sender: string }): Hex
}

export declare namespace sponsor {
  type Parameters = {
    envelope: TxEnvelopeTempo.TxEnvelopeTempo
    sender: string
    chain: Chain.Chain
  }
}

/** A co-signed transaction and its reserved fee. */
export type Sponsorship = {
  serialized: Hex
  /** The co-signed transaction's hash. */
  hash: Hex
  /** The worst-case fee reserved, in base units of the fee token. */
  maxFee: bigint
  /**
   * Records the fee actually paid and frees the reservation. Only a receipt of this very
   * transaction counts (another hash is ignored): the sponsor paid for nothing else.
   */
  settle(receipt: Chain.Receipt): void
  /** Frees the reservation: the transaction was not mined. */
  release(): void
}

/**
 * A fee payer from a private key and a policy.
 *
 * @example
 * ```ts
 * import { FeePayer } from '@paywire/method-tempo'
 * const feePayer = FeePayer.from({
 *   privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
 *   maxFeePerPayment: 50_000n, // 0.05 pathUSD
 *   budget: 10_000_000n, // 10 pathUSD in all
 * })
 * ```
 */
export function from(options: from.Options): FeePayer {
  const address = privateKeyToAddress(options.privateKey)
  const feeToken = options.feeToken ?? pathUsd
  const maxPriorityFeePerGas = options.maxPriorityFeePerGas ?? defaultMaxPriorityFeePerGas
  let spent = 0n
  let reserved = 0n
  const inFlight = new Set<string>()
  const cosign = (envelope: TxEnvelopeTempo.TxEnvelopeTempo, sender: string): Hex => {
    const withToken = { ...envelope, feeToken: feeToken as Hex }
    const signature = Secp256k1.sign({
      payload: TxEnvelopeTempo.getFeePayerSignPayload(withToken, { sender: sender as Hex }),
      privateKey: options.privateKey,
    })
    return TxEnvelopeTempo.serialize(withToken, { feePayerSignature: signature })
  }
  return {
    address,
    feeToken,
    spent: () => spent,
    hashOf: ({ envelope, sender }) => keccak256(cosign(envelope, sender)),
    async sponsor({ envelope, sender, chain }) {
      const maxFee = checkFees(envelope, options.maxFeePerPayment, maxPriorityFeePerGas)
      // Simulated before it is co-signed: a sponsor never signs what would revert.
      await assertWillSettle({ envelope, sender, chain })
      const serialized = cosign(envelope, sender)
      const hash = keccak256(serialized)
      if (inFlight.has(hash))
        throw new SponsorPolicyError('in-flight', 'this transaction is already being sponsored')
      inFlight.add(hash)
      try {
        // A replay: its fee was paid once, by whoever got it mined.
        if ((await chain.getTransactionReceipt(hash)) !== undefined)
          throw new SponsorPolicyError('mined', 'this transaction is already on chain')
        const balance = await chain.getTokenBalance(feeToken, address)
        // Checked and reserved synchronously after the last await: concurrent calls cannot overbook.
        if (spent + reserved + maxFee > options.budget)
          throw new SponsorPolicyError('budget', unavailable, {
            cause: new Error(`budget ${options.budget}, spent ${spent}, reserved ${reserved}`),
          })
        if (balance < reserved + maxFee)
          throw new SponsorPolicyError('balance', unavailable, {
            cause: new Error(`fee token balance ${balance}, needed ${reserved + maxFee}`),
          })
      } catch (error) {
        inFlight.delete(hash)
        throw error
      }
      reserved += maxFee
      let done = false
      const release = () => {
        if (done) return
        done = true
        reserved -= maxFee
        inFlight.delete(hash)
      }
      return {
        serialized,
        hash,
        maxFee,
        release,
        settle(receipt) {
          if (done || receipt.transactionHash.toLowerCase() !== hash) return
          release()
          spent += feeOf(receipt.gasUsed, receipt.effectiveGasPrice)
        },
      }
    },
  }
}

export declare namespace from {
  type Options = {
    /** The sponsor's secp256k1 key. */
    privateKey: Hex
    /** Fee token (a USD TIP-20); default pathUSD. */
    feeToken?: string | undefined
    /** Largest worst-case fee (gas × maxFeePerGas) sponsored for one payment, base units. */
    maxFeePerPayment: bigint
    /**
     * Largest priority fee per gas (attodollars) a sponsored transaction may bid; default
     * {@link defaultMaxPriorityFeePerGas}. The payer chooses it and the sponsor pays it.
     */
    maxPriorityFeePerGas?: bigint | undefined
    /** Total fees this sponsor may pay over its lifetime, base units. */
    budget: bigint
  }
}

/**
 * The priority fee per gas a sponsor accepts by default: 1 gwei-equivalent (10^9
 * attodollars), a thousandth of a base unit per million gas.
 *
 * @example
 * ```ts
 * import { FeePayer } from '@paywire/method-tempo'
 * FeePayer.defaultMaxPriorityFeePerGas // 1_000_000_000n
 * ```
 */
export const defaultMaxPriorityFeePerGas = 1_000_000_000n

/**
 * The fee in base units of a 6-decimal TIP-20 token for `gas` at `pricePerGas`
 * (attodollars, 10^-18 USD), rounded up.
 *
 * @example
 * ```ts
 * import { FeePayer } from '@paywire/method-tempo'
 * FeePayer.feeOf(21_000n, 20_000_000_000n) // 420n
 * ```
 */
export function feeOf(gas: bigint, pricePerGas: bigint): bigint {
  const scale = 10n ** 12n
  return (gas * pricePerGas + scale - 1n) / scale
}

/** Which sponsorship rule refused a transaction. */
export type PolicyCheck =
  | 'gas'
  | 'max-fee'
  | 'priority-fee'
  | 'budget'
  | 'balance'
  | 'mined'
  | 'in-flight'
  | 'revert'

/** What a client learns when the sponsor's own state refuses: nothing about that state. */
const unavailable = 'the server cannot sponsor this payment now'

/** The worst-case fee of an envelope, checked against the caps of the policy. */
function checkFees(
  envelope: TxEnvelopeTempo.TxEnvelopeTempo,
  maxFeePerPayment: bigint,
  maxPriorityFeePerGas: bigint,
): bigint {
  const { gas, maxFeePerGas } = envelope
  if (gas === undefined || maxFeePerGas === undefined || maxFeePerGas === 0n)
    throw new SponsorPolicyError('gas', 'the transaction sets no gas limit or max fee per gas')
  const priority = envelope.maxPriorityFeePerGas ?? 0n
  if (priority > maxPriorityFeePerGas)
    throw new SponsorPolicyError(
      'priority-fee',
      `the transaction bids a priority fee of ${priority} per gas; at most ${maxPriorityFeePerGas} is sponsored`,
    )
  const maxFee = feeOf(gas, maxFeePerGas)
  if (maxFee > maxFeePerPayment)
    throw new SponsorPolicyError(
      'max-fee',
      `worst-case fee ${maxFee} exceeds the cap of ${maxFeePerPayment} per payment`,
    )
  return maxFee
}

/**
 * Refuses a transaction whose calls revert on the pending state, each run with the
 * transaction's own gas limit: mined, it would fail and the sponsor would pay its fee.
 */
async function assertWillSettle(parameters: {
  envelope: TxEnvelopeTempo.TxEnvelopeTempo
  sender: string
  chain: Chain.Chain
}): Promise<void> {
  const { envelope, sender, chain } = parameters
  const calls = envelope.calls.map((call) => ({
    to: call.to as string,
    data: (call.data ?? '0x') as Hex,
  }))
  const outcomes = await chain.simulateCalls({ from: sender, calls, gas: envelope.gas })
  const failed = outcomes.findIndex((outcome) => outcome.status !== 'success')
  if (failed !== -1)
    throw new SponsorPolicyError(
      'revert',
      `call ${failed} of the transaction reverts on the current state (the sender cannot pay, the token refuses the transfer, or the gas limit is too low)`,
    )
}

/** The sponsor's policy refuses to pay this transaction's fee. */
export class SponsorPolicyError extends Errors.BaseError {
  override readonly name = 'FeePayer.SponsorPolicyError'
  readonly code = 'ERR_TEMPO_SPONSOR_POLICY'
  readonly problem = 'verification-failed' as const
  constructor(
    readonly check: PolicyCheck,
    detail: string,
    options: Errors.BaseError.Options = {},
  ) {
    super(`fee sponsorship refused (${check}): ${detail}`, options)
  }
}
