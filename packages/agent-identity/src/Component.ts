// HTTP message components (RFC 9421 §2): component identifiers (a name and ordered
// parameters, serialized as an sf-string Item), and their canonical values derived from a
// request or response: the derived components (§2.2) and HTTP fields (§2.1), with the
// `key`, `sf` and `req` parameters.
import {
  type BareItem,
  type Item,
  isInnerList,
  type Parameters,
  parseDictionary,
  serializeDictionary,
  serializeInnerList,
  serializeItem,
} from 'structured-headers'
import { AgentError } from './internal/AgentError.js'

/** A component identifier: its name and its ordered parameters. */
export type Component = { name: string; parameters: Parameters }

/** A request as this package reads it (a Fetch `Request` is one). */
export type RequestMessage = { method: string; url: string | URL; headers: Headers }

/** A response, with the request it answers for `req` components. */
export type ResponseMessage = {
  status: number
  headers: Headers
  request?: RequestMessage | undefined
}

/** The message a signature covers. */
export type Message = RequestMessage | ResponseMessage

/** The derived component names (RFC 9421 §2.2) this package derives. */
export const derivedNames = [
  '@method',
  '@target-uri',
  '@authority',
  '@scheme',
  '@request-target',
  '@path',
  '@query',
  '@query-param',
  '@status',
] as const

/** Dictionary fields this package knows, so `sf` and `key` can re-serialize them strictly. */
const dictionaryFields = new Set([
  'signature',
  'signature-input',
  'signature-agent',
  'content-digest',
  'repr-digest',
  'accept-signature',
])

/**
 * A component identifier from a name and parameters.
 *
 * @example
 * ```ts
 * import { Component } from '@paywire/agent-identity'
 * Component.from('signature-agent', { key: 'sig1' }) // "signature-agent";key="sig1"
 * ```
 */
export function from(name: string, parameters: Record<string, BareItem> = {}): Component {
  return { name, parameters: new Map(Object.entries(parameters)) }
}

/**
 * Reads a component identifier from an Inner List member of Signature-Input.
 *
 * @throws {ComponentError} when the member is not a String, or a field name is not lower case.
 */
export function fromItem([name, parameters]: Item): Component {
  if (typeof name !== 'string')
    throw new ComponentError('a covered component identifier must be a String')
  if (!name.startsWith('@') && name !== name.toLowerCase())
    throw new ComponentError(`field component name ${JSON.stringify(name)} is not lower case`)
  return { name, parameters }
}

/**
 * The serialization of an identifier (`"name";param=value`), as it appears in the
 * signature base and in Signature-Input.
 *
 * @example
 * ```ts
 * import { Component } from '@paywire/agent-identity'
 * Component.serialize(Component.from('@query-param', { name: 'Pet' })) // '"@query-param";name="Pet"'
 * ```
 */
export function serialize(component: Component): string {
  return serializeItem([component.name, component.parameters])
}

/** Whether two identifiers are the same (parameter order is not significant, §2). */
export function equals(a: Component, b: Component): boolean {
  if (a.name !== b.name || a.parameters.size !== b.parameters.size) return false
  for (const [key, value] of a.parameters) {
    if (!b.parameters.has(key)) return false
    if (
      serializeItem([value, new Map()]) !==
      serializeItem([b.parameters.get(key) as BareItem, new Map()])
    )
      return false
  }
  return true
}

/**
 * The canonical value of a component in a message (RFC 9421 §2.1, §2.2).
 *
 * @throws {ComponentError} when the value cannot be derived: unknown name or parameter, a
 *   field or dictionary member that is absent, a request component of a response without
 *   its request, non-ASCII or newline characters.
 * @example
 * ```ts
 * import { Component } from '@paywire/agent-identity'
 * const request = new Request('https://example.com/foo?param=Value&Pet=dog', { method: 'POST' })
 * Component.value(Component.from('@path'), request) // '/foo'
 * ```
 */
export function value(component: Component, message: Message): string {
  const context = contextOf(component, message)
  const result = component.name.startsWith('@')
    ? derived(component, context)
    : field(component, context.headers)
  if (/[\n\r]/.test(result)) throw new ComponentError(`${serialize(component)} contains a newline`)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII is what the base allows.
  if (!/^[\x00-\x7f]*$/.test(result))
    throw new ComponentError(`${serialize(component)} has non-ASCII characters`)
  return result
}

function contextOf(component: Component, message: Message): Message {
  if (!component.parameters.has('req')) return message
  if (component.parameters.get('req') !== true)
    throw new ComponentError('the `req` parameter is a boolean flag')
  if (!('status' in message))
    throw new ComponentError('`req` is only meaningful in a response (RFC 9421 §2.4)')
  if (message.request === undefined)
    throw new ComponentError(`${serialize(component)} needs the request of this response`)
  return message.request
}

function derived(component: Component, message: Message): string {
  const { name, parameters } = component
  for (const key of parameters.keys())
    if (key !== 'req' && !(key === 'name' && name === '@query-param'))
      throw new ComponentError(`parameter ${key} does not apply to ${name}`)
  if (name === '@status') {
    if (!('status' in message)) throw new ComponentError('@status is not a request component')
    return String(message.status)
  }
  if ('status' in message) throw new ComponentError(`${name} of a response needs the \`req\` flag`)
  const url = new URL(message.url)
  switch (name) {
    case '@method':
      return message.method
    case '@target-uri':
      return url.href
    case '@authority':
      return url.host
    case '@scheme':
      return url.protocol.slice(0, -1)
    case '@request-target':
      return url.pathname + url.search
    case '@path':
      return url.pathname === '' ? '/' : url.pathname
    case '@query':
      return url.search === '' ? '?' : url.search
    case '@query-param':
      return queryParam(url, parameters.get('name'))
    default:
      throw new ComponentError(`derived component ${name} is not known`)
  }
}

function queryParam(url: URL, name: BareItem | undefined): string {
  if (typeof name !== 'string')
    throw new ComponentError('@query-param needs a String `name` parameter')
  const matches = [...url.searchParams].filter(([key]) => encodeFormValue(key) === name)
  if (matches.length !== 1)
    throw new ComponentError(
      matches.length === 0
        ? `query parameter ${JSON.stringify(name)} is absent`
        : `query parameter ${JSON.stringify(name)} occurs ${matches.length} times`,
    )
  return encodeFormValue((matches[0] as [string, string])[1])
}

/**
 * Percent-encodes a decoded query name or value as RFC 9421 §2.2.8 asks: UTF-8, every byte
 * but ASCII alphanumerics and `*-._` as `%XX` (spaces too, never `+`).
 */
export function encodeFormValue(text: string): string {
  let out = ''
  for (const byte of new TextEncoder().encode(text)) {
    const char = String.fromCharCode(byte)
    out += /[A-Za-z0-9*\-._]/.test(char)
      ? char
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

function field(component: Component, headers: Headers): string {
  const { name, parameters } = component
  for (const key of parameters.keys())
    if (key !== 'req' && key !== 'key' && key !== 'sf')
      throw new ComponentError(`parameter ${key} of ${name} is not supported`)
  const raw = headers.get(name)
  if (raw === null) throw new ComponentError(`the ${name} field is absent`)
  const key = parameters.get('key')
  if (!parameters.has('key') && !parameters.has('sf')) return raw
  if (!dictionaryFields.has(name))
    throw new ComponentError(`the structured type of ${name} is not known`)
  let dictionary: ReturnType<typeof parseDictionary>
  try {
    dictionary = parseDictionary(raw)
  } catch (cause) {
    throw new ComponentError(`the ${name} field is not a Dictionary`, { cause })
  }
  if (!parameters.has('key')) return serializeDictionary(dictionary)
  if (typeof key !== 'string') throw new ComponentError('the `key` parameter is a String')
  const member = dictionary.get(key)
  if (member === undefined)
    throw new ComponentError(`the ${name} field has no member ${JSON.stringify(key)}`)
  return isInnerList(member) ? serializeInnerList(member) : serializeItem(member)
}

/**
 * Raised when a covered component cannot be derived from the message (RFC 9421 §2.5): the
 * signature base cannot be built, so the signature is refused.
 *
 * @example
 * ```ts
 * import { Component } from '@paywire/agent-identity'
 * try { Component.value(Component.from('x-absent'), new Request('https://example.com')) } catch (error) {
 *   if (error instanceof Component.ComponentError) console.log(error.code) // 'ERR_AGENT_SIGNATURE_COMPONENT'
 * }
 * ```
 */
export class ComponentError extends AgentError {
  override readonly name = 'Component.ComponentError'
  readonly code = 'ERR_AGENT_SIGNATURE_COMPONENT'
  readonly slug = 'invalid-signature'
}
