// A raw JSON-RPC client over any SDK client transport: it sends exactly the messages a
// test writes (ids of its choice, the same id twice, cancellations) and keeps every
// message the server sends, so that tests see what an attacker sees.
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js'
import { Challenge } from '@paywire/core'
import { TestMethod } from '@paywire/testkit'
import type * as RpcError from '../RpcError.js'
import * as Wire from '../Wire.js'
import { key } from './fixture.js'

export type Message = {
  jsonrpc?: '2.0'
  id?: RequestId
  method?: string
  params?: Record<string, unknown>
  result?: Record<string, unknown> & { _meta?: Record<string, unknown>; isError?: boolean }
  error?: RpcError.RpcError
}

export type Raw = {
  /** Sends a request with `id` (the next number by default); resolves with its first answer. */
  request(
    method: string,
    params: Record<string, unknown>,
    options?: { id?: RequestId; root?: Record<string, unknown> },
  ): Promise<Message>
  /** Sends a notification. */
  notify(method: string, params: Record<string, unknown>): Promise<void>
  /** Resolves with the first message (seen or to come) matching `predicate`. */
  next(predicate: (message: Message) => boolean): Promise<Message>
  /** Every message received so far. */
  readonly seen: readonly Message[]
  /** Calls a tool and returns its answer. */
  call(
    name: string,
    args?: Record<string, unknown>,
    meta?: Record<string, unknown>,
  ): Promise<Message>
  transport: Transport
  close(): Promise<void>
}

/** Opens a raw client on `transport` and completes the MCP initialization. */
export async function open(transport: Transport): Promise<Raw> {
  const seen: Message[] = []
  let waiters: Array<{ predicate: (message: Message) => boolean; resolve(m: Message): void }> = []
  transport.onmessage = (message) => {
    seen.push(message as Message)
    const remaining: typeof waiters = []
    for (const waiter of waiters)
      if (waiter.predicate(message as Message)) waiter.resolve(message as Message)
      else remaining.push(waiter)
    waiters = remaining
  }
  await transport.start()
  let next = 1_000
  const find = (predicate: (message: Message) => boolean) =>
    new Promise<Message>((resolve) => {
      const found = seen.find(predicate)
      if (found !== undefined) resolve(found)
      else waiters.push({ predicate, resolve })
    })
  const isAnswer = (id: RequestId) => (message: Message) =>
    message.id === id && message.method === undefined
  const raw: Raw = {
    seen,
    transport,
    async request(method, params, options = {}) {
      const id = options.id ?? next++
      const before = seen.filter(isAnswer(id)).length
      const answer = new Promise<Message>((resolve) => {
        const predicate = (message: Message) =>
          isAnswer(id)(message) && seen.filter(isAnswer(id)).indexOf(message) >= before
        waiters.push({ predicate, resolve })
      })
      await transport.send({
        jsonrpc: '2.0',
        id,
        method,
        params,
        ...options.root,
      } as JSONRPCMessage)
      return answer
    },
    notify: (method, params) =>
      transport.send({ jsonrpc: '2.0', method, params } as JSONRPCMessage),
    next: find,
    call: (name, args = {}, meta) =>
      raw.request('tools/call', {
        name,
        arguments: args,
        ...(meta === undefined ? {} : { _meta: meta }),
      }),
    close: () => transport.close(),
  }
  const initialized = await raw.request('initialize', {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1.0.0' },
  })
  const version = (initialized.result as { protocolVersion?: string } | undefined)?.protocolVersion
  if (version !== undefined) transport.setProtocolVersion?.(version)
  await raw.notify('notifications/initialized', {})
  return raw
}

const payer = TestMethod.client({ key })

/** A credential for the first challenge of a -32042 answer, made with the test method. */
export async function pay(answer: Message): Promise<Wire.JsonCredential> {
  const data = answer.error?.data as RpcError.Data | undefined
  if (data === undefined) throw new Error(`expected challenges, got ${JSON.stringify(answer)}`)
  const json = data.challenges[0] as Wire.JsonChallenge
  const challenge = Wire.fromJsonChallenge(json)
  const { payload } = await payer.createCredential({
    challenge,
    request: Challenge.decodeRequest(challenge) as never,
  })
  return { challenge: json, payload }
}

/** `_meta` carrying a credential. */
export const paying = (credential: unknown, extra: Record<string, unknown> = {}) => ({
  ...extra,
  [Wire.credentialKey]: credential,
})

/** The counts of the server's `effects` tool. */
export async function effects(raw: Raw): Promise<{
  runs: Record<string, number>
  settled: number
}> {
  const answer = await raw.call('effects')
  const content = answer.result?.content as Array<{ text: string }> | undefined
  return JSON.parse(content?.[0]?.text ?? '{}')
}
