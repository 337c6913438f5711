// The payment gate on an MCP server's transport: every incoming request for a paid
// operation is decided by the @paywire/server core before the MCP SDK sees it (so its
// error handling cannot swallow a challenge), and every response to a paid request gets
// its receipt on the way out. Translation only: the decision itself is `Paywire.charge`.

import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js'
import { Challenge, Credential, Json, Problem, Receipt } from '@paywire/core'
import type { Paywire } from '@paywire/server'
import * as RpcError from '../RpcError.js'
import * as Wire from '../Wire.js'

/** @internal What the gates of one `Payments` object share. */
export type State = {
  paywire: Paywire.Paywire
  /** Paid operations by `<method> <name or uri>`, e.g. `tools/call forecast`. */
  routes: Map<string, Paywire.Route>
  /** Verified payments by challenge id, until their response is sent. */
  verified: Map<string, Paywire.Payment>
}

/** @internal The JSON-RPC methods that can be paid, and the param naming the operation. */
export const operations = {
  'tools/call': 'name',
  'resources/read': 'uri',
  'prompts/get': 'name',
} as const

/** @internal The base URL of the requests the gate hands to the server core. */
export const origin = 'https://mcp.paywire.invalid'

type Message = Record<string, unknown> & { id?: string | number; method?: string }
type Pending = { paid: Paywire.Result.Paid; challengeId: string }

/** @internal Wraps a transport with the gate. */
export function gate(inner: Transport, state: State): Transport {
  const pending = new Map<string | number, Pending>()
  const outer: Transport = {
    start: () => inner.start(),
    close: () => inner.close(),
    send: async (message, options) => inner.send(await outgoing(message), options),
    get sessionId() {
      return inner.sessionId
    },
    setProtocolVersion: (version) => inner.setProtocolVersion?.(version),
  }
  const reply = (id: string | number, error: RpcError.RpcError) =>
    inner.send({ jsonrpc: '2.0', id, error }, { relatedRequestId: id } as TransportSendOptions)

  async function incoming(message: Message, extra: MessageExtraInfo | undefined): Promise<void> {
    const forward = (value: Message) => outer.onmessage?.(value as JSONRPCMessage, extra)
    const method = message.method
    if (typeof method !== 'string' || !Object.hasOwn(operations, method)) return forward(message)
    const params = (message.params ?? {}) as Record<string, unknown>
    const name = params[operations[method as keyof typeof operations]]
    const route = typeof name === 'string' ? state.routes.get(`${method} ${name}`) : undefined
    // Unpaid operations go through untouched; a credential on them is ignored.
    if (route === undefined) return forward(message)
    // A notification cannot be answered with a challenge: a paid operation is never run.
    if (!('id' in message) || message.id === undefined) return
    const id = message.id
    const nested = (params._meta as Record<string, unknown> | undefined)?.[Wire.credentialKey]
    const root = (message._meta as Record<string, unknown> | undefined)?.[Wire.credentialKey]
    if (nested !== undefined && root !== undefined)
      return reply(id, RpcError.invalidParams('request carries more than one credential'))
    const json = nested ?? root
    let authorization: string | undefined
    if (json !== undefined) {
      try {
        authorization = Credential.toAuthorization(Wire.fromJsonCredential(json))
      } catch (error) {
        if (!(error instanceof Wire.InvalidWireError)) throw error
        return reply(id, RpcError.invalidParams(error.message))
      }
    }
    const result = await state.paywire.charge(toRequest(method, params, authorization), route)
    if (result.kind === 'response') return reply(id, await translate(result.response))
    const challengeId = result.payment.challengeId
    pending.set(id, { paid: result, challengeId })
    state.verified.set(challengeId, result.payment)
    // The handler finds the credential (and so the payment) in `params._meta`.
    const { _meta: _root, ...rest } = message
    forward({
      ...rest,
      params: { ...params, _meta: { ...(params._meta ?? {}), [Wire.credentialKey]: json } },
    })
  }

  async function outgoing(message: JSONRPCMessage): Promise<JSONRPCMessage> {
    const response = message as Message & { result?: Record<string, unknown>; error?: unknown }
    if (!('id' in response) || response.id === undefined || 'method' in response) return message
    const entry = pending.get(response.id)
    if (entry === undefined) return withoutReceipt(message)
    pending.delete(response.id)
    state.verified.delete(entry.challengeId)
    const succeeded = response.result !== undefined && response.result.isError !== true
    const completed = await entry.paid.complete(
      new Response(null, { status: succeeded ? 200 : 500 }),
    )
    if (!succeeded) return withoutReceipt(message)
    const header = completed.headers.get(Receipt.headerName)
    if (completed.status < 200 || completed.status > 299 || header === null)
      return {
        jsonrpc: '2.0',
        id: response.id,
        error: await translate(completed),
      } as JSONRPCMessage
    const receipt = Wire.toJsonReceipt(Receipt.deserialize(header), entry.challengeId)
    const result = response.result as Record<string, unknown>
    const meta = { ...((result._meta as object | undefined) ?? {}), [Wire.receiptKey]: receipt }
    return { ...response, result: { ...result, _meta: meta } } as unknown as JSONRPCMessage
  }

  inner.onmessage = (message, extra) => {
    incoming(message as Message, extra).catch((error: unknown) => {
      const id = (message as Message).id
      if (id !== undefined) void reply(id, RpcError.refusal(500, undefined)).catch(() => undefined)
      outer.onerror?.(error instanceof Error ? error : new Error(String(error)))
    })
  }
  inner.onclose = () => {
    // Requests still running when the connection ends get no response: settle nothing
    // (`after-success` releases their challenges) and forget their payments.
    for (const [id, entry] of pending) {
      pending.delete(id)
      state.verified.delete(entry.challengeId)
      void entry.paid.complete(new Response(null, { status: 500 })).catch(() => undefined)
    }
    outer.onclose?.()
  }
  inner.onerror = (error) => outer.onerror?.(error)
  return outer
}

/** @internal The request the server core decides: the operation as path, its params as body. */
export function toRequest(
  method: string,
  params: Record<string, unknown>,
  authorization: string | undefined,
): Request {
  const { _meta, ...operation } = params
  const name = String(params[operations[method as keyof typeof operations]])
  const headers = new Headers({ 'content-type': 'application/json' })
  if (authorization !== undefined) headers.set('authorization', authorization)
  // The body (params without `_meta`) is covered by the challenge's digest: a challenge
  // bought for one call cannot pay for a call with other arguments.
  return new Request(`${origin}/${method}/${encodeURIComponent(name)}`, {
    method: 'POST',
    headers,
    body: Json.canonicalize(operation),
  })
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

function withoutReceipt(message: JSONRPCMessage): JSONRPCMessage {
  const result = (message as { result?: { _meta?: Record<string, unknown> } }).result
  if (result?._meta === undefined || !Object.hasOwn(result._meta, Wire.receiptKey)) return message
  // Receipts are never sent for unpaid requests, whoever wrote them.
  const { [Wire.receiptKey]: _dropped, ...meta } = result._meta
  return { ...message, result: { ...result, _meta: meta } } as JSONRPCMessage
}
