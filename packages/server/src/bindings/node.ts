// The Node `http` binding: translation between IncomingMessage/ServerResponse and the
// fetch-style core, nothing else. `listener` serves a fetch handler; `paywall` is
// connect-style middleware for existing Node apps (Express uses it too).
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import * as Respond from '../internal/respond.js'
import {
  ConfigurationError,
  type Handler,
  type Payment,
  type Paywire,
  type Route,
} from '../Paywire.js'

/**
 * A Node request listener that serves a fetch-style handler to paid requests only.
 * Supports every route option, `settle: 'after-success'` included.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { listener } from '@paywire/server/node'
 * declare const paywire: import('@paywire/server').Paywire.Paywire
 * createServer(listener(paywire, { price: { amount: '1000' } }, () => new Response('paid'))).listen(8080)
 * ```
 */
export function listener(
  paywire: Paywire,
  route: Route,
  handler: Handler,
): (req: IncomingMessage, res: ServerResponse) => void {
  const protectedHandler = paywire.protect(route, handler)
  return (req, res) => {
    void serve(paywire, req, res, protectedHandler)
  }
}

async function serve(
  paywire: Paywire,
  req: IncomingMessage,
  res: ServerResponse,
  handler: (request: Request) => Promise<Response>,
): Promise<void> {
  let request: Request
  try {
    request = toRequest(req)
  } catch (error) {
    if (error instanceof ConfigurationError)
      await writeResponse(res, paywire.fail(described(req), error)).catch(() => res.destroy())
    else res.writeHead(400, { 'cache-control': 'no-store' }).end()
    return
  }
  await writeResponse(res, await handler(request)).catch(() => res.destroy())
}

/**
 * Connect-style middleware `(req, res, next)` that lets only paid requests through to
 * `next()`. The request body it read (to check the challenge's digest) is left in
 * `req.body` as a Buffer; the payment is available through {@link payment}. The receipt
 * is added when the response starts, and only if its status is 2xx. Mount it before any
 * body parser, or have the parser keep the raw bytes in `req.rawBody` (a Buffer): the
 * challenge's digest covers the exact bytes. If the body was read and no `rawBody` kept,
 * the middleware logs the {@link ConfigurationError} (through the `logger` given to
 * `Paywire.create`) and answers 500 with a problem body itself, without calling `next`
 * (or passes it to `next(error)` with `misconfigured: 'next'`).
 * Other unexpected failures go to `next(error)`. With `settle: 'after-success'` the
 * handler's response is held back (buffered) until it is settled.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { paywall } from '@paywire/server/node'
 * declare const paywire: import('@paywire/server').Paywire.Paywire
 * const guard = paywall(paywire, { price: { amount: '1000' } })
 * createServer((req, res) => guard(req, res, () => res.end('paid content'))).listen(8080)
 * ```
 */
export function paywall(
  paywire: Paywire,
  route: Route,
  options: paywall.Options = {},
): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void {
  const misconfigured = options.misconfigured ?? 'answer'
  if (misconfigured !== 'answer' && misconfigured !== 'next')
    throw new ConfigurationError(`misconfigured must be 'answer' or 'next'`)
  paywire.checkRoute(route)
  return (req, res, next) => {
    void guard(paywire, route, req, res, misconfigured).then(
      (passed) => passed && next(),
      (error) => next(error),
    )
  }
}

async function guard(
  paywire: Paywire,
  route: Route,
  req: IncomingMessage & { body?: unknown },
  res: ServerResponse,
  misconfigured: 'answer' | 'next',
): Promise<boolean> {
  const parsedBefore = consumedBefore(req)
  let request: Request
  try {
    request = toRequest(req)
  } catch (error) {
    // A body read before paywire is a server mistake (500, logged with its reason, and
    // given to the framework when it has an error path); bad headers are the client's (400).
    if (!(error instanceof ConfigurationError)) {
      res.writeHead(400, { 'cache-control': 'no-store' }).end()
      return false
    }
    const response = paywire.fail(described(req), error)
    if (misconfigured === 'next') throw error
    await writeResponse(res, response)
    return false
  }
  const result = await paywire.charge(request, route)
  if (result.kind === 'response') {
    await writeResponse(res, result.response)
    return false
  }
  payments.set(req, result.payment)
  if (!parsedBefore && result.body.byteLength > 0) req.body = Buffer.from(result.body)
  if (route.settle === 'after-success') {
    defer(res, (response) => result.complete(response))
    return true
  }
  const writeHead = res.writeHead
  res.writeHead = function (this: ServerResponse, statusCode: number, ...rest: unknown[]) {
    const inline = rest.find((item) => item !== null && typeof item === 'object') as
      | Record<string, unknown>
      | unknown[]
      | undefined
    const cacheControl = inlineHeader(inline, 'cache-control') ?? this.getHeader('cache-control')
    const extra = result.receiptHeaders(statusCode, cacheControl?.toString())
    removeInline(inline, 'payment-receipt')
    if (Object.keys(extra).length === 0) this.removeHeader('payment-receipt')
    for (const [name, value] of Object.entries(extra)) {
      removeInline(inline, name)
      this.setHeader(name, value)
    }
    return (writeHead as (...args: unknown[]) => ServerResponse).call(this, statusCode, ...rest)
  } as ServerResponse['writeHead']
  if (result.idempotent) capture(res, (response) => result.record(response))
  return true
}

export declare namespace paywall {
  type Options = {
    /**
     * When the body was read before paywire and no `req.rawBody` was kept: `'answer'`
     * (default) writes the 500 problem itself and does not call `next`; `'next'` calls
     * `next(error)` with the {@link ConfigurationError}, for frameworks with an error path
     * (connect, Express). Both log it.
     */
    misconfigured?: 'answer' | 'next' | undefined
  }
}

/**
 * The payment of a request that went through {@link paywall}, or `undefined`.
 *
 * @example
 * ```ts
 * import { payment } from '@paywire/server/node'
 * declare const req: import('node:http').IncomingMessage
 * payment(req)?.receipt?.reference
 * ```
 */
export function payment(req: IncomingMessage): Payment | undefined {
  return payments.get(req)
}

/**
 * Translates a Node request into a fetch Request. Repeated header lines are kept (a
 * second `Authorization` is seen, not dropped). If a body parser already read the body,
 * its raw bytes must be in `req.rawBody`.
 *
 * @throws {ConfigurationError} when the body was consumed and no `rawBody` was kept.
 * @example
 * ```ts
 * import { toRequest } from '@paywire/server/node'
 * declare const req: import('node:http').IncomingMessage
 * const request = toRequest(req)
 * ```
 */
export function toRequest(req: IncomingMessage & { rawBody?: unknown }): Request {
  const headers = new Headers()
  const raw = req.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string
    if (!name.startsWith(':')) headers.append(name, raw[i + 1] as string)
  }
  const secure = modernTls(req.socket as TlsLike | undefined)
  // The host decides whether plain HTTP is allowed (loopback only, by default): never
  // assume one the request did not name.
  const host = /^[A-Za-z0-9.:[\]-]+$/.test(req.headers.host ?? '')
    ? req.headers.host
    : 'host.invalid'
  const url = new URL(req.url ?? '/', `${secure ? 'https' : 'http'}://${host}`)
  const method = (req.method ?? 'GET').toUpperCase()
  if (method === 'GET' || method === 'HEAD') return new Request(url, { method, headers })
  let body: BodyInit | null
  if (consumedBefore(req)) {
    if (!(req.rawBody instanceof Uint8Array))
      throw new ConfigurationError(
        'the request body was read before paywire (a body parser ran first): mount paywire before it, or keep the raw bytes in req.rawBody, e.g. express.json({ verify: (req, _res, buf) => { req.rawBody = buf } })',
      )
    body = req.rawBody as Uint8Array<ArrayBuffer>
  } else body = Readable.toWeb(req) as ReadableStream<Uint8Array>
  return new Request(url, { method, headers, body, duplex: 'half' } as RequestInit)
}

/**
 * Writes a fetch Response to a Node response: status, one field line per challenge and
 * per cookie, and the body streamed with backpressure.
 *
 * @example
 * ```ts
 * import { writeResponse } from '@paywire/server/node'
 * declare const res: import('node:http').ServerResponse
 * await writeResponse(res, new Response('hello'))
 * ```
 */
export async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const grouped = new Map<string, string[]>()
  for (const [name, value] of Respond.headerLines(response))
    grouped.set(name, [...(grouped.get(name) ?? []), value])
  res.statusCode = response.status
  if (response.statusText) res.statusMessage = response.statusText
  for (const [name, values] of grouped)
    res.setHeader(name, values.length === 1 ? (values[0] as string) : values)
  if (response.body === null) {
    res.end()
    return
  }
  const reader = response.body.getReader()
  res.once('close', () => void reader.cancel().catch(() => undefined))
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (!res.write(value)) await new Promise((resolve) => res.once('drain', resolve))
  }
  res.end()
}

const payments = new WeakMap<IncomingMessage, Payment>()

/** The method and a URL for the log entry of a request that could not be translated. */
function described(req: IncomingMessage): { method: string; url: string } {
  const path = (req.url ?? '/').startsWith('/') ? (req.url ?? '/') : '/'
  return { method: req.method ?? 'GET', url: `http://host.invalid${path}` }
}

function consumedBefore(req: IncomingMessage): boolean {
  return req.readableEnded || (req as { _body?: boolean })._body === true
}

function inlineHeader(
  inline: Record<string, unknown> | unknown[] | undefined,
  name: string,
): string | undefined {
  if (inline === undefined || Array.isArray(inline)) return undefined
  for (const [key, value] of Object.entries(inline))
    if (key.toLowerCase() === name) return String(value)
  return undefined
}

function removeInline(inline: Record<string, unknown> | unknown[] | undefined, name: string): void {
  if (inline === undefined) return
  if (Array.isArray(inline)) {
    for (let i = inline.length - 2; i >= 0; i -= 2)
      if (String(inline[i]).toLowerCase() === name) inline.splice(i, 2)
    return
  }
  for (const key of Object.keys(inline)) if (key.toLowerCase() === name) delete inline[key]
}

/** Keeps a copy of what the handler writes, and stores it before the response ends. */
function capture(res: ServerResponse, keep: (response: Response) => Promise<void>): void {
  const chunks: Buffer[] = []
  const write = res.write
  const end = res.end
  const collect = (chunk: unknown, encoding?: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return
    chunks.push(
      typeof chunk === 'string'
        ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
        : Buffer.from(chunk as Uint8Array),
    )
  }
  res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    collect(chunk, rest[0])
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest)
  } as ServerResponse['write']
  res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    collect(chunk, rest[0])
    if (!this.headersSent) this.writeHead(this.statusCode)
    const headers = new Headers()
    for (const [name, value] of Object.entries(this.getHeaders()))
      for (const item of Array.isArray(value) ? value : [value])
        if (item !== undefined) headers.append(name, String(item))
    const body = Buffer.concat(chunks)
    const stored = new Response(body.byteLength > 0 ? body : null, {
      status: this.statusCode,
      headers,
    })
    void keep(stored).finally(() =>
      (end as (...args: unknown[]) => unknown).call(this, chunk, ...rest),
    )
    return this
  } as ServerResponse['end']
}

/**
 * Holds back everything the handler writes, then lets the core settle (or not) and
 * writes the response it returns: `settle: 'after-success'` needs the status and body
 * before anything reaches the client.
 */
function defer(res: ServerResponse, complete: (response: Response) => Promise<Response>): void {
  const chunks: Buffer[] = []
  const original = { writeHead: res.writeHead, write: res.write, end: res.end }
  const collect = (chunk: unknown, encoding?: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return
    chunks.push(
      typeof chunk === 'string'
        ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
        : Buffer.from(chunk as Uint8Array),
    )
  }
  res.writeHead = function (this: ServerResponse, statusCode: number, ...rest: unknown[]) {
    this.statusCode = statusCode
    for (const item of rest) {
      if (typeof item === 'string') this.statusMessage = item
      else if (Array.isArray(item))
        for (let i = 0; i + 1 < item.length; i += 2)
          this.appendHeader(String(item[i]), String(item[i + 1]))
      else if (item !== null && typeof item === 'object')
        for (const [name, value] of Object.entries(item))
          this.setHeader(name, value as string | string[])
    }
    return this
  } as ServerResponse['writeHead']
  res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    collect(chunk, rest[0])
    const callback = rest.find((item) => typeof item === 'function') as (() => void) | undefined
    callback?.()
    return true
  } as ServerResponse['write']
  res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    collect(chunk, rest[0])
    Object.assign(this, original)
    const headers = new Headers()
    for (const [name, value] of Object.entries(this.getHeaders()))
      for (const item of Array.isArray(value) ? value : [value])
        if (item !== undefined && name !== 'content-length') headers.append(name, String(item))
    const body = Buffer.concat(chunks)
    const held = new Response(
      nullBody.has(this.statusCode) || body.byteLength === 0 ? null : body,
      {
        status: this.statusCode,
        headers,
      },
    )
    void complete(held)
      .then((response) => {
        for (const name of this.getHeaderNames()) this.removeHeader(name)
        return writeResponse(this, response)
      })
      .catch(() => this.destroy())
    return this
  } as ServerResponse['end']
}

const nullBody = new Set([101, 103, 204, 205, 304])

type TlsLike = { encrypted?: boolean; getProtocol?: () => string | null }

/**
 * Whether a socket is TLS 1.2 or later (core draft, Transport Security). A request over an
 * older protocol is treated as plain HTTP, which the server refuses for payments.
 */
function modernTls(socket: TlsLike | undefined): boolean {
  if (socket?.encrypted !== true) return false
  const protocol = socket.getProtocol?.() ?? null
  return protocol === 'TLSv1.2' || protocol === 'TLSv1.3'
}
