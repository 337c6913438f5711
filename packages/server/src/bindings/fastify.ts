// The Fastify binding: route hooks over the fetch core. `preParsing` keeps the raw body
// (the challenge's digest covers its bytes), `preHandler` decides, `onSend` adds the
// receipt to 2xx replies and keeps idempotent responses. Translation only.
import { Readable } from 'node:stream'
import type {
  FastifyReply,
  FastifyRequest,
  onSendHookHandler,
  preHandlerHookHandler,
  preParsingHookHandler,
} from 'fastify'
import * as Respond from '../internal/respond.js'
import {
  ConfigurationError,
  defaultMaxBodyBytes,
  type Payment,
  type Paywire,
  type Result,
  type Route,
} from '../Paywire.js'

/**
 * Route hooks that let only paid requests reach the handler. Spread them into the route
 * options; the handler finds the payment with {@link payment}. Bodies are parsed by
 * Fastify as usual. With `settle: 'after-success'` the reply is buffered until settled.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { paywall, payment } from '@paywire/server/fastify'
 * declare const paywire: import('@paywire/server').Paywire.Paywire
 * const app = Fastify()
 * app.get('/paid', paywall(paywire, { price: { amount: '1000' } }), async (request) => ({
 *   reference: payment(request)?.receipt?.reference,
 * }))
 * ```
 */
export function paywall(paywire: Paywire, route: Route, options: paywall.Options = {}): Hooks {
  paywire.checkRoute(route)
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes
  const preParsing: preParsingHookHandler = async (request, _reply, payload) => {
    const chunks: Buffer[] = []
    let total = 0
    for await (const chunk of payload) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string)
      total += bytes.byteLength
      if (total > maxBodyBytes)
        throw Object.assign(new ConfigurationError('request body is too large'), {
          statusCode: 413,
        })
      chunks.push(bytes)
    }
    const body = Buffer.concat(chunks)
    rawBodies.set(request, body)
    const replay = Readable.from(body.byteLength > 0 ? [body] : [])
    return Object.assign(replay, { receivedEncodedLength: body.byteLength })
  }
  const preHandler: preHandlerHookHandler = async (request, reply) => {
    const result = await paywire.charge(toRequest(request), route)
    if (result.kind === 'response') return send(reply, result.response)
    results.set(request, result)
  }
  const onSend: onSendHookHandler = async (request, reply, payload) => {
    const result = results.get(request)
    if (result === undefined) return payload
    if (route.settle === 'after-success') return settle(reply, result, payload)
    const extra = result.receiptHeaders(
      reply.statusCode,
      reply.getHeader('cache-control')?.toString(),
    )
    if (Object.keys(extra).length === 0) reply.removeHeader('payment-receipt')
    for (const [name, value] of Object.entries(extra)) reply.header(name, value)
    if (!result.idempotent) return payload
    const body = await toBuffer(payload)
    const headers = new Headers()
    for (const [name, value] of Object.entries(reply.getHeaders()))
      for (const item of Array.isArray(value) ? value : [value])
        if (item !== undefined) headers.append(name, String(item))
    await result.record(
      new Response(body.byteLength > 0 ? (body as Uint8Array<ArrayBuffer>) : null, {
        status: reply.statusCode,
        headers,
      }),
    )
    return body
  }
  return { preParsing, preHandler, onSend }
}

export declare namespace paywall {
  type Options = {
    /** Largest request body read, in bytes (default 1 MiB). */
    maxBodyBytes?: number | undefined
  }
}

/** The hooks {@link paywall} returns, to spread into Fastify route options. */
export type Hooks = {
  preParsing: preParsingHookHandler
  preHandler: preHandlerHookHandler
  onSend: onSendHookHandler
}

/**
 * The payment of a request that went through {@link paywall}, or `undefined`.
 *
 * @example
 * ```ts
 * import { payment } from '@paywire/server/fastify'
 * declare const request: import('fastify').FastifyRequest
 * payment(request)?.receipt?.reference
 * ```
 */
export function payment(request: FastifyRequest): Payment | undefined {
  return results.get(request)?.payment
}

const rawBodies = new WeakMap<FastifyRequest, Buffer>()
const results = new WeakMap<FastifyRequest, Result.Paid>()

function toRequest(request: FastifyRequest): Request {
  const headers = new Headers()
  const raw = request.raw.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string
    if (!name.startsWith(':')) headers.append(name, raw[i + 1] as string)
  }
  // The host decides whether plain HTTP is allowed (loopback only, by default): never
  // assume one the request did not name.
  const host = /^[A-Za-z0-9.:[\]-]+$/.test(request.host ?? '') ? request.host : 'host.invalid'
  const url = new URL(request.url, `${request.protocol}://${host}`)
  const method = request.method.toUpperCase()
  const body = rawBodies.get(request)
  return new Request(url, {
    method,
    headers,
    body:
      method === 'GET' || method === 'HEAD' || body === undefined || body.byteLength === 0
        ? null
        : (body as Uint8Array<ArrayBuffer>),
  })
}

async function send(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  const grouped = new Map<string, string[]>()
  for (const [name, value] of Respond.headerLines(response))
    grouped.set(name, [...(grouped.get(name) ?? []), value])
  reply.code(response.status)
  for (const [name, values] of grouped)
    reply.header(name, values.length === 1 ? (values[0] as string) : values)
  return reply.send(Buffer.from(await response.arrayBuffer()))
}

/** `settle: 'after-success'`: hands the finished reply to the core, sends what it returns. */
async function settle(reply: FastifyReply, result: Result.Paid, payload: unknown): Promise<Buffer> {
  const body = await toBuffer(payload)
  const headers = new Headers()
  for (const [name, value] of Object.entries(reply.getHeaders()))
    for (const item of Array.isArray(value) ? value : [value])
      if (item !== undefined && name !== 'content-length') headers.append(name, String(item))
  const completed = await result.complete(
    new Response(body.byteLength > 0 ? (body as Uint8Array<ArrayBuffer>) : null, {
      status: reply.statusCode,
      headers,
    }),
  )
  for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name)
  const grouped = new Map<string, string[]>()
  for (const [name, value] of Respond.headerLines(completed))
    grouped.set(name, [...(grouped.get(name) ?? []), value])
  reply.code(completed.status)
  for (const [name, values] of grouped)
    reply.header(name, values.length === 1 ? (values[0] as string) : values)
  return Buffer.from(await completed.arrayBuffer())
}

async function toBuffer(payload: unknown): Promise<Buffer> {
  if (payload === null || payload === undefined) return Buffer.alloc(0)
  if (typeof payload === 'string') return Buffer.from(payload)
  if (payload instanceof Uint8Array) return Buffer.from(payload)
  const chunks: Buffer[] = []
  for await (const chunk of payload as AsyncIterable<Buffer | string>)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
  return Buffer.concat(chunks)
}
