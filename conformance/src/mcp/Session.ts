// One MCP session with the target, spoken as raw JSON-RPC over the MCP SDK's Streamable
// HTTP client transport: the checks choose every id (the same one twice), send
// cancellations and end sessions, and every message sent and received is kept as
// evidence (credentials redacted).
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js'
import { Wire } from '@paywire/mcp'
import type * as Exchange from '../server/Exchange.js'

/** A JSON-RPC message as the checks read it. */
export type Message = {
  jsonrpc?: '2.0'
  id?: RequestId
  method?: string
  params?: Record<string, unknown>
  result?: Record<string, unknown> & { _meta?: Record<string, unknown>; isError?: boolean }
  error?: { code: number; message: string; data?: unknown }
}

/** A raw session with the target. */
export type Session = {
  /** Sends a request (`id` of the caller's choice, else the next number); resolves its first answer. */
  request(method: string, params: Record<string, unknown>, id?: RequestId): Promise<Message>
  /** Sends a request without waiting for its answer. */
  send(method: string, params: Record<string, unknown>, id: RequestId): Promise<void>
  /** Sends a notification. */
  notify(method: string, params: Record<string, unknown>): Promise<void>
  /** The first message, received or to come, matching `predicate`. */
  next(predicate: (message: Message) => boolean, what: string): Promise<Message>
  /** Calls a tool. */
  call(
    name: string,
    args: Record<string, unknown>,
    meta?: Record<string, unknown>,
  ): Promise<Message>
  /** Ends the session (HTTP DELETE) and closes the connection. */
  end(): Promise<void>
  close(): Promise<void>
  /** Every message, as evidence. */
  readonly evidence: readonly Exchange.Evidence[]
}

/** Why a session gave up waiting: the target did not answer in time. */
export class NoAnswerError extends Error {
  override readonly name = 'Session.NoAnswerError'
  readonly code = 'ERR_CONFORMANCE_MCP_NO_ANSWER'
}

/** Opens a session with the MCP endpoint `url` and completes the initialization. */
export async function open(url: string, options: open.Options): Promise<Session> {
  const transport = new StreamableHTTPClientTransport(new URL(url)) as Transport & {
    terminateSession(): Promise<void>
  }
  const session = await raw(transport, url, options.timeoutMs)
  const initialized = await session.request('initialize', {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'paywire-conformance', version: '1' },
  })
  const version = (initialized.result as { protocolVersion?: unknown } | undefined)?.protocolVersion
  if (typeof version === 'string') transport.setProtocolVersion?.(version)
  await session.notify('notifications/initialized', {})
  return session
}

export declare namespace open {
  type Options = { timeoutMs: number }
}

async function raw(
  transport: Transport & { terminateSession(): Promise<void> },
  url: string,
  timeoutMs: number,
): Promise<Session> {
  const seen: Message[] = []
  const evidence: Exchange.Evidence[] = []
  let waiters: Array<{ predicate: (message: Message) => boolean; resolve(m: Message): void }> = []
  const record = (direction: 'sent' | 'received', message: Message) =>
    evidence.push(toEvidence(url, direction, message))
  transport.onmessage = (message) => {
    seen.push(message as Message)
    record('received', message as Message)
    const waiting = waiters
    waiters = []
    for (const waiter of waiting)
      if (waiter.predicate(message as Message)) waiter.resolve(message as Message)
      else waiters.push(waiter)
  }
  await transport.start()
  const next = (predicate: (message: Message) => boolean, what: string) =>
    new Promise<Message>((resolve, reject) => {
      const found = seen.find(predicate)
      if (found !== undefined) return resolve(found)
      const timer = setTimeout(() => {
        waiters = waiters.filter((waiter) => waiter.resolve !== done)
        reject(new NoAnswerError(`no answer within ${timeoutMs} ms: ${what}`))
      }, timeoutMs)
      const done = (message: Message) => {
        clearTimeout(timer)
        resolve(message)
      }
      waiters.push({ predicate, resolve: done })
    })
  const post = async (message: Message) => {
    record('sent', message)
    await transport.send(message as JSONRPCMessage)
  }
  let counter = 1
  const session: Session = {
    evidence,
    async request(method, params, id = `c${counter++}`) {
      const answered = new Set(seen.filter((message) => isAnswer(message, id)))
      const answer = next(
        (message) => isAnswer(message, id) && !answered.has(message),
        `${method} (id ${JSON.stringify(id)})`,
      )
      await post({ jsonrpc: '2.0', id, method, params })
      return answer
    },
    send: (method, params, id) => post({ jsonrpc: '2.0', id, method, params }),
    notify: (method, params) => post({ jsonrpc: '2.0', method, params }),
    next,
    call: (name, args, meta) =>
      session.request('tools/call', {
        name,
        arguments: args,
        ...(meta === undefined ? {} : { _meta: meta }),
      }),
    async end() {
      await transport.terminateSession().catch(() => undefined)
      await transport.close()
    },
    close: () => transport.close(),
  }
  return session
}

/** Whether `message` answers request `id`. */
export function isAnswer(message: Message, id: RequestId): boolean {
  return message.id === id && message.method === undefined
}

function toEvidence(url: string, direction: 'sent' | 'received', message: Message) {
  const body = JSON.stringify(redact(message))
  return direction === 'sent'
    ? { request: { method: 'POST', url, headers: {}, body }, durationMs: 0 }
    : {
        request: { method: 'RECEIVE', url, headers: {} },
        response: { status: 200, headers: {}, body },
        durationMs: 0,
      }
}

/** The message with the payload of any credential it carries replaced. */
function redact(message: Message): Message {
  const meta = message.params?._meta as Record<string, unknown> | undefined
  const credential = meta?.[Wire.credentialKey] as Record<string, unknown> | undefined
  if (credential === undefined || typeof credential !== 'object' || credential === null)
    return message
  const redacted = { ...credential, payload: '[redacted]' }
  return {
    ...message,
    params: { ...message.params, _meta: { ...meta, [Wire.credentialKey]: redacted } },
  }
}
