// JSON for the wire: the JSON Canonicalization Scheme (RFC 8785) that `request` and
// `opaque` must use (draft-httpauth-payment §"Required Parameters"), and a bounded
// parser for untrusted JSON (size and nesting limits, objects without prototypes).
import canonicalizeJcs from 'canonicalize'
import { BaseError } from './Errors.js'

/** A JSON value as the wire carries it. */
export type Value = null | boolean | number | string | Value[] | { [key: string]: Value }

/** Default limits for {@link parse}. */
export const defaultLimits = { maxLength: 65_536, maxDepth: 64 } as const

/**
 * Serializes a JSON value per RFC 8785 (JCS): keys sorted by UTF-16 code units, numbers
 * in ECMAScript form, minimal string escapes, no whitespace.
 *
 * @throws {InvalidJsonError} on values JSON cannot carry (undefined, functions, bigint,
 *   non-finite numbers, lone surrogates, class instances) or cycles.
 * @example
 * ```ts
 * import { Json } from '@paywire/core'
 * Json.canonicalize({ b: 1, a: [1e21, 'é'] }) // '{"a":[1e+21,"é"],"b":1}'
 * ```
 */
export function canonicalize(value: unknown): string {
  assertJsonValue(value)
  try {
    return canonicalizeJcs(value) as string
  } catch (cause) {
    throw new InvalidJsonError('value cannot be canonicalized (RFC 8785)', { cause })
  }
}

/**
 * Parses untrusted JSON text with size and depth limits. Objects come back without a
 * prototype, so keys such as `__proto__` are plain data.
 *
 * @throws {InvalidJsonError} when the text is not JSON or exceeds a limit.
 * @example
 * ```ts
 * import { Json } from '@paywire/core'
 * Json.parse('{"amount":"1000"}') // { amount: '1000' }
 * ```
 */
export function parse(text: string, options: parse.Options = {}): Value {
  const maxLength = options.maxLength ?? defaultLimits.maxLength
  const maxDepth = options.maxDepth ?? defaultLimits.maxDepth
  if (text.length > maxLength)
    throw new InvalidJsonError(
      `JSON text of ${text.length} characters exceeds the limit of ${maxLength}`,
    )
  // Nesting is measured on the text before parsing, in one pass, so that a deep input
  // is refused before any work proportional to its depth is done elsewhere.
  assertDepth(text, maxDepth)
  try {
    return JSON.parse(text, nullPrototype) as Value
  } catch (cause) {
    throw new InvalidJsonError('text is not valid JSON', { cause })
  }
}

export declare namespace parse {
  type Options = {
    /** Largest accepted text, in UTF-16 code units. Default 65,536. */
    maxLength?: number
    /** Deepest accepted nesting of arrays and objects. Default 64. */
    maxDepth?: number
  }
}

/**
 * Whether a value is a plain JSON object (not null, not an array).
 *
 * @example
 * ```ts
 * import { Json } from '@paywire/core'
 * Json.isObject({}) // true
 * Json.isObject([]) // false
 * ```
 */
export function isObject(value: unknown): value is { [key: string]: Value } {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function nullPrototype(_key: string, value: unknown): unknown {
  if (isObject(value)) return Object.assign(Object.create(null) as object, value)
  return value
}

function assertDepth(text: string, maxDepth: number): void {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92 /* \ */) i++
      else if (c === 34 /* " */) inString = false
    } else if (c === 34) inString = true
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > maxDepth)
        throw new InvalidJsonError(`JSON nesting exceeds the limit of ${maxDepth} levels`)
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--
  }
}

function assertJsonValue(root: unknown): void {
  // Depth-first with an explicit stack; `onPath` holds the containers between the root
  // and the current value, so a cycle is refused while a shared (acyclic) value is not.
  const stack: Array<{ value: unknown; leave: boolean }> = [{ value: root, leave: false }]
  const onPath = new Set<object>()
  while (stack.length > 0) {
    const { value, leave } = stack.pop() as { value: unknown; leave: boolean }
    if (leave) {
      onPath.delete(value as object)
      continue
    }
    if (value === null || typeof value === 'boolean' || typeof value === 'string') continue
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new InvalidJsonError(`${value} is not a JSON number`)
      continue
    }
    if (typeof value !== 'object')
      throw new InvalidJsonError(`a ${typeof value} is not a JSON value`)
    if (onPath.has(value)) throw new InvalidJsonError('value contains a cycle')
    onPath.add(value)
    stack.push({ value, leave: true })
    if (Array.isArray(value)) {
      for (const item of value) stack.push({ value: item, leave: false })
      continue
    }
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null)
      throw new InvalidJsonError('only plain objects are JSON objects (found a class instance)')
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key]
      if (item === undefined) throw new InvalidJsonError(`member "${key}" is undefined`)
      stack.push({ value: item, leave: false })
    }
  }
}

/** Raised when text is not acceptable JSON, or a value cannot be serialized as JSON. */
export class InvalidJsonError extends BaseError {
  override readonly name = 'Json.InvalidJsonError'
  readonly code = 'ERR_JSON_INVALID'
  readonly problem = 'malformed-credential' as const
}
