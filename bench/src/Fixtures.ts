// The inputs every scenario gives both libraries: one binding secret, one realm, one tempo
// charge request, one expiry and one `opaque` (paywire's route and nonce; mppx's `meta`).
import { Challenge, Secret } from '@paywire/core'

/** The binding secret as text (mppx takes text, paywire its UTF-8 bytes: the same key). */
export const secretText = 'bench-binding-secret-3f9a1c7e5b2d4068a1e3c5f7092b4d6e'
/** The binding secret as paywire reads it. */
export const secret = Secret.from(secretText)
/** The realm of every challenge. */
export const realm = 'api.bench.example'
/** A tempo charge request, as a paid route would price it. */
export const request = {
  amount: '10000',
  currency: '0x20c0000000000000000000000000000000000000',
  recipient: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  methodDetails: { chainId: 4217 },
}
/** An expiry far enough ahead that no challenge expires during a run. */
export const expires = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z')
/** Server correlation data, as paywire's server puts it in every challenge. */
export function opaque(index: number): Record<string, string> {
  return { nonce: `n${index.toString(36).padStart(21, '0')}`, route: 'GET /paid' }
}

/** A bound paywire challenge for method `method`, unique by `index`. */
export function challenge(index: number, method = 'tempo'): Challenge.Challenge {
  return Challenge.from(
    { realm, method, intent: 'charge', request, expires, opaque: opaque(index) },
    { secret },
  )
}

/** `count` values made by `make`, and a function that hands them out in turn, forever. */
export function cycle<value>(count: number, make: (index: number) => value): () => value {
  const values = Array.from({ length: count }, (_, index) => make(index))
  let next = 0
  return () => {
    const value = values[next] as value
    next = next + 1 === count ? 0 : next + 1
    return value
  }
}

/** A transaction hash, unique by `index`: what a receipt's `reference` carries. */
export function reference(index: number): string {
  return `0x${index.toString(16).padStart(64, '5e')}`
}
