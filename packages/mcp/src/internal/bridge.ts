// Between JSON-RPC and the @paywire/server core: a paid operation becomes the HTTP request
// the core decides (the operation as path, its params as body, the credential as
// `Authorization`, the transport's own URL so that the core's TLS rule applies), and the
// core's refusals become the draft's JSON-RPC errors (draft-payment-transport-mcp
// §"Error Code Mapping", §"Transport Security").
import type { MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js'
import { Challenge, Json, Problem, Receipt } from '@paywire/core'
import * as RpcError from '../RpcError.js'
import * as Wire from '../Wire.js'

/**
 * @internal The origin of requests that arrived over a local transport (stdio, in-memory):
 * TLS does not apply there, the operating system isolates the peers.
 */
export const localOrigin = 'https://mcp.paywire.invalid'

/**
 * @internal The origin the core sees for a message: the URL of the HTTP request that
 * carried it (so a plain-HTTP request is refused unless `plaintext` allows it), or the
 * local origin when the transport is not a network one (no `requestInfo`).
 */
export function originOf(extra: MessageExtraInfo | undefined): string {
  const info = extra?.requestInfo
  if (info === undefined) return localOrigin
  if (info.url instanceof URL) return info.url.origin
  // A network transport that does not say which URL it served: nothing proves TLS.
  return 'http://mcp.paywire.invalid'
}

/** @internal The request the server core decides: the operation as path, its params as body. */
export function toRequest(parameters: {
  method: string
  target: string
  params: Record<string, unknown>
  authorization: string | undefined
  /** The field the credential goes in: `Authorization` (default) or `Payment-Authorization`. */
  field?: string | undefined
  extra: MessageExtraInfo | undefined
}): Request {
  const { _meta, ...operation } = parameters.params
  const headers = new Headers({ 'content-type': 'application/json' })
  if (parameters.authorization !== undefined)
    headers.set(parameters.field ?? 'authorization', parameters.authorization)
  const forwarded = header(parameters.extra, 'x-forwarded-proto')
  if (forwarded !== undefined) headers.set('x-forwarded-proto', forwarded)
  // The body (params without `_meta`) is covered by the challenge's digest: a challenge
  // bought for one call cannot pay for a call with other arguments.
  const path = `/${parameters.method}/${encodeURIComponent(parameters.target)}`
  return new Request(`${originOf(parameters.extra)}${path}`, {
    method: 'POST',
    headers,
    body: Json.canonicalize(operation),
  })
}

/**
 * @internal The response the core keeps for a paid result: the JSON-RPC result as body,
 * so that a retry of the same credential can be answered with it (and its receipt) when
 * the core has one to give back.
 */
export function toResponse(result: Record<string, unknown>): Response {
  return new Response(JSON.stringify(result), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  })
}

/**
 * @internal The JSON-RPC result of a paid answer the core gave back instead of a decision
 * (a retry of a credential whose result it kept), with its receipt; `undefined` for
 * anything else (a refusal).
 */
export async function fromResponse(
  response: Response,
  challengeId: string,
): Promise<Record<string, unknown> | undefined> {
  const header = response.headers.get(Receipt.headerName)
  if (response.status < 200 || response.status > 299 || header === null) return undefined
  let result: unknown
  try {
    result = JSON.parse(await response.clone().text())
  } catch {
    return undefined
  }
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return undefined
  return withReceipt(result as Record<string, unknown>, header, challengeId)
}

/** @internal `result` with the receipt of the `Payment-Receipt` header in its `_meta`. */
export function withReceipt(
  result: Record<string, unknown>,
  header: string,
  challengeId: string,
): Record<string, unknown> {
  const receipt = Wire.toJsonReceipt(Receipt.deserialize(header), challengeId)
  const meta = { ...((result._meta as object | undefined) ?? {}), [Wire.receiptKey]: receipt }
  return { ...result, _meta: meta }
}

/** @internal The JSON-RPC error of a refusal the server core wrote as an HTTP response. */
export async function translate(response: Response): Promise<RpcError.RpcError> {
  let problem: Problem.Problem | undefined
  try {
    problem = Problem.parse(await response.text())
  } catch {
    problem = undefined
  }
  if (response.status !== 402) {
    if (response.status === 400)
      return RpcError.invalidParams(problem?.detail ?? 'invalid credential', {
        httpStatus: 400,
        ...(problem === undefined ? {} : { problem }),
      })
    return RpcError.refusal(response.status, problem)
  }
  const header = response.headers.get('www-authenticate')
  const challenges = (header === null ? [] : Challenge.deserializeList(header)).map(
    Wire.toJsonChallenge,
  )
  const slug = problem === undefined ? undefined : Problem.lookup(problem.type)?.slug
  if (slug === 'payment-required' || problem === undefined)
    return RpcError.paymentRequired(challenges, problem)
  if (slug === 'malformed-credential')
    return RpcError.invalidParams(problem.detail ?? 'malformed credential', {
      httpStatus: 402,
      challenges,
      problem,
    })
  return RpcError.verificationFailed(challenges, problem)
}

function header(extra: MessageExtraInfo | undefined, name: string): string | undefined {
  const value = extra?.requestInfo?.headers?.[name]
  if (Array.isArray(value)) return value.join(', ')
  return typeof value === 'string' ? value : undefined
}
