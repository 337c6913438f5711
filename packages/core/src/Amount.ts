// Amounts on the wire: base-unit integers carried as decimal strings (draft-payment-
// intent-charge §"Required Fields"), so no JSON number ever loses precision.
import { z } from 'zod'
import { BaseError } from './Errors.js'

/** Largest amount paywire accepts anywhere: 2^256 - 1, the widest on-chain integer. */
export const max = 2n ** 256n - 1n

const digits = /^(?:0|[1-9][0-9]{0,77})$/

/**
 * A base-unit amount: a decimal integer string with no sign, no leading zeros, no
 * exponent, no whitespace, at most 2^256 - 1.
 *
 * @example
 * ```ts
 * import { Amount } from '@paywire/core'
 * Amount.schema.parse('1000') // '1000'
 * Amount.schema.safeParse('1e3').success // false
 * ```
 */
export const schema = z.string().refine((value) => digits.test(value) && BigInt(value) <= max, {
  message:
    'expected a base-unit integer as a decimal string (no sign, leading zeros, exponent or spaces; at most 2^256-1)',
})

/** A base-unit amount as a decimal string. */
export type Amount = z.infer<typeof schema>

/**
 * Reads a base-unit amount string into a bigint, refusing anything {@link schema} refuses.
 *
 * @throws {InvalidAmountError}
 * @example
 * ```ts
 * import { Amount } from '@paywire/core'
 * Amount.toBigInt('1000') // 1000n
 * ```
 */
export function toBigInt(value: string): bigint {
  if (!digits.test(value))
    throw new InvalidAmountError(`"${excerpt(value)}" is not a base-unit integer string`)
  const amount = BigInt(value)
  if (amount > max) throw new InvalidAmountError('amount exceeds 2^256-1')
  return amount
}

/**
 * Writes a non-negative bigint as a base-unit amount string.
 *
 * @throws {InvalidAmountError} for negative values or values above 2^256-1.
 * @example
 * ```ts
 * import { Amount } from '@paywire/core'
 * Amount.fromBigInt(25n) // '25'
 * ```
 */
export function fromBigInt(value: bigint): Amount {
  if (value < 0n || value > max)
    throw new InvalidAmountError('amount must be between 0 and 2^256-1')
  return value.toString()
}

function excerpt(value: string): string {
  return value.length > 20 ? `${value.slice(0, 20)}…` : value
}

/** Raised when a value is not a base-unit amount string. */
export class InvalidAmountError extends BaseError {
  override readonly name = 'Amount.InvalidAmountError'
  readonly code = 'ERR_AMOUNT_INVALID'
  readonly problem = 'verification-failed' as const
}
