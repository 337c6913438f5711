// Challenge-to-voucher mapping (draft-tempo-session §"Session Attribution": servers MUST
// map challenges to the vouchers they received, for dispute resolution, usage accounting
// and audit trails): one bounded record per challenge id in the Store, saying which
// channels paid under it, the vouchers accepted (count, highest amount), the units and
// amount charged, and when it was first and last seen. Events of one instance for one
// challenge are merged into one compare-and-swap write, so parallel requests do not race.
import { Amount, Errors, Store } from '@paywire/core'
import type { Hex } from 'viem'
import { z } from 'zod'

/** Prefix of the store keys of attribution records. */
export const keyPrefix = 'paywire:session:attribution:'

/** How many channels a record itemizes; activity on more is only counted (`otherChannels`). */
export const maxChannels = 4

/** Default retention of a record after its last update: 30 days. */
export const defaultTtlSeconds = 30 * 24 * 60 * 60

/** What happened under a challenge, once the channel state it describes is persisted. */
export type Event =
  | {
      type: 'voucher'
      challengeId: string
      channelId: Hex
      /** The accepted voucher's cumulative amount (an opening voucher included). */
      cumulativeAmount: bigint
      /** When it was accepted, ms since the epoch. */
      at: number
    }
  | {
      type: 'charge'
      challengeId: string
      channelId: Hex
      /** Units charged (and served). */
      units: bigint
      /** Base units charged for them. */
      amount: bigint
      at: number
    }

/** The use of one channel under a challenge. */
export type ChannelUsage = {
  channelId: Hex
  /** Vouchers accepted that raised the accepted amount (re-presentations are not counted). */
  vouchers: number
  /** The highest cumulative amount accepted under the challenge. */
  highestVoucher: bigint | undefined
  /** Units charged under the challenge. */
  units: bigint
  /** Base units charged under the challenge. */
  amount: bigint
  firstSeen: number
  lastSeen: number
}

/** What a challenge received. */
export type Record = {
  challengeId: string
  /** At most {@link maxChannels}, in order of first use. */
  channels: ChannelUsage[]
  /** Events on channels past the first {@link maxChannels} (counted, not itemized). */
  otherChannels: number
  firstSeen: number
  lastSeen: number
}

/** The attribution store: records written by `record`, read by `read`. */
export type Attribution = {
  /** Adds events to their challenge's record; resolves once it is written. */
  record(event: Event): Promise<void>
  /**
   * Records an event, then tells the `onEvent` audit hook; resolves once both are done
   * and never rejects: failures go to `onError`.
   */
  report(event: Event): Promise<void>
  /** A challenge's record, or `undefined` when it saw nothing (or expired). */
  read(challengeId: string): Promise<Record | undefined>
}

/**
 * Creates the attribution store over a store (shared by every instance).
 *
 * @example
 * ```ts
 * import { Attribution } from '@paywire/method-tempo-session'
 * import { MemoryStore } from '@paywire/store-memory'
 * const attribution = Attribution.create({ store: MemoryStore.create() })
 * await attribution.record({
 *   type: 'charge',
 *   challengeId: 'kM9xPqWvT2nJrHsY4aDfEb',
 *   channelId: `0x${'ab'.repeat(32)}`,
 *   units: 1n,
 *   amount: 25n,
 *   at: Date.now(),
 * })
 * const record = await attribution.read('kM9xPqWvT2nJrHsY4aDfEb')
 * ```
 */
export function create(parameters: create.Parameters): Attribution {
  const { store } = parameters
  const ttlSeconds = parameters.ttlSeconds ?? defaultTtlSeconds
  if (!(Number.isInteger(ttlSeconds) && ttlSeconds > 0))
    throw new RangeError('attribution.ttlSeconds must be a positive integer')
  const onError =
    parameters.onError ??
    ((error: unknown, event: Event) =>
      console.warn(
        `paywire: attributing a ${event.type} on ${event.channelId} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      ))
  const queues = new Map<string, Pending[]>()

  /** Writes the queued events of one challenge, a batch per compare-and-swap write. */
  const drain = async (challengeId: string, queue: Pending[]) => {
    while (queue.length > 0) {
      const batch = queue.splice(0)
      try {
        await Store.update(
          store,
          keyPrefix + challengeId,
          (current) =>
            serialize(
              merge(
                parse(current),
                batch.map(({ event }) => event),
              ),
            ),
          { ttlSeconds, maxAttempts: 1_000 },
        )
        for (const { resolve } of batch) resolve()
      } catch (error) {
        for (const { reject } of batch) reject(error)
      }
    }
    queues.delete(challengeId)
  }

  const attribution: Attribution = {
    async report(event) {
      try {
        await attribution.record(event)
        await parameters.onEvent?.(event)
      } catch (error) {
        onError(error, event)
      }
    },
    async record(event) {
      assertChallengeId(event.challengeId)
      return new Promise<void>((resolve, reject) => {
        const queue = queues.get(event.challengeId)
        if (queue !== undefined) return void queue.push({ event, resolve, reject })
        const started: Pending[] = [{ event, resolve, reject }]
        queues.set(event.challengeId, started)
        void drain(event.challengeId, started)
      })
    },
    async read(challengeId) {
      assertChallengeId(challengeId)
      const entry = await store.get(keyPrefix + challengeId)
      return entry === undefined ? undefined : parse(entry.value)
    },
  }
  return attribution
}

export declare namespace create {
  type Parameters = {
    /** Where records live; share it between instances (the sessions' store). */
    store: Store.Store
    /** How long a record is kept after its last update (default 30 days). */
    ttlSeconds?: number | undefined
    /** The audit hook: each event once its record is written (awaited by `report`). */
    onEvent?: ((event: Event) => void | Promise<void>) | undefined
    /** Failures of `report` (default: a warning on the console). */
    onError?: ((error: unknown, event: Event) => void) | undefined
  }
}

/**
 * Refuses a challenge id that cannot be one (challenge ids are base64url, at most 128
 * characters here), before any state changes.
 *
 * @throws {InvalidChallengeIdError}
 * @example
 * ```ts
 * import { Attribution } from '@paywire/method-tempo-session'
 * Attribution.assertChallengeId('kM9xPqWvT2nJrHsY4aDfEb')
 * ```
 */
export function assertChallengeId(challengeId: string): void {
  if (typeof challengeId !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(challengeId))
    throw new InvalidChallengeIdError('a challenge id is 1 to 128 base64url characters')
}

type Pending = { event: Event; resolve: () => void; reject: (error: unknown) => void }

const usageSchema = z.strictObject({
  channelId: z.string().regex(/^0x[0-9a-f]{64}$/),
  vouchers: z.number().int().min(0),
  highestVoucher: Amount.schema.optional(),
  units: Amount.schema,
  amount: Amount.schema,
  firstSeen: z.number(),
  lastSeen: z.number(),
})

const recordSchema = z.strictObject({
  version: z.literal(1),
  challengeId: z.string(),
  channels: z.array(usageSchema).max(maxChannels),
  otherChannels: z.number().int().min(0),
  firstSeen: z.number(),
  lastSeen: z.number(),
})

function parse(value: Store.Value | undefined): Record | undefined {
  if (value === undefined) return undefined
  const result = recordSchema.safeParse(value)
  if (!result.success)
    throw new InvalidRecordError(
      `stored attribution record is invalid: ${result.error.issues[0]?.message ?? 'unknown'}`,
    )
  const { version: _, ...data } = result.data
  return {
    ...data,
    channels: data.channels.map((usage) => ({
      ...usage,
      channelId: usage.channelId as Hex,
      highestVoucher: usage.highestVoucher === undefined ? undefined : BigInt(usage.highestVoucher),
      units: BigInt(usage.units),
      amount: BigInt(usage.amount),
    })),
  }
}

function serialize(record: Record): Store.Value {
  return {
    version: 1,
    challengeId: record.challengeId,
    channels: record.channels.map((usage) => ({
      channelId: usage.channelId,
      vouchers: usage.vouchers,
      ...(usage.highestVoucher === undefined
        ? {}
        : { highestVoucher: usage.highestVoucher.toString() }),
      units: usage.units.toString(),
      amount: usage.amount.toString(),
      firstSeen: usage.firstSeen,
      lastSeen: usage.lastSeen,
    })),
    otherChannels: record.otherChannels,
    firstSeen: record.firstSeen,
    lastSeen: record.lastSeen,
  }
}

/** Adds events to a record (pure: it may run again after a lost race). */
function merge(current: Record | undefined, events: readonly Event[]): Record {
  let record = current
  for (const event of events) {
    const channelId = event.channelId.toLowerCase() as Hex
    const base: Record = record ?? {
      challengeId: event.challengeId,
      channels: [],
      otherChannels: 0,
      firstSeen: event.at,
      lastSeen: event.at,
    }
    const seen = {
      firstSeen: Math.min(base.firstSeen, event.at),
      lastSeen: Math.max(base.lastSeen, event.at),
    }
    const index = base.channels.findIndex((usage) => usage.channelId === channelId)
    if (index === -1 && base.channels.length >= maxChannels) {
      record = { ...base, ...seen, otherChannels: base.otherChannels + 1 }
      continue
    }
    const usage: ChannelUsage = base.channels[index] ?? {
      channelId,
      vouchers: 0,
      highestVoucher: undefined,
      units: 0n,
      amount: 0n,
      firstSeen: event.at,
      lastSeen: event.at,
    }
    const next: ChannelUsage = {
      ...usage,
      firstSeen: Math.min(usage.firstSeen, event.at),
      lastSeen: Math.max(usage.lastSeen, event.at),
      ...(event.type === 'voucher'
        ? {
            vouchers: usage.vouchers + 1,
            highestVoucher:
              usage.highestVoucher !== undefined && usage.highestVoucher > event.cumulativeAmount
                ? usage.highestVoucher
                : event.cumulativeAmount,
          }
        : { units: usage.units + event.units, amount: usage.amount + event.amount }),
    }
    const channels =
      index === -1
        ? [...base.channels, next]
        : base.channels.map((entry, at) => (at === index ? next : entry))
    record = { ...base, ...seen, channels }
  }
  if (record === undefined) throw new Error('unreachable: no attribution event to merge')
  return record
}

/** A challenge id that cannot be one: not base64url, empty or longer than 128 characters. */
export class InvalidChallengeIdError extends Errors.BaseError {
  override readonly name = 'Attribution.InvalidChallengeIdError'
  readonly code = 'ERR_SESSION_CHALLENGE_ID_INVALID'
  readonly problem = undefined
}

/** A stored attribution record that fails the schema. */
export class InvalidRecordError extends Errors.BaseError {
  override readonly name = 'Attribution.InvalidRecordError'
  readonly code = 'ERR_SESSION_ATTRIBUTION_INVALID'
  readonly problem = undefined
}
