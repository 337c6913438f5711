// The Tempo session channels (draft-tempo-session) a home's `paywire <url>` runs opened:
// an index in the home's store (one record per channel, plus one record listing their ids,
// since the Store contract cannot list keys), joined with what each account's payer keeps
// (deposit and highest signed voucher) in the same store under its own key prefix.
import { Errors, Store } from '@paywire/core'
import { z } from 'zod'

const hex = (length: number) => z.string().regex(new RegExp(`^0x[0-9a-f]{${length}}$`))
const amount = z.string().regex(/^(0|[1-9][0-9]*)$/)

/**
 * A channel as the CLI records it when it opens one.
 *
 * @example
 * ```ts
 * import { Channels } from '@paywire/cli'
 * Channels.schema.safeParse({ channelId: '0x01' }).success // false
 * ```
 */
export const schema = z.object({
  channelId: hex(64),
  /** The resource the channel was opened on: management requests (close) go there. */
  url: z.url(),
  origin: z.string(),
  realm: z.string(),
  /** The keystore account that pays, and its address. */
  account: z.string(),
  payer: hex(40),
  payee: hex(40),
  currency: hex(40),
  escrow: hex(40),
  chainId: z.number().int().positive(),
  rpcUrl: z.url(),
  openedAt: z.string(),
  status: z.enum(['open', 'closed', 'gone']),
  /** Once closed (or found gone): what the close captured and refunded, as last known. */
  closed: z
    .object({
      at: z.string(),
      deposit: amount,
      signed: amount,
      captured: amount.optional(),
      refunded: amount.optional(),
      txHash: hex(64).optional(),
    })
    .optional(),
})

/** A recorded channel. */
export type Record = z.output<typeof schema>

/** A recorded channel with the payer's current amounts (base units, decimal strings). */
export type Channel = Record & { deposit: string; signed: string; remaining: string }

/**
 * The store the payer of `address` keeps its channels in: the home's store with every key
 * under `paywire:cli:payer:<address>:`, so that two accounts of one home never share a
 * channel.
 *
 * @example
 * ```ts
 * import { Channels } from '@paywire/cli'
 * declare const store: import('@paywire/core').Store.Store
 * const payerStore = Channels.payerStore(store, '0x70997970c51812dc3a010c7d01b50e0d17dc79c8')
 * ```
 */
export function payerStore(store: Store.Store, address: string): Store.Store {
  const prefix = `paywire:cli:payer:${address.toLowerCase()}:`
  return {
    claim: (key, options) => store.claim(prefix + key, options),
    get: (key) => store.get(prefix + key),
    put: (key, value, options) => store.put(prefix + key, value, options),
    compareAndSwap: (key, expected, value, options) =>
      store.compareAndSwap(prefix + key, expected, value, options),
    delete: (key) => store.delete(prefix + key),
  }
}

/**
 * Records a channel just opened (before its open is sent, so nothing deposited is lost
 * from view) and adds it to the home's index.
 *
 * @example
 * ```ts
 * import { Channels } from '@paywire/cli'
 * declare const store: import('@paywire/core').Store.Store
 * declare const record: Channels.Record
 * await Channels.add(store, record)
 * ```
 */
export async function add(store: Store.Store, record: Record): Promise<void> {
  const parsed = schema.parse(record)
  await store.put(recordKey(parsed.channelId), parsed as Store.Value)
  await Store.update(store, indexKey, (current) => {
    const ids = (current as string[] | undefined) ?? []
    return ids.includes(parsed.channelId) ? undefined : [...ids, parsed.channelId]
  })
}

/**
 * The home's channels, oldest first, with the payer's deposit and signed amount.
 *
 * @example
 * ```ts
 * import { Channels } from '@paywire/cli'
 * declare const store: import('@paywire/core').Store.Store
 * for (const channel of await Channels.list(store)) console.log(channel.channelId, channel.remaining)
 * ```
 */
export async function list(store: Store.Store): Promise<Channel[]> {
  const ids = ((await store.get(indexKey))?.value as string[] | undefined) ?? []
  const channels: Channel[] = []
  for (const channelId of ids) {
    const channel = await read(store, channelId)
    if (channel !== undefined) channels.push(channel)
  }
  return channels
}

/**
 * The one channel whose id is `query` or starts with it (`0x` optional, any case).
 *
 * @throws {UnknownChannelError} when none or more than one matches.
 * @example
 * ```ts
 * import { Channels } from '@paywire/cli'
 * declare const store: import('@paywire/core').Store.Store
 * const channel = await Channels.find(store, '0x6d0f4f')
 * ```
 */
export async function find(store: Store.Store, query: string): Promise<Channel> {
  const wanted = query.toLowerCase().replace(/^0x/, '')
  if (!/^[0-9a-f]{1,64}$/.test(wanted))
    throw new UnknownChannelError(`"${query}" is not a channel id (0x and up to 64 hex digits)`)
  const matches = (await list(store)).filter((channel) =>
    channel.channelId.slice(2).startsWith(wanted),
  )
  if (matches.length === 1) return matches[0] as Channel
  throw new UnknownChannelError(
    matches.length === 0
      ? `no channel ${query} in this home`
      : `${matches.length} channels start with ${query}: give more of the id`,
  )
}

/**
 * Marks a channel closed (the server closed it) or gone (the chain says it was closed or
 * never opened), keeping its last amounts; the payer's record of it is deleted.
 *
 * @example
 * ```ts
 * import { Channels } from '@paywire/cli'
 * declare const store: import('@paywire/core').Store.Store
 * declare const channel: Channels.Channel
 * await Channels.end(store, channel, { status: 'closed', captured: '20', refunded: '2980' })
 * ```
 */
export async function end(
  store: Store.Store,
  channel: Channel,
  outcome: end.Outcome,
): Promise<Record> {
  const { status, deposit, ...closed } = outcome
  const record = schema.parse({
    ...strip(channel),
    status,
    closed: {
      at: new Date().toISOString(),
      deposit: deposit ?? channel.deposit,
      signed: channel.signed,
      ...Object.fromEntries(Object.entries(closed).filter(([, value]) => value !== undefined)),
    },
  })
  await store.put(recordKey(channel.channelId), record as Store.Value)
  await payerStore(store, channel.payer).delete(payerKey(channel.channelId))
  return record
}

export declare namespace end {
  type Outcome = {
    status: 'closed' | 'gone'
    /** The deposit as the escrow holds it, when it differs from what the payer recorded. */
    deposit?: string | undefined
    captured?: string | undefined
    refunded?: string | undefined
    txHash?: string | undefined
  }
}

/**
 * The open channel of `payer` for this payee, token, escrow and chain, if the home has one
 * (the one `paywire <url>` pays with a voucher).
 *
 * @example
 * ```ts
 * import { Channels } from '@paywire/cli'
 * declare const store: import('@paywire/core').Store.Store
 * declare const key: Pick<Channels.Record, 'payer' | 'payee' | 'currency' | 'escrow' | 'chainId'>
 * const open = await Channels.openFor(store, key)
 * ```
 */
export async function openFor(
  store: Store.Store,
  key: Pick<Record, 'payer' | 'payee' | 'currency' | 'escrow' | 'chainId'>,
): Promise<Channel | undefined> {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()
  return (await list(store)).find(
    (channel) =>
      channel.status === 'open' &&
      same(channel.payer, key.payer) &&
      same(channel.payee, key.payee) &&
      same(channel.currency, key.currency) &&
      same(channel.escrow, key.escrow) &&
      channel.chainId === key.chainId &&
      // The payer still has it (it forgets a channel once closed).
      channel.deposit !== '0',
  )
}

const indexKey = 'paywire:cli:channels'
const recordKey = (channelId: string) => `paywire:cli:channel:${channelId.toLowerCase()}`
/** The key @paywire/method-tempo-session's payer keeps a channel under (in its own store). */
const payerKey = (channelId: string) => `paywire:session-payer:${channelId.toLowerCase()}`

const payerSchema = z.looseObject({ deposit: amount, signed: amount })

async function read(store: Store.Store, channelId: string): Promise<Channel | undefined> {
  const entry = await store.get(recordKey(channelId))
  if (entry === undefined) return undefined
  const parsed = schema.safeParse(entry.value)
  if (!parsed.success)
    throw new CorruptChannelError(`the record of channel ${channelId} is not readable`, {
      cause: parsed.error,
    })
  const record = parsed.data
  if (record.status !== 'open' || record.closed !== undefined) {
    const deposit = record.closed?.deposit ?? '0'
    const signed = record.closed?.signed ?? '0'
    return { ...record, deposit, signed, remaining: '0' }
  }
  const payer = payerSchema.safeParse(
    (await payerStore(store, record.payer).get(payerKey(channelId)))?.value,
  )
  const { deposit, signed } = payer.success ? payer.data : { deposit: '0', signed: '0' }
  return { ...record, deposit, signed, remaining: (BigInt(deposit) - BigInt(signed)).toString() }
}

function strip(channel: Channel): Record {
  const { deposit: _deposit, signed: _signed, remaining: _remaining, ...record } = channel
  return record
}

/**
 * Raised when no recorded channel (or more than one) matches the id given.
 *
 * @example
 * ```ts
 * import { Channels } from '@paywire/cli'
 * new Channels.UnknownChannelError('no channel 0x12 in this home').code // 'ERR_CLI_CHANNEL_NOT_FOUND'
 * ```
 */
export class UnknownChannelError extends Errors.BaseError {
  override readonly name = 'Channels.UnknownChannelError'
  readonly code = 'ERR_CLI_CHANNEL_NOT_FOUND'
  readonly problem = undefined
}

/**
 * Raised when a channel record in the home's store does not have the shape this CLI writes.
 *
 * @example
 * ```ts
 * import { Channels } from '@paywire/cli'
 * new Channels.CorruptChannelError('unreadable').code // 'ERR_CLI_CHANNEL_CORRUPT'
 * ```
 */
export class CorruptChannelError extends Errors.BaseError {
  override readonly name = 'Channels.CorruptChannelError'
  readonly code = 'ERR_CLI_CHANNEL_CORRUPT'
  readonly problem = undefined
}
