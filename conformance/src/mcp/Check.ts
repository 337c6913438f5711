// The shape of an MCP check and what it is given: the target's configuration, sessions
// whose messages become the evidence, and the payers. A check passes by returning, fails
// by throwing `Failure`, is n/a by throwing `NotApplicable`; anything else is an error.
import { Wire } from '@paywire/mcp'
import type { Test } from '../server/Check.js'
import { Failure } from '../server/Check.js'
import type { Payer } from '../server/Payer.js'
import type { Config } from './Config.js'
import type * as Session from './Session.js'

export { Failure, NotApplicable } from '../server/Check.js'

/** An MCP check: a catalog entry with its implementation. */
export type Check = Test & {
  /** Runs the check; throws `Failure` or `NotApplicable`. */
  run(context: Context): Promise<{ message?: string } | undefined>
}

/** What an MCP check is given. */
export type Context = {
  config: Config
  /** The target's MCP endpoint. */
  url: string
  /** Payers for the claimed methods the suite can pay (first preferred). */
  payers: readonly Payer[]
  /** Opens a new session with the target (closed after the check). */
  open(): Promise<Session.Session>
}

/**
 * Defines an MCP check (fills `group` from the id).
 *
 * @example
 * ```ts
 * import { McpCheck } from '@paywire/conformance'
 * const check = McpCheck.define({
 *   id: 'mcp.example.answers', title: 'answers', level: 'MUST',
 *   requirements: ['mcp.challenge.code'], needs: [], tags: ['mcp'],
 *   run: async () => undefined,
 * })
 * ```
 */
export function define(check: Omit<Check, 'group'>): Check {
  return { ...check, group: check.id.split('.')[1] ?? check.id }
}

/**
 * The credential paying the first challenge of a `-32042` answer that a payer can pay, in
 * its JSON-RPC form (the challenge echoed as received).
 *
 * @throws {Failure} when the answer is not a `-32042` with a challenge the suite can pay.
 * @example
 * ```ts
 * import { McpCheck } from '@paywire/conformance'
 * declare const context: McpCheck.Context
 * const session = await context.open()
 * const credential = await McpCheck.pay(context, await session.call('forecast', { city: 'Oslo' }))
 * ```
 */
export async function pay(context: Context, answer: Session.Message): Promise<Wire.JsonCredential> {
  if (answer.error?.code !== -32042)
    throw new Failure(`expected -32042 for an unpaid paid operation, got ${describe(answer)}`)
  const challenges = (answer.error.data as { challenges?: unknown } | undefined)?.challenges
  for (const json of Array.isArray(challenges) ? challenges : []) {
    let challenge: ReturnType<typeof Wire.fromJsonChallenge>
    try {
      challenge = Wire.fromJsonChallenge(json)
    } catch {
      continue
    }
    const payer = context.payers.find(
      (candidate) => candidate.method === challenge.method && candidate.intent === challenge.intent,
    )
    if (payer === undefined) continue
    const payment = await payer.pay(challenge)
    return {
      challenge: json as Wire.JsonChallenge,
      payload: payment.payload,
      ...(payment.source === undefined ? {} : { source: payment.source }),
    }
  }
  throw new Failure('the -32042 offers no challenge the suite can pay')
}

/** `_meta` carrying `credential` (and `extra`). */
export function paying(
  credential: Wire.JsonCredential,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { ...extra, [Wire.credentialKey]: credential }
}

/** Whether an answer is a paid result: a result, not an error result, with a receipt. */
export function isPaidResult(answer: Session.Message): boolean {
  return (
    answer.result !== undefined &&
    answer.result.isError !== true &&
    answer.result._meta?.[Wire.receiptKey] !== undefined
  )
}

/** An answer in one line, for failure messages. */
export function describe(answer: Session.Message): string {
  if (answer.error !== undefined) return `error ${answer.error.code} (${answer.error.message})`
  if (answer.result !== undefined)
    return answer.result.isError === true ? 'an error result' : 'a result'
  return JSON.stringify(answer)
}
