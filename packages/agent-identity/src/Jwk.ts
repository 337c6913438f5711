// JSON Web Keys (RFC 7517) as Web Bot Auth uses them: the public keys of a key directory,
// an agent's private Ed25519 signing key (RFC 8037), and the JWK SHA-256 thumbprint
// (RFC 7638) that is every key's `keyid` (draft-ietf-webbotauth-httpsig-protocol-01
// §"Generating HTTP Message Signature").
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { Base64Url } from '@paywire/core'
import { z } from 'zod'
import { AgentError } from './internal/AgentError.js'

const b64url = z.string().regex(/^[A-Za-z0-9_-]+$/, 'base64url without padding')

/** Members every key may carry; unknown members are kept (RFC 7517 §4). */
const common = {
  kid: z.string().optional(),
  use: z.string().optional(),
  alg: z.string().optional(),
  key_ops: z.array(z.string()).optional(),
  nbf: z.number().optional(),
  exp: z.number().optional(),
}

/** An Ed25519 public key (RFC 8037 §2). */
export const okpSchema = z.looseObject({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: b64url,
  ...common,
})

/** A P-256 public key (RFC 7518 §6.2). */
export const ecSchema = z.looseObject({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: b64url,
  y: b64url,
  ...common,
})

/** An RSA public key (RFC 7518 §6.3). */
export const rsaSchema = z.looseObject({ kty: z.literal('RSA'), n: b64url, e: b64url, ...common })

/** A public key of a kind this package verifies with. */
export const publicSchema = z.union([okpSchema, ecSchema, rsaSchema])

/** A public JWK: Ed25519, P-256 or RSA. */
export type Public = z.infer<typeof publicSchema>

/** An Ed25519 private key (RFC 8037 §2): the public `x` and the 32-byte seed `d`. */
export const privateSchema = z.object({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: b64url,
  d: b64url,
  kid: z.string().optional(),
})

/** An Ed25519 private JWK: what an agent signs with. */
export type Private = z.infer<typeof privateSchema>

/**
 * The JWK SHA-256 thumbprint of a public key (RFC 7638 §3; RFC 8037 Appendix A.3 for
 * Ed25519), base64url without padding: the only `keyid` Web Bot Auth accepts.
 *
 * @example
 * ```ts
 * import { Jwk } from '@paywire/agent-identity'
 * Jwk.thumbprint({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' })
 * // 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'
 * ```
 */
export function thumbprint(key: Public | Private): string {
  // The required members only, in lexicographic order, no whitespace (RFC 7638 §3.2).
  const members =
    key.kty === 'RSA'
      ? { e: key.e, kty: key.kty, n: key.n }
      : key.kty === 'EC'
        ? { crv: key.crv, kty: key.kty, x: key.x, y: key.y }
        : { crv: key.crv, kty: key.kty, x: key.x }
  return Base64Url.encode(sha256(new TextEncoder().encode(JSON.stringify(members))))
}

/**
 * Creates a new Ed25519 signing key, its `kid` set to its thumbprint.
 *
 * @example
 * ```ts
 * import { Jwk } from '@paywire/agent-identity'
 * const key = Jwk.generate()
 * Jwk.toPublic(key).kid === key.kid // true
 * ```
 */
export function generate(): Private & { kid: string } {
  return fromSeed(ed25519.utils.randomSecretKey())
}

/**
 * The Ed25519 signing key of a 32-byte seed (RFC 8032 §5.1.5), `kid` set to its thumbprint.
 *
 * @throws {InvalidKeyError} when the seed is not 32 bytes.
 * @example
 * ```ts
 * import { Jwk } from '@paywire/agent-identity'
 * const key = Jwk.fromSeed(new Uint8Array(32).fill(7))
 * ```
 */
export function fromSeed(seed: Uint8Array): Private & { kid: string } {
  if (seed.length !== 32)
    throw new InvalidKeyError(`an Ed25519 seed is 32 bytes, not ${seed.length}`)
  const x = Base64Url.encode(ed25519.getPublicKey(seed))
  const d = Base64Url.encode(seed)
  const kid = thumbprint({ kty: 'OKP', crv: 'Ed25519', x })
  return { kty: 'OKP', crv: 'Ed25519', x, d, kid }
}

/**
 * Reads an Ed25519 private JWK and checks that its `x` is the public key of its `d`.
 *
 * @throws {InvalidKeyError} when it is not one, or `x` and `d` do not belong together.
 * @example
 * ```ts
 * import { Jwk } from '@paywire/agent-identity'
 * const key = Jwk.parsePrivate(JSON.parse('{"kty":"OKP","crv":"Ed25519","x":"...","d":"..."}'))
 * ```
 */
export function parsePrivate(value: unknown): Private & { kid: string } {
  const parsed = privateSchema.safeParse(value)
  if (!parsed.success)
    throw new InvalidKeyError('not an Ed25519 private JWK (kty OKP, crv Ed25519, x, d)', {
      cause: parsed.error,
    })
  const seed = decode(parsed.data.d, 'd')
  const key = fromSeed(seed)
  if (key.x !== parsed.data.x)
    throw new InvalidKeyError('the private key `d` does not match its public key `x`')
  return key
}

/**
 * The public half of a signing key, as published in a key directory: `kid` is the
 * thumbprint, `use` is `sig`, `alg` is `ed25519` (the HTTP signature algorithm).
 *
 * @example
 * ```ts
 * import { Jwk } from '@paywire/agent-identity'
 * const published = Jwk.toPublic(Jwk.generate()) // { kty: 'OKP', crv: 'Ed25519', x, kid, use: 'sig', alg: 'ed25519' }
 * ```
 */
export function toPublic(key: Private, extra: toPublic.Extra = {}): Public & { kid: string } {
  const publicKey = { kty: 'OKP' as const, crv: 'Ed25519' as const, x: key.x }
  return { ...publicKey, kid: thumbprint(publicKey), use: 'sig', alg: 'ed25519', ...extra }
}

export declare namespace toPublic {
  /** Validity window members to publish (`nbf`, `exp`, seconds since the epoch). */
  type Extra = { nbf?: number; exp?: number }
}

/**
 * Reads a public JWK of a supported kind; `undefined` when the value is not one (a
 * directory may carry keys this package does not verify with).
 *
 * @example
 * ```ts
 * import { Jwk } from '@paywire/agent-identity'
 * Jwk.parsePublic({ kty: 'OKP', crv: 'X25519', x: 'abc' }) // undefined
 * ```
 */
export function parsePublic(value: unknown): Public | undefined {
  const parsed = publicSchema.safeParse(value)
  if (!parsed.success) return undefined
  // A private member in a published key is a leak, not a key to use.
  if (typeof value === 'object' && value !== null && 'd' in value) return undefined
  return parsed.data
}

/** @internal Decodes a base64url member, refusing anything else. */
export function decode(value: string, member: string): Uint8Array {
  try {
    return Base64Url.decode(value)
  } catch (cause) {
    throw new InvalidKeyError(`JWK member \`${member}\` is not base64url`, { cause })
  }
}

/**
 * Raised when key material is not usable: not a JWK of a supported kind, or halves that do
 * not belong together.
 *
 * @example
 * ```ts
 * import { Jwk } from '@paywire/agent-identity'
 * try { Jwk.parsePrivate({}) } catch (error) { if (error instanceof Jwk.InvalidKeyError) console.log(error.code) }
 * ```
 */
export class InvalidKeyError extends AgentError {
  override readonly name = 'Jwk.InvalidKeyError'
  readonly code = 'ERR_AGENT_KEY_INVALID'
  readonly slug = 'invalid-signature'
}
