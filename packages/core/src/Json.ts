// JSON for the wire: the JSON Canonicalization Scheme (RFC 8785) that `request` and
// `opaque` must use (draft-httpauth-payment §"Required Parameters"), and a bounded
// parser for untrusted JSON (size and nesting limits, objects without prototypes).
import { BaseError } from './Errors.js'
import { plainText } from './internal/plainText.js'

/** A JSON value as the wire carries it. */
export type Value = null | boolean | number | string | Value[] | { [key: string]: Value }

/** Default limits for {@link parse}. */
export const defaultLimits = { maxLength: 65_536, maxDepth: 64 } as const

// @enforces core.challenge.request.jcs, charge.request.jcs
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
  // One recursive pass that checks and writes at once, for the shallow values of the wire
  // (three times faster than checking, then serializing; see bench/README.md). A value
  // nested deeper than it goes takes the iterative path, which has no recursion limit.
  const written = writeCanonical(value, 0, new Set())
  if (written !== undefined) return written
  assertJsonValue(value)
  return writeDeep(value)
}

/**
 * Parses untrusted JSON text with size and depth limits. A member name given twice in one
 * object is refused (RFC 8259 §4 leaves it undefined; parsers disagree on which wins).
 * Objects come back without a prototype, so keys such as `__proto__` are plain data.
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
  // is refused before any work proportional to its depth is done elsewhere; that pass also
  // finds a member named twice.
  const scanned = mayNestDeeper(text, maxDepth)
  if (scanned) assertStructure(text, maxDepth)
  let value: Value
  try {
    value = JSON.parse(text) as Value
  } catch (cause) {
    throw new InvalidJsonError('text is not valid JSON', { cause })
  }
  // One pass after parsing rather than a reviver: JSON.parse with a reviver is several
  // times slower (see bench/README.md). It counts the members JSON.parse kept: when the
  // text has no more colons than that, no member was dropped as a duplicate (every pair
  // has its colon), and the character scan is not needed.
  const members = { count: 0 }
  withoutPrototypes(value, members)
  if (!scanned && colonsAbove(text, members.count)) assertStructure(text, maxDepth)
  return value
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

function withoutPrototypes(value: Value, members: { count: number }): Value {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) withoutPrototypes(value[i] as Value, members)
    return value
  }
  // In place: JSON.parse made these objects for us alone, and defines every member
  // (`__proto__` too) as an own data property, which dropping the prototype keeps.
  Object.setPrototypeOf(value, null)
  const keys = Object.keys(value)
  members.count += keys.length
  for (const key of keys) withoutPrototypes(value[key] as Value, members)
  return value
}

/** Whether `text` holds more colons (in strings or not) than `count`, by native search. */
function colonsAbove(text: string, count: number): boolean {
  let colons = 0
  for (let at = text.indexOf(':'); at !== -1; at = text.indexOf(':', at + 1))
    if (++colons > count) return true
  return false
}

/**
 * Whether `text` has more than `maxDepth` opening brackets at all (in strings or not): only
 * then can it nest deeper, and only then is the character-by-character scan needed. Counted
 * with `indexOf`, a native search per bracket, instead of a loop over every character.
 */
function mayNestDeeper(text: string, maxDepth: number): boolean {
  let brackets = 0
  for (const bracket of ['{', '[']) {
    for (let at = text.indexOf(bracket); at !== -1; at = text.indexOf(bracket, at + 1))
      if (++brackets > maxDepth) return true
  }
  return false
}

/**
 * One pass over the text before it is parsed: nesting deeper than `maxDepth` and a member
 * name given twice in one object (which JSON.parse would resolve silently, last one wins:
 * two readers could then see two different values) are refused. On invalid JSON the pass
 * may stop anywhere; JSON.parse then reports the text.
 */
function assertStructure(text: string, maxDepth: number): void {
  // One frame per open container: arrays as `null`, objects as the names seen so far
  // (created on the first name) and whether the next string is a name.
  const frames: Array<{ names: Set<string> | undefined; expectName: boolean } | null> = []
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 34 /* " */) {
      const start = i
      let escaped = false
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i)
        if (d === 92 /* \ */) {
          escaped = true
          i++
        } else if (d === 34) break
      }
      const frame = frames[frames.length - 1]
      if (frame?.expectName) {
        frame.expectName = false
        const name = memberName(text.slice(start, i + 1), escaped)
        if (name === undefined) continue
        frame.names ??= new Set()
        if (frame.names.has(name))
          throw new InvalidJsonError(`JSON object has the member "${printable(name)}" twice`)
        frame.names.add(name)
      }
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      frames.push(c === 123 ? { names: undefined, expectName: true } : null)
      if (frames.length > maxDepth)
        throw new InvalidJsonError(`JSON nesting exceeds the limit of ${maxDepth} levels`)
    } else if (c === 125 /* } */ || c === 93 /* ] */) frames.pop()
    else if (c === 44 /* , */) {
      const frame = frames[frames.length - 1]
      if (frame !== undefined && frame !== null) frame.expectName = true
    }
  }
}

/** A member name as JSON.parse reads it (escapes resolved), or undefined when invalid. */
function memberName(quoted: string, escaped: boolean): string | undefined {
  if (!escaped) return quoted.slice(1, -1)
  try {
    return JSON.parse(quoted) as string
  } catch {
    return undefined
  }
}

/** A member name shortened and stripped of control characters, for an error message. */
function printable(name: string): string {
  const shown = name.length > 40 ? `${name.slice(0, 40)}…` : name
  return shown.replace(/[^\x20-\x7e]/g, '?')
}

/** Nesting the recursive writer handles; deeper values go the iterative way. */
const recursionLimit = 128

/**
 * RFC 8785 text of `value`, with the refusals of {@link assertJsonValue}; `undefined` when
 * the value nests deeper than {@link recursionLimit}. Strings and numbers are written by
 * JSON.stringify, which is RFC 8785's serialization of both (ECMAScript number form,
 * minimal escapes) once lone surrogates and non-finite numbers are refused; member names
 * are sorted by UTF-16 code units, `sort()`'s default order.
 */
function writeCanonical(value: unknown, depth: number, onPath: Set<object>): string | undefined {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'string':
      return writeString(value)
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidJsonError(`${value} is not a JSON number`)
      return JSON.stringify(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object':
      break
    default:
      throw new InvalidJsonError(`a ${typeof value} is not a JSON value`)
  }
  if (depth >= recursionLimit) return undefined
  const container = value as object
  if (onPath.has(container)) throw new InvalidJsonError('value contains a cycle')
  onPath.add(container)
  let out: string
  if (Array.isArray(container)) {
    out = '['
    for (let i = 0; i < container.length; i++) {
      const item = container[i]
      if (item === undefined) throw new InvalidJsonError('a undefined is not a JSON value')
      const written = writeCanonical(item, depth + 1, onPath)
      if (written === undefined) return undefined
      out += i === 0 ? written : `,${written}`
    }
    out += ']'
  } else {
    const proto = Object.getPrototypeOf(container)
    if (proto !== Object.prototype && proto !== null)
      throw new InvalidJsonError('only plain objects are JSON objects (found a class instance)')
    const members = container as Record<string, unknown>
    const keys = Object.keys(members).sort()
    out = '{'
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string
      const item = members[key]
      if (item === undefined) throw new InvalidJsonError(`member "${key}" is undefined`)
      const name = writeString(key)
      const written = writeCanonical(item, depth + 1, onPath)
      if (written === undefined) return undefined
      out += `${i === 0 ? '' : ','}${name}:${written}`
    }
    out += '}'
  }
  onPath.delete(container)
  return out
}

/**
 * A string as RFC 8785 writes it: printable ASCII as it is (what most wire strings are,
 * and JSON.stringify's output for them, at a third of the cost), anything else through
 * JSON.stringify once lone surrogates are refused.
 */
function writeString(text: string): string {
  if (plainText.test(text)) return `"${text}"`
  if (!wellFormed(text)) throw new InvalidJsonError('value cannot be canonicalized (RFC 8785)')
  return JSON.stringify(text)
}

/** No lone surrogate (ES2024 `String.prototype.isWellFormed`, in Node 20 and current browsers). */
function wellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed()
}

/**
 * RFC 8785 for a value {@link assertJsonValue} accepted, nested deeper than the recursive
 * writer goes: the same output, written from an explicit stack of values and literal text.
 */
function writeDeep(root: unknown): string {
  const out: string[] = []
  const stack: Array<{ text: string } | { value: unknown }> = [{ value: root }]
  while (stack.length > 0) {
    const task = stack.pop() as { text: string } | { value: unknown }
    if ('text' in task) {
      out.push(task.text)
      continue
    }
    const value = task.value
    if (value === null || typeof value !== 'object') {
      out.push(writeCanonical(value, 0, new Set()) as string)
      continue
    }
    const pending: Array<{ text: string } | { value: unknown }> = []
    if (Array.isArray(value)) {
      pending.push({ text: '[' })
      for (let i = 0; i < value.length; i++) {
        if (i > 0) pending.push({ text: ',' })
        pending.push({ value: value[i] })
      }
      pending.push({ text: ']' })
    } else {
      const members = value as Record<string, unknown>
      const keys = Object.keys(members).sort()
      pending.push({ text: '{' })
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string
        pending.push({ text: `${i === 0 ? '' : ','}${writeString(key)}:` })
        pending.push({ value: members[key] })
      }
      pending.push({ text: '}' })
    }
    for (let i = pending.length - 1; i >= 0; i--) stack.push(pending[i] as { text: string })
  }
  return out.join('')
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
