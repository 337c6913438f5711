// `Idempotency-Key` on non-idempotent requests (draft-httpauth-payment §"Idempotency
// and Side Effects"): a retry with the same key, the same credential and the same body
// gets the stored response without a second execution or charge; the same key with
// another body gets 422; a retry while the first is still running gets 409.
// Records are scoped by the whole credential (challenge and proof), so only the holder of
// that credential can read a stored response: a guessed or leaked key, or a copy of the
// challenge without its proof, reveals nothing.
import { sha256 } from '@noble/hashes/sha2.js'
import { Base64Url, BodyDigest, type Store } from '@paywire/core'
import * as Stored from './stored.js'

/** @internal What {@link begin} found. */
export type Begin =
  | { kind: 'fresh'; record: Record }
  | { kind: 'replay'; response: Response }
  | { kind: 'in-flight' }
  | { kind: 'mismatch' }

/** @internal An in-flight record this request owns. */
export type Record = { key: string; fingerprint: string }

type Entry =
  | { state: 'in-flight'; fingerprint: string }
  | ({ state: 'done'; fingerprint: string } & Stored.Stored)

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
  const opened: Entry = { state: 'in-flight', fingerprint }
  if (await store.compareAndSwap(key, null, opened, { ttlSeconds: settings.inFlightSeconds }))
    return { kind: 'fresh', record: { key, fingerprint } }
  const entry = await store.get(key)
  const stored = entry?.value as Entry | undefined
  // The record vanished between the two calls (expired): report the request as running;
  // the client's retry sees the new state.
  if (stored === undefined || stored.state === 'in-flight')
    return stored !== undefined && stored.fingerprint !== fingerprint
      ? { kind: 'mismatch' }
      : { kind: 'in-flight' }
  if (stored.fingerprint !== fingerprint) return { kind: 'mismatch' }
  const response = Stored.revive(stored)
  response.headers.set('idempotent-replayed', 'true')
  return { kind: 'replay', response }
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
  const kept = await Stored.keep(response, settings.maxResponseBytes)
  if (kept.stored === undefined) {
    await store.delete(record.key)
    return kept.response
  }
  const stored: Entry = { state: 'done', fingerprint: record.fingerprint, ...kept.stored }
  await store.put(record.key, stored, { ttlSeconds: settings.ttlSeconds })
  return kept.response
}

/** @internal Drops an in-flight record (the request was refused before any handler ran). */
export async function abandon(store: Store.Store, record: Record): Promise<void> {
  await store.delete(record.key)
}
