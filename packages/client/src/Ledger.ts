// The client's ledger: one entry per payment (a credential made and sent), with what was
// paid, to whom, for which URL, and the receipt, kept in a Store. Entries are indexed by
// UTC day so a query reads only the days it covers; the Store contract has no scans. A
// day's index is split into pages of at most 256 ids, so recording a payment rewrites one
// bounded page, not a list of every payment of the day.
import { Errors, Receipt, Store } from '@paywire/core'
import { z } from 'zod'
import * as Budget from './Budget.js'

/**
 * Outcome of a payment.
 *
 * @example
 * ```ts
 * import { Ledger } from '@paywire/client'
 * const status: Ledger.Status = 'settled'
 * ```
 */
export type Status =
  /** The credential was made and is being sent; no answer yet (or the process stopped). */
  | 'sent'
  /** The server answered 2xx with a valid receipt for the method. */
  | 'settled'
  /** The credential was sent, but no valid receipt came back (402 again, 403, an error...). */
  | 'unconfirmed'
  /**
   * The server refused the credential with a problem before settling, for a method that
   * moves money only when the server settles (set by the application that knows the
   * method, never by {@link outcome}). Not counted in {@link Ledger.totals}.
   */
  | 'refused'

/**
 * One payment.
 *
 * @example
 * ```ts
 * import { Ledger } from '@paywire/client'
 * declare const entry: Ledger.Entry
 * console.log(entry.url, entry.amount, entry.currency, entry.recipient, entry.receipt?.reference)
 * ```
 */
export type Entry = z.infer<typeof entrySchema>

/**
 * Reads and writes a client's ledger in a store.
 *
 * @example
 * ```ts
 * import { Ledger } from '@paywire/client'
 * declare const ledger: Ledger.Ledger
 * const unconfirmed = await ledger.list({ status: 'unconfirmed' })
 * ```
 */
export type Ledger = {
  /** Adds an entry. */
  record(entry: Entry): Promise<void>
  /** Records the outcome of a payment; resolves the updated entry. */
  settle(id: string, outcome: Outcome): Promise<Entry>
  /** One entry by id. */
  get(id: string): Promise<Entry | undefined>
  /** Entries matching a filter, oldest first. */
  list(filter?: Filter): Promise<Entry[]>
  /** Sums of the amounts of the matching entries but `refused` ones, per currency (base-unit strings). */
  totals(filter?: Filter): Promise<Record<string, string>>
}

/**
 * What {@link Ledger.settle} records.
 *
 * @example
 * ```ts
 * import { Ledger } from '@paywire/client'
 * const outcome: Ledger.Outcome = { status: 'unconfirmed', httpStatus: 402, note: 'server answered 402' }
 * ```
 */
export type Outcome = {
  status: Exclude<Status, 'sent'>
  httpStatus?: number | undefined
  receipt?: Receipt.Receipt | undefined
  /** Why a payment is unconfirmed, in words (never credential material). */
  note?: string | undefined
}

/**
 * A ledger query. Every member narrows the result; none means all entries.
 *
 * @example
 * ```ts
 * import { Ledger } from '@paywire/client'
 * const lastHour: Ledger.Filter = { since: Date.now() - 3_600_000, currency: 'usd' }
 * ```
 */
export type Filter = {
  /** Entries at or after this instant. */
  since?: Date | number | undefined
  /** Entries before this instant. */
  until?: Date | number | undefined
  origin?: string | undefined
  currency?: string | undefined
  method?: string | undefined
  intent?: string | undefined
  recipient?: string | undefined
  status?: Status | undefined
}

/**
 * The ledger kept in `store` under `prefix` (the client's default prefix unless told).
 *
 * @example
 * ```ts
 * import type { Store } from '@paywire/core'
 * import { Ledger } from '@paywire/client'
 * declare const store: Store.Store
 * const ledger = Ledger.from(store)
 * const today = await ledger.list({ since: Date.now() - 86_400_000 })
 * const spent = await ledger.totals({ origin: 'https://api.example.com' }) // { usd: '1500' }
 * ```
 */
export function from(store: Store.Store, options: from.Options = {}): Ledger {
  const prefix = `${options.prefix ?? Budget.defaultPrefix}ledger:`
  const entryKey = (id: string) => `${prefix}entry:${encodeURIComponent(id)}`
  const index = dayIndex(store, prefix)
  const get = async (id: string): Promise<Entry | undefined> => {
    const stored = await store.get(entryKey(id))
    return stored === undefined ? undefined : parseEntry(stored.value)
  }
  const list = async (filter: Filter = {}): Promise<Entry[]> => {
    const since = filter.since === undefined ? undefined : new Date(filter.since).getTime()
    const until = filter.until === undefined ? undefined : new Date(filter.until).getTime()
    const days = strings((await store.get(`${prefix}days`))?.value).filter(
      (day) =>
        (since === undefined || day >= utcDay(since)) &&
        (until === undefined || day <= utcDay(until)),
    )
    const entries: Entry[] = []
    for (const day of days.sort())
      for (const id of await index.read(day)) {
        const entry = await get(id)
        if (entry !== undefined && matches(entry, filter, since, until)) entries.push(entry)
      }
    return entries.sort((a, b) => a.at.localeCompare(b.at))
  }
  return {
    async record(entry) {
      const checked = parseEntry(entry)
      const day = checked.at.slice(0, 10)
      await store.put(entryKey(checked.id), toValue(checked))
      await index.add(day, checked.id)
      await Store.update(store, `${prefix}days`, (current) => append(current, day), {
        maxAttempts: 10_000,
      })
    },
    async settle(id, outcome) {
      const entry = await get(id)
      if (entry === undefined) throw new CorruptLedgerError(`ledger has no entry ${id}`)
      const settled = parseEntry({ ...entry, ...definedOnly(outcome) })
      await store.put(entryKey(id), toValue(settled))
      return settled
    },
    get,
    list,
    async totals(filter) {
      const sums: Record<string, bigint> = {}
      for (const entry of await list(filter))
        if (entry.status !== 'refused')
          sums[entry.currency] = (sums[entry.currency] ?? 0n) + BigInt(entry.amount)
      return Object.fromEntries(Object.entries(sums).map(([key, sum]) => [key, sum.toString()]))
    },
  }
}

export declare namespace from {
  type Options = {
    /** Prefix of the store keys (default `paywire:client:`). */
    prefix?: string | undefined
  }
}

/**
 * The outcome of a payment from the response to the paid request: `settled` when it is
 * 2xx with a valid `Payment-Receipt` naming the method paid, `unconfirmed` otherwise
 * (with the reason in `note`).
 *
 * @example
 * ```ts
 * import { Ledger } from '@paywire/client'
 * declare const entry: Ledger.Entry
 * declare const response: Response
 * const { status, receipt } = Ledger.outcome(entry, response)
 * ```
 */
export function outcome(entry: Pick<Entry, 'method'>, response: Response): Outcome {
  const base = { httpStatus: response.status }
  if (response.status < 200 || response.status > 299)
    return { ...base, status: 'unconfirmed', note: `server answered ${response.status}` }
  const header = response.headers.get(Receipt.headerName)
  if (header === null)
    return { ...base, status: 'unconfirmed', note: 'no Payment-Receipt on the response' }
  let receipt: Receipt.Receipt
  try {
    receipt = Receipt.deserialize(header)
  } catch (cause) {
    return { ...base, status: 'unconfirmed', note: (cause as Error).message }
  }
  if (receipt.method !== entry.method)
    return { ...base, status: 'unconfirmed', note: `receipt names method "${receipt.method}"` }
  return { ...base, status: 'settled', receipt }
}

/**
 * The schema of a ledger entry, as stored (JSON; amounts as base-unit strings).
 *
 * @example
 * ```ts
 * import { Ledger } from '@paywire/client'
 * declare const stored: unknown
 * const entry = Ledger.entrySchema.parse(stored)
 * ```
 */
export const entrySchema = z.object({
  /** Entry id (also the budget reservation id). */
  id: z.string().min(1),
  /** When the credential was made: RFC 3339 UTC with milliseconds. */
  at: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
  url: z.string(),
  origin: z.string(),
  challengeId: z.string(),
  realm: z.string(),
  method: z.string(),
  intent: z.string(),
  amount: z.string().regex(/^(?:0|[1-9][0-9]*)$/),
  currency: z.string(),
  recipient: z.string().optional(),
  description: z.string().optional(),
  status: z.enum(['sent', 'settled', 'unconfirmed', 'refused']),
  httpStatus: z.number().int().optional(),
  receipt: Receipt.schema.optional(),
  note: z.string().optional(),
  /** The Web Bot Auth identity the paid request was signed as (Signature-Agent URL, key thumbprint). */
  agent: z.object({ url: z.string(), keyid: z.string() }).optional(),
})

function parseEntry(value: unknown): Entry {
  const result = entrySchema.safeParse(value)
  if (!result.success) throw new CorruptLedgerError('ledger entry is not readable')
  return result.data
}

function matches(entry: Entry, filter: Filter, since?: number, until?: number): boolean {
  const at = Date.parse(entry.at)
  if (since !== undefined && at < since) return false
  if (until !== undefined && at >= until) return false
  for (const key of ['origin', 'currency', 'method', 'intent', 'recipient', 'status'] as const)
    if (filter[key] !== undefined && entry[key] !== filter[key]) return false
  return true
}

function strings(value: Store.Value | undefined): string[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
    throw new CorruptLedgerError('ledger index is not readable')
  return value as string[]
}

function append(current: Store.Value | undefined, item: string): Store.Value | undefined {
  const list = strings(current)
  return list.includes(item) ? undefined : [...list, item]
}

/** Ids a page of a day's index holds at most. */
const pageSize = 256

/**
 * The index of a day's entries: page 0 at `day:<day>` (where every id was kept before
 * pages existed), page n at `day:<day>:<n>`. A page is written only once the one before it
 * is full, so the pages of a day are the ones up to the first absent. `day:<day>:last`
 * remembers the newest page (a hint: a writer goes on from it past full pages).
 */
function dayIndex(store: Store.Store, prefix: string) {
  const pageKey = (day: string, page: number) =>
    page === 0 ? `${prefix}day:${day}` : `${prefix}day:${day}:${page}`
  const lastKey = (day: string) => `${prefix}day:${day}:last`
  const markLast = (day: string, page: number) =>
    Store.update(
      store,
      lastKey(day),
      (current) => (typeof current === 'number' && current >= page ? undefined : page),
      { maxAttempts: 10_000 },
    )
  return {
    async read(day: string): Promise<string[]> {
      const ids = new Set<string>()
      for (let page = 0; ; page++) {
        const stored = await store.get(pageKey(day, page))
        if (stored === undefined) return [...ids]
        for (const id of strings(stored.value)) ids.add(id)
      }
    },
    async add(day: string, id: string): Promise<void> {
      const hint = (await store.get(lastKey(day)))?.value
      let page = typeof hint === 'number' && Number.isSafeInteger(hint) && hint > 0 ? hint : 0
      for (; ; page++) {
        let full = false
        const result = await Store.update(
          store,
          pageKey(day, page),
          (current) => {
            const list = strings(current)
            full = list.length >= pageSize && !list.includes(id)
            return full ? undefined : append(current, id)
          },
          { maxAttempts: 10_000 },
        )
        if (full) continue
        if (page > 0 && strings(result)[0] === id) await markLast(day, page)
        return
      }
    },
  }
}

function utcDay(instant: number): string {
  return new Date(instant).toISOString().slice(0, 10)
}

function definedOnly<value extends object>(value: value): Partial<value> {
  return Object.fromEntries(
    Object.entries(value).filter(([, member]) => member !== undefined),
  ) as Partial<value>
}

function toValue(entry: Entry): Store.Value {
  // Entries are JSON through and through (the receipt came from JSON); drop absent members.
  return JSON.parse(JSON.stringify(entry)) as Store.Value
}

/**
 * Raised when the ledger's records in the store cannot be read.
 *
 * @example
 * ```ts
 * import { Ledger } from '@paywire/client'
 * declare const ledger: Ledger.Ledger
 * await ledger.list().catch((error) => {
 *   if (error instanceof Ledger.CorruptLedgerError) console.log(error.code) // 'ERR_LEDGER_CORRUPT'
 * })
 * ```
 */
export class CorruptLedgerError extends Errors.BaseError {
  override readonly name = 'Ledger.CorruptLedgerError'
  readonly code = 'ERR_LEDGER_CORRUPT'
  readonly problem = undefined
}
