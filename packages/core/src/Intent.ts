// Payment intents: what kind of payment a challenge asks for. The core draft requires a
// challenge's `intent` to be one registered in the IANA "HTTP Payment Intents" registry;
// this module is the one place paywire lists the registrations it knows of.

/**
 * Registered intents, each with the draft that registers it.
 *
 * @example
 * ```ts
 * import { Intent } from '@paywire/core'
 * Object.keys(Intent.registered) // ['charge', 'session', 'subscription']
 * ```
 */
export const registered = {
  charge: 'draft-payment-intent-charge-00',
  session: 'draft-tempo-session-00',
  subscription: 'draft-payment-intent-subscription-00',
} as const

/** A registered intent identifier. */
export type Registered = keyof typeof registered

// @enforces core.challenge.intent.registered
/**
 * Whether an intent identifier is registered (case-sensitive: identifiers are compared
 * as written).
 *
 * @example
 * ```ts
 * import { Intent } from '@paywire/core'
 * Intent.isRegistered('charge') // true
 * Intent.isRegistered('authorize') // false
 * ```
 */
export function isRegistered(intent: string): intent is Registered {
  return Object.hasOwn(registered, intent)
}
