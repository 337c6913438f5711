// What ties an on-chain transfer to the one challenge it pays (draft-tempo-charge-00
// §"Method Details" `memo`, §"Transaction Verification" step 5, §"Hash Verification";
// spec/DEVIATIONS.md, "Tempo charge binding"). Two bindings count: the challenge's own
// `methodDetails.memo`, issued fresh for every challenge (a tag and 28 random bytes, bound
// into the challenge id by its HMAC), and the attribution memo mppx 0.11 puts on a transfer
// (tag, version, server, client, and a nonce taken from the challenge id). A memo the
// operator chose (an invoice number) binds nothing: such a challenge is paid in pull mode
// only, where the server itself broadcasts a transaction the chain has not seen.
import { type Hex, keccak256, stringToBytes } from 'viem'
import * as ChargeRequest from './ChargeRequest.js'
import * as Transfer from './Transfer.js'

/**
 * A fresh challenge memo: `keccak256("paywire.tempo.binding")[0..4]` then 28 random
 * bytes. Unique per challenge and unguessable before it is issued.
 *
 * @example
 * ```ts
 * import { Binding } from '@paywire/method-tempo'
 * const memo = Binding.issue() // 0x… (bytes32)
 * Binding.isIssued(memo) // true
 * ```
 */
export function issue(): Hex {
  const random = crypto.getRandomValues(new Uint8Array(28))
  return `0x${issuedTag}${Array.from(random, (byte) => byte.toString(16).padStart(2, '0')).join('')}`
}

/**
 * Whether a memo has the layout of a challenge memo {@link issue} makes (a memo a server
 * chose for binding, not one an operator chose for its books).
 *
 * @example
 * ```ts
 * import { Binding } from '@paywire/method-tempo'
 * Binding.isIssued(`0x${'00'.repeat(32)}`) // false
 * ```
 */
export function isIssued(memo: string | undefined): boolean {
  return (
    memo !== undefined &&
    /^0x[0-9a-f]{64}$/i.test(memo) &&
    memo.slice(2, 10).toLowerCase() === issuedTag
  )
}

/** What the attribution memo is computed from: the challenge's realm and id. */
export type ChallengeRef = { id: string; realm: string }

/**
 * The attribution memo of mppx 0.11 for a challenge: `keccak256("mpp")[0..4]`, version
 * `0x01`, `keccak256(realm)[0..10]` (the server), `keccak256(clientId)[0..10]` or ten zero
 * bytes (the client), `keccak256(challenge id)[0..7]` (the binding nonce).
 *
 * @example
 * ```ts
 * import { Binding } from '@paywire/method-tempo'
 * const memo = Binding.attribution({ id: 'challenge-id', realm: 'api.example.com' })
 * ```
 */
export function attribution(
  challenge: ChallengeRef,
  options: { clientId?: string | undefined } = {},
): Hex {
  const client =
    options.clientId === undefined ? '00'.repeat(10) : fingerprint(options.clientId, 10)
  return `0x${fingerprint('mpp', 4)}01${fingerprint(challenge.realm, 10)}${client}${fingerprint(challenge.id, 7)}`
}

/**
 * Whether `memo` is an attribution memo for `challenge`: the tag, the version, the
 * server part of its realm and the nonce of its id (the client part is free).
 *
 * @example
 * ```ts
 * import { Binding } from '@paywire/method-tempo'
 * const challenge = { id: 'challenge-id', realm: 'api.example.com' }
 * Binding.isAttributionFor(Binding.attribution(challenge, { clientId: 'agent' }), challenge) // true
 * ```
 */
export function isAttributionFor(memo: string | undefined, challenge: ChallengeRef): boolean {
  if (memo === undefined || !/^0x[0-9a-f]{64}$/i.test(memo)) return false
  const expected = attribution(challenge).toLowerCase()
  const actual = memo.toLowerCase()
  return actual.slice(0, 32) === expected.slice(0, 32) && actual.slice(52) === expected.slice(52)
}

/**
 * How a request binds its transfers to `challenge`: the alternative lists of transfers
 * that pay it (each as `ChargeRequest.transfers`, with the primary transfer's memo set),
 * and whether paying one of them binds the payment to the challenge. An issued memo may be
 * replaced by the attribution memo (what an mppx 0.11 client pays); a request with no memo
 * is bound by the attribution memo alone; an operator's memo is paid as asked and binds
 * nothing.
 *
 * @example
 * ```ts
 * import { Binding } from '@paywire/method-tempo'
 * declare const request: import('@paywire/method-tempo').ChargeRequest.ChargeRequest
 * const { alternatives, bound } = Binding.of(request, { id: 'challenge-id', realm: 'api.example.com' })
 * ```
 */
export function of(request: ChargeRequest.ChargeRequest, challenge: ChallengeRef): Binding {
  const asked = request.methodDetails.memo
  const memos =
    asked === undefined
      ? [attribution(challenge)]
      : isIssued(asked)
        ? [asked, attribution(challenge)]
        : [asked]
  const [primary, ...splits] = ChargeRequest.transfers(request)
  const alternatives = memos.map((memo) => [
    { ...(primary as ChargeRequest.Transfer), memo },
    ...splits,
  ])
  return { alternatives, bound: asked === undefined || isIssued(asked) }
}

/** The transfers that pay a request, each alternative complete, and whether they bind it. */
export type Binding = { alternatives: ChargeRequest.Transfer[][]; bound: boolean }

/**
 * Matches movements against a binding: the first alternative they pay in full, else the
 * first alternative's shortfall (for the error message).
 *
 * @example
 * ```ts
 * import { Binding } from '@paywire/method-tempo'
 * declare const binding: Binding.Binding
 * declare const movements: import('@paywire/method-tempo').Transfer.Movement[]
 * const { missing } = Binding.match(binding, movements)
 * ```
 */
export function match(
  binding: Binding,
  movements: readonly Transfer.Movement[],
): Transfer.match.ReturnType {
  let first: Transfer.match.ReturnType | undefined
  for (const expected of binding.alternatives) {
    const result = Transfer.match(expected, movements)
    if (result.missing.length === 0) return result
    first ??= result
  }
  return first as Transfer.match.ReturnType
}

const issuedTag = keccak256(stringToBytes('paywire.tempo.binding')).slice(2, 10)

/** The first `bytes` bytes of keccak256 of `text` (UTF-8), as hex without `0x`. */
function fingerprint(text: string, bytes: number): string {
  return keccak256(stringToBytes(text)).slice(2, 2 + 2 * bytes)
}
