// The origin's side of Web Bot Auth (draft-ietf-webbotauth-httpsig-protocol-01
// §"Validating Message Signature", §"Identifiers and Trust Model"): one call tells a
// request apart as unsigned, verified (with the agent it is attributed to), invalid or
// unverified, before anything else happens to it. Cheap checks come first; the key
// directory is fetched only for a well-formed, fresh signature; a nonce is claimed in the
// store only after the signature verifies.
import { sha256 } from '@noble/hashes/sha2.js'
import { Base64Url, type Store } from '@paywire/core'
import type * as Algorithm from './Algorithm.js'
import * as Component from './Component.js'
import { AgentError } from './internal/AgentError.js'
import * as MessageSignature from './MessageSignature.js'
import type * as Problem from './Problem.js'
import * as Resolver from './Resolver.js'
import * as SignatureAgent from './SignatureAgent.js'
import * as SignatureFields from './SignatureFields.js'
import { tag } from './Signer.js'

/** The agent a verified signature is attributed to. */
export type Agent = {
  /** The resolved Signature-Agent URL, query dropped and normalized: the agent's identity. */
  identifier: string
  /** The Signature-Agent URL as sent. */
  url: string
  /** The key's JWK thumbprint. */
  keyid: string
  algorithm: Algorithm.Name
  /** The signature's label. */
  label: string
  /** `created` and `expires`, seconds since the epoch. */
  created: number
  expires: number
  nonce: string | undefined
  /** The covered components, serialized. */
  components: string[]
}

/** What {@link Verifier.verify} concludes about a request (§"Verifier Outcomes"). */
export type Verification =
  | { outcome: 'verified'; agent: Agent; agents: Agent[] }
  | { outcome: 'unsigned' }
  | { outcome: 'invalid'; error: AgentError }
  | { outcome: 'unverified'; error: AgentError }

/** Verifies the Web Bot Auth signatures of requests. */
export type Verifier = {
  /**
   * Verifies every `web-bot-auth` signature of `request`. Never throws for anything the
   * request carries; throws only when the store fails (fail closed).
   */
  verify(request: Component.RequestMessage): Promise<Verification>
}

/**
 * Creates a verifier.
 *
 * @example
 * ```ts
 * import type { Store } from '@paywire/core'
 * import { Verifier } from '@paywire/agent-identity'
 * declare const store: Store.Store
 * declare const request: Request
 * const verifier = Verifier.create({ store })
 * const verification = await verifier.verify(request)
 * if (verification.outcome === 'verified') console.log(verification.agent.identifier)
 * else if (verification.outcome !== 'unsigned') console.log(verification.error.toProblem())
 * ```
 */
export function create(options: create.Options): Verifier {
  const settings = {
    resolver:
      options.resolver ??
      Resolver.create({ allowLoopback: options.allowLoopback, now: options.now }),
    now: options.now ?? Date.now,
    skew: options.clockSkewSeconds ?? 60,
    maxAge: options.maxAgeSeconds ?? 300,
    maxLifetime: options.maxLifetimeSeconds ?? 86_400,
    nonce: options.nonce ?? 'required',
    require: (options.require ?? []).map((name) => name.toLowerCase()),
    allowLoopback: options.allowLoopback ?? false,
    store: options.store,
    prefix: options.prefix ?? 'paywire:agent:',
  }
  return {
    async verify(request) {
      let entries: SignatureFields.Entry[]
      try {
        entries = SignatureFields.read(request.headers)
        if (entries.length === 0) return { outcome: 'unsigned' }
        const ours = entries.filter((entry) => entry.parameters.get('tag') === tag)
        if (ours.length === 0) throw new ProfileError(`no signature is tagged "${tag}"`, 'tag')
        const agents: Agent[] = []
        for (const entry of ours) agents.push(await verifyOne(entry, request, settings))
        return { outcome: 'verified', agent: agents[0] as Agent, agents }
      } catch (error) {
        if (!(error instanceof AgentError)) throw error
        return error.outcome === 'unverified'
          ? { outcome: 'unverified', error }
          : { outcome: 'invalid', error }
      }
    },
  }
}

export declare namespace create {
  type Options = {
    /** Where nonces are claimed, so a signature is accepted once across all instances. */
    store: Store.Store
    /** Resolves Signature-Agent URLs to keys (default: a resolver with default bounds). */
    resolver?: Resolver.Resolver | undefined
    /** `required` (default): a signature without `nonce` is refused; `optional`: the signature itself is claimed instead. */
    nonce?: 'required' | 'optional' | undefined
    /** Components every signature must cover beyond the draft's (e.g. `@method`, `@path`). */
    require?: readonly string[] | undefined
    /** Tolerated clock difference, in seconds (default 60). */
    clockSkewSeconds?: number | undefined
    /** Oldest `created` accepted, in seconds before now (default 300). */
    maxAgeSeconds?: number | undefined
    /** Longest `expires - created` accepted (default 86400, the draft's recommendation). */
    maxLifetimeSeconds?: number | undefined
    /** Accept http Signature-Agent URLs on loopback hosts (local development and tests). */
    allowLoopback?: boolean | undefined
    /** Prefix of the store keys (default `paywire:agent:`). */
    prefix?: string | undefined
    /** Clock in milliseconds (default `Date.now`). */
    now?: (() => number) | undefined
  }
}

type Settings = {
  resolver: Resolver.Resolver
  now: () => number
  skew: number
  maxAge: number
  maxLifetime: number
  nonce: 'required' | 'optional'
  require: string[]
  allowLoopback: boolean
  store: Store.Store
  prefix: string
}

async function verifyOne(
  entry: SignatureFields.Entry,
  request: Component.RequestMessage,
  settings: Settings,
): Promise<Agent> {
  const { keyid, created, expires, nonce } = profile(entry, settings)
  const url = agentUrl(entry, request, settings)
  freshness(entry.label, created, expires, settings)
  // The base is built before any fetch: a signature over absent components costs nothing.
  for (const component of entry.components) Component.value(component, request)
  const { identifier, key } = await settings.resolver.resolve(url, keyid)
  const algorithm = await MessageSignature.verify({ message: request, entry, key: key.jwk })
  await claim(entry, { identifier, keyid, created, expires, nonce }, settings)
  return {
    identifier,
    url,
    keyid,
    algorithm,
    label: entry.label,
    created,
    expires,
    nonce,
    components: entry.components.map(Component.serialize),
  }
}

/** The profile's parameter and coverage rules (§"Generating HTTP Message Signature"). */
function profile(entry: SignatureFields.Entry, settings: Settings) {
  const { label, parameters } = entry
  const keyid = parameters.get('keyid')
  const created = parameters.get('created')
  const expires = parameters.get('expires')
  const nonce = parameters.get('nonce')
  if (typeof created !== 'number') throw new ProfileError(`${label} has no \`created\``, 'created')
  if (typeof expires !== 'number') throw new ProfileError(`${label} has no \`expires\``, 'expires')
  if (typeof keyid !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(keyid))
    throw new ProfileError(`${label}: \`keyid\` must be a JWK SHA-256 thumbprint`, 'keyid')
  if (typeof nonce !== 'string' && settings.nonce === 'required')
    throw new ProfileError(`${label} has no \`nonce\``, 'nonce')
  const names = entry.components.map((component) => component.name)
  if (!names.includes('@authority') && !names.includes('@target-uri'))
    throw new ProfileError(`${label} covers neither @authority nor @target-uri`, 'coverage')
  for (const required of settings.require)
    if (!names.includes(required))
      throw new ProfileError(`${label} does not cover ${required}`, 'coverage')
  return { keyid, created, expires, nonce: typeof nonce === 'string' ? nonce : undefined }
}

/** The Signature-Agent member the signature covers (§"Signature-Agent", §"Multiple Signatures"). */
function agentUrl(
  entry: SignatureFields.Entry,
  request: Component.RequestMessage,
  settings: Settings,
): string {
  const covered = entry.components.find((component) => component.name === SignatureAgent.headerName)
  const field = request.headers.get(SignatureAgent.headerName)
  if (covered === undefined || field === null)
    throw new ProfileError(
      `${entry.label} does not cover a Signature-Agent member`,
      'signature-agent',
    )
  const agent = SignatureAgent.parse(field, { allowLoopback: settings.allowLoopback })
  const key = covered.parameters.get('key')
  const member = agent.form === 'legacy' ? (key === undefined ? '' : undefined) : key
  const url = typeof member === 'string' ? agent.members.get(member) : undefined
  if (url === undefined)
    throw new ProfileError(
      `${entry.label} covers no usable Signature-Agent member (a String URL without parameters)`,
      'signature-agent',
    )
  return url
}

function freshness(label: string, created: number, expires: number, settings: Settings) {
  const now = settings.now() / 1000
  if (created > now + settings.skew)
    throw new StaleSignatureError(`${label} was created in the future`, 'future')
  if (expires <= created)
    throw new StaleSignatureError(`${label} expires before it was created`, 'window')
  if (expires + settings.skew < now)
    throw new StaleSignatureError(`${label} has expired`, 'expired')
  if (created + settings.maxAge + settings.skew < now)
    throw new StaleSignatureError(
      `${label} was created more than ${settings.maxAge} s ago`,
      'too-old',
    )
  if (expires - created > settings.maxLifetime)
    throw new StaleSignatureError(
      `${label} is valid longer than ${settings.maxLifetime} s`,
      'window',
    )
}

/** Claims the nonce (or, without one, the signature) once across every instance. */
async function claim(
  entry: SignatureFields.Entry,
  signed: {
    identifier: string
    keyid: string
    created: number
    expires: number
    nonce: string | undefined
  },
  settings: Settings,
) {
  const subject =
    signed.nonce === undefined
      ? `signature\n${Base64Url.encode(entry.signature)}`
      : `nonce\n${signed.nonce}`
  const digest = Base64Url.encode(
    sha256(new TextEncoder().encode(`${signed.identifier}\n${signed.keyid}\n${subject}`)),
  )
  const until = Math.min(signed.expires, signed.created + settings.maxAge) + settings.skew
  const ttlSeconds = Math.max(1, Math.ceil(until - settings.now() / 1000))
  if (!(await settings.store.claim(`${settings.prefix}replay:${digest}`, { ttlSeconds })))
    throw new ReplayedSignatureError(
      `${entry.label} was already used (${signed.nonce === undefined ? 'signature' : 'nonce'} seen before)`,
    )
}

/**
 * The refusal of a request that is not verified, as a problem details body: the error's
 * for an invalid or unverified signature, `signature-required` for an unsigned request.
 *
 * @example
 * ```ts
 * import { Verifier } from '@paywire/agent-identity'
 * Verifier.problem({ outcome: 'unsigned' })?.status // 403
 * ```
 */
export function problem(verification: Verification): Problem.Problem | undefined {
  if (verification.outcome === 'verified') return undefined
  if (verification.outcome === 'unsigned')
    return new SignatureRequiredError('this resource serves verified agents only').toProblem()
  return verification.error.toProblem()
}

/**
 * Raised when a signature breaks the Web Bot Auth profile: no `web-bot-auth` tag, no
 * `created`, `expires` or (by default) `nonce`, a `keyid` that is not a thumbprint, or
 * coverage without @authority/@target-uri, its Signature-Agent member or a required component.
 */
export class ProfileError extends AgentError {
  override readonly name = 'Verifier.ProfileError'
  readonly code = 'ERR_AGENT_SIGNATURE_PROFILE'
  readonly slug = 'invalid-signature'
  constructor(
    message: string,
    readonly rule:
      | 'tag'
      | 'created'
      | 'expires'
      | 'keyid'
      | 'nonce'
      | 'coverage'
      | 'signature-agent',
  ) {
    super(message)
  }
}

/** Raised when a signature is expired, created in the future, too old, or valid too long. */
export class StaleSignatureError extends AgentError {
  override readonly name = 'Verifier.StaleSignatureError'
  readonly code = 'ERR_AGENT_SIGNATURE_STALE'
  readonly slug = 'stale-signature'
  constructor(
    message: string,
    readonly reason: 'expired' | 'future' | 'too-old' | 'window',
  ) {
    super(message)
  }
}

/** Raised when a signature's nonce (or the signature itself) was already accepted. */
export class ReplayedSignatureError extends AgentError {
  override readonly name = 'Verifier.ReplayedSignatureError'
  readonly code = 'ERR_AGENT_SIGNATURE_REPLAYED'
  readonly slug = 'replayed-signature'
}

/** The refusal of an unsigned request where a verified agent is required. */
export class SignatureRequiredError extends AgentError {
  override readonly name = 'Verifier.SignatureRequiredError'
  readonly code = 'ERR_AGENT_SIGNATURE_REQUIRED'
  readonly slug = 'signature-required'
}
