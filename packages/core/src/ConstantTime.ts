// Constant-time equality for secrets and proofs: the time taken depends only on the
// length of the inputs, never on where the first difference lies
// (draft-httpauth-payment §"Challenge Binding": compare bound ids in constant time).

/**
 * Whether two byte strings are equal, compared in constant time for equal lengths.
 *
 * @example
 * ```ts
 * import { ConstantTime } from '@paywire/core'
 * ConstantTime.equalBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2])) // true
 * ```
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number)
  return difference === 0
}

/**
 * Whether two strings are equal, compared in constant time over their UTF-16 code units
 * for equal lengths. Lengths are not secret (ids and proofs have fixed lengths).
 *
 * @example
 * ```ts
 * import { ConstantTime } from '@paywire/core'
 * ConstantTime.equalStrings('abc', 'abd') // false
 * ```
 */
export function equalStrings(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return difference === 0
}
