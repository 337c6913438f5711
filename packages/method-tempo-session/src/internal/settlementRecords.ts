// The store records behind scheduled settlement (Settlement.ts): the Store contract has no
// listing, so the channels not yet finalized are kept in one index record updated under
// compare-and-swap (`Store.update`), with the time each was last settled; and a settle
// transaction is sent under a per-channel lease, so two server instances sharing the store
// never send one for the same channel at once.
import { SessionChannel, Store } from '@paywire/core'
import type { Hex } from 'viem'
import { z } from 'zod'

/** A channel of the index: when it was last settled (or opened), in ms since the epoch. */
export type Entry = { channelId: Hex; settledAt: number }

/** The store key of the index of channels not yet finalized. */
export const indexKey = 'paywire:session:index'

/** The store key of a channel's settlement lease. */
export function leaseKey(channelId: Hex): string {
  return `paywire:session:settling:${channelId.toLowerCase()}`
}

const indexSchema = z.strictObject({
  version: z.literal(1),
  channels: z.record(z.string().regex(/^0x[0-9a-f]{64}$/), z.number().int().nonnegative()),
})
type Index = z.infer<typeof indexSchema>

/** Adds a channel to the index (kept as it is when already there). */
export async function track(store: Store.Store, channelId: Hex, now: number): Promise<void> {
  const id = channelId.toLowerCase()
  await Store.update(store, indexKey, (current) => {
    const index = parseIndex(current)
    if (index.channels[id] !== undefined) return undefined
    return { version: 1, channels: { ...index.channels, [id]: now } }
  })
}

/** Records a settlement time (only for a channel in the index). */
export async function settledAt(store: Store.Store, channelId: Hex, now: number): Promise<void> {
  const id = channelId.toLowerCase()
  await Store.update(store, indexKey, (current) => {
    const index = parseIndex(current)
    const previous = index.channels[id]
    if (previous === undefined || previous >= now) return undefined
    return { version: 1, channels: { ...index.channels, [id]: now } }
  })
}

/** Removes a finalized channel from the index. */
export async function untrack(store: Store.Store, channelId: Hex): Promise<void> {
  const id = channelId.toLowerCase()
  await Store.update(store, indexKey, (current) => {
    const index = parseIndex(current)
    if (index.channels[id] === undefined) return undefined
    const { [id]: _removed, ...channels } = index.channels
    return { version: 1, channels }
  })
}

/** The channels of the index. */
export async function list(store: Store.Store): Promise<Entry[]> {
  const index = parseIndex((await store.get(indexKey))?.value)
  return Object.entries(index.channels).map(([channelId, at]) => ({
    channelId: channelId as Hex,
    settledAt: at,
  }))
}

/**
 * Takes a channel's settlement lease for `cumulativeAmount`: `true` when this
 * caller holds it. A lease whose amount the chain has already settled is over (its
 * transaction was mined) and is taken over; another one stands until it expires.
 */
export async function lease(
  store: Store.Store,
  parameters: {
    channelId: Hex
    cumulativeAmount: bigint
    settledOnChain: bigint
    ttlSeconds: number
  },
): Promise<boolean> {
  const key = leaseKey(parameters.channelId)
  const current = await store.get(key)
  if (current !== undefined) {
    const held = leaseSchema.safeParse(current.value)
    if (held.success && BigInt(held.data.cumulativeAmount) > parameters.settledOnChain) return false
  }
  return store.compareAndSwap(
    key,
    current?.version ?? null,
    { cumulativeAmount: parameters.cumulativeAmount.toString() },
    { ttlSeconds: parameters.ttlSeconds },
  )
}

/** Gives a lease back (its transaction is known not to be pending). */
export async function release(
  store: Store.Store,
  channelId: Hex,
  cumulativeAmount: bigint,
): Promise<void> {
  const key = leaseKey(channelId)
  const current = await store.get(key)
  const held = leaseSchema.safeParse(current?.value)
  if (held.success && held.data.cumulativeAmount === cumulativeAmount.toString())
    await store.delete(key)
}

const leaseSchema = z.strictObject({ cumulativeAmount: z.string().regex(/^[0-9]+$/) })

function parseIndex(value: Store.Value | undefined): Index {
  if (value === undefined) return { version: 1, channels: {} }
  const parsed = indexSchema.safeParse(value)
  if (!parsed.success)
    throw new SessionChannel.InvalidStateError(
      `stored session index is invalid: ${parsed.error.issues[0]?.message ?? 'unknown'}`,
    )
  return parsed.data
}
