// `Idempotency-Key` on non-idempotent requests (draft-httpauth-payment §"Idempotency
// and Side Effects"): a retry with the same key, the same credential and the same body
// gets the stored response without a second execution or charge; the same key with
// another body gets 422; a retry while the first is still running gets 409.
// Records are scoped by the whole credential (challenge and proof), so only the holder of
// that credential can read a stored response: a guessed or leaked key, or a copy of the
// challenge without its proof, reveals nothing.
import { sha256 } from '@noble/hashes/sha2.js'
import { Base64Url, BodyDigest, type Store } from '@paywire/core'
import { concat, readUpTo, resume } from './body.js'

/** @internal What {@link begin} found. */
export type Begin =
  | { kind: 'fresh'; record: Record }
  | { kind: 'replay'; response: Response }
  | { kind: 'in-flight' }
  | { kind: 'mismatch' }

/** @internal An in-flight record this request owns. */
export type Record = { key: string; fingerprint: string }

type Stored =
  | { state: 'in-flight'; fingerprint: string }
  | {
      state: 'done'
      fingerprint: string
      status: number
      headers: Array<[string, string]>
      body: string
    }

/** @internal Settings of idempotent replays. */
export type Settings = { ttlSeconds: number; inFlightSeconds: number; maxResponseBytes: number }

/** @internal Looks up or opens the record of a key. */
export async function begin(
  store: Store.Store,
  parameters: { credential: string; idempotencyKey: string; body: Uint8Array },
  settings: Settings,
): Promise<Begin> {
  const key = `paywire:idempotency:${Base64Url.encode(
    sha256(new TextEncoder().encode(`${parameters.credential}\n${parameters.idempotencyKey}`)),
  )}`
  const fingerprint = BodyDigest.compute(parameters.body)
  const opened: Stored = { state: 'in-flight', fingerprint }
  if (await store.compareAndSwap(key, null, opened, { ttlSeconds: settings.inFlightSeconds }))
    return { kind: 'fresh', record: { key, fingerprint } }
  const entry = await store.get(key)
  const stored = entry?.value as Stored | undefined
  // The record vanished between the two calls (expired): report the request as running;
  // the client's retry sees the new state.
  if (stored === undefined || stored.state === 'in-flight')
    return stored !== undefined && stored.fingerprint !== fingerprint
      ? { kind: 'mismatch' }
      : { kind: 'in-flight' }
  if (stored.fingerprint !== fingerprint) return { kind: 'mismatch' }
  const headers = new Headers()
  for (const [name, value] of stored.headers) headers.append(name, value)
  headers.set('idempotent-replayed', 'true')
  return {
    kind: 'replay',
    response: new Response(
      stored.body === '' ? null : (Base64Url.decode(stored.body) as Uint8Array<ArrayBuffer>),
      { status: stored.status, headers },
    ),
  }
}

/**
 * @internal Stores the final response of a paid request and returns the response to
 * send. The body is buffered up to `maxResponseBytes`; a larger response, and any event
 * stream (`text/event-stream`), is sent as a stream and not kept (a retry then meets the
 * used challenge, or for a multi-use challenge is redeemed again).
 */
export async function finish(
  store: Store.Store,
  record: Record,
  response: Response,
  settings: Settings,
): Promise<Response> {
  const init = { status: response.status, statusText: response.statusText }
  const headers = new Headers(response.headers)
  if (isEventStream(headers)) {
    // An event stream is delivered as it is produced (a metered stream waits for the
    // client's next voucher mid-way): never buffered, so not kept either.
    await store.delete(record.key)
    return response
  }
  let body: Uint8Array = new Uint8Array(0)
  if (response.body !== null) {
    const read = await readUpTo(response.body.getReader(), settings.maxResponseBytes)
    if (read.rest !== undefined) {
      await store.delete(record.key)
      return new Response(resume(read.chunks, read.rest), { ...init, headers })
    }
    body = concat(read.chunks, read.total)
  }
  const stored: Stored = {
    state: 'done',
    fingerprint: record.fingerprint,
    status: response.status,
    headers: [...headers].filter(([name]) => !hopByHop.has(name)),
    body: body.byteLength === 0 ? '' : Base64Url.encode(body),
  }
  await store.put(record.key, stored, { ttlSeconds: settings.ttlSeconds })
  return new Response(response.body === null ? null : (body as Uint8Array<ArrayBuffer>), {
    ...init,
    headers,
  })
}

function isEventStream(headers: Headers): boolean {
  return /^\s*text\/event-stream\s*(;|$)/i.test(headers.get('content-type') ?? '')
}

/** @internal Drops an in-flight record (the request was refused before any handler ran). */
export async function abandon(store: Store.Store, record: Record): Promise<void> {
  await store.delete(record.key)
}

const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length'])
