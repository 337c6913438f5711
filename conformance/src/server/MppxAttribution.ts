// The attribution memo that an mppx 0.11 server requires on a Tempo charge transfer although
// the challenge asks for no memo (spec/DEVIATIONS.md, row 6; the draft, tempo-charge §7.2,
// checks a memo only when `methodDetails.memo` asks for one). Built from the byte layout
// mppx documents; the Tempo payer adds it only when `methods.tempo.memo` is
// `mppx-attribution`, a compatibility switch, not draft behaviour.
import { type Hex, keccak256, stringToBytes } from 'viem'

/**
 * The 32-byte memo for `challenge`: `keccak256("mpp")[0..4]`, version `0x01`,
 * `keccak256(realm)[0..10]` (the server), ten zero bytes (no client id) and
 * `keccak256(challenge id)[0..7]` (binding the transfer to the challenge). mppx checks the
 * tag, the version, the server and the challenge parts on one of the transfers it matched.
 *
 * @example
 * ```ts
 * import * as MppxAttribution from './MppxAttribution.js'
 * const memo = MppxAttribution.memo({ id: 'challenge-id', realm: 'api.example.com' })
 * // '0x…01…' (bytes32)
 * ```
 */
export function memo(challenge: { id: string; realm: string }): Hex {
  const tag = prefix('mpp', 4)
  const server = prefix(challenge.realm, 10)
  const client = '00'.repeat(10)
  const nonce = prefix(challenge.id, 7)
  return `0x${tag}${version}${server}${client}${nonce}`
}

/** The layout's version byte. */
const version = '01'

/** The first `bytes` bytes of keccak256 of `text` (UTF-8), as hex without `0x`. */
function prefix(text: string, bytes: number): string {
  return keccak256(stringToBytes(text)).slice(2, 2 + 2 * bytes)
}
