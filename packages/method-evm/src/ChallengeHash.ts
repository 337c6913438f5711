// The challenge hash that binds a signed EVM payment to one challenge
// (draft-evm-charge-00 §5.2.3, §5.3.1): keccak256(abi.encodePacked(id, realm)), i.e. the
// hash of the UTF-8 bytes of the id followed by the realm. It is the Permit2 witness's
// `challengeHash`, the EIP-3009 `nonce`, and (paywire) the calldata suffix of transaction
// and hash credentials.
import { type Hex, keccak256, stringToHex } from 'viem'

/**
 * The challenge hash of a challenge.
 *
 * @example
 * ```ts
 * import { ChallengeHash } from '@paywire/method-evm'
 * ChallengeHash.from({ id: 'aB3cDeF4gHiJkLmN', realm: 'api.example.com' })
 * ```
 */
export function from(challenge: { id: string; realm: string }): Hex {
  return keccak256(stringToHex(challenge.id + challenge.realm))
}
