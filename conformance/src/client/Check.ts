// The shape of a client check: the scenario it watches and a judge of what the client
// under test did in it (every request the compliance server recorded, the challenges it
// issued, and the adapter's answer). A judge passes by returning, fails by throwing
// `Failure`, is n/a by throwing `NotApplicable`; `Broken` (or anything else) is an error.
import { Challenge, Credential } from '@paywire/core'
import type { Test } from '../server/Check.js'
import type * as Adapter from './Adapter.js'
import type { Recorded } from './Server.js'

export { NotApplicable } from '../server/Check.js'

/** The capability every client check needs: the adapter's flow operation. */
export const operation = 'http.payment_request'

/** A client check. */
export type Check = Test & {
  /** The scenario whose call it judges. */
  scenario: string
  judge(observation: Observation): Passed | undefined
}

/** What a passing check may report. */
export type Passed = { message?: string; evidence?: readonly Recorded[] }

/** What happened in one scenario. */
export type Observation = {
  /** Every request the client made in the scenario, in order. */
  requests: readonly Recorded[]
  /** Every challenge the scenario issued. */
  issued: readonly Challenge.Challenge[]
  /** The requests that carried an `Authorization` field, read. */
  sent: readonly Sent[]
  /** The adapter's answer to the scenario's call. */
  adapter: Adapter.Outcome
  /** The `test` method key shared with the payer. */
  key: string
}

/**
 * A request that carried `Authorization` (or, draft -01, `Payment-Authorization`), with
 * its field lines and Payment credential.
 */
export type Sent = {
  request: Recorded
  /** The field the lines came from. */
  field: 'Authorization' | 'Payment-Authorization'
  lines: readonly string[]
  /** The Payment credential, when the lines hold exactly one that parses. */
  credential: Credential.Credential | undefined
  /** Why the lines do not give one credential. */
  problem: string | undefined
}

/**
 * Defines a client check (fills `group` from the id, and the capability it needs).
 *
 * @example
 * ```ts
 * import { ClientCheck } from '@paywire/conformance'
 * const check = ClientCheck.define({
 *   id: 'client.example.pays', title: 'pays', level: 'MUST', scenario: 'basic',
 *   requirements: ['charge.payload.proof'], tags: ['payment'],
 *   judge: (observation) => void ClientCheck.onePayment(observation),
 * })
 * ```
 */
export function define(check: Omit<Check, 'group' | 'needs'> & { needs?: string[] }): Check {
  return {
    ...check,
    needs: [`adapter:${operation}`, ...(check.needs ?? [])],
    group: check.id.split('.')[1] ?? check.id,
  }
}

/** Ends a check as failed (a warning for SHOULD and MAY tests). */
export class Failure extends Error {
  override readonly name = 'ClientCheck.Failure'
  readonly code = 'ERR_CONFORMANCE_FAILURE'
  readonly evidence: readonly Recorded[]
  constructor(message: string, evidence: readonly Recorded[] = []) {
    super(message)
    this.evidence = evidence
  }
}

/** Ends a check as an error: the adapter gave no answer, and the records do not decide. */
export class Broken extends Error {
  override readonly name = 'ClientCheck.Broken'
  readonly code = 'ERR_CONFORMANCE_ADAPTER_BROKEN'
}

/**
 * Reads the credential lines of a request: `Payment-Authorization` when it has any (draft
 * -01), else `Authorization`.
 */
export function read(request: Recorded): Sent | undefined {
  const inField = (name: string) =>
    request.headers.filter(([header]) => header === name).map(([, v]) => v)
  const selected = inField('payment-authorization')
  const field = selected.length > 0 ? 'Payment-Authorization' : 'Authorization'
  const lines = selected.length > 0 ? selected : inField('authorization')
  if (lines.length === 0) return undefined
  if (lines.length > 1)
    return {
      request,
      field,
      lines,
      credential: undefined,
      problem: `${lines.length} ${field} lines`,
    }
  try {
    const credential = Credential.fromAuthorization(lines[0])
    if (credential === undefined)
      return { request, field, lines, credential, problem: `no Payment credential in ${field}` }
    if (field === 'Payment-Authorization' && inField('authorization').some(isPayment))
      return {
        request,
        field,
        lines,
        credential: undefined,
        problem: 'a Payment credential in both Authorization and Payment-Authorization',
      }
    return { request, field, lines, credential, problem: undefined }
  } catch (error) {
    return { request, field, lines, credential: undefined, problem: (error as Error).message }
  }
}

function isPayment(value: string): boolean {
  return /^\s*payment\s/i.test(value)
}

/**
 * Passes when the client sent no credential at all; ends as an error when the adapter
 * gave no answer (a crash is not a refusal).
 *
 * @example
 * ```ts
 * import { ClientCheck } from '@paywire/conformance'
 * declare const observation: ClientCheck.Observation
 * ClientCheck.noCredential(observation, 'an expired challenge')
 * ```
 */
export function noCredential(observation: Observation, what: string): Passed {
  const [first] = observation.sent
  if (first !== undefined)
    throw new Failure(
      `${what} was answered with a credential (${describe(first)}) to ${first.request.url}`,
      [first.request],
    )
  answered(observation)
  return { message: refusal(observation), evidence: observation.requests.slice(-1) }
}

/**
 * The single payment of a scenario: exactly one credential, echoing an issued challenge,
 * with a valid `test` proof, and the adapter reporting the paid response.
 *
 * @example
 * ```ts
 * import { ClientCheck } from '@paywire/conformance'
 * declare const observation: ClientCheck.Observation
 * const { credential, issued } = ClientCheck.onePayment(observation)
 * ```
 */
export function onePayment(observation: Observation): Payment {
  const { sent, requests } = observation
  if (sent.length === 0) {
    answered(observation)
    throw new Failure(`no credential was sent: ${refusal(observation)}`, requests)
  }
  if (sent.length > 1)
    throw new Failure(
      `${sent.length} requests carried a credential; one payment was due`,
      sent.map((s) => s.request),
    )
  const [only] = sent as [Sent]
  if (only.credential === undefined)
    throw new Failure(`the credential is not readable: ${only.problem}`, [only.request])
  const echoed = only.credential.challenge
  const issued = observation.issued.find((challenge) => challenge.id === echoed.id)
  if (issued === undefined)
    throw new Failure(`the credential echoes id "${echoed.id}", which was never issued`, [
      only.request,
    ])
  return { sent: only, credential: only.credential, issued }
}

/** A payment found by {@link onePayment}. */
export type Payment = {
  sent: Sent
  credential: Credential.Credential
  /** The issued challenge its id names. */
  issued: Challenge.Challenge
}

/**
 * The echoed parameters that differ from the issued challenge (bound ones and
 * `description`), by name.
 */
export function changed(issued: Challenge.Challenge, echoed: Challenge.Challenge): string[] {
  const fields = ['id', ...Challenge.boundFields, 'description'] as const
  return fields.filter((field) => issued[field] !== echoed[field])
}

/** Ends as an error unless the adapter answered (a response of the ABI). */
export function answered(observation: Observation): void {
  if (observation.adapter.response === undefined)
    throw new Broken(`the adapter gave no answer: ${observation.adapter.failure ?? 'unknown'}`)
}

/** What the adapter answered, for messages. */
export function refusal(observation: Observation): string {
  const response = observation.adapter.response
  if (response === undefined) return `no answer (${observation.adapter.failure ?? 'unknown'})`
  if (!response.ok) return `${response.error.type}: ${cut(response.error.message)}`
  const status = (response.value as { status?: unknown } | null)?.status
  return `answered with status ${String(status)}`
}

function describe(sent: Sent): string {
  if (sent.credential === undefined) return `unreadable: ${sent.problem}`
  const { id, method, intent } = sent.credential.challenge
  return `for ${method}/${intent} challenge "${cut(id)}"`
}

function cut(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text
}
