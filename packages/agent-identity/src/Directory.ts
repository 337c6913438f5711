// The key directory (draft-ietf-webbotauth-httpsig-protocol-01 §"Key Distribution and
// Discovery", §"Directory Format"): a JWK Set served at the Signature-Agent URL, often the
// well-known `/.well-known/http-message-signatures-directory`. Building and serving one
// (the agent's side) and reading one strictly (the verifier's side).
import { Json } from '@paywire/core'
import { AgentError } from './internal/AgentError.js'
import * as Jwk from './Jwk.js'

export {
  InsecureUrlError,
  RedirectRefusedError,
  StatusError,
  TimeoutError,
  TooLargeError,
  UnreachableError,
} from './internal/Fetch.js'

/** The media type a directory at the well-known URI is served with. */
export const mediaType = 'application/http-message-signatures-directory+json'

/** The well-known path of a domain's directory (RFC 8615). */
export const wellKnownPath = '/.well-known/http-message-signatures-directory'

/** Most keys read from one directory (§"Server-Side Request Forgery": key count). */
export const defaultMaxKeys = 32

/** A key directory document: a JWK Set. */
export type Directory = { keys: Jwk.Public[] }

/** One usable key of a read directory, by its thumbprint. */
export type Key = { thumbprint: string; jwk: Jwk.Public; notBefore?: number; expires?: number }

/**
 * The directory publishing the public halves of signing keys (old and new together
 * during a rotation, §"Key Rotation").
 *
 * @example
 * ```ts
 * import { Directory, Jwk } from '@paywire/agent-identity'
 * const directory = Directory.from([Jwk.generate()]) // { keys: [{ kty: 'OKP', crv: 'Ed25519', x, kid, use: 'sig', alg: 'ed25519' }] }
 * ```
 */
export function from(keys: readonly (Jwk.Private | Jwk.Public)[]): Directory {
  return {
    keys: keys.map((key) => {
      if (isPrivate(key)) return Jwk.toPublic(key)
      return { ...key, kid: Jwk.thumbprint(key) }
    }),
  }
}

function isPrivate(key: Jwk.Private | Jwk.Public): key is Jwk.Private {
  return typeof (key as { d?: unknown }).d === 'string'
}

/**
 * The HTTP response serving a directory: its media type, a cache lifetime (which bounds
 * how long a removed key keeps verifying), and a permissive CORS header (§"CORS").
 *
 * @example
 * ```ts
 * import { Directory, Jwk } from '@paywire/agent-identity'
 * const response = Directory.response(Directory.from([Jwk.generate()]), { maxAge: 3600 })
 * ```
 */
export function response(directory: Directory, options: { maxAge?: number } = {}): Response {
  return new Response(JSON.stringify(directory), {
    status: 200,
    headers: {
      'content-type': mediaType,
      'cache-control': `max-age=${options.maxAge ?? 300}`,
      'access-control-allow-origin': '*',
    },
  })
}

/**
 * Reads a directory body strictly: a JSON object with a `keys` array. Keys of kinds this
 * package does not verify with, keys carrying private members, and (at the well-known
 * URI) keys whose `kid` is not their thumbprint are left out; the rest are indexed by
 * thumbprint, the only `keyid` a signature may name.
 *
 * @throws {InvalidDirectoryError} when the body is not a JWK Set or has too many keys.
 * @example
 * ```ts
 * import { Directory } from '@paywire/agent-identity'
 * const keys = Directory.parse('{"keys":[]}', { url: 'https://agent.example/.well-known/http-message-signatures-directory' })
 * keys.size // 0
 * ```
 */
export function parse(body: string, options: parse.Options): Map<string, Key> {
  let value: unknown
  try {
    value = Json.parse(body, { maxLength: Math.max(body.length, 1), maxDepth: 8 })
  } catch (cause) {
    throw new InvalidDirectoryError('the key directory is not JSON', { cause })
  }
  if (!Json.isObject(value) || !Array.isArray(value.keys))
    throw new InvalidDirectoryError('the key directory is not a JWK Set (no `keys` array)')
  const maxKeys = options.maxKeys ?? defaultMaxKeys
  if (value.keys.length > maxKeys)
    throw new InvalidDirectoryError(
      `the key directory has ${value.keys.length} keys, more than ${maxKeys}`,
    )
  const wellKnown = new URL(options.url).pathname === wellKnownPath
  const keys = new Map<string, Key>()
  for (const entry of value.keys) {
    const jwk = Jwk.parsePublic(entry)
    if (jwk === undefined) continue
    const thumbprint = Jwk.thumbprint(jwk)
    if (wellKnown && jwk.kid !== undefined && jwk.kid !== thumbprint) continue
    keys.set(thumbprint, {
      thumbprint,
      jwk,
      ...(jwk.nbf === undefined ? {} : { notBefore: jwk.nbf }),
      ...(jwk.exp === undefined ? {} : { expires: jwk.exp }),
    })
  }
  return keys
}

export declare namespace parse {
  type Options = {
    /** The URL the directory was fetched from. */
    url: string
    /** Most keys accepted (default {@link defaultMaxKeys}). */
    maxKeys?: number | undefined
  }
}

/**
 * Raised when a fetched key directory is not a JWK Set, or has more keys than allowed.
 *
 * @example
 * ```ts
 * import { Directory } from '@paywire/agent-identity'
 * try { Directory.parse('[]', { url: 'https://agent.example/keys' }) } catch (error) {
 *   if (error instanceof Directory.InvalidDirectoryError) console.log(error.code) // 'ERR_AGENT_DIRECTORY_INVALID'
 * }
 * ```
 */
export class InvalidDirectoryError extends AgentError {
  override readonly name = 'Directory.InvalidDirectoryError'
  readonly code = 'ERR_AGENT_DIRECTORY_INVALID'
  readonly slug = 'directory-unavailable'
}
