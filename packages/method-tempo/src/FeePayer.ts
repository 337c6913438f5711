// Server-paid fees (draft-tempo-charge-00 §"Fee Payment"): the server co-signs the
// client's transaction in the 0x78 fee-payer domain, choosing the fee token, under a
// policy: a cap on the fee of one payment, a total sponsor budget, and a fee-token
// balance that must cover the worst case (§"Server Requirements", "Fee Token Exhaustion").
import { Errors } from '@paywire/core'
import { Secp256k1 } from 'ox'
import { TxEnvelopeTempo } from 'ox/tempo'
import type { Hex } from 'viem'
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
  /** Base units spent on fees so far (settled payments). */
  spent(): bigint
  /**
   * Checks the policy, reserves the transaction's worst-case fee, and returns the
   * co-signed serialization. Call `settle` or `release` on the result once the outcome
   * is known.
   */
  sponsor(parameters: sponsor.Parameters): Promise<Sponsorship>
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
  /** The worst-case fee reserved, in base units of the fee token. */
  maxFee: bigint
  /** Records the fee actually paid (from the receipt) and frees the reservation. */
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
  let spent = 0n
  let reserved = 0n
  return {
    address,
    feeToken,
    spent: () => spent,
    async sponsor({ envelope, sender, chain }) {
      const { gas, maxFeePerGas } = envelope
      if (gas === undefined || maxFeePerGas === undefined || maxFeePerGas === 0n)
        throw new SponsorPolicyError('gas', 'the transaction sets no gas limit or max fee per gas')
      const maxFee = feeOf(gas, maxFeePerGas)
      if (maxFee > options.maxFeePerPayment)
        throw new SponsorPolicyError(
          'max-fee',
          `worst-case fee ${maxFee} exceeds the cap of ${options.maxFeePerPayment} per payment`,
        )
      const balance = await chain.getTokenBalance(feeToken, address)
      // Checked and reserved synchronously after the last await: concurrent calls cannot overbook.
      if (spent + reserved + maxFee > options.budget)
        throw new SponsorPolicyError(
          'budget',
          `sponsor budget of ${options.budget} would be exceeded`,
        )
      if (balance < reserved + maxFee)
        throw new SponsorPolicyError(
          'balance',
          `fee token balance ${balance} cannot cover fee ${maxFee}`,
        )
      reserved += maxFee
      let released = false
      const release = () => {
        if (released) return
        released = true
        reserved -= maxFee
      }
      try {
        const withToken = { ...envelope, feeToken: feeToken as Hex }
        const signature = Secp256k1.sign({
          payload: TxEnvelopeTempo.getFeePayerSignPayload(withToken, { sender: sender as Hex }),
          privateKey: options.privateKey,
        })
        const serialized = TxEnvelopeTempo.serialize(withToken, { feePayerSignature: signature })
        return {
          serialized,
          maxFee,
          release,
          settle(receipt) {
            release()
            spent += feeOf(receipt.gasUsed, receipt.effectiveGasPrice)
          },
        }
      } catch (error) {
        release()
        throw error
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
    /** Total fees this sponsor may pay over its lifetime, base units. */
    budget: bigint
  }
}

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
export type PolicyCheck = 'gas' | 'max-fee' | 'budget' | 'balance'

/** The sponsor's policy refuses to pay this transaction's fee. */
export class SponsorPolicyError extends Errors.BaseError {
  override readonly name = 'FeePayer.SponsorPolicyError'
  readonly code = 'ERR_TEMPO_SPONSOR_POLICY'
  readonly problem = 'verification-failed' as const
  constructor(
    readonly check: PolicyCheck,
    detail: string,
  ) {
    super(`fee sponsorship refused (${check}): ${detail}`)
  }
}
