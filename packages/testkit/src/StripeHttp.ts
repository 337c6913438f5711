// The HTTP plumbing of the local Stripe API (StripeServer.ts): secret-key authentication
// as Stripe accepts it (Bearer, or Basic with the key as user name), form parameters,
// bodies, answers with Stripe's headers, and held answers for injected timeouts.
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ApiError, type Body } from './StripeApiError.js'
import * as StripeForm from './StripeForm.js'
import type { Account } from './StripeServer.js'

/** @internal The caller of a request, from its secret key (Bearer or Basic), or a 401. */
export function authenticate(
  byKey: ReadonlyMap<string, Account>,
  authorization: string | undefined,
): { caller: Account; auth: 'bearer' | 'basic' } {
  const fail = (message: string) => new ApiError(401, { type: 'invalid_request_error', message })
  if (authorization === undefined)
    throw fail(
      'You did not provide an API key. Provide it in the Authorization header (Bearer or Basic).',
    )
  let key: string | undefined
  let auth: 'bearer' | 'basic'
  if (/^Bearer /i.test(authorization)) {
    key = authorization.slice(7).trim()
    auth = 'bearer'
  } else if (/^Basic /i.test(authorization)) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8')
    key = decoded.split(':')[0]
    auth = 'basic'
  } else throw fail('Invalid Authorization header: use Bearer or Basic with your secret key.')
  const caller = key === undefined ? undefined : byKey.get(key)
  if (caller === undefined)
    throw fail(`Invalid API Key provided: ${(key ?? '').slice(0, 8)}****${(key ?? '').slice(-4)}`)
  return { caller, auth }
}

/** @internal Form parameters: the query of a GET or DELETE, else the body. */
export function parseParams(method: string, raw: string, url: URL): StripeForm.Params {
  if (method === 'GET' || method === 'DELETE') return StripeForm.parse(url.search.slice(1))
  return StripeForm.parse(raw)
}

/** @internal The request body as text (at most 1 MiB). */
export function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.byteLength
      if (size > 1_048_576) request.destroy(new Error('request body over 1 MiB'))
      else chunks.push(chunk)
    })
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    request.on('error', reject)
  })
}

/** @internal Holds an answer until the client gives up or `ms` pass (a timeout seen by the client). */
export function hold(response: ServerResponse, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    response.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

/** @internal Writes a JSON answer with Stripe's response headers. */
export function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
) {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'request-id': `req_${randomBytes(9).toString('base64url')}`,
  })
  response.end(text)
}

/** @internal A Stripe error body. */
export function errorBody(type: Body['type'], message: string) {
  return { error: { type, message } }
}

/** @internal Canonical JSON (sorted keys) of parameters, to compare an idempotent retry with the first request. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`
  return JSON.stringify(value)
}
