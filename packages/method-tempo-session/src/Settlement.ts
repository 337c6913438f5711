// When the session server settles a channel (draft-tempo-session §"Settlement Timing":
// periodically, above an accrued amount, on close): the schedule `Sessions.create` takes and
// the rule that decides whether a channel is due. The store records behind it (the index of
// channels, the settlement lease) are in internal/settlementRecords.ts.
import { Errors, SessionChannel } from '@paywire/core'

/**
 * When a channel is due for settlement. Either trigger alone is enough; with neither, every
 * channel holding a voucher worth settling is due whenever `sessions.settleDue()` runs.
 * A close always captures what was served, whatever the schedule.
 */
export type Schedule = {
  /**
   * Settle once what was served and not yet settled (`spent - settled`, base units) reaches
   * this amount. Checked after every charge, so the settlement starts at once.
   */
  everyAmount?: bigint | undefined
  /**
   * Settle a channel once its last settlement (or its open, when it has none) is at least
   * this old, in ms: its oldest unsettled voucher is then at most this old. Checked by
   * `sessions.settleDue()`, which the server calls on a timer.
   */
  everyMs?: number | undefined
  /** How long a lease on a channel's settlement lasts, in seconds (default 120). */
  leaseSeconds?: number | undefined
}

/**
 * Why a channel is due: a recorded close to finish, the payer's forced close (its grace
 * period runs: what was served must be settled before it ends), or a settlement by amount
 * or by age.
 */
export type Reason = 'close' | 'close-requested' | 'amount' | 'age' | 'any'

/**
 * Whether a channel is due, and why: a close recorded but not finalized is always due (its
 * transaction must be sent); otherwise only a channel with a voucher worth settling
 * (`SessionChannel.settlement`: never one above what was spent) is: always once its payer
 * requested a forced close (the payer may withdraw the unsettled rest when the grace
 * period ends), else by `schedule`.
 *
 * @example
 * ```ts
 * import { Settlement } from '@paywire/method-tempo-session'
 * declare const state: import('@paywire/core').SessionChannel.State
 * Settlement.due({ state, settledAt: Date.now() - 60_000, schedule: { everyMs: 30_000 }, now: Date.now() })
 * // 'age' when the channel holds a voucher worth settling
 * ```
 */
export function due(parameters: due.Parameters): Reason | undefined {
  const { state, settledAt, schedule, now } = parameters
  if (state.status === 'closed') return state.closing !== undefined ? 'close' : undefined
  if (SessionChannel.settlement(state) === undefined) return undefined
  if (state.closeRequestedAt !== 0n) return 'close-requested'
  const { everyAmount, everyMs } = schedule
  if (everyAmount === undefined && everyMs === undefined) return 'any'
  if (everyAmount !== undefined && state.spent - state.settled >= everyAmount) return 'amount'
  if (everyMs !== undefined && now - settledAt >= everyMs) return 'age'
  return undefined
}

export declare namespace due {
  type Parameters = {
    state: SessionChannel.State
    /** When the channel was last settled (or opened), ms since the epoch. */
    settledAt: number
    schedule: Schedule
    now: number
  }
}

/**
 * Another call, on this instance or on another sharing the store, is settling the channel
 * now (it holds the channel's settlement lease).
 */
export class InProgressError extends Errors.BaseError {
  override readonly name = 'Settlement.InProgressError'
  readonly code = 'ERR_SESSION_SETTLEMENT_IN_PROGRESS'
  readonly problem = undefined
}
