// The core configuration of the MCP gate: its challenges are bound under a key derived
// from the configured secret, so that a challenge an HTTP paywire issued with the same
// realm and secret is never accepted by the gate (nor the reverse), whatever the routes
// (`POST /tools/call/<name>` is also an HTTP path); and plaintext is refused on network
// transports unless allowed (draft-payment-transport-mcp §"Transport Security").
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { Secret } from '@paywire/core'
import { Paywire } from '@paywire/server'

/** @internal The label of the derivation: a new label is a new key space. */
export const label = 'paywire/mcp/v1 challenge binding'

/** @internal The options of the gate's core, from the options of `Payments.create`. */
export function options(given: Paywire.create.Options): Paywire.create.Options {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env
  const secret = given.secret ?? env?.[Paywire.secretEnvironmentVariable]
  return {
    ...given,
    // Missing or empty: the core refuses it with its own message.
    secret: secret === undefined || secret === '' ? undefined : derive(secret),
    previousSecrets: given.previousSecrets?.map(derive),
    plaintext: given.plaintext ?? 'refuse',
  }
}

/** @internal The gate's binding key: HMAC-SHA256(secret, label), the secret checked first. */
export function derive(secret: string | Uint8Array): Uint8Array {
  return hmac(sha256, Secret.from(secret), new TextEncoder().encode(label))
}
