// Reconciling one payment record (docs/security.md "The after-success model"): the record
// is taken from any request first (its lease), the method says what happened under the
// keys chosen before the call (`lookup`), and the record ends released, refunded, closed
// or reported to the operator. A method without `lookup` is judged from the record: a
// payment taken before the handler (`running`, with a receipt) was paid, a hold was held,
// nothing else can be told.
import { Errors, type Method, type Store } from '@paywire/core'
import * as Record from './record.js'

/** @internal What reconciliation did with a record. */
export type Outcome = {
  challengeId: string
  action: 'refunded' | 'released' | 'closed' | 'reported' | 'left'
  /** The refund's id, when one was made. */
  reference?: string | undefined
  /** Why a record was reported or left. */
  detail?: string | undefined
}

/** @internal An operator's decision about one record. */
export type Action = 'refund' | 'release' | 'void' | 'refunded' | 'delivered'

/** @internal Takes an unfinished record from any request (its lease). */
export async function seize(
  store: Store.Store,
  challengeId: string,
  timing: Record.Timing,
): Promise<Record.Held | 'busy' | 'finished' | undefined> {
  const entry = await store.get(Record.key(challengeId))
  if (entry === undefined || !Record.isData(entry.value)) return undefined
  const data = entry.value
  if (!unfinished(data)) return 'finished'
  const now = timing.now()
  if (data.lease > now) return 'busy'
  const next: Record.Data = { ...data, holder: Record.randomId(), lease: now + timing.leaseMs }
  const written = await store.compareAndSwap(Record.key(challengeId), entry.version, next, {
    ttlSeconds: timing.openTtlSeconds,
  })
  return written ? { store, data: next, timing, resumed: true } : 'busy'
}

/** @internal Whether a payment is still under way (pending, running or settling). */
export function unfinished(data: Record.Data): boolean {
  return data.phase === 'pending' || data.phase === 'running' || data.phase === 'settling'
}

/**
 * @internal Reconciles a seized record with its method (or, for a method not configured,
 * from the record alone); see the module comment.
 */
export async function reconcile(
  held: Record.Held,
  // biome-ignore lint/suspicious/noExplicitAny: any configured method
  method: Method.Server<any, any, any> | undefined,
): Promise<Outcome> {
  const { data } = held
  const found = await lookup(held, method)
  const challengeId = data.challengeId
  switch (found.status) {
    case 'unknown':
      if (method?.lookup === undefined) return report(held, 'outcome-unknown')
      await Record.free(held, data.note ?? 'unknown')
      return { challengeId, action: 'left', detail: 'the method cannot tell what happened yet' }
    case 'unpaid':
      await Record.write(held, { phase: 'voided', note: 'closed-unpaid' })
      return { challengeId, action: 'closed' }
    case 'held':
      if (method?.release === undefined) return report(held, 'release-manual')
      await method.release(settlement(held, method))
      await Record.write(held, { phase: 'voided', note: 'released-unclaimed' })
      return { challengeId, action: 'released' }
    case 'paid': {
      if (method?.refund === undefined) return report(held, 'refund-manual')
      const refund = await method.refund(settlement(held, method))
      await Record.write(held, { phase: 'refunded', note: `refund ${refund.reference}` })
      return { challengeId, action: 'refunded', reference: refund.reference }
    }
  }
}

/** @internal Applies an operator's decision to a seized record. */
export async function resolve(
  held: Record.Held,
  // biome-ignore lint/suspicious/noExplicitAny: any configured method
  method: Method.Server<any, any, any> | undefined,
  action: Action,
): Promise<void> {
  const missing = (what: string) =>
    new ResolveError(`the ${held.data.method} method cannot ${what} a payment`)
  switch (action) {
    case 'refund': {
      if (method?.refund === undefined) throw missing('refund')
      const refund = await method.refund(settlement(held, method))
      return Record.write(held, { phase: 'refunded', note: `refund ${refund.reference}` })
    }
    case 'release':
      if (method?.release === undefined) throw missing('release')
      await method.release(settlement(held, method))
      return Record.write(held, { phase: 'voided', note: 'released-by-operator' })
    case 'void':
      return Record.write(held, { phase: 'voided', note: 'closed-by-operator' })
    case 'refunded':
      return Record.write(held, { phase: 'refunded', note: 'refunded-by-operator' })
    case 'delivered':
      return Record.write(held, { phase: 'delivered', note: 'delivered-by-operator' })
  }
}

async function lookup(
  held: Record.Held,
  // biome-ignore lint/suspicious/noExplicitAny: any configured method
  method: Method.Server<any, any, any> | undefined,
): Promise<Method.Lookup> {
  const { data } = held
  if (method?.lookup !== undefined) return method.lookup(settlement(held, method))
  if (data.phase === 'running' && data.mode === 'before-handler' && data.receipt !== null)
    return { status: 'paid', reference: 'receipt' }
  if (data.phase === 'running')
    return data.hold === null ? { status: 'unpaid' } : { status: 'held', reference: 'hold' }
  return { status: 'unknown' }
}

async function report(held: Record.Held, note: string): Promise<Outcome> {
  await Record.free(held, note)
  return { challengeId: held.data.challengeId, action: 'reported', detail: note }
}

function settlement(
  held: Record.Held,
  // biome-ignore lint/suspicious/noExplicitAny: any configured method
  method: Method.Server<any, any, any> | undefined,
): Method.SettlementParameters<unknown> {
  const parsed = method?.requestSchema.safeParse(held.data.request)
  if (parsed !== undefined && !parsed.success)
    throw new ResolveError('the recorded request no longer fits the method')
  return Record.settlement(held.data, parsed?.data ?? held.data.request, held.timing.now)
}

/** Raised when a payment record cannot be reconciled or resolved as asked. */
export class ResolveError extends Errors.BaseError {
  override readonly name = 'Payments.ResolveError'
  readonly code = 'ERR_PAYWIRE_PAYMENT_RESOLVE'
  readonly problem = undefined
}
