// The Signature-Agent field (draft-ietf-webbotauth-httpsig-protocol-01 §"Signature-Agent"):
// a Dictionary whose members are https URLs of JWK Sets, one per signature label, without
// parameters; the legacy bare-String form is read as one member. The URL, query dropped
// and normalized (RFC 3986 §6.2.2, §6.2.3), is the agent's identifier.
import { parseDictionary, parseItem, serializeDictionary } from 'structured-headers'
import { isLoopbackHost } from './internal/Address.js'
import { MalformedSignatureError } from './SignatureFields.js'

/** The field's name, lower case as a covered component. */
export const headerName = 'signature-agent'

/** The parsed field: its members by key (the legacy String form has the key `''`). */
export type SignatureAgent = {
  form: 'dictionary' | 'legacy'
  /** Member key to the URL it carries. Members with parameters are ignored. */
  members: Map<string, string>
}

/**
 * Reads a Signature-Agent value. Members that carry parameters, or whose value is not a
 * String, are ignored as the draft requires.
 *
 * @throws {MalformedSignatureError} when the value is neither a Dictionary nor a String, or
 *   a member is not an absolute https URL (http is allowed for loopback hosts when
 *   `allowLoopback` is set, for local development).
 * @example
 * ```ts
 * import { SignatureAgent } from '@paywire/agent-identity'
 * SignatureAgent.parse('sig1="https://agent.example/.well-known/http-message-signatures-directory"').members.get('sig1')
 * ```
 */
export function parse(value: string, options: parse.Options = {}): SignatureAgent {
  if (value.length > 4096)
    throw new MalformedSignatureError('Signature-Agent is longer than 4096 characters')
  // A String Item starts with a double quote; a Dictionary member key cannot.
  if (value.trimStart().startsWith('"')) {
    const url = legacy(value)
    checkUrl(url, options)
    return { form: 'legacy', members: new Map([['', url]]) }
  }
  let dictionary: ReturnType<typeof parseDictionary>
  try {
    dictionary = parseDictionary(value)
  } catch (cause) {
    throw new MalformedSignatureError('Signature-Agent is not a structured Dictionary', { cause })
  }
  const members = new Map<string, string>()
  for (const [key, member] of dictionary) {
    const [url, parameters] = member
    if (typeof url !== 'string' || parameters.size > 0) continue
    checkUrl(url, options)
    members.set(key, url)
  }
  return { form: 'dictionary', members }
}

export declare namespace parse {
  type Options = {
    /** Accept `http:` URLs whose host is a loopback address (local development only). */
    allowLoopback?: boolean | undefined
  }
}

/**
 * Serializes members into a Signature-Agent value (always the Dictionary form).
 *
 * @example
 * ```ts
 * import { SignatureAgent } from '@paywire/agent-identity'
 * SignatureAgent.serialize({ sig1: 'https://agent.example/jwks.json' }) // 'sig1="https://agent.example/jwks.json"'
 * ```
 */
export function serialize(members: Record<string, string>): string {
  return serializeDictionary(
    new Map(Object.entries(members).map(([key, url]) => [key, [url, new Map()]])),
  )
}

/**
 * The identifier a resolved Signature-Agent URL stands for: the URL without its query or
 * fragment, normalized (lower-case scheme and host, no default port, percent-encodings of
 * unreserved characters decoded and the others upper case, an empty path as `/`).
 *
 * @example
 * ```ts
 * import { SignatureAgent } from '@paywire/agent-identity'
 * SignatureAgent.identifier('HTTPS://Agent.Example:443/%7ebot/keys?v=2') // 'https://agent.example/~bot/keys'
 * ```
 */
export function identifier(url: string): string {
  const parsed = new URL(url)
  parsed.search = ''
  parsed.hash = ''
  parsed.pathname = parsed.pathname.replace(/%([0-9a-fA-F]{2})/g, (_match, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16))
    return /[A-Za-z0-9\-._~]/.test(char) ? char : `%${hex.toUpperCase()}`
  })
  return parsed.href
}

function legacy(value: string): string {
  try {
    const [url, parameters] = parseItem(value)
    if (typeof url === 'string' && parameters.size === 0) return url
  } catch (cause) {
    throw new MalformedSignatureError('Signature-Agent is not a structured String', { cause })
  }
  throw new MalformedSignatureError('a legacy Signature-Agent must be a String without parameters')
}

function checkUrl(url: string, options: parse.Options) {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (cause) {
    throw new MalformedSignatureError('a Signature-Agent member is not an absolute URL', { cause })
  }
  if (parsed.protocol === 'https:') return
  if (parsed.protocol === 'http:' && options.allowLoopback && isLoopbackHost(parsed.hostname))
    return
  throw new MalformedSignatureError(
    `a Signature-Agent member must be an https URL, not ${parsed.protocol}`,
  )
}
