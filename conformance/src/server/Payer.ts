// How the suite pays a challenge: one payer per payment method it can pay, built from
// the method's settings in the configuration. The `test` method (an HMAC proof under a
// key shared with the server, as @paywire/testkit defines it) and the Tempo charge (real
// payments on a Tempo node, see TempoPayer.ts) are built in; other methods plug in here as
// payers of their own, and the checks that need a payment become n/a for a target that
// claims no method the suite can pay.
import { createHmac } from 'node:crypto'
import { Base64Url, type Challenge } from '@paywire/core'
import * as TempoPayer from './TempoPayer.js'

/** Pays challenges of one method and intent. */
export type Payer = {
  method: string
  intent: string
  /**
   * A payload that proves payment of `challenge` (as echoed: possibly tampered with).
   *
   * @throws {UnpayableChallengeError} when it cannot pay that challenge (say, a tampered
   * request that is no longer one of its method).
   */
  pay(challenge: Challenge.Challenge): Promise<Payment>
  /** A well-formed payload that proves nothing (verification must fail). */
  forge(challenge: Challenge.Challenge): Promise<Payment>
}

/** What a payer puts in a credential besides the echoed challenge. */
export type Payment = { payload: Record<string, unknown>; source?: string | undefined }

/** Builds a payer from the method's settings in the configuration. */
export type Factory = (settings: unknown) => Payer

/**
 * The payers the suite has, by method. Add a method here to let the suite pay it.
 *
 * @example
 * ```ts
 * import { Payer } from '@paywire/conformance'
 * const payer = Payer.factories.test?.({ key: 'paywire-reference-test-method-key' })
 * ```
 */
export const factories: Readonly<Record<string, Factory>> = {
  test: (settings) => test(readTestSettings(settings)),
  tempo: (settings) => TempoPayer.from(TempoPayer.read(settings)),
}

/**
 * The payer of the `test` method: `payload.proof` is base64url of
 * HMAC-SHA256(key, `paywire-test|<challenge id>|<request>`).
 *
 * @example
 * ```ts
 * import { Payer } from '@paywire/conformance'
 * const payer = Payer.test({ key: 'paywire-reference-test-method-key' })
 * ```
 */
export function test(options: test.Options): Payer {
  const proof = (key: string, challenge: Challenge.Challenge) =>
    Base64Url.encode(
      createHmac('sha256', key)
        .update(`paywire-test|${challenge.id}|${challenge.request}`)
        .digest(),
    )
  return {
    method: 'test',
    intent: 'charge',
    pay: async (challenge) => ({ payload: { proof: proof(options.key, challenge) } }),
    forge: async (challenge) => ({
      payload: { proof: proof(`${options.key}-but-not-the-shared-key`, challenge) },
    }),
  }
}

export declare namespace test {
  type Options = {
    /** The key the target's test method shares with payers. */
    key: string
  }
}

/**
 * The payers for the claimed methods the suite can pay, in the configuration's order.
 *
 * @throws {InvalidPayerSettingsError} when a method's settings are unusable.
 * @example
 * ```ts
 * import { Payer } from '@paywire/conformance'
 * Payer.forMethods({ test: { key: 'k' }, stripe: {} }) // [the test payer]
 * ```
 */
export function forMethods(methods: Readonly<Record<string, unknown>>): Payer[] {
  const payers: Payer[] = []
  for (const [method, settings] of Object.entries(methods)) {
    const factory = factories[method]
    if (factory !== undefined) payers.push(factory(settings))
  }
  return payers
}

function readTestSettings(settings: unknown): test.Options {
  const key = (settings as { key?: unknown } | null)?.key
  if (typeof key !== 'string' || key === '')
    throw new InvalidPayerSettingsError('methods.test.key must be the key shared with the target')
  return { key }
}

/** Raised when the settings of a claimed method cannot build its payer. */
export class InvalidPayerSettingsError extends Error {
  override readonly name = 'Payer.InvalidPayerSettingsError'
  readonly code = 'ERR_CONFORMANCE_PAYER'
}

/** Raised by a payer that cannot pay a challenge (as echoed); the reason is the message. */
export class UnpayableChallengeError extends Error {
  override readonly name = 'Payer.UnpayableChallengeError'
  readonly code = 'ERR_CONFORMANCE_UNPAYABLE'
}
