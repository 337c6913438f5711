// The signature base (RFC 9421 §2.5): one line per covered component, its serialized
// identifier, a colon, a space and its canonical value, then the `@signature-params` line
// (§2.3), the covered components and signature parameters as an Inner List.
import { type Parameters, serializeInnerList } from 'structured-headers'
import * as Component from './Component.js'

/** What a signature covers and declares: Signature-Input's value for one label. */
export type Input = {
  /** The covered components, in order. */
  components: readonly Component.Component[]
  /** The signature parameters (`created`, `expires`, `nonce`, `alg`, `keyid`, `tag`), in order. */
  parameters: Parameters
}

/**
 * The `@signature-params` value: the Inner List of component identifiers with the
 * signature parameters (RFC 9421 §2.3), exactly as Signature-Input carries it.
 *
 * @example
 * ```ts
 * import { Component, SignatureBase } from '@paywire/agent-identity'
 * SignatureBase.parameters({ components: [Component.from('@authority')], parameters: new Map([['created', 1]]) })
 * // '("@authority");created=1'
 * ```
 */
export function parameters(input: Input): string {
  return serializeInnerList([
    input.components.map((component) => [component.name, component.parameters]),
    input.parameters,
  ])
}

/**
 * Builds the signature base of `input` over `message`.
 *
 * @throws {Component.ComponentError} when a component repeats or cannot be derived, or the
 *   base would not be ASCII.
 * @example
 * ```ts
 * import { Component, SignatureBase } from '@paywire/agent-identity'
 * const request = new Request('https://example.com/foo', { method: 'POST' })
 * SignatureBase.from({ components: [Component.from('@method'), Component.from('@path')], parameters: new Map() }, request)
 * // '"@method": POST\n"@path": /foo\n"@signature-params": ("@method" "@path")'
 * ```
 */
export function from(input: Input, message: Component.Message): string {
  const lines: string[] = []
  input.components.forEach((component, index) => {
    if (component.name === '@signature-params')
      throw new Component.ComponentError('@signature-params is never a covered component')
    if (input.components.slice(0, index).some((other) => Component.equals(other, component)))
      throw new Component.ComponentError(
        `${Component.serialize(component)} is covered more than once`,
      )
    lines.push(`${Component.serialize(component)}: ${Component.value(component, message)}`)
  })
  lines.push(`"@signature-params": ${parameters(input)}`)
  return lines.join('\n')
}
