// Zero-amount charges (draft-tempo-charge-00 §"Proof Payload"): instead of a transfer, the
// payer signs EIP-712 typed data binding its identity to one challenge id, under the
// domain { name: "MPP", version: "1", chainId }.
import { Errors } from '@paywire/core'
import { type Hex, recoverTypedDataAddress } from 'viem'
import type { LocalAccount } from 'viem/accounts'
import * as Source from './Source.js'
import * as Transfer from './Transfer.js'

/**
 * The EIP-712 types of a proof.
 *
 * @example
 * ```ts
 * import { Proof } from '@paywire/method-tempo'
 * Proof.types.Proof[0].name // 'challengeId'
 * ```
 */
export const types = { Proof: [{ name: 'challengeId', type: 'string' }] } as const

/**
 * The typed data a payer signs for a challenge.
 *
 * @example
 * ```ts
 * import { Proof } from '@paywire/method-tempo'
 * const typedData = Proof.typedData({ challengeId: 'kM9xPqWvT2nJrHsY4aDfEb', chainId: 4217 })
 * ```
 */
export function typedData(parameters: { challengeId: string; chainId: number }) {
  return {
    domain: { name: 'MPP', version: '1', chainId: parameters.chainId },
    types,
    primaryType: 'Proof' as const,
    message: { challengeId: parameters.challengeId },
  }
}

/**
 * Signs the proof for a challenge with a local account.
 *
 * @example
 * ```ts
 * import { Proof } from '@paywire/method-tempo'
 * import { privateKeyToAccount } from 'viem/accounts'
 * const account = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
 * const signature = await Proof.sign({ account, challengeId: 'kM9xPqWvT2nJrHsY4aDfEb', chainId: 4217 })
 * ```
 */
export function sign(parameters: {
  account: LocalAccount
  challengeId: string
  chainId: number
}): Promise<Hex> {
  return parameters.account.signTypedData(typedData(parameters))
}

/**
 * Verifies a proof credential: `source` present and a did:pkh on the challenge's chain,
 * and the signature's signer equal to the address in `source` (§"Proof Verification").
 *
 * @throws {ProofInvalidError} naming the failed step.
 * @example
 * ```ts
 * import { Proof } from '@paywire/method-tempo'
 * declare const signature: `0x${string}`
 * await Proof.verify({ signature, source: 'did:pkh:eip155:4217:0x...', challengeId: 'abc', chainId: 4217 })
 * ```
 */
export async function verify(parameters: {
  signature: Hex
  source: string | undefined
  challengeId: string
  chainId: number
}): Promise<{ signer: string }> {
  if (parameters.source === undefined)
    throw new ProofInvalidError('a proof credential must carry source')
  const source = Source.parse(parameters.source)
  if (source.chainId !== parameters.chainId)
    throw new ProofInvalidError(
      `source is on chain ${source.chainId}, the challenge on ${parameters.chainId}`,
    )
  let signer: string
  try {
    signer = await recoverTypedDataAddress({
      ...typedData(parameters),
      signature: parameters.signature,
    })
  } catch (cause) {
    throw new ProofInvalidError('the proof signature cannot be recovered', { cause })
  }
  if (!Transfer.sameAddress(signer, source.address))
    throw new ProofInvalidError('the proof was not signed by the source account')
  return { signer }
}

/** A zero-amount proof does not verify. */
export class ProofInvalidError extends Errors.BaseError {
  override readonly name = 'Proof.ProofInvalidError'
  readonly code = 'ERR_TEMPO_PROOF_INVALID'
  readonly problem = 'verification-failed' as const
}
