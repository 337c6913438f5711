// Rolling budgets kept in a Store and enforced atomically: a payment first reserves its
// amount under compare-and-swap (so N parallel payments cannot all see the same
// headroom), then commits it once a credential exists, or releases it when nothing was
// paid. One record per currency holds the pending reservations one by one and the
// committed amounts of the longest window summed per origin and UTC second, so its size
// is bounded by time, not by the number of payments; a zero amount writes nothing.
import { Amount, Errors, Store } from '@paywire/core'
import { z } from 'zod'
import { excerpt } from './internal/Excerpt.js'
import * as Policy from './Policy.js'
import type * as Quote from './Quote.js'

/**
 * A reservation made by {@link reserve}: what {@link commit} and {@link release} take.
 *
 * @example
 * ```ts
 * import { Budget } from '@paywire/client'
 * declare const reservation: Budget.Reservation
 * reservation.currency // 'usd'
 * ```
 */
export type Reservation = { id: string; currency: string; key: string }

/**
 * Default prefix of the store keys the client writes.
 *
 * @example
 * ```ts
 * import { Budget } from '@paywire/client'
 * Budget.defaultPrefix // 'paywire:client:'
 * ```
 */
export const defaultPrefix = 'paywire:client:'

/**
 * Reserves `amount` in every budget of the quote's currency, atomically. Resolves the
 * reservation and where each budget stands with the amount counted. The reservation is
 * `undefined` when no budget covers the currency, and when the amount is `0` (a session
 * voucher within its deposit): nothing is counted, so nothing is written and the budgets
 * are only checked, as {@link check} does.
 *
 * Committed amounts are kept per origin and UTC second: an amount counts in a window from
 * the moment it is reserved until `window` after the latest payment committed to the same
 * origin in the same UTC second, so between exactly `window` and `window` + 999 ms after
 * it was reserved, never less. Budgets are exact for payments timed to the whole second.
 *
 * @throws {Policy.RefusedError} (rule `budget`) when a budget lacks room; nothing is written.
 * @throws {Store.ConflictError} when the record keeps losing races.
 * @example
 * ```ts
 * import { Store } from '@paywire/core'
 * import { Budget, Policy, type Quote } from '@paywire/client'
 * declare const store: Store.Store
 * declare const quote: Quote.Quote
 * const policy = Policy.from({
 *   currencies: { usd: { maxAmount: '100' } },
 *   budgets: [{ currency: 'usd', amount: '1000', window: 'hour', scope: 'total' }],
 * })
 * const { reservation } = await Budget.reserve(store, { budgets: policy.budgets, quote })
 * ```
 */
export async function reserve(
  store: Store.Store,
  options: reserve.Options,
): Promise<reserve.ReturnType> {
  const { quote, prefix = defaultPrefix } = options
  const now = options.now ?? Date.now()
  const budgets = options.budgets.filter((budget) => budget.currency === quote.currency)
  if (budgets.length === 0) return { reservation: undefined, budgets: [] }
  const key = recordKey(prefix, quote.currency)
  const id = options.id ?? crypto.randomUUID()
  const amount = Amount.toBigInt(quote.amount)
  if (amount === 0n)
    return { reservation: undefined, budgets: await check(store, { ...options, now }) }
  let refusal: Policy.Standing | undefined
  let standings: Policy.Standing[] = []
  await Store.update(
    store,
    key,
    (current) => {
      const entries = live(read(current), now, budgets)
      standings = budgets.map((budget) => stand(budget, entries, quote.origin, now, amount))
      refusal = standings.find((standing) => BigInt(standing.remaining) < 0n)
      if (refusal !== undefined) return undefined
      const entry = { id, origin: quote.origin, amount: quote.amount, at: now, state: 'reserved' }
      return { entries: [...entries, entry] }
    },
    { maxAttempts: options.maxAttempts ?? 10_000, ttlSeconds: ttl(budgets) },
  )
  if (refusal !== undefined) throw refuse(quote, refusal)
  return { reservation: { id, currency: quote.currency, key }, budgets: standings }
}

export declare namespace reserve {
  type Options = {
    budgets: readonly Policy.Budget[]
    quote: Quote.Quote
    /** The current time in milliseconds. */
    now?: number | undefined
    /** Reservation id (default a random UUID). */
    id?: string | undefined
    prefix?: string | undefined
    maxAttempts?: number | undefined
  }
  type ReturnType = { reservation: Reservation | undefined; budgets: Policy.Standing[] }
}

/**
 * Where the budgets of a currency stand for an origin, without reserving anything.
 *
 * @example
 * ```ts
 * import type { Store } from '@paywire/core'
 * import { Budget, Policy } from '@paywire/client'
 * declare const store: Store.Store
 * const policy = Policy.from({
 *   currencies: { usd: { maxAmount: '100' } },
 *   budgets: [{ currency: 'usd', amount: '1000', window: 'day', scope: 'origin' }],
 * })
 * const standings = await Budget.standings(store, { budgets: policy.budgets, currency: 'usd', origin: 'https://api.example.com' })
 * standings[0]?.remaining // '1000' when nothing was spent
 * ```
 */
export async function standings(
  store: Store.Store,
  options: standings.Options,
): Promise<Policy.Standing[]> {
  const now = options.now ?? Date.now()
  const budgets = options.budgets.filter((budget) => budget.currency === options.currency)
  if (budgets.length === 0) return []
  const entry = await store.get(recordKey(options.prefix ?? defaultPrefix, options.currency))
  const entries = live(read(entry?.value), now, budgets)
  const amount = options.amount === undefined ? 0n : Amount.toBigInt(options.amount)
  return budgets.map((budget) => stand(budget, entries, options.origin, now, amount))
}

export declare namespace standings {
  type Options = {
    budgets: readonly Policy.Budget[]
    currency: string
    origin: string
    /** An amount to count as if it were spent now (what a payment would leave). */
    amount?: string | undefined
    now?: number | undefined
    prefix?: string | undefined
  }
}

/**
 * Checks, without reserving anything, that every budget of the quote's currency has room
 * for it; resolves where they would stand. What a dry run uses.
 *
 * @throws {Policy.RefusedError} (rule `budget`) when a budget lacks room.
 * @example
 * ```ts
 * import type { Store } from '@paywire/core'
 * import { Budget, type Policy, type Quote } from '@paywire/client'
 * declare const store: Store.Store
 * declare const policy: Policy.from.ReturnType
 * declare const quote: Quote.Quote
 * const budgets = await Budget.check(store, { budgets: policy.budgets, quote })
 * ```
 */
export async function check(
  store: Store.Store,
  options: check.Options,
): Promise<Policy.Standing[]> {
  const { quote } = options
  const result = await standings(store, {
    ...options,
    currency: quote.currency,
    origin: quote.origin,
    amount: quote.amount,
  })
  const refusal = result.find((standing) => BigInt(standing.remaining) < 0n)
  if (refusal !== undefined) throw refuse(quote, refusal)
  return result
}

export declare namespace check {
  type Options = Omit<reserve.Options, 'id' | 'maxAttempts'>
}

/**
 * Marks a reservation as spent: a credential was made, so the amount stays counted. It is
 * added to the sum of its origin and UTC second (see {@link reserve}). Committing a
 * reservation that is not pending (already committed or released) changes nothing.
 *
 * @example
 * ```ts
 * import type { Store } from '@paywire/core'
 * import { Budget } from '@paywire/client'
 * declare const store: Store.Store
 * declare const reservation: Budget.Reservation
 * await Budget.commit(store, reservation)
 * ```
 */
export async function commit(store: Store.Store, reservation: Reservation): Promise<void> {
  await Store.update(
    store,
    reservation.key,
    (current) => {
      const entries = read(current)
      const pending = entries.find((entry) => isPending(entry, reservation.id))
      if (pending === undefined) return undefined
      return { entries: spend(entries, pending) }
    },
    { maxAttempts: 10_000 },
  )
}

/**
 * Gives a reservation back: nothing was paid, so the amount no longer counts. A committed
 * amount is never given back.
 *
 * @example
 * ```ts
 * import type { Store } from '@paywire/core'
 * import { Budget } from '@paywire/client'
 * declare const store: Store.Store
 * declare const reservation: Budget.Reservation
 * await Budget.release(store, reservation)
 * ```
 */
export async function release(store: Store.Store, reservation: Reservation): Promise<void> {
  await Store.update(
    store,
    reservation.key,
    (current) => {
      const entries = read(current)
      if (!entries.some((entry) => isPending(entry, reservation.id))) return undefined
      return { entries: entries.filter((entry) => !isPending(entry, reservation.id)) }
    },
    { maxAttempts: 10_000 },
  )
}

type Entry = z.infer<typeof entrySchema>

const entrySchema = z.object({
  id: z.string(),
  origin: z.string(),
  amount: z.string(),
  at: z.number(),
  state: z.enum(['reserved', 'spent']),
})
const recordSchema = z.object({ entries: z.array(entrySchema) })

function recordKey(prefix: string, currency: string): string {
  return `${prefix}budget:${encodeURIComponent(currency)}`
}

function read(value: Store.Value | undefined): Entry[] {
  if (value === undefined || value === null) return []
  const result = recordSchema.safeParse(value)
  // A record the client cannot read must not be mistaken for an empty budget.
  if (!result.success) throw new CorruptBudgetError('budget record in the store is not readable')
  return result.data.entries
}

/** Entries still inside the longest window of the budgets (the rest can be dropped). */
function live(entries: Entry[], now: number, budgets: readonly Policy.Budget[]): Entry[] {
  const longest = Math.max(...budgets.map((budget) => Policy.windows[budget.window]))
  return entries.filter((entry) => now - entry.at < longest)
}

/** Width of the buckets committed amounts are summed in, in milliseconds. */
const bucketWidth = 1_000

function isPending(entry: Entry, id: string): boolean {
  return entry.state === 'reserved' && entry.id === id
}

/**
 * The record with `pending` spent: added to the sum of its origin and UTC second, dated by
 * the latest payment it holds (so no amount leaves a window earlier than its own), or made
 * that sum when there is none yet. A zero amount counts for nothing and is dropped.
 */
function spend(entries: Entry[], pending: Entry): Entry[] {
  const rest = entries.filter((entry) => entry !== pending)
  const amount = Amount.toBigInt(pending.amount)
  if (amount === 0n) return rest
  const slot = Math.floor(pending.at / bucketWidth)
  const index = rest.findIndex(
    (entry) =>
      entry.state === 'spent' &&
      entry.origin === pending.origin &&
      Math.floor(entry.at / bucketWidth) === slot,
  )
  const sum = rest[index]
  if (sum === undefined) return [...rest, { ...pending, state: 'spent' }]
  rest[index] = {
    ...sum,
    amount: (Amount.toBigInt(sum.amount) + amount).toString(),
    at: Math.max(sum.at, pending.at),
  }
  return rest
}

function stand(
  budget: Policy.Budget,
  entries: Entry[],
  origin: string,
  now: number,
  amount: bigint,
): Policy.Standing {
  const window = Policy.windows[budget.window]
  let spent = amount
  for (const entry of entries)
    if (now - entry.at < window && (budget.scope === 'total' || entry.origin === origin))
      spent += Amount.toBigInt(entry.amount)
  return {
    budget,
    spent: spent.toString(),
    remaining: (Amount.toBigInt(budget.amount) - spent).toString(),
  }
}

/** The refusal of a quote by a budget, stating what was left before the quote was counted. */
function refuse(quote: Quote.Quote, standing: Policy.Standing): Policy.RefusedError {
  const amount = Amount.toBigInt(quote.amount)
  const before = {
    budget: standing.budget,
    spent: (BigInt(standing.spent) - amount).toString(),
    remaining: (BigInt(standing.remaining) + amount).toString(),
  }
  const { budget } = standing
  return new Policy.RefusedError(
    'budget',
    `${quote.amount} ${excerpt(quote.currency)} asked, ${before.remaining} left of ${budget.amount} in the ${budget.scope} budget over the last ${budget.window}`,
    { quote, budget: before },
  )
}

function ttl(budgets: readonly Policy.Budget[]): number {
  return Math.max(...budgets.map((budget) => Policy.windows[budget.window])) / 1000 + 60
}

/**
 * Raised when the budget record in the store cannot be read: the client fails closed.
 *
 * @example
 * ```ts
 * import type { Store } from '@paywire/core'
 * import { Budget, type Quote } from '@paywire/client'
 * declare const store: Store.Store
 * declare const quote: Quote.Quote
 * await Budget.check(store, { budgets: [], quote }).catch((error) => {
 *   if (error instanceof Budget.CorruptBudgetError) console.log(error.code) // 'ERR_BUDGET_CORRUPT'
 * })
 * ```
 */
export class CorruptBudgetError extends Errors.BaseError {
  override readonly name = 'Budget.CorruptBudgetError'
  readonly code = 'ERR_BUDGET_CORRUPT'
  readonly problem = undefined
}
