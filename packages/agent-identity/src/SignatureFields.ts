// The Signature-Input and Signature fields (RFC 9421 §4.1, §4.2): Dictionaries keyed by
// signature label, parsed strictly with an RFC 9651 structured-fields library. Every label
// must appear in both fields.
import {
  type BareItem,
  type Dictionary,
  isInnerList,
  type Parameters,
  parseDictionary,
  serializeDictionary,
} from 'structured-headers'
import * as Component from './Component.js'
import { AgentError } from './internal/AgentError.js'
import type * as SignatureBase from './SignatureBase.js'

/** One signature of a message: what it covers, its parameters and its value. */
export type Entry = SignatureBase.Input & { label: string; signature: Uint8Array }

/** The largest field value parsed, in characters: bounds the work on hostile input. */
export const maxFieldLength = 16_384

/** The parameters whose type RFC 9421 §2.3 fixes: integers and strings. */
const integerParameters = ['created', 'expires'] as const
const stringParameters = ['nonce', 'alg', 'keyid', 'tag'] as const

/**
 * Reads every signature of a message from its Signature-Input and Signature fields.
 * Returns an empty list when neither field is present.
 *
 * @throws {MalformedSignatureError} when a field is not a valid Dictionary, a label is in
 *   one field only, a member has the wrong type, or a parameter has the wrong type.
 * @example
 * ```ts
 * import { SignatureFields } from '@paywire/agent-identity'
 * const headers = new Headers({ 'signature-input': 'sig1=("@authority");created=1', signature: 'sig1=:AAAA:' })
 * SignatureFields.read(headers)[0]?.label // 'sig1'
 * ```
 */
export function read(headers: Headers): Entry[] {
  const inputField = headers.get('signature-input')
  const signatureField = headers.get('signature')
  if (inputField === null && signatureField === null) return []
  if (inputField === null || signatureField === null)
    throw new MalformedSignatureError('Signature and Signature-Input must be sent together')
  const inputs = dictionary(inputField, 'Signature-Input')
  const signatures = dictionary(signatureField, 'Signature')
  for (const label of signatures.keys())
    if (!inputs.has(label))
      throw new MalformedSignatureError(`signature ${label} has no Signature-Input member`)
  return [...inputs].map(([label, member]) => {
    const signature = signatures.get(label)
    if (signature === undefined)
      throw new MalformedSignatureError(`Signature-Input ${label} has no Signature member`)
    if (isInnerList(signature) || !(signature[0] instanceof ArrayBuffer))
      throw new MalformedSignatureError(`Signature member ${label} is not a Byte Sequence`)
    if (!isInnerList(member))
      throw new MalformedSignatureError(`Signature-Input member ${label} is not an Inner List`)
    const components = member[0].map((item) => {
      try {
        return Component.fromItem(item)
      } catch (cause) {
        throw new MalformedSignatureError(`Signature-Input ${label}: ${String(cause)}`, { cause })
      }
    })
    checkParameters(label, member[1])
    return { label, components, parameters: member[1], signature: new Uint8Array(signature[0]) }
  })
}

/**
 * The two fields for signatures, to add to a message (existing members of the message's
 * own fields are kept; a label already present is refused).
 *
 * @throws {MalformedSignatureError} when a label repeats.
 * @example
 * ```ts
 * import { Component, SignatureFields } from '@paywire/agent-identity'
 * const fields = SignatureFields.serialize([{ label: 'sig1', components: [Component.from('@authority')], parameters: new Map(), signature: new Uint8Array(64) }])
 * fields['signature-input'] // 'sig1=("@authority")'
 * ```
 */
export function serialize(
  entries: readonly Entry[],
  existing: Headers = new Headers(),
): { 'signature-input': string; signature: string } {
  const inputs: Dictionary = new Map()
  const signatures: Dictionary = new Map()
  for (const entry of read(existing)) add(entry, inputs, signatures)
  for (const entry of entries) add(entry, inputs, signatures)
  return {
    'signature-input': serializeDictionary(inputs),
    signature: serializeDictionary(signatures),
  }
}

function add(entry: Entry, inputs: Dictionary, signatures: Dictionary) {
  if (inputs.has(entry.label))
    throw new MalformedSignatureError(`signature label ${entry.label} is already used`)
  inputs.set(entry.label, [
    entry.components.map((component) => [component.name, component.parameters]),
    entry.parameters,
  ])
  signatures.set(entry.label, [new Uint8Array(entry.signature), new Map()])
}

function dictionary(value: string, field: string): Dictionary {
  if (value.length > maxFieldLength)
    throw new MalformedSignatureError(`${field} is longer than ${maxFieldLength} characters`)
  try {
    const parsed = parseDictionary(value)
    if (parsed.size === 0) throw new Error('empty')
    return parsed
  } catch (cause) {
    throw new MalformedSignatureError(`${field} is not a valid structured Dictionary`, { cause })
  }
}

function checkParameters(label: string, parameters: Parameters) {
  const is = (name: string, test: (value: BareItem) => boolean) => {
    const value = parameters.get(name)
    if (value !== undefined && !test(value))
      throw new MalformedSignatureError(`Signature-Input ${label}: \`${name}\` has the wrong type`)
  }
  for (const name of integerParameters) is(name, (value) => Number.isInteger(value))
  for (const name of stringParameters) is(name, (value) => typeof value === 'string')
}

/**
 * Raised when the Signature, Signature-Input or Signature-Agent fields cannot be parsed
 * (draft-ietf-webbotauth-httpsig-protocol-01 §"Validating Message Signature": 400).
 *
 * @example
 * ```ts
 * import { SignatureFields } from '@paywire/agent-identity'
 * try { SignatureFields.read(new Headers({ signature: 'x', 'signature-input': 'y' })) } catch (error) {
 *   if (error instanceof SignatureFields.MalformedSignatureError) console.log(error.status) // 400
 * }
 * ```
 */
export class MalformedSignatureError extends AgentError {
  override readonly name = 'SignatureFields.MalformedSignatureError'
  readonly code = 'ERR_AGENT_SIGNATURE_MALFORMED'
  readonly slug = 'malformed-signature'
}
