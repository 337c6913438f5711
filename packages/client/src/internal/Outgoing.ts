// The request the client sends, held in a replayable form: its body is buffered once (up
// to a cap) so that the paid retry carries the same bytes, and redirects are followed
// hop by hop so the client always knows which origin it is talking to.
import type { Signer } from '@paywire/agent-identity'
import { BodyDigest, type Challenge, Errors } from '@paywire/core'
import * as Policy from '../Policy.js'
import type * as Quote from '../Quote.js'

/** @internal One hop of a request: everything needed to send it again. */
export type Outgoing = {
  url: URL
  method: string
  headers: Headers
  body: Uint8Array<ArrayBuffer> | undefined
  /** The caller's redirect mode. */
  redirect: RequestRedirect
  signal: AbortSignal | undefined
  /** Other RequestInit members of the caller, passed through unchanged. */
  rest: RequestInit
}

/** @internal Reads a fetch call's arguments into a replayable request. */
export async function from(
  input: RequestInfo | URL,
  init: RequestInit | undefined,
  maxBodyBytes: number,
): Promise<Outgoing> {
  const request = new Request(input, init)
  const rest: Record<string, unknown> = { ...init }
  for (const name of ['body', 'headers', 'method', 'redirect', 'signal', 'duplex'])
    delete rest[name]
  const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined)
  return {
    url: new URL(request.url),
    method: request.method,
    headers: new Headers(request.headers),
    body: request.body === null ? undefined : await buffer(request.body, maxBodyBytes),
    redirect: request.redirect,
    signal: signal ?? undefined,
    rest: rest as RequestInit,
  }
}

/** @internal The RequestInit of one hop; redirects are never followed by `fetch` itself. */
export function toInit(outgoing: Outgoing, extra: Headers | undefined): RequestInit {
  const headers = new Headers(outgoing.headers)
  if (extra !== undefined) for (const [name, value] of extra) headers.set(name, value)
  return {
    ...outgoing.rest,
    method: outgoing.method,
    headers,
    redirect: 'manual',
    ...(outgoing.body === undefined ? {} : { body: outgoing.body }),
    ...(outgoing.signal === undefined ? {} : { signal: outgoing.signal }),
  }
}

/**
 * @internal The RequestInit of one hop signed as `agent` (Web Bot Auth): the signature
 * covers the hop's final headers, the paid retry's `Authorization` included. A hop is
 * signed afresh each time it is sent, so a redirect or a retry never reuses a signature.
 */
export function toSignedInit(
  outgoing: Outgoing,
  extra: Headers | undefined,
  agent: Signer.Signer | undefined,
): RequestInit {
  const init = toInit(outgoing, extra)
  if (agent === undefined) return init
  const headers = init.headers as Headers
  for (const name of ['signature', 'signature-input', 'signature-agent']) headers.delete(name)
  const signature = agent.sign({ method: outgoing.method, url: outgoing.url, headers })
  for (const [name, value] of signature) headers.set(name, value)
  return init
}

/** @internal The statuses that redirect (RFC 9110 §15.4) and carry a Location to follow. */
export const redirectStatuses = [301, 302, 303, 307, 308] as const

/**
 * @internal The next hop after a redirect, per the Fetch standard's HTTP-redirect fetch:
 * 303 (and 301/302 after POST) turn into a bodyless GET; a hop to another origin drops
 * `Authorization`, `Payment-Authorization` and `Proxy-Authorization`. Resolves `undefined` when there is no
 * Location to follow.
 */
export function redirect(outgoing: Outgoing, response: Response): Outgoing | undefined {
  const location = response.headers.get('location')
  if (location === null) return undefined
  let url: URL
  try {
    url = new URL(location, outgoing.url)
  } catch (cause) {
    throw new RedirectError('redirect Location is not a valid URL', { cause })
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new RedirectError(`redirect to a ${url.protocol} URL is not followed`)
  const headers = new Headers(outgoing.headers)
  if (url.origin !== outgoing.url.origin) {
    headers.delete('authorization')
    headers.delete('payment-authorization')
    headers.delete('proxy-authorization')
    headers.delete('cookie')
  }
  const toGet =
    (response.status === 303 && outgoing.method !== 'GET' && outgoing.method !== 'HEAD') ||
    ((response.status === 301 || response.status === 302) && outgoing.method === 'POST')
  if (toGet)
    for (const name of [
      'content-type',
      'content-length',
      'content-encoding',
      'content-language',
      'content-location',
    ])
      headers.delete(name)
  return {
    ...outgoing,
    url,
    headers,
    method: toGet ? 'GET' : outgoing.method,
    body: toGet ? undefined : outgoing.body,
  }
}

// @enforces core.tls.client-no-plaintext, core.tls.use, core.tls.version, charge.tls
/** @internal Refuses a credential for a hop that is not https (unless allowed) or whose response came from elsewhere. */
export function checkTransport(hop: Outgoing, response: Response, insecure: readonly string[]) {
  // A fetch that followed redirects on its own would hide where the challenge came from.
  if (response.url !== '' && new URL(response.url).origin !== hop.url.origin)
    throw new Policy.RefusedError(
      'cross-origin',
      `challenge answered from ${new URL(response.url).origin}, not ${hop.url.origin}`,
    )
  if (hop.url.protocol !== 'https:' && !insecure.includes(hop.url.origin))
    throw new Policy.RefusedError(
      'transport',
      `credentials are sent only over https, not to ${hop.url.origin}`,
    )
}

// @enforces core.challenge.digest.client-match
/** @internal Refuses to pay a challenge whose `digest` does not match the body the retry will carry. */
export function checkDigest(
  challenge: Challenge.Challenge,
  body: Uint8Array | undefined,
  quote: Quote.Quote,
): void {
  if (challenge.digest === undefined) return
  let matches: boolean
  try {
    matches = BodyDigest.verify(challenge.digest, body ?? new Uint8Array())
  } catch (cause) {
    throw new Policy.RefusedError('digest', 'challenge digest is not readable', { quote, cause })
  }
  if (!matches)
    throw new Policy.RefusedError('digest', 'challenge digest does not match the request body', {
      quote,
    })
}

async function buffer(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = []
  let length = 0
  const reader = stream.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    length += value.byteLength
    if (length > maxBytes) {
      await reader.cancel()
      throw new BodyTooLargeError(
        `request body exceeds ${maxBytes} bytes; it must be buffered to be replayed after payment`,
      )
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(length)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

/**
 * Raised when a request body is larger than the client buffers for a paid retry.
 *
 * @example
 * ```ts
 * import { Client } from '@paywire/client'
 * declare const client: Client.Client
 * declare const upload: ReadableStream<Uint8Array>
 * await client.fetch('https://api.example.com/upload', { method: 'POST', body: upload, duplex: 'half' } as RequestInit).catch((error) => {
 *   if (error instanceof Client.BodyTooLargeError) console.log(error.code) // 'ERR_BODY_TOO_LARGE'
 * })
 * ```
 */
export class BodyTooLargeError extends Errors.BaseError {
  override readonly name = 'Client.BodyTooLargeError'
  readonly code = 'ERR_BODY_TOO_LARGE'
  readonly problem = undefined
}

/**
 * Raised when a redirect cannot or may not be followed.
 *
 * @example
 * ```ts
 * import { Client } from '@paywire/client'
 * declare const client: Client.Client
 * await client.fetch('https://api.example.com/loop').catch((error) => {
 *   if (error instanceof Client.RedirectError) console.log(error.code) // 'ERR_REDIRECT'
 * })
 * ```
 */
export class RedirectError extends Errors.BaseError {
  override readonly name = 'Client.RedirectError'
  readonly code = 'ERR_REDIRECT'
  readonly problem = undefined
}
