// The payment record of a single-use challenge (docs/security.md "The after-success
// model"): one store key per challenge, created atomically before any money moves (it is
// the challenge's single-use claim), naming a digest of the one credential that may
// continue it, the attempt id every external call is bound to, the phase the payment is
// in, and a lease that keeps two requests from working on it at once.
import { sha256 } from '@noble/hashes/sha2.js'
import { Base64Url, type Method, Receipt, type Store } from '@paywire/core'
import type { SettleMode } from '../Paywire.js'
import type * as Stored from './stored.js'

/** @internal Where payment records live in the store. */
export const prefix = 'paywire:payment:'

/** @internal Where a payment is; see docs/security.md for each phase. */
export type Phase = 'pending' | 'running' | 'settling' | 'delivered' | 'voided' | 'refunded'

/** @internal The stored record. */
export type Data = {
  v: 1
  phase: Phase
  challengeId: string
  /** Digest of the credential that opened the record: only it may continue the payment. */
  credential: string
  /** Chosen before any call; the same for every retry of the credential. */
  attempt: string
  /** The request holding the lease. */
  holder: string
  /** Until when (ms) the holder owns the record; 0 when no request does. */
  lease: number
  created: number
  updated: number
  mode: SettleMode
  method: string
  intent: string
  route: string
  /** The challenge's decoded request. */
  request: Store.Value
  expires: string
  hold: Store.Value | null
  /** The serialized receipt, once money was taken. */
  receipt: string | null
  /** The handler's response, kept until it is delivered (after-success). */
  response: Stored.Stored | null
  /** The last error code met, for operators. */
  note: string | null
  /**
   * What the method recorded before an external call (`context.record`): a transaction
   * hash it was about to broadcast. Absent from records written before it existed.
   */
  reference?: string | null
  /** The challenge's realm (absent from older records). */
  realm?: string
}

/** @internal A record this request holds the lease of. */
export type Held = { store: Store.Store; data: Data; timing: Timing; resumed: boolean }

/** @internal How long records live and leases last. */
export type Timing = {
  now: () => number
  leaseMs: number
  /** TTL of a record that is still open (it must outlive the reconciliation window). */
  openTtlSeconds: number
  /** TTL of a finished record (the challenge's single use). */
  doneTtlSeconds: number
}

/** @internal The store key of a challenge's record. */
export function key(challengeId: string): string {
  return `${prefix}${challengeId}`
}

/** @internal The digest a record keeps of a serialized credential. */
export function digest(credential: string): string {
  return Base64Url.encode(sha256(new TextEncoder().encode(credential)))
}

/** @internal What {@link take} found. */
export type Taken =
  | { kind: 'held'; held: Held }
  /**
   * The same credential's payment is held by a request (or by one that crashed, until its
   * lease runs out): `retryAfter` seconds until the lease ends.
   */
  | { kind: 'busy'; retryAfter: number }
  /**
   * The same credential's handler started (`running`) and the request that ran it is gone:
   * the handler is never run again; reconciliation settles the payment.
   */
  | { kind: 'ran'; data: Data }
  /** Another credential's, or a phase that cannot continue: the challenge is used. */
  | { kind: 'spent' }

/**
 * @internal Opens the record of a challenge for this credential, or takes over the open
 * record of an earlier attempt of the same credential whose lease ran out.
 */
export async function take(
  store: Store.Store,
  fields: Omit<
    Data,
    | 'v'
    | 'phase'
    | 'attempt'
    | 'holder'
    | 'lease'
    | 'created'
    | 'updated'
    | 'hold'
    | 'receipt'
    | 'response'
    | 'note'
    | 'reference'
  >,
  timing: Timing,
): Promise<Taken> {
  for (let round = 0; round < 3; round++) {
    const now = timing.now()
    const data: Data = {
      v: 1,
      phase: 'pending',
      ...fields,
      attempt: randomId(),
      holder: randomId(),
      lease: now + timing.leaseMs,
      created: now,
      updated: now,
      hold: null,
      receipt: null,
      response: null,
      note: null,
      reference: null,
    }
    const ttlSeconds = timing.openTtlSeconds
    if (await store.compareAndSwap(key(fields.challengeId), null, data, { ttlSeconds }))
      return { kind: 'held', held: { store, data, timing, resumed: false } }
    const entry = await store.get(key(fields.challengeId))
    if (entry === undefined) continue
    const found = entry.value as Data
    if (found.credential !== fields.credential) return { kind: 'spent' }
    const busy = { kind: 'busy', retryAfter: retryAfter(found.lease, now) } as const
    if (found.phase === 'running') return found.lease > now ? busy : { kind: 'ran', data: found }
    if (found.phase !== 'pending' && found.phase !== 'settling') return { kind: 'spent' }
    if (found.lease > now) return busy
    const next: Data = { ...found, holder: randomId(), lease: now + timing.leaseMs, updated: now }
    if (!(await store.compareAndSwap(key(found.challengeId), entry.version, next, { ttlSeconds })))
      return { kind: 'busy', retryAfter: 1 }
    return { kind: 'held', held: { store, data: next, timing, resumed: true } }
  }
  return { kind: 'busy', retryAfter: 1 }
}

/** Whole seconds (at least 1) until a lease ends. */
function retryAfter(lease: number, now: number): number {
  return Math.max(1, Math.ceil((lease - now) / 1000))
}

/**
 * @internal Moves a held record on, only if this request still holds it (compare-and-swap:
 * a request whose lease was taken over loses). Resolves whether it did.
 */
export async function advance(held: Held, patch: Partial<Data>): Promise<boolean> {
  const entry = await held.store.get(key(held.data.challengeId))
  if (entry === undefined || (entry.value as Data).holder !== held.data.holder) return false
  const next = stamp(held, patch)
  const ttlSeconds = held.timing.openTtlSeconds
  if (
    !(await held.store.compareAndSwap(key(next.challengeId), entry.version, next, { ttlSeconds }))
  )
    return false
  held.data = next
  return true
}

/**
 * @internal Writes a held record (the phases after `running`, which only the request that
 * ran the handler reaches). A finished record keeps only what single use needs.
 */
export async function write(held: Held, patch: Partial<Data>): Promise<void> {
  const next = stamp(held, patch)
  const done = next.phase === 'delivered' || next.phase === 'voided' || next.phase === 'refunded'
  const stored = done ? { ...next, response: null, lease: 0 } : next
  await held.store.put(key(next.challengeId), stored, {
    ttlSeconds: done ? held.timing.doneTtlSeconds : held.timing.openTtlSeconds,
  })
  held.data = stored
}

/** @internal Leaves a held record open for a retry of the same credential (the lease freed). */
export async function free(held: Held, note: string | undefined): Promise<void> {
  await advance(held, { lease: 0, ...(note === undefined ? {} : { note }) })
}

/** @internal Removes a record: the challenge is released (nothing moved, no handler ran). */
export async function remove(held: Held): Promise<void> {
  await held.store.delete(key(held.data.challengeId))
}

function stamp(held: Held, patch: Partial<Data>): Data {
  return { ...held.data, ...patch, updated: held.timing.now() }
}

/** @internal What a method's settlement calls (`release`, `lookup`, `refund`) receive. */
export function settlement<request>(
  data: Data,
  request: request,
  now: () => number,
): Method.SettlementParameters<request> {
  return {
    challengeId: data.challengeId,
    request,
    attempt: data.attempt,
    hold: data.hold ?? undefined,
    receipt: data.receipt === null ? undefined : Receipt.deserialize(data.receipt),
    reference: data.reference ?? undefined,
    realm: data.realm,
    expires: data.expires,
    now,
  }
}

/** @internal A random id (attempts, lease holders). */
export function randomId(): string {
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  return Base64Url.encode(bytes)
}

/** @internal Whether a stored value is a payment record (it may come from any writer). */
export function isData(value: unknown): value is Data {
  if (value === null || typeof value !== 'object') return false
  const data = value as Partial<Data>
  return (
    data.v === 1 &&
    typeof data.challengeId === 'string' &&
    typeof data.attempt === 'string' &&
    typeof data.phase === 'string' &&
    phases.has(data.phase)
  )
}

const phases = new Set<Phase>(['pending', 'running', 'settling', 'delivered', 'voided', 'refunded'])
