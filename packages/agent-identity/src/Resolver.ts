// Resolves a Signature-Agent URL and a `keyid` to a key (draft-ietf-webbotauth-httpsig-
// protocol-01 §"Key Distribution and Discovery", §"Cache Behaviour", §"Discovery
// Failure"): keys are looked up by the (URL, thumbprint) pair; directories are fetched
// within bounds, cached as long as their Cache-Control says, refetched when an unknown
// key appears (rotation), coalesced when many requests name one URL, and a failed refresh
// never evicts what was cached.
import * as Directory from './Directory.js'
import { AgentError } from './internal/AgentError.js'
import * as Fetch from './internal/Fetch.js'
import { testKeyThumbprints } from './internal/testKeys.js'
import * as SignatureAgent from './SignatureAgent.js'

/** A key resolved for a signature: the identifier it is attributed to, and the key. */
export type Resolved = { identifier: string; url: string; key: Directory.Key }

/** Resolves keys of Signature-Agent URLs; one per process, shared by every request. */
export type Resolver = {
  /**
   * The key `keyid` of the directory at `url`.
   *
   * @throws {UnknownKeyError} when the (fresh) directory has no such key.
   * @throws {Directory.InsecureUrlError | Directory.TimeoutError | Directory.TooLargeError |
   *   Directory.RedirectRefusedError | Directory.StatusError | Directory.UnreachableError |
   *   Directory.InvalidDirectoryError} when the directory cannot be had and nothing usable is cached.
   */
  resolve(url: string, keyid: string): Promise<Resolved>
  /** Forgets every cached directory and failure. */
  clear(): void
}

type Entry = { keys: Map<string, Directory.Key>; fetchedAt: number; freshUntil: number }
type Failure = { error: AgentError; until: number }

/**
 * Creates a resolver.
 *
 * @example
 * ```ts
 * import { Resolver } from '@paywire/agent-identity'
 * const resolver = Resolver.create({ timeoutMs: 3000, maxBytes: 65_536 })
 * const { identifier, key } = await resolver.resolve('https://agent.example/.well-known/http-message-signatures-directory', 'poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U')
 * ```
 */
export function create(options: create.Options = {}): Resolver {
  const now = options.now ?? Date.now
  const limits = {
    defaultTtl: options.defaultTtlSeconds ?? 300,
    maxTtl: options.maxTtlSeconds ?? 86_400,
    maxStale: options.maxStaleSeconds ?? 86_400,
    negativeTtl: Math.min(options.negativeTtlSeconds ?? 30, 300),
    refresh: options.refreshAfterUnknownKeySeconds ?? 30,
    maxEntries: options.maxEntries ?? 10_000,
  }
  const fetchOptions: Fetch.Options = {
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    lookup: options.lookup ?? Fetch.systemLookup,
    maxBytes: options.maxBytes ?? 65_536,
    timeoutMs: options.timeoutMs ?? 5_000,
    allowLoopback: options.allowLoopback ?? false,
    accept: `${Directory.mediaType}, application/jwk-set+json, application/json`,
  }
  const entries = new Map<string, Entry>()
  const failures = new Map<string, Failure>()
  const inflight = new Map<string, Promise<Entry>>()

  async function load(url: string, identifier: string): Promise<Entry> {
    const pending = inflight.get(identifier)
    if (pending !== undefined) return pending
    const loading = fetchEntry(url).finally(() => inflight.delete(identifier))
    inflight.set(identifier, loading)
    return loading
  }

  async function fetchEntry(url: string): Promise<Entry> {
    const fetched = await Fetch.get(url, fetchOptions)
    const keys = Directory.parse(fetched.body, { url, maxKeys: options.maxKeys })
    const ttl = Math.min(lifetime(fetched.headers, limits.defaultTtl), limits.maxTtl)
    return { keys, fetchedAt: now(), freshUntil: now() + ttl * 1000 }
  }

  /** The cached entry, refreshed when stale or when `keyid` is new to it. */
  async function entryFor(url: string, identifier: string, keyid: string): Promise<Entry> {
    const cached = entries.get(identifier)
    const fresh = cached !== undefined && cached.freshUntil > now()
    const rotated =
      cached !== undefined &&
      !cached.keys.has(keyid) &&
      now() - cached.fetchedAt >= limits.refresh * 1000
    if (fresh && !rotated) return cached
    const failure = failures.get(identifier)
    if (failure !== undefined && failure.until > now()) return staleOr(cached, failure.error)
    try {
      const entry = await load(url, identifier)
      // A directory that resolves is evidence: it replaces what was cached (removed keys stop).
      if (entries.size >= limits.maxEntries && !entries.has(identifier))
        entries.delete(entries.keys().next().value as string)
      entries.set(identifier, entry)
      failures.delete(identifier)
      return entry
    } catch (error) {
      if (!(error instanceof AgentError)) throw error
      failures.set(identifier, { error, until: now() + limits.negativeTtl * 1000 })
      return staleOr(cached, error)
    }
  }

  /** A failed fetch is not evidence: a cached directory stays usable up to `maxStale`. */
  function staleOr(cached: Entry | undefined, error: AgentError): Entry {
    if (cached !== undefined && cached.freshUntil + limits.maxStale * 1000 > now()) return cached
    throw error
  }

  return {
    async resolve(url, keyid) {
      const identifier = SignatureAgent.identifier(url)
      const entry = await entryFor(url, identifier, keyid)
      const key = entry.keys.get(keyid)
      const seconds = now() / 1000
      if (key === undefined)
        throw new UnknownKeyError(`the directory of ${identifier} has no key ${keyid}`)
      if (!options.allowTestKeys && testKeyThumbprints.has(key.thumbprint))
        throw new UnknownKeyError(`key ${keyid} is a published test key (RFC 9421 Appendix B)`)
      if (
        (key.notBefore !== undefined && seconds < key.notBefore) ||
        (key.expires !== undefined && seconds >= key.expires)
      )
        throw new UnknownKeyError(`key ${keyid} of ${identifier} is outside its validity (nbf/exp)`)
      return { identifier, url, key }
    },
    clear() {
      entries.clear()
      failures.clear()
    },
  }
}

export declare namespace create {
  type Options = {
    /** The fetch used for directories (default `globalThis.fetch`). */
    fetch?: ((input: string, init: RequestInit) => Promise<Response>) | undefined
    /** Resolves a hostname to its addresses (default: the system resolver). */
    lookup?: ((hostname: string) => Promise<readonly string[]>) | undefined
    /** Largest directory body, after content decoding (default 64 KiB). */
    maxBytes?: number | undefined
    /** Wall-clock limit of one fetch, body included (default 5000 ms). */
    timeoutMs?: number | undefined
    /** Most keys read from one directory (default 32). */
    maxKeys?: number | undefined
    /** Fetch loopback addresses, over plain http too (local development and tests only). */
    allowLoopback?: boolean | undefined
    /** Accept the published RFC 9421 test keys (test vectors only). */
    allowTestKeys?: boolean | undefined
    /** Cache lifetime when the response gives none (default 300 s). */
    defaultTtlSeconds?: number | undefined
    /** Longest cache lifetime, whatever the response says (default 86400 s). */
    maxTtlSeconds?: number | undefined
    /** How long past its lifetime a directory serves while refreshes fail (default 86400 s). */
    maxStaleSeconds?: number | undefined
    /** How long a failure is remembered before the next fetch (default 30 s, at most 300 s). */
    negativeTtlSeconds?: number | undefined
    /** How soon after a fetch an unknown key triggers another (default 30 s). */
    refreshAfterUnknownKeySeconds?: number | undefined
    /** Most directories cached (default 10000). */
    maxEntries?: number | undefined
    /** Clock in milliseconds (default `Date.now`). */
    now?: (() => number) | undefined
  }
}

/** The freshness lifetime of a response, in seconds (RFC 9111 §4.2.1, private cache). */
export function lifetime(headers: Headers, fallback: number): number {
  const directives = (headers.get('cache-control') ?? '').toLowerCase().split(',')
  const names = directives.map((directive) => directive.trim())
  if (names.includes('no-store') || names.includes('no-cache')) return 0
  const maxAge = names.find((directive) => directive.startsWith('max-age='))
  if (maxAge !== undefined) {
    const seconds = Number(maxAge.slice('max-age='.length).replace(/^"|"$/g, ''))
    return Number.isInteger(seconds) && seconds >= 0 ? seconds : 0
  }
  const expires = headers.get('expires')
  if (expires !== null) {
    const date = Date.parse(headers.get('date') ?? '') || Date.now()
    const until = Date.parse(expires)
    return Number.isNaN(until) ? 0 : Math.max(0, Math.floor((until - date) / 1000))
  }
  return fallback
}

/**
 * Raised when the Signature-Agent's directory does not hold the signature's key (or holds
 * it outside its validity, or it is a published test key): the request is unverified.
 *
 * @example
 * ```ts
 * import { Resolver } from '@paywire/agent-identity'
 * declare const error: unknown
 * if (error instanceof Resolver.UnknownKeyError) console.log(error.outcome) // 'unverified'
 * ```
 */
export class UnknownKeyError extends AgentError {
  override readonly name = 'Resolver.UnknownKeyError'
  readonly code = 'ERR_AGENT_KEY_UNKNOWN'
  readonly slug = 'unknown-key'
}
