// The agent's side of Web Bot Auth (draft-ietf-webbotauth-httpsig-protocol-01
// §"Generating HTTP Message Signature", §"Sending a Request"): every request gets a fresh
// Ed25519 signature, tagged `web-bot-auth`, with `created`, `expires`, a random `nonce`
// and the key's thumbprint as `keyid`, covering the method, authority, path (and query),
// its own Signature-Agent member and, when present, the credential and body digest.
import * as Component from './Component.js'
import * as Jwk from './Jwk.js'
import * as MessageSignature from './MessageSignature.js'
import * as SignatureAgent from './SignatureAgent.js'
import * as SignatureFields from './SignatureFields.js'

/** The `tag` of every Web Bot Auth signature. */
export const tag = 'web-bot-auth'

/** Header fields covered whenever the request carries them. */
export const defaultCover = ['authorization', 'payment-authorization', 'content-digest'] as const

/** Signs outgoing requests as one agent. */
export type Signer = {
  /** The Signature-Agent URL: where the agent's key directory is served. */
  agent: string
  /** The signing key's thumbprint. */
  keyid: string
  /** The signature label (and Signature-Agent member key). */
  label: string
  /**
   * The Signature-Agent, Signature-Input and Signature fields to set on `request` (its
   * own members of those fields, if any, are kept).
   */
  sign(request: Component.RequestMessage): Headers
}

/**
 * Creates a signer for an Ed25519 key published at `agent`.
 *
 * @throws {Jwk.InvalidKeyError} when the key is not a valid Ed25519 private JWK.
 * @example
 * ```ts
 * import { Jwk, Signer } from '@paywire/agent-identity'
 * const signer = Signer.create({ key: Jwk.generate(), agent: 'https://agent.example/.well-known/http-message-signatures-directory' })
 * const request = new Request('https://api.example.com/paid')
 * for (const [name, value] of signer.sign(request)) request.headers.set(name, value)
 * ```
 */
export function create(options: create.Options): Signer {
  const key = Jwk.parsePrivate(options.key)
  const label = options.label ?? 'sig1'
  const lifetime = options.lifetimeSeconds ?? 60
  const cover = options.cover ?? defaultCover
  const now = options.now ?? Date.now
  const nonce = options.nonce ?? randomNonce
  SignatureAgent.parse(SignatureAgent.serialize({ [label]: options.agent }), {
    allowLoopback: true,
  })
  return {
    agent: options.agent,
    keyid: key.kid,
    label,
    sign(request) {
      const headers = new Headers(request.headers)
      headers.set(SignatureAgent.headerName, agentField(headers, label, options.agent))
      const message = { method: request.method, url: request.url, headers }
      const created = Math.floor(now() / 1000)
      const entry = MessageSignature.sign({
        message,
        label,
        components: components(message, label, cover),
        parameters: new Map<string, string | number>([
          ['created', created],
          ['expires', created + lifetime],
          ['keyid', key.kid],
          ['alg', 'ed25519'],
          ['nonce', nonce()],
          ['tag', tag],
        ]),
        key,
      })
      const fields = SignatureFields.serialize([entry], withoutLabel(request.headers, label))
      return new Headers({
        [SignatureAgent.headerName]: headers.get(SignatureAgent.headerName) as string,
        ...fields,
      })
    },
  }
}

export declare namespace create {
  type Options = {
    /** The Ed25519 private JWK. */
    key: Jwk.Private
    /** The https URL of the key directory publishing the key. */
    agent: string
    /** The signature label (default `sig1`). */
    label?: string | undefined
    /** Seconds from `created` to `expires` (default 60; the draft recommends at most a day). */
    lifetimeSeconds?: number | undefined
    /** Header fields covered when present (default `authorization`, `payment-authorization`, `content-digest`). */
    cover?: readonly string[] | undefined
    /** Clock in milliseconds (default `Date.now`). */
    now?: (() => number) | undefined
    /** The nonce of each signature (default 64 random bytes, base64). */
    nonce?: (() => string) | undefined
  }
}

/** The covered components of one request: the request line, the agent, present fields. */
function components(
  message: Component.RequestMessage,
  label: string,
  cover: readonly string[],
): Component.Component[] {
  const url = new URL(message.url)
  return [
    Component.from('@method'),
    Component.from('@authority'),
    Component.from('@path'),
    ...(url.search === '' ? [] : [Component.from('@query')]),
    Component.from(SignatureAgent.headerName, { key: label }),
    ...cover
      .map((name) => name.toLowerCase())
      .filter((name) => message.headers.has(name))
      .map((name) => Component.from(name)),
  ]
}

/** The request's Signature-Agent with this signer's member set. */
function agentField(headers: Headers, label: string, agent: string): string {
  const existing = headers.get(SignatureAgent.headerName)
  const members: Record<string, string> = {}
  if (existing !== null)
    for (const [key, url] of SignatureAgent.parse(existing, { allowLoopback: true }).members)
      if (key !== '') members[key] = url
  members[label] = agent
  return SignatureAgent.serialize(members)
}

/** The request's own signature fields without a previous signature of this label. */
function withoutLabel(headers: Headers, label: string): Headers {
  const kept = SignatureFields.read(headers).filter((entry) => entry.label !== label)
  if (kept.length === 0) return new Headers()
  return new Headers(SignatureFields.serialize(kept))
}

function randomNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(64))
  return Buffer.from(bytes).toString('base64')
}
