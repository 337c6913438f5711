// Session channel accounting kept in a Store (draft-tempo-session §"Server-Side
// Accounting", §"Crash Safety", §"Concurrency Model"): each event is applied to the
// persisted channel state under compare-and-swap, so every server instance sharing the
// store sees one linear history per channel, and a decision is returned only once the
// state that justifies it is durably written.
import * as SessionChannel from './SessionChannel.js'
import * as Store from './Store.js'

/** Prefix of the store keys of channel states. */
export const keyPrefix = 'paywire:session:channel:'

/**
 * The store key of a channel's state: the prefix and the lower-case channel id.
 *
 * @example
 * ```ts
 * import { SessionLedger } from '@paywire/core'
 * SessionLedger.key(`0x${'AB'.repeat(32)}`) // 'paywire:session:channel:0xabab...'
 * ```
 */
export function key(channelId: SessionChannel.Hex): string {
  return keyPrefix + channelId.toLowerCase()
}

/**
 * Reads a channel's state (the `none` state when the store has none).
 *
 * @throws {SessionChannel.InvalidStateError} when the stored state is corrupt.
 * @example
 * ```ts
 * import { SessionLedger, type Store } from '@paywire/core'
 * declare const store: Store.Store
 * const state = await SessionLedger.read(store, `0x${'ab'.repeat(32)}`)
 * ```
 */
export async function read(
  store: Store.Store,
  channelId: SessionChannel.Hex,
): Promise<SessionChannel.State> {
  const entry = await store.get(key(channelId))
  return entry === undefined
    ? SessionChannel.initial(channelId)
    : SessionChannel.deserialize(entry.value)
}

/**
 * Applies one event to a channel atomically: reads the state, reduces it, and writes the
 * result under compare-and-swap (retrying when another instance wrote first). Resolves
 * only after the new state is written, so the caller may then act on the decision
 * (deliver the allowed units, settle, close). A refusal rejects and writes nothing.
 *
 * @throws {SessionChannel.reduce.ErrorType} the reducer's refusals.
 * @throws {Store.ConflictError} when the update keeps losing races.
 * @example
 * ```ts
 * import { SessionLedger, type Store } from '@paywire/core'
 * declare const store: Store.Store
 * const { decision } = await SessionLedger.apply(store, `0x${'ab'.repeat(32)}`, {
 *   type: 'charge',
 *   units: 1n,
 *   price: 25n,
 * })
 * if (decision.type === 'charge' && decision.allowed === 1n) {
 *   // the charge is persisted: serve the unit
 * }
 * ```
 */
export async function apply(
  store: Store.Store,
  channelId: SessionChannel.Hex,
  event: SessionChannel.Event,
  options: apply.Options = {},
): Promise<SessionChannel.reduce.ReturnType> {
  let result: SessionChannel.reduce.ReturnType | undefined
  await Store.update(
    store,
    key(channelId),
    (current) => {
      const state =
        current === undefined
          ? SessionChannel.initial(channelId)
          : SessionChannel.deserialize(current)
      result = SessionChannel.reduce(state, event)
      // An idempotent event (an equal voucher, a stale settlement) writes nothing.
      return result.state === state
        ? undefined
        : (SessionChannel.serialize(result.state) as unknown as Store.Value)
    },
    options,
  )
  if (result === undefined) throw new Error('unreachable: Store.update ran no attempt')
  return result
}

export declare namespace apply {
  type Options = Store.update.Options
}
