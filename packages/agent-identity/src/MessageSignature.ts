// Creating and verifying one HTTP message signature (RFC 9421 §3.1, §3.2) over a request
// or response, with a key already chosen. The Web Bot Auth profile (Signer.ts,
// Verifier.ts) adds what the application must require on top.
import type { Parameters } from 'structured-headers'
import * as Algorithm from './Algorithm.js'
import type * as Component from './Component.js'
import { AgentError } from './internal/AgentError.js'
import type * as Jwk from './Jwk.js'
import * as SignatureBase from './SignatureBase.js'
import type * as SignatureFields from './SignatureFields.js'

/**
 * Signs `message` with an Ed25519 key: builds the signature base of `components` and
 * `parameters` and returns the entry to serialize into Signature-Input and Signature.
 *
 * @throws {Component.ComponentError} when a component cannot be derived from the message.
 * @example
 * ```ts
 * import { Component, Jwk, MessageSignature, SignatureFields } from '@paywire/agent-identity'
 * const request = new Request('https://example.com/foo')
 * const entry = MessageSignature.sign({
 *   message: request,
 *   label: 'sig1',
 *   components: [Component.from('@authority')],
 *   parameters: new Map([['created', Math.floor(Date.now() / 1000)]]),
 *   key: Jwk.generate(),
 * })
 * const headers = SignatureFields.serialize([entry])
 * ```
 */
export function sign(options: sign.Options): SignatureFields.Entry {
  const { message, label, components, parameters, key } = options
  const base = SignatureBase.from({ components, parameters }, message)
  const signature = Algorithm.sign(key, new TextEncoder().encode(base))
  return { label, components, parameters, signature }
}

export declare namespace sign {
  type Options = {
    message: Component.Message
    label: string
    components: readonly Component.Component[]
    parameters: Parameters
    key: Jwk.Private
  }
}

/**
 * Verifies one signature of `message` with a public key (RFC 9421 §3.2 steps 6-9): the
 * algorithm is resolved from the key and the `alg` parameter, the base rebuilt from the
 * message, and the signature checked.
 *
 * @throws {Algorithm.UnsupportedAlgorithmError} when no acceptable algorithm is determined.
 * @throws {Component.ComponentError} when the signature base cannot be rebuilt.
 * @throws {BadSignatureError} when the signature does not verify.
 * @example
 * ```ts
 * import { MessageSignature, SignatureFields, type Jwk } from '@paywire/agent-identity'
 * declare const request: Request
 * declare const key: Jwk.Public
 * const [entry] = SignatureFields.read(request.headers)
 * if (entry) await MessageSignature.verify({ message: request, entry, key })
 * ```
 */
export async function verify(options: verify.Options): Promise<Algorithm.Name> {
  const { message, entry, key } = options
  const declared = entry.parameters.get('alg')
  const algorithm = Algorithm.resolve(key, typeof declared === 'string' ? declared : undefined)
  const base = new TextEncoder().encode(SignatureBase.from(entry, message))
  if (!(await Algorithm.verify(algorithm, key, entry.signature, base)))
    throw new BadSignatureError(`signature ${entry.label} does not verify with its key`)
  return algorithm
}

export declare namespace verify {
  type Options = {
    message: Component.Message
    entry: SignatureFields.Entry
    key: Jwk.Public
  }
}

/**
 * Raised when a signature does not verify: the message, its covered components or the
 * signature were changed, or another key signed it.
 *
 * @example
 * ```ts
 * import { MessageSignature } from '@paywire/agent-identity'
 * declare const error: unknown
 * if (error instanceof MessageSignature.BadSignatureError) console.log(error.code) // 'ERR_AGENT_SIGNATURE_INVALID'
 * ```
 */
export class BadSignatureError extends AgentError {
  override readonly name = 'MessageSignature.BadSignatureError'
  readonly code = 'ERR_AGENT_SIGNATURE_INVALID'
  readonly slug = 'invalid-signature'
}
