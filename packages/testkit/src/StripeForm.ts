// The request bodies of Stripe's v1 API: `application/x-www-form-urlencoded` with bracket
// nesting (`usage_limits[max_amount]=5000`, `payment_method_types[0]=card`,
// `expand[]=latest_charge`), as the official SDKs and curl send them. Used by the local
// Stripe API (StripeServer.ts); values stay strings, as Stripe receives them.

/**
 * A decoded form value: a string, or nested objects and arrays of them.
 *
 * @example
 * ```ts
 * import type { StripeForm } from '@paywire/testkit'
 * const value: StripeForm.Value = { max_amount: '5000', tags: ['a', 'b'] }
 * ```
 */
export type Value = string | Value[] | { [key: string]: Value }

/**
 * The parameters of one request.
 *
 * @example
 * ```ts
 * import { StripeForm } from '@paywire/testkit'
 * const params: StripeForm.Params = StripeForm.parse('amount=5000&currency=usd')
 * ```
 */
export type Params = { [key: string]: Value }

/**
 * Decodes a form-encoded body into nested parameters. Numeric (`[0]`) and empty (`[]`)
 * brackets make arrays; other brackets make objects. A key that is used both as a value
 * and as a container, an unbalanced bracket, a bad percent-escape or a key that could
 * reach an object prototype is refused with {@link InvalidFormError}.
 *
 * @example
 * ```ts
 * import { StripeForm } from '@paywire/testkit'
 * StripeForm.parse('amount=5000&metadata[challenge_id]=abc&payment_method_types[0]=card')
 * // { amount: '5000', metadata: { challenge_id: 'abc' }, payment_method_types: ['card'] }
 * ```
 */
export function parse(body: string): Params {
  const root: Params = {}
  for (const pair of body.split('&')) {
    if (pair === '') continue
    const separator = pair.indexOf('=')
    const rawKey = separator === -1 ? pair : pair.slice(0, separator)
    const rawValue = separator === -1 ? '' : pair.slice(separator + 1)
    assign(root, path(decode(rawKey)), decode(rawValue))
  }
  return normalize(root) as Params
}

/**
 * Encodes parameters the way the official SDK does (indexed arrays, bracketed keys).
 * `undefined` members are left out.
 *
 * @example
 * ```ts
 * import { StripeForm } from '@paywire/testkit'
 * StripeForm.stringify({ usage_limits: { currency: 'usd', max_amount: 5000 } })
 * // 'usage_limits[currency]=usd&usage_limits[max_amount]=5000'
 * ```
 */
export function stringify(params: Record<string, unknown>): string {
  const pairs: string[] = []
  const encode = (key: string, value: unknown) => {
    if (value === undefined) return
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) encode(`${key}[${index}]`, item)
    } else if (value !== null && typeof value === 'object')
      for (const [member, item] of Object.entries(value)) encode(`${key}[${member}]`, item)
    else pairs.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value ?? ''))}`)
  }
  for (const [key, value] of Object.entries(params)) encode(key, value)
  return pairs.join('&')
}

/**
 * Raised by {@link parse} for a body Stripe would refuse to decode.
 *
 * @example
 * ```ts
 * import { StripeForm } from '@paywire/testkit'
 * try {
 *   StripeForm.parse('a=1&a[b]=2')
 * } catch (error) {
 *   if (error instanceof StripeForm.InvalidFormError) console.log(error.code)
 * }
 * ```
 */
export class InvalidFormError extends Error {
  override readonly name = 'StripeForm.InvalidFormError'
  readonly code = 'ERR_STRIPE_FORM_INVALID'
}

const forbidden = new Set(['__proto__', 'constructor', 'prototype'])

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '))
  } catch {
    throw new InvalidFormError(`invalid percent-encoding in "${text.slice(0, 40)}"`)
  }
}

/** `a[b][0][]` → `['a', 'b', '0', '']`. */
function path(key: string): string[] {
  const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key)
  if (match === null) throw new InvalidFormError(`invalid parameter name "${key.slice(0, 60)}"`)
  const head = match[1] as string
  const rest = [...(match[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((part) => part[1] as string)
  const segments = [head, ...rest]
  for (const segment of segments)
    if (forbidden.has(segment)) throw new InvalidFormError(`parameter name "${segment}" refused`)
  return segments
}

type Node = string | Node[] | { [key: string]: Node }

function assign(root: { [key: string]: Node }, segments: string[], value: string): void {
  let container: { [key: string]: Node } | Node[] = root
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index] as string
    const last = index === segments.length - 1
    const nextIsPush = segments[index + 1] === ''
    if (Array.isArray(container)) {
      if (segment !== '') throw new InvalidFormError(`cannot mix [] and [${segment}]`)
      if (last) {
        container.push(value)
        return
      }
      const child: Node = nextIsPush ? [] : {}
      container.push(child)
      container = child as { [key: string]: Node } | Node[]
      continue
    }
    if (segment === '') throw new InvalidFormError('[] must follow a name')
    if (last) {
      if (typeof container[segment] === 'object')
        throw new InvalidFormError(`"${segments.join('.')}" is both a value and a container`)
      container[segment] = value
      return
    }
    const existing: Node | undefined = container[segment]
    if (existing === undefined) container[segment] = nextIsPush ? [] : {}
    else if (typeof existing === 'string' || Array.isArray(existing) !== nextIsPush)
      throw new InvalidFormError(`"${segments.slice(0, index + 1).join('.')}" is used two ways`)
    container = container[segment] as { [key: string]: Node } | Node[]
  }
}

/** Objects whose keys are exactly 0..n-1 become arrays (the SDK's indexed arrays). */
function normalize(node: Node): Value {
  if (typeof node === 'string') return node
  if (Array.isArray(node)) return node.map(normalize)
  const keys = Object.keys(node)
  const indexed =
    keys.length > 0 &&
    keys.every((key) => /^(0|[1-9]\d{0,5})$/.test(key)) &&
    keys.every((_, position) => Object.hasOwn(node, String(position)))
  if (indexed) return keys.map((_, position) => normalize(node[String(position)] as Node))
  const result: { [key: string]: Value } = {}
  for (const key of keys) result[key] = normalize(node[key] as Node)
  return result
}
