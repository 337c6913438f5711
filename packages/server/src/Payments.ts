// Reconciliation of single-use payments (docs/security.md "The after-success model"): the
// payment records a server's store holds, listed; one resolved by hand; and a sweep of
// those left unfinished (pending, running, settling) past the unclaimed window, each looked
// up with its method under the keys chosen before the call, then released (money held),
// refunded (money taken and never delivered), closed (nothing taken) or reported for the
// operator (a method that cannot refund, e.g. a Tempo transfer). Needs a store that can
// scan its keys (Redis, PostgreSQL, SQLite, memory).
import { Errors, type Method, Receipt, type Store } from '@paywire/core'
import * as Reconcile from './internal/reconcile.js'
import * as Record from './internal/record.js'

/**
 * A payment as reconciliation sees it.
 *
 * @example
 * ```ts
 * import type { Payments } from '@paywire/server'
 * declare const payment: Payments.Payment
 * if (payment.unclaimed) console.log(payment.challengeId, payment.phase, payment.amount)
 * ```
 */
export type Payment = {
  challengeId: string
  phase: Phase
  /** The route's settle mode when the payment began. */
  mode: 'before-handler' | 'after-success'
  method: string
  intent: string
  /** The route the challenge was issued for (`METHOD /path?query`). */
  route: string
  amount: string | undefined
  currency: string | undefined
  /** When the payment began and last changed (ISO 8601). */
  created: string
  updated: string
  /**
   * The receipt's reference (a PaymentIntent id, a transaction hash) once money was taken;
   * before that, what the method recorded before its call (a transaction it broadcast).
   */
  reference: string | undefined
  /** The last error or decision noted. */
  note: string | undefined
  /** Unfinished, no request holds it, and older than the unclaimed window. */
  unclaimed: boolean
}

/**
 * Where a payment is (docs/security.md "The after-success model"): `pending` (the method
 * is taking or holding the money), `running` (the handler started), `settling` (the
 * handler answered `2xx`, the capture is not confirmed), `delivered`, `voided` (nothing
 * taken) or `refunded`.
 *
 * @example
 * ```ts
 * import type { Payments } from '@paywire/server'
 * const open: Payments.Phase[] = ['pending', 'running', 'settling']
 * ```
 */
export type Phase = 'pending' | 'running' | 'settling' | 'delivered' | 'voided' | 'refunded'

/**
 * What {@link Payments.resolve} does: `refund` (the method refunds it), `release` (the
 * method gives a hold back), `void` (close it: nothing was taken, or it was handled
 * elsewhere), `refunded` (it was refunded by hand) or `delivered` (the payer was served).
 *
 * @example
 * ```ts
 * import type { Payments } from '@paywire/server'
 * const action: Payments.Action = 'refund'
 * ```
 */
export type Action = 'refund' | 'release' | 'void' | 'refunded' | 'delivered'

/**
 * What a sweep did with one unclaimed payment.
 *
 * @example
 * ```ts
 * import type { Payments } from '@paywire/server'
 * declare const outcomes: Payments.Outcome[]
 * const refunded = outcomes.filter((outcome) => outcome.action === 'refunded')
 * ```
 */
export type Outcome =
  | {
      challengeId: string
      /**
       * `refunded` (taken, never delivered, given back), `released` (a hold given back),
       * `closed` (nothing taken), `reported` (for the operator: `detail` says why, e.g.
       * `refund-manual` for a transfer the method cannot give back) or `left` (the method
       * cannot tell yet).
       */
      action: 'refunded' | 'released' | 'closed' | 'reported' | 'left'
      /** The refund's id, when one was made. */
      reference?: string | undefined
      /** Why a record was reported or left. */
      detail?: string | undefined
    }
  | { challengeId: string; action: 'failed'; detail: string }

/**
 * The reconciliation tools over one store.
 *
 * @example
 * ```ts
 * import type { Payments } from '@paywire/server'
 * declare const payments: Payments.Payments
 * for (const payment of await payments.list({ unfinished: true })) console.log(payment)
 * ```
 */
export type Payments = {
  /** The payment records, oldest first; `unfinished` keeps only those under way. */
  list(filter?: { unfinished?: boolean | undefined }): Promise<Payment[]>
  /** One payment record, or `undefined`. */
  get(challengeId: string): Promise<Payment | undefined>
  /** Settles one unfinished payment by hand; resolves it as it now is. */
  resolve(challengeId: string, action: Action): Promise<Payment>
  /** Reconciles every unclaimed payment; see the module comment. Run it on a schedule. */
  sweep(): Promise<Outcome[]>
}

/**
 * Creates the reconciliation tools for a server's store and methods (the same store and
 * methods as `Paywire.create`, and the same `payments` settings).
 *
 * @throws {UnsupportedStoreError} when the store cannot scan its keys.
 * @example
 * ```ts
 * import { Payments } from '@paywire/server'
 * import { MemoryStore } from '@paywire/store-memory'
 * import { TestMethod } from '@paywire/testkit'
 * const payments = Payments.create({
 *   store: MemoryStore.create(),
 *   methods: [TestMethod.server({ key: 'shared-test-key' })],
 * })
 * const outcomes = await payments.sweep()
 * ```
 */
export function create(options: create.Options): Payments {
  const { store } = options
  if (typeof store.scan !== 'function')
    throw new UnsupportedStoreError(
      'this store cannot scan its keys: reconciliation needs one that can',
    )
  const now = options.now ?? Date.now
  const window = (options.unclaimedAfterSeconds ?? 3_600) * 1000
  const recordTtlSeconds = options.recordTtlSeconds ?? 30 * 86_400
  const timing: Record.Timing = {
    now,
    leaseMs: (options.leaseSeconds ?? 120) * 1000,
    openTtlSeconds: recordTtlSeconds,
    doneTtlSeconds: recordTtlSeconds,
  }
  const methodOf = (data: Record.Data) =>
    options.methods.find((method) => method.method === data.method && method.intent === data.intent)
  const view = (data: Record.Data) => toPayment(data, now(), window)

  const records = async (): Promise<Record.Data[]> => {
    const found: Record.Data[] = []
    let cursor: string | undefined
    do {
      const page = await (store.scan as NonNullable<Store.Store['scan']>)(Record.prefix, { cursor })
      for (const key of page.keys) {
        const value = (await store.get(key))?.value
        if (Record.isData(value)) found.push(value)
      }
      cursor = page.cursor
    } while (cursor !== undefined)
    return found.sort((a, b) => a.created - b.created)
  }

  const seize = async (challengeId: string) => {
    const held = await Reconcile.seize(store, challengeId, timing)
    if (held === undefined)
      throw new NotFoundError(`no payment record for challenge ${challengeId}`)
    if (held === 'busy') throw new BusyError(`a request is working on payment ${challengeId}`)
    if (held === 'finished') throw new FinishedError(`payment ${challengeId} is already finished`)
    return held
  }

  return {
    async list(filter = {}) {
      const all = (await records()).map(view)
      return filter.unfinished === true ? all.filter((payment) => isUnfinished(payment.phase)) : all
    },
    async get(challengeId) {
      const value = (await store.get(Record.key(challengeId)))?.value
      return Record.isData(value) ? view(value) : undefined
    },
    async resolve(challengeId, action) {
      const held = await seize(challengeId)
      await Reconcile.resolve(held, methodOf(held.data), action)
      return view(held.data)
    },
    async sweep() {
      const outcomes: Outcome[] = []
      for (const data of await records()) {
        if (!view(data).unclaimed) continue
        try {
          const held = await Reconcile.seize(store, data.challengeId, timing)
          if (typeof held !== 'object') continue
          outcomes.push(await Reconcile.reconcile(held, methodOf(data)))
        } catch (error) {
          const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
          outcomes.push({ challengeId: data.challengeId, action: 'failed', detail })
        }
      }
      return outcomes
    },
  }
}

export declare namespace create {
  type Options = {
    /** The server's store (it must scan: see `Store.scan`). */
    store: Store.Store
    /**
     * The server's methods. A record whose method is not among them is judged from the
     * record alone: what it cannot settle is reported for the operator.
     */
    // biome-ignore lint/suspicious/noExplicitAny: each method has its own input, request and payload types
    methods: ReadonlyArray<Method.Server<any, any, any>>
    /** As the server's `payments.unclaimedAfterSeconds` (default 3,600). */
    unclaimedAfterSeconds?: number | undefined
    /** As the server's `payments.leaseSeconds` (default 120). */
    leaseSeconds?: number | undefined
    /** How long reconciled records are kept (default 30 days). */
    recordTtlSeconds?: number | undefined
    /** The clock, in milliseconds (default `Date.now`). */
    now?: (() => number) | undefined
  }
}

function toPayment(data: Record.Data, now: number, window: number): Payment {
  const request = (data.request ?? {}) as { amount?: unknown; currency?: unknown }
  return {
    challengeId: data.challengeId,
    phase: data.phase,
    mode: data.mode,
    method: data.method,
    intent: data.intent,
    route: data.route,
    amount: typeof request.amount === 'string' ? request.amount : undefined,
    currency: typeof request.currency === 'string' ? request.currency : undefined,
    created: new Date(data.created).toISOString(),
    updated: new Date(data.updated).toISOString(),
    reference:
      data.receipt === null
        ? (data.reference ?? undefined)
        : Receipt.deserialize(data.receipt).reference,
    note: data.note ?? undefined,
    unclaimed: isUnfinished(data.phase) && data.lease <= now && data.updated + window <= now,
  }
}

function isUnfinished(phase: Record.Phase): boolean {
  return phase === 'pending' || phase === 'running' || phase === 'settling'
}

/** The store cannot scan its keys (`Store.scan`). */
export class UnsupportedStoreError extends Errors.BaseError {
  override readonly name = 'Payments.UnsupportedStoreError'
  readonly code = 'ERR_PAYWIRE_STORE_NO_SCAN'
  readonly problem = undefined
}

/** No payment record exists for the challenge. */
export class NotFoundError extends Errors.BaseError {
  override readonly name = 'Payments.NotFoundError'
  readonly code = 'ERR_PAYWIRE_PAYMENT_NOT_FOUND'
  readonly problem = undefined
}

/** A request holds the payment now (its lease); try again later. */
export class BusyError extends Errors.BaseError {
  override readonly name = 'Payments.BusyError'
  readonly code = 'ERR_PAYWIRE_PAYMENT_BUSY'
  readonly problem = undefined
}

/** The payment is already finished (delivered, voided or refunded). */
export class FinishedError extends Errors.BaseError {
  override readonly name = 'Payments.FinishedError'
  readonly code = 'ERR_PAYWIRE_PAYMENT_FINISHED'
  readonly problem = undefined
}

export { ResolveError } from './internal/reconcile.js'
