// The JSON-RPC errors of the Payment scheme (draft-payment-transport-mcp §"Signaling
// Payment Required", §"Error Code Mapping", §"Payment Verification Failure"): -32042
// with challenges, -32043 with a fresh challenge and the failure, -32602 for a malformed
// credential, -32603 for a payment processor failure. Their `data` is read back here too.
import { type Challenge, Problem } from '@paywire/core'
import { z } from 'zod'
import * as Wire from './Wire.js'

/**
 * The JSON-RPC error codes the draft assigns.
 * @example
 * ```ts
 * import { RpcError } from '@paywire/mcp'
 * RpcError.codes.paymentRequired // -32042
 * ```
 */
export const codes = {
  /** Payment required: challenges in `error.data`. */
  paymentRequired: -32042,
  /** Payment verification failed: a fresh challenge and the failure reason. */
  verificationFailed: -32043,
  /** A request the server will not process as sent (JSON-RPC Invalid Request): an id in use. */
  invalidRequest: -32600,
  /** Malformed credential (JSON-RPC Invalid params). */
  invalidParams: -32602,
  /** Internal payment error (JSON-RPC Internal error). */
  internalError: -32603,
  /** Refused for a reason that is not a payment failure (policy, rate limit). */
  serverError: -32000,
} as const

/**
 * The `message` of each payment error.
 * @example
 * ```ts
 * import { RpcError } from '@paywire/mcp'
 * RpcError.messages[-32043] // 'Payment Verification Failed'
 * ```
 */
export const messages = {
  [codes.paymentRequired]: 'Payment Required',
  [codes.verificationFailed]: 'Payment Verification Failed',
  [codes.invalidRequest]: 'Invalid Request',
  [codes.invalidParams]: 'Invalid params',
  [codes.internalError]: 'Internal error',
  [codes.serverError]: 'Server error',
} as const

/**
 * The `data` of a -32042 or -32043 error.
 * @example
 * ```ts
 * import { RpcError } from '@paywire/mcp'
 * declare const error: { data?: unknown }
 * const data = RpcError.dataSchema.safeParse(error.data)
 * ```
 */
export const dataSchema = z
  .object({
    httpStatus: z.number().int().optional(),
    challenges: z.array(z.unknown()).min(1),
    problem: Problem.schema.optional(),
    failure: z
      .object({ reason: z.string().optional(), detail: z.string().optional() })
      .catchall(z.unknown())
      .optional(),
  })
  .catchall(z.unknown())

/**
 * The `data` of a -32042 or -32043 error.
 * @example
 * ```ts
 * import type { RpcError } from '@paywire/mcp'
 * declare const data: RpcError.Data
 * console.log(data.challenges.length, data.failure?.reason)
 * ```
 */
export type Data = z.infer<typeof dataSchema>

/**
 * A JSON-RPC error object.
 * @example
 * ```ts
 * import { RpcError } from '@paywire/mcp'
 * const error: RpcError.RpcError = RpcError.invalidParams('missing required field: challenge.id')
 * ```
 */
export type RpcError = { code: number; message: string; data?: Record<string, unknown> }

/**
 * The -32042 error of a paid operation called without a credential.
 *
 * @example
 * ```ts
 * import { RpcError, type Wire } from '@paywire/mcp'
 * declare const challenges: Wire.JsonChallenge[]
 * const error = RpcError.paymentRequired(challenges)
 * error.code // -32042
 * ```
 */
export function paymentRequired(
  challenges: readonly Wire.JsonChallenge[],
  problem: Problem.Problem = Problem.from('payment-required', {
    detail: 'Payment is required for this operation.',
  }),
): RpcError {
  return {
    code: codes.paymentRequired,
    message: messages[codes.paymentRequired],
    data: { httpStatus: 402, challenges: [...challenges], problem },
  }
}

/**
 * The -32043 error of a credential that did not verify: fresh challenges, the problem,
 * and `failure.reason` (the problem type's slug) with its detail.
 *
 * @example
 * ```ts
 * import { Problem } from '@paywire/core'
 * import { RpcError, type Wire } from '@paywire/mcp'
 * declare const challenges: Wire.JsonChallenge[]
 * const error = RpcError.verificationFailed(challenges, Problem.from('invalid-challenge', { detail: 'challenge was already used' }))
 * error.data?.failure // { reason: 'invalid-challenge', detail: 'challenge was already used' }
 * ```
 */
export function verificationFailed(
  challenges: readonly Wire.JsonChallenge[],
  problem: Problem.Problem,
): RpcError {
  const reason = Problem.lookup(problem.type)?.slug ?? 'verification-failed'
  return {
    code: codes.verificationFailed,
    message: messages[codes.verificationFailed],
    data: {
      httpStatus: 402,
      challenges: [...challenges],
      problem,
      failure: { reason, ...(problem.detail === undefined ? {} : { detail: problem.detail }) },
    },
  }
}

/**
 * A -32602 error for a credential that is not well-formed (`detail` says which member).
 *
 * @example
 * ```ts
 * import { RpcError } from '@paywire/mcp'
 * RpcError.invalidParams('missing required field: challenge.id').code // -32602
 * ```
 */
export function invalidParams(detail: string, extra: Record<string, unknown> = {}): RpcError {
  return {
    code: codes.invalidParams,
    message: messages[codes.invalidParams],
    data: { detail, ...extra },
  }
}

/**
 * A -32600 error for a request the server refuses to process as sent, such as one whose
 * id names a request still in progress on the connection (JSON-RPC 2.0 §4: an id
 * identifies one request).
 *
 * @example
 * ```ts
 * import { RpcError } from '@paywire/mcp'
 * RpcError.invalidRequest('request id 7 is in use').code // -32600
 * ```
 */
export function invalidRequest(detail: string): RpcError {
  return {
    code: codes.invalidRequest,
    message: messages[codes.invalidRequest],
    data: { detail },
  }
}

/**
 * An error for a refusal that is not a payment failure: -32603 for a server-side failure
 * (5xx), -32000 for anything else (403 by policy, 429 rate limit), with `httpStatus` and
 * the problem.
 *
 * @example
 * ```ts
 * import { RpcError } from '@paywire/mcp'
 * RpcError.refusal(503, { type: 'about:blank', title: 'Service Unavailable', status: 503 }).code // -32603
 * ```
 */
export function refusal(httpStatus: number, problem: Problem.Problem | undefined): RpcError {
  const code = httpStatus >= 500 ? codes.internalError : codes.serverError
  return {
    code,
    message: messages[code],
    data: { httpStatus, ...(problem === undefined ? {} : { problem }) },
  }
}

/**
 * Reads the payment challenges of a JSON-RPC error (for example an `McpError` thrown by
 * `client.callTool`): `undefined` when the error is not -32042 or -32043. Challenges that
 * are not valid are counted in `invalid` and skipped.
 *
 * @example
 * ```ts
 * import { RpcError } from '@paywire/mcp'
 * try {
 *   // await client.callTool({ name: 'forecast' })
 * } catch (error) {
 *   const offered = RpcError.challenges(error)
 *   if (offered) console.log(offered.challenges.length, offered.data.problem?.type)
 * }
 * ```
 */
export function challenges(error: unknown): challenges.ReturnType | undefined {
  if (error === null || typeof error !== 'object') return undefined
  const { code, data } = error as { code?: unknown; data?: unknown }
  if (code !== codes.paymentRequired && code !== codes.verificationFailed) return undefined
  const parsed = dataSchema.safeParse(data)
  if (!parsed.success) return { code, data: undefined, challenges: [], invalid: 1 }
  const found: challenges.Offered[] = []
  let invalid = 0
  for (const json of parsed.data.challenges) {
    try {
      const challenge = Wire.fromJsonChallenge(json)
      found.push({ challenge, json: Wire.challengeSchema.parse(json) })
    } catch {
      invalid++
    }
  }
  return { code, data: parsed.data, challenges: found, invalid }
}

export declare namespace challenges {
  /** One offered challenge: its core form (for checks) and its JSON form (to echo). */
  type Offered = { challenge: Challenge.Challenge; json: Wire.JsonChallenge }
  type ReturnType = {
    code: -32042 | -32043
    data: Data | undefined
    challenges: Offered[]
    invalid: number
  }
}
