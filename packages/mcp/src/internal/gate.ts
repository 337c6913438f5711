// The payment gate on an MCP server's transport: every request reaching a paid operation
// (resolved as the SDK will resolve it) is decided by the @paywire/server core before the
// SDK sees it, so the SDK's error handling cannot swallow a challenge; every response to a
// paid request is settled (a failed one voided, its hold given back) and a successful one
// gets its receipt on the way out.
//
// One after-success model, as for HTTP: once a paid request is handed to the SDK, its
// challenge is never released. A request id already in flight on the connection is
// refused (JSON-RPC ids name one request), a paid request cannot be cancelled once handed
// over (`notifications/cancelled` for it is dropped, as MCP allows), and when the
// connection closes the SDK is told only after every paid request has answered, so that
// the handler's outcome is still seen and settled.
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js'
import {
  isJSONRPCNotification,
  isJSONRPCRequest,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js'
import { Challenge, Credential, Receipt } from '@paywire/core'
import type { Paywire } from '@paywire/server'
import * as RpcError from '../RpcError.js'
import * as Wire from '../Wire.js'
import { fromResponse, toRequest, toResponse, translate, withReceipt } from './bridge.js'
import * as Registry from './registry.js'

/** @internal What the gates of one `Payments` object share. */
export type State = {
  paywire: Paywire.Paywire
  registry: Registry.Registry
  /** The paid request a handler serves, by the `_meta` object the gate handed the SDK. */
  dispatched: WeakMap<object, Dispatched>
}

/** @internal A paid request handed to the SDK, until its response leaves. */
export type Dispatched = {
  entry: Registry.Entry
  paid: Paywire.Result.Paid
  /** Set by a guarded handler when it starts: the paid handler itself ran. */
  ran: boolean
  /** Set when its response left: no handler may start for it any more. */
  done: boolean
}

type Message = Record<string, unknown> & { id?: RequestId; method?: string }
/** A request in flight: `paid` once resolved to a paid operation, `dispatched` once handed over. */
type Flight = { paid: boolean; dispatched?: Dispatched }

const relatedTaskKey = 'io.modelcontextprotocol/related-task'

/** @internal Wraps a transport with the gate. */
export function gate(inner: Transport, state: State): Transport {
  const flights = new Map<RequestId, Flight>()
  let closed = false
  let closeSent = false
  const outer: Transport = {
    start: () => inner.start(),
    close: () => inner.close(),
    send: (message, options) => outgoing(message, options),
    get sessionId() {
      return inner.sessionId
    },
    setProtocolVersion: (version) => inner.setProtocolVersion?.(version),
  }

  /** Tells the SDK the connection closed once no paid request is left to answer. */
  const maybeClose = () => {
    if (!closed || closeSent) return
    for (const flight of flights.values()) if (flight.paid) return
    closeSent = true
    flights.clear()
    outer.onclose?.()
  }
  /** Answers a request the gate keeps from the SDK (`duplicate`: another one holds its id). */
  const reply = async (id: RequestId, error: RpcError.RpcError, duplicate = false) => {
    if (!duplicate) flights.delete(id)
    try {
      if (!closed)
        await inner.send({ jsonrpc: '2.0', id, error }, {
          relatedRequestId: id,
        } as TransportSendOptions)
    } finally {
      maybeClose()
    }
  }
  /** Answers a paid request with a result the core kept for its credential. */
  const answer = async (id: RequestId, result: Record<string, unknown>) => {
    flights.delete(id)
    try {
      if (!closed)
        await inner.send(
          { jsonrpc: '2.0', id, result } as JSONRPCMessage,
          {
            relatedRequestId: id,
          } as TransportSendOptions,
        )
    } finally {
      maybeClose()
    }
  }
  const forward = (message: Message, extra: MessageExtraInfo | undefined) =>
    outer.onmessage?.(message as JSONRPCMessage, extra)

  function incoming(message: Message, extra: MessageExtraInfo | undefined): void {
    if (isJSONRPCNotification(message)) {
      notification(message, extra)
      return
    }
    // Root-level `_meta` is where the draft lets a credential travel; the SDK's request
    // schema has no place for it, so it never reaches the SDK.
    const { _meta: rootMeta, ...request } = message
    const paidMethod = (Registry.methods as readonly unknown[]).includes(message.method)
    if (!isJSONRPCRequest(request)) {
      // A paid operation without a valid id (a notification, among others) is never run.
      if (!paidMethod) forward(message, extra)
      return
    }
    const id = request.id
    if (flights.has(id)) {
      void reply(id, RpcError.invalidRequest(`request id ${JSON.stringify(id)} is in use`), true)
      return
    }
    const resolution = Registry.resolve(state.registry, request)
    if (resolution.kind === 'free') {
      flights.set(id, { paid: false })
      forward(request, extra)
      return
    }
    const flight: Flight = { paid: true }
    flights.set(id, flight)
    if (resolution.kind === 'refused') {
      void reply(id, RpcError.invalidParams(resolution.detail))
      return
    }
    decide(request, rootMeta, resolution, extra, flight).catch((error: unknown) => {
      if (flight.dispatched === undefined)
        void reply(id, RpcError.refusal(500, undefined)).catch(() => undefined)
      outer.onerror?.(error instanceof Error ? error : new Error(String(error)))
    })
  }

  function notification(message: Message, extra: MessageExtraInfo | undefined): void {
    // A paid operation sent as a notification is never run, and gets no answer.
    if ((Registry.methods as readonly unknown[]).includes(message.method)) return
    if (message.method === 'notifications/cancelled') {
      const params = message.params as { requestId?: RequestId } | undefined
      const flight = params?.requestId === undefined ? undefined : flights.get(params.requestId)
      // A paid request cannot be cancelled once handed over: its handler's outcome settles.
      if (flight?.paid) return
      if (flight !== undefined && params?.requestId !== undefined) flights.delete(params.requestId)
    }
    forward(message, extra)
  }

  async function decide(
    request: Message & { id: RequestId },
    rootMeta: unknown,
    resolution: Extract<Registry.Resolution, { kind: 'paid' }>,
    extra: MessageExtraInfo | undefined,
    flight: Flight,
  ): Promise<void> {
    const id = request.id
    const params = resolution.params
    const meta = (params._meta ?? {}) as Record<string, unknown>
    if (params.task !== undefined || meta[relatedTaskKey] !== undefined)
      return reply(id, RpcError.invalidParams('a paid operation cannot run as a task'))
    const credential = readCredential(meta[Wire.credentialKey], rootMeta)
    if (credential.kind === 'refused') return reply(id, RpcError.invalidParams(credential.detail))
    const route = await routeFor(resolution)
    if (route === undefined) {
      // The SDK refuses these arguments itself; the paid handler is never reached.
      flight.paid = false
      forward(request, extra)
      return
    }
    const method = request.method as string
    const result = await state.paywire.charge(
      toRequest({
        method,
        target: resolution.target,
        params,
        authorization: credential.authorization,
        field: credential.field,
        extra,
      }),
      route,
    )
    if (result.kind === 'response') {
      const challengeId = (credential.json as Wire.JsonCredential | undefined)?.challenge?.id
      const kept =
        challengeId === undefined ? undefined : await fromResponse(result.response, challengeId)
      if (kept !== undefined) return answer(id, kept)
      return reply(id, await translate(result.response))
    }
    const dispatched: Dispatched = {
      entry: resolution.entry,
      paid: result,
      ran: false,
      done: false,
    }
    flight.dispatched = dispatched
    // The handler finds the credential (and, by this very object, the payment) in `_meta`.
    const handed = { ...meta, [Wire.credentialKey]: credential.json }
    state.dispatched.set(handed, dispatched)
    forward({ ...request, params: { ...params, _meta: handed } }, extra)
  }

  async function outgoing(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const response = message as Message & { result?: Record<string, unknown>; error?: unknown }
    let sent: JSONRPCMessage = message
    let flight: Flight | undefined
    if ('id' in response && response.id !== undefined && !('method' in response)) {
      flight = flights.get(response.id)
      flights.delete(response.id)
      sent =
        flight?.dispatched === undefined
          ? withoutReceipt(message)
          : await finish(flight.dispatched, response as Message & { id: RequestId })
    }
    try {
      // A response to a connection that is gone is settled above and dropped here.
      if (!closed) await inner.send(sent, options)
    } finally {
      if (flight !== undefined) maybeClose()
    }
  }

  inner.onmessage = (message, extra) => {
    try {
      incoming(message as Message, extra)
    } catch (error) {
      outer.onerror?.(error instanceof Error ? error : new Error(String(error)))
    }
  }
  inner.onclose = () => {
    closed = true
    maybeClose()
  }
  inner.onerror = (error) => outer.onerror?.(error)
  return outer
}

/** The route of one call: its price computed from what the handler will receive. */
async function routeFor(
  resolution: Extract<Registry.Resolution, { kind: 'paid' }>,
): Promise<Paywire.Route | undefined> {
  const { entry, input } = resolution
  let args: Record<string, unknown> = {}
  if (entry.parse !== undefined) {
    const parsed = await entry.parse(input.args)
    if (!parsed.ok) return undefined
    args = parsed.args
  }
  const price = entry.price
  if (price === undefined) return entry.route
  const handed = { ...input, args }
  return {
    ...entry.route,
    price: (_request: Request, offer: Paywire.Offer) => price(handed, offer),
  }
}

/** Settles a paid request by its handler's outcome, and writes the receipt. */
async function finish(
  dispatched: Dispatched,
  response: Message & { id: RequestId; result?: Record<string, unknown> },
): Promise<JSONRPCMessage> {
  const { paid, entry } = dispatched
  dispatched.done = true
  const served = response.result !== undefined && response.result.isError !== true
  // A guarded handler that never started did not serve this payment (the SDK answered
  // without it).
  const started = !entry.guarded || dispatched.ran
  const succeeded = served && started
  if (!succeeded) {
    // The handler failed (an `isError` result, a JSON-RPC error): the core completes the
    // payment as it does for an HTTP handler's non-2xx answer (docs/security.md "The
    // after-success model"): after-success, what was held is given back and the payment
    // voided; before-handler, the payment was taken and the request answered. Either way
    // the challenge is spent. A before-handler payment whose handler never started is left
    // `running` instead, so that reconciliation refunds it.
    if (started || entry.route.settle === 'after-success') {
      const failure = new Response(null, { status: 500 })
      const completed = await paid.complete(failure)
      await completed.body?.cancel()
    }
    return withoutReceipt(response as JSONRPCMessage)
  }
  const result = response.result as Record<string, unknown>
  const completed = await paid.complete(toResponse(result))
  const header = completed.headers.get(Receipt.headerName)
  if (completed.status < 200 || completed.status > 299 || header === null)
    return {
      jsonrpc: '2.0',
      id: response.id,
      error: await translate(completed),
    } as JSONRPCMessage
  return {
    ...response,
    result: withReceipt(result, header, paid.payment.challengeId),
  } as unknown as JSONRPCMessage
}

type Read =
  | {
      kind: 'read'
      json: unknown
      authorization: string | undefined
      /** The request field the echoed challenge selects (draft -01 `header`). */
      field?: string | undefined
    }
  | { kind: 'refused'; detail: string }

/** The credential of a request, from `params._meta` or the root `_meta`, never both. */
function readCredential(nested: unknown, rootMeta: unknown): Read {
  const root = (rootMeta as Record<string, unknown> | undefined)?.[Wire.credentialKey]
  if (nested !== undefined && root !== undefined)
    return { kind: 'refused', detail: 'request carries more than one credential' }
  const json = nested ?? root
  if (json === undefined) return { kind: 'read', json, authorization: undefined }
  try {
    const credential = Wire.fromJsonCredential(json)
    const authorization = Credential.toAuthorization(credential)
    // MCP has no header fields: the credential reaches the server core in the field its
    // challenge selected, so a route that selects Payment-Authorization is paid over MCP too.
    const field = Challenge.credentialField(credential.challenge) ?? 'Authorization'
    return { kind: 'read', json, authorization, field }
  } catch (error) {
    if (!(error instanceof Wire.InvalidWireError)) throw error
    return { kind: 'refused', detail: error.message }
  }
}

function withoutReceipt(message: JSONRPCMessage): JSONRPCMessage {
  const result = (message as { result?: { _meta?: Record<string, unknown> } }).result
  if (result?._meta === undefined || !Object.hasOwn(result._meta, Wire.receiptKey)) return message
  // Receipts are never sent for unpaid requests, whoever wrote them.
  const { [Wire.receiptKey]: _dropped, ...meta } = result._meta
  return { ...message, result: { ...result, _meta: meta } } as JSONRPCMessage
}
