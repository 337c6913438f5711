// Challenge.schema and Credential.schema compiled for the values servers and clients meet:
// the same rules (internal/syntax.ts and Base64Url.validate, which the schemas are built
// from) and the same output, or `undefined` to let the zod schema decide and word the
// refusal. Property tests (Challenge.fuzz.test.ts, Credential.fuzz.test.ts) hold each equal
// to its schema on arbitrary input. The schemas stay the single source of the wire types.
import * as Base64Url from '../Base64Url.js'
import type * as Challenge from '../Challenge.js'
import type * as Credential from '../Credential.js'
import * as Syntax from './syntax.js'

/**
 * @internal What `Challenge.schema.safeParse(value).data` is: the ten parameters read as
 * the schema reads them (own or inherited), optional ones present when the input has them
 * (`undefined` included), in the schema's order; or `undefined`.
 */
export function challenge(value: unknown): Challenge.Challenge | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const input = value as Record<string, unknown>
  const { id, realm, method, intent, request } = input
  if (
    typeof id !== 'string' ||
    id.length === 0 ||
    typeof realm !== 'string' ||
    typeof method !== 'string' ||
    !Syntax.methodPattern.test(method) ||
    typeof intent !== 'string' ||
    !Syntax.intentPattern.test(intent) ||
    typeof request !== 'string' ||
    !Base64Url.validate(request)
  )
    return undefined
  const out: Challenge.Challenge = { id, realm, method, intent, request }
  if ('expires' in input && !optional(out, 'expires', input.expires, isDateTime)) return undefined
  if ('digest' in input && !optional(out, 'digest', input.digest, isNonEmpty)) return undefined
  if ('description' in input && !optional(out, 'description', input.description, isString))
    return undefined
  if ('opaque' in input && !optional(out, 'opaque', input.opaque, isBase64Url)) return undefined
  if ('header' in input && !optional(out, 'header', input.header, isNonEmpty)) return undefined
  return out
}

/**
 * @internal What `Credential.schema.safeParse(value).data` is for a value `Json.parse`
 * returned (plain or prototype-less objects): the checked challenge, `source` when the
 * input has it, and a copy of `payload`; or `undefined` (other shapes go to the schema).
 */
export function credential(value: unknown): Credential.Credential | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const input = value as Record<string, unknown>
  const checked = challenge(input.challenge)
  if (checked === undefined) return undefined
  const { source, payload } = input
  if ('source' in input && source !== undefined && typeof source !== 'string') return undefined
  const copy = record(payload)
  if (copy === undefined) return undefined
  return 'source' in input
    ? { challenge: checked, source: source as string | undefined, payload: copy }
    : { challenge: checked, payload: copy }
}

/** A copy of a JSON object's members, as `z.record(z.string(), z.unknown())` makes it. */
function record(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const prototype = Object.getPrototypeOf(value)
  if (prototype !== null && prototype !== Object.prototype) return undefined
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(value)) {
    // The schema drops a `__proto__` member; leave such rarities to it.
    if (key === '__proto__') return undefined
    copy[key] = (value as Record<string, unknown>)[key]
  }
  return Object.getOwnPropertySymbols(value).length === 0 ? copy : undefined
}

/** Sets an optional parameter the input has: `undefined`, or a value that passes `valid`. */
function optional(
  out: Record<string, unknown>,
  name: string,
  value: unknown,
  valid: (text: string) => boolean,
): boolean {
  if (value !== undefined && (typeof value !== 'string' || !valid(value))) return false
  out[name] = value
  return true
}

const isDateTime = Syntax.isDateTime
const isBase64Url = Base64Url.validate
const isNonEmpty = (text: string) => text.length > 0
const isString = () => true
