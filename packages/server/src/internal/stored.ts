// A response kept in the store, to answer a retry without running the handler again (an
// `Idempotency-Key` replay; an after-success payment whose capture is retried): status,
// headers without hop-by-hop fields, and the body, up to a size. Event streams and larger
// bodies are never buffered: they are passed on as streams and not kept.
import { Base64Url } from '@paywire/core'
import { concat, readUpTo, resume } from './body.js'

/** @internal A kept response. */
export type Stored = { status: number; headers: Array<[string, string]>; body: string }

/**
 * @internal Buffers a response to keep it. Resolves the response to send (the same
 * status, headers and bytes) and, when it fits in `maxBytes` and is not an event stream,
 * what to store.
 */
export async function keep(
  response: Response,
  maxBytes: number,
): Promise<{ stored: Stored | undefined; response: Response }> {
  const init = { status: response.status, statusText: response.statusText }
  const headers = new Headers(response.headers)
  // An event stream is delivered as it is produced (a metered stream waits for the
  // client's next voucher mid-way): never buffered, so never kept.
  if (/^\s*text\/event-stream\s*(;|$)/i.test(headers.get('content-type') ?? ''))
    return { stored: undefined, response }
  let body: Uint8Array = new Uint8Array(0)
  if (response.body !== null) {
    const read = await readUpTo(response.body.getReader(), maxBytes)
    if (read.rest !== undefined)
      return {
        stored: undefined,
        response: new Response(resume(read.chunks, read.rest), { ...init, headers }),
      }
    body = concat(read.chunks, read.total)
  }
  const stored: Stored = {
    status: response.status,
    headers: [...headers].filter(([name]) => !hopByHop.has(name)),
    body: body.byteLength === 0 ? '' : Base64Url.encode(body),
  }
  return {
    stored,
    response: new Response(response.body === null ? null : (body as Uint8Array<ArrayBuffer>), {
      ...init,
      headers,
    }),
  }
}

/** @internal The response a kept one stands for. */
export function revive(stored: Stored): Response {
  const headers = new Headers()
  for (const [name, value] of stored.headers) headers.append(name, value)
  return new Response(
    stored.body === '' ? null : (Base64Url.decode(stored.body) as Uint8Array<ArrayBuffer>),
    { status: stored.status, headers },
  )
}

const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length'])
