// One HTTP exchange with the target, made with plain `fetch`, and its evidence form:
// the request and response as a report shows them, with credentials and receipts
// redacted and bodies cut to a few kilobytes.
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { z } from 'zod'

/** Longest body kept in evidence, in characters. */
export const maxEvidenceBody = 2048

/** A request the suite sends. */
export type Request = {
  method: string
  /** Absolute URL. */
  url: string
  headers?: Record<string, string> | undefined
  body?: string | undefined
}

/** The evidence form of an exchange (redacted). */
export const evidenceSchema = z
  .object({
    request: z.object({
      method: z.string(),
      url: z.string(),
      headers: z.record(z.string(), z.string()),
      body: z.string().optional(),
    }),
    response: z
      .object({
        status: z.number().int(),
        headers: z.record(z.string(), z.string()),
        body: z.string(),
      })
      .optional(),
    error: z.string().optional().meta({ description: 'Why no response was received.' }),
    durationMs: z.number(),
  })
  .meta({ title: 'Exchange', description: 'One request and its response, credentials redacted.' })

/** The evidence form of an exchange. */
export type Evidence = z.infer<typeof evidenceSchema>

/** An exchange as the checks read it: the full response, and its redacted evidence. */
export type Exchange = {
  request: Request
  /** Undefined when no response arrived (connection refused, reset, timeout). */
  response: Response | undefined
  /** Response headers as received (every `WWW-Authenticate` value joined by `, `). */
  headers: Headers
  /** The response body as text ('' without a response). */
  body: string
  /** Why no response arrived. */
  error: string | undefined
  evidence: Evidence
}

/**
 * Sends one request with `fetch` and reads the whole response.
 *
 * @example
 * ```ts
 * import { Exchange } from '@paywire/conformance'
 * const exchange = await Exchange.send({ method: 'GET', url: 'http://127.0.0.1:8402/paid' }, { timeoutMs: 5000 })
 * exchange.response?.status // 402
 * ```
 */
export async function send(request: Request, options: send.Options): Promise<Exchange> {
  const started = performance.now()
  let response: Response | undefined
  let body = ''
  let error: string | undefined
  try {
    response = await (options.fetch ?? fetch)(request.url, {
      method: request.method,
      headers: request.headers ?? {},
      ...(request.body === undefined ? {} : { body: request.body }),
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    })
    body = await response.text()
  } catch (cause) {
    error = describe(cause)
  }
  const headers = response?.headers ?? new Headers()
  const evidence: Evidence = {
    request: {
      method: request.method,
      url: request.url,
      headers: redactRequestHeaders(request.headers ?? {}),
      ...(request.body === undefined ? {} : { body: cut(request.body) }),
    },
    ...(response === undefined
      ? {}
      : {
          response: {
            status: response.status,
            headers: redactResponseHeaders(headers),
            body: cut(body),
          },
        }),
    ...(error === undefined ? {} : { error }),
    durationMs: Math.round(performance.now() - started),
  }
  return { request, response, headers, body, error, evidence }
}

export declare namespace send {
  type Options = {
    timeoutMs: number
    /** The fetch to use (default the global one). */
    fetch?: typeof fetch | undefined
  }
}

/**
 * A `fetch` over `node:http` and `node:https` that sends every header as given, `Host`
 * included (the platform's `fetch` always derives `Host` from the URL). For probes that
 * must name another host than the one connected to; certificates are not checked.
 *
 * @example
 * ```ts
 * import { Exchange } from '@paywire/conformance'
 * const exchange = await Exchange.send(
 *   { method: 'GET', url: 'http://127.0.0.1:8402/paid', headers: { host: 'api.example.com' } },
 *   { timeoutMs: 5000, fetch: Exchange.fetchVerbatim },
 * )
 * ```
 */
export const fetchVerbatim = ((input: string | URL, init: RequestInit = {}) =>
  new Promise<Response>((resolve, reject) => {
    const url = new URL(input)
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    const headers = Object.fromEntries(new Headers(init.headers))
    const outgoing = send(
      url,
      {
        method: init.method ?? 'GET',
        headers,
        signal: init.signal ?? undefined,
        rejectUnauthorized: false,
      },
      (incoming) => resolve(toResponse(incoming)),
    )
    outgoing.once('error', reject)
    outgoing.end(typeof init.body === 'string' ? init.body : undefined)
  })) as unknown as typeof fetch

/**
 * Redacts the credential-bearing request headers: an `Authorization` or
 * `Payment-Authorization` value keeps only its scheme and length.
 *
 * @example
 * ```ts
 * import { Exchange } from '@paywire/conformance'
 * Exchange.redactRequestHeaders({ authorization: 'Payment eyJjaGFsbGVuZ2UiOnt9fQ' })
 * // { authorization: 'Payment [redacted: 26 characters]' }
 * ```
 */
export function redactRequestHeaders(headers: Record<string, string>): Record<string, string> {
  const redacted: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase()
    if (
      lower === 'authorization' ||
      lower === 'payment-authorization' ||
      lower === 'proxy-authorization' ||
      lower === 'cookie'
    ) {
      const scheme = /^[A-Za-z][A-Za-z0-9-]*(?= )/.exec(value)?.[0]
      const rest = scheme === undefined ? value.length : value.length - scheme.length - 1
      redacted[lower] = `${scheme === undefined ? '' : `${scheme} `}[redacted: ${rest} characters]`
    } else redacted[lower] = cut(value)
  }
  return redacted
}

/** Redacts `Payment-Receipt` and `Set-Cookie` values of response headers. */
export function redactResponseHeaders(headers: Headers): Record<string, string> {
  const redacted: Record<string, string> = {}
  for (const [name, value] of headers) {
    redacted[name] =
      name === 'payment-receipt' || name === 'set-cookie'
        ? `[redacted: ${value.length} characters]`
        : cut(value)
  }
  return redacted
}

function toResponse(incoming: IncomingMessage): Response {
  const headers = new Headers()
  const raw = incoming.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string)
  const status = incoming.statusCode ?? 0
  const empty = status === 204 || status === 304 || (status >= 100 && status < 200)
  const body = empty
    ? null
    : new ReadableStream<Uint8Array>({
        start(controller) {
          incoming.on('data', (chunk: Buffer) => controller.enqueue(new Uint8Array(chunk)))
          incoming.once('end', () => controller.close())
          incoming.once('error', (error) => controller.error(error))
        },
      })
  return new Response(body, { status, headers })
}

function cut(text: string): string {
  return text.length <= maxEvidenceBody
    ? text
    : `${text.slice(0, maxEvidenceBody)}… [${text.length - maxEvidenceBody} more characters]`
}

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause)
  const inner = (cause as { cause?: unknown }).cause
  const code =
    inner instanceof Error && 'code' in inner
      ? ` (${String((inner as { code: unknown }).code)})`
      : ''
  return `${cause.name}: ${cause.message}${code}`
}
