// The server's accounting of one session payment channel (draft-tempo-session
// §"Server-Side Accounting", §"Voucher Verification", §"Insufficient Balance During
// Streaming", §"Settlement Procedure"): a pure reducer, no I/O, no clock, no transport.
//
// How a server uses it: read the state from its store, `reduce` it with one event, write
// the returned state back (compare-and-swap), and only then act on the decision (serve the
// `allowed` units, settle, close). Persisting first is what makes "no service before the
// voucher that pays for it is persisted" hold across crashes.
//
// Vouchers reach the reducer already verified: the caller has recovered the EIP-712 signer,
// checked the low-s rule, the expected signer (from the chain) and the channel id. The
// reducer decides only what depends on the channel's accounting: monotonicity, the minimum
// delta, the deposit cap, the pending close.
import { z } from 'zod'
import * as Amount from './Amount.js'
import { BaseError } from './Errors.js'

/** The lifecycle states of a channel as the server sees it. */
export const statuses = ['none', 'open', 'starved', 'close-requested', 'closed'] as const

/** A channel's lifecycle state. */
export type Status = (typeof statuses)[number]

/** A hex string (`0x`-prefixed). */
export type Hex = `0x${string}`

/** A voucher the server holds: a cumulative amount and the signature that authorizes it. */
export type Voucher = { cumulativeAmount: bigint; signature: Hex }

/**
 * The accounting of one channel. Amounts are base units. Invariants:
 * `settled <= deposit`, `spent <= acceptedCumulative <= deposit`; `acceptedCumulative`,
 * `spent`, `settled`, `deposit` and `units` never decrease.
 */
export type State = {
  status: Status
  /** Lower-case channel id. */
  channelId: Hex
  /** Latest verified on-chain deposit. */
  deposit: bigint
  /** Cumulative amount settled on chain. */
  settled: bigint
  /** Highest voucher amount accepted. */
  acceptedCumulative: bigint
  /** Amount charged for delivered service. */
  spent: bigint
  /** Units of service delivered. */
  units: bigint
  /** Smallest increase a new voucher must bring (the challenge's `minVoucherDelta`). */
  minVoucherDelta: bigint
  /** On-chain close request time (Unix seconds), 0 when none. */
  closeRequestedAt: bigint
  /** Set while starved: the cumulative amount the next voucher must reach. */
  requiredCumulative: bigint | undefined
  /** The highest accepted voucher. */
  highest: Voucher | undefined
  /** The highest accepted voucher that does not exceed `spent`: safe to capture. */
  earned: Voucher | undefined
  /** Once closed by the payer's close credential: the on-chain `close` to submit. */
  closing: Voucher | undefined
  /** Whether the chain has finalized the channel. */
  finalized: boolean
}

/** An event that moves a channel. Vouchers in events are verified by the caller. */
export type Event =
  | {
      type: 'open'
      /** On-chain deposit and settled amount read after the open transaction. */
      deposit: bigint
      settled?: bigint | undefined
      closeRequestedAt?: bigint | undefined
      minVoucherDelta?: bigint | undefined
      voucher: Voucher
    }
  | { type: 'voucher'; voucher: Voucher }
  | { type: 'charge'; units: bigint; price: bigint }
  | { type: 'topUp'; deposit: bigint }
  | { type: 'settle'; cumulativeAmount: bigint }
  | { type: 'closeRequested'; requestedAt: bigint }
  | { type: 'close'; voucher: Voucher }
  | { type: 'finalized'; settled: bigint }

/** What the caller does once the new state is persisted. */
export type Decision =
  | { type: 'voucher'; acceptedCumulative: bigint; idempotent: boolean }
  | { type: 'charge'; allowed: bigint; cost: bigint; requiredCumulative: bigint | undefined }
  | { type: 'topUp'; deposit: bigint }
  | { type: 'settled'; settled: bigint }
  | { type: 'closeRequested'; closeRequestedAt: bigint }
  | { type: 'close'; capture: bigint; close: Voucher }
  | { type: 'finalized'; settled: bigint }

/**
 * The state of a channel the server has not seen open.
 *
 * @example
 * ```ts
 * import { SessionChannel } from '@paywire/core'
 * const state = SessionChannel.initial(`0x${'ab'.repeat(32)}`)
 * state.status // 'none'
 * ```
 */
export function initial(channelId: Hex): State {
  if (!/^0x[0-9a-fA-F]{64}$/.test(channelId))
    throw new InvalidStateError('channelId must be 0x and 64 hex digits')
  return {
    status: 'none',
    channelId: channelId.toLowerCase() as Hex,
    deposit: 0n,
    settled: 0n,
    acceptedCumulative: 0n,
    spent: 0n,
    units: 0n,
    minVoucherDelta: 0n,
    closeRequestedAt: 0n,
    requiredCumulative: undefined,
    highest: undefined,
    earned: undefined,
    closing: undefined,
    finalized: false,
  }
}

/**
 * Applies one event. Returns the next state, to persist before acting, and the decision.
 * Refusals throw and leave the state as it was.
 *
 * @throws {ChannelNotOpenError} an event other than `open` before the channel is open.
 * @throws {ChannelFinalizedError} any event but `finalized` once the channel is closed.
 * @throws {ClosePendingError} vouchers, charges and opens while a forced close is pending.
 * @throws {VoucherNotIncreasingError} a voucher below the highest accepted one.
 * @throws {DeltaTooSmallError} a voucher that increases by less than `minVoucherDelta`.
 * @throws {AmountExceedsDepositError} a voucher above the deposit.
 * @throws {CloseBelowSpentError} a close voucher below what was spent or settled.
 * @throws {InconsistentEventError} an event that contradicts the state (a shrinking deposit...).
 * @example
 * ```ts
 * import { SessionChannel } from '@paywire/core'
 * let state = SessionChannel.initial(`0x${'ab'.repeat(32)}`)
 * ;({ state } = SessionChannel.reduce(state, {
 *   type: 'open', deposit: 1000n, voucher: { cumulativeAmount: 100n, signature: '0x...' },
 * }))
 * const { state: next, decision } = SessionChannel.reduce(state, { type: 'charge', units: 3n, price: 25n })
 * // persist `next`, then serve decision.allowed (3n) units
 * ```
 */
export function reduce(state: State, event: Event): reduce.ReturnType {
  assertAmounts(event)
  if (state.status === 'closed' && event.type !== 'finalized')
    throw new ChannelFinalizedError(`channel ${state.channelId} is closed`)
  if (state.status === 'none' && event.type !== 'open')
    throw new ChannelNotOpenError(`channel ${state.channelId} is not open`)
  switch (event.type) {
    case 'open':
      return open(state, event)
    case 'voucher':
      return voucher(state, event.voucher)
    case 'charge':
      return charge(state, event.units, event.price)
    case 'topUp':
      return topUp(state, event.deposit)
    case 'settle':
      return settle(state, event.cumulativeAmount)
    case 'closeRequested':
      return closeRequested(state, event.requestedAt)
    case 'close':
      return close(state, event.voucher)
    case 'finalized':
      return finalized(state, event.settled)
  }
}

export declare namespace reduce {
  type ReturnType = { state: State; decision: Decision }
  type ErrorType =
    | ChannelNotOpenError
    | ChannelFinalizedError
    | ClosePendingError
    | VoucherNotIncreasingError
    | DeltaTooSmallError
    | AmountExceedsDepositError
    | CloseBelowSpentError
    | InconsistentEventError
}

/**
 * The authorized balance not yet spent: `acceptedCumulative - spent`.
 *
 * @example
 * ```ts
 * import { SessionChannel } from '@paywire/core'
 * declare const state: SessionChannel.State
 * SessionChannel.available(state) // e.g. 75n
 * ```
 */
export function available(state: State): bigint {
  return state.acceptedCumulative - state.spent
}

/**
 * The voucher to `settle` on chain now, if settling would capture anything: the highest
 * accepted voucher that does not exceed what was spent. Never one above `spent`.
 *
 * @example
 * ```ts
 * import { SessionChannel } from '@paywire/core'
 * declare const state: SessionChannel.State
 * const voucher = SessionChannel.settlement(state)
 * if (voucher) {
 *   // escrow.settle(channelId, voucher.cumulativeAmount, voucher.signature), then
 *   // reduce(state, { type: 'settle', cumulativeAmount: voucher.cumulativeAmount })
 * }
 * ```
 */
export function settlement(state: State): Voucher | undefined {
  if (state.status === 'none' || state.status === 'closed') return undefined
  const { earned } = state
  return earned !== undefined && earned.cumulativeAmount > state.settled ? earned : undefined
}

/**
 * The data of the SSE `payment-need-voucher` event for a starved channel (all amounts as
 * decimal strings), or `undefined` when the channel is not starved.
 *
 * @example
 * ```ts
 * import { SessionChannel } from '@paywire/core'
 * declare const state: SessionChannel.State
 * const data = SessionChannel.needVoucher(state)
 * if (data) stream.write(`event: payment-need-voucher\ndata: ${JSON.stringify(data)}\n\n`)
 * ```
 */
export function needVoucher(state: State): needVoucher.ReturnType | undefined {
  if (state.status !== 'starved' || state.requiredCumulative === undefined) return undefined
  return {
    acceptedCumulative: state.acceptedCumulative.toString(),
    channelId: state.channelId,
    deposit: state.deposit.toString(),
    requiredCumulative: state.requiredCumulative.toString(),
  }
}

export declare namespace needVoucher {
  type ReturnType = {
    acceptedCumulative: string
    channelId: Hex
    deposit: string
    requiredCumulative: string
  }
}

const hex = (length: string) => z.string().regex(new RegExp(`^0x[0-9a-fA-F]${length}$`))
const voucherSchema = z.strictObject({
  cumulativeAmount: Amount.schema,
  signature: hex('*'),
})

/**
 * The persisted form of a {@link State}: JSON with amounts as decimal strings.
 *
 * @example
 * ```ts
 * import { SessionChannel } from '@paywire/core'
 * SessionChannel.stateSchema.safeParse({ version: 1 }).success // false
 * ```
 */
export const stateSchema = z.strictObject({
  version: z.literal(1),
  status: z.enum(statuses),
  channelId: hex('{64}'),
  deposit: Amount.schema,
  settled: Amount.schema,
  acceptedCumulative: Amount.schema,
  spent: Amount.schema,
  units: Amount.schema,
  minVoucherDelta: Amount.schema,
  closeRequestedAt: Amount.schema,
  requiredCumulative: Amount.schema.optional(),
  highest: voucherSchema.optional(),
  earned: voucherSchema.optional(),
  closing: voucherSchema.optional(),
  finalized: z.boolean(),
})

/** A persisted channel state. */
export type Serialized = z.infer<typeof stateSchema>

/**
 * Writes a state as JSON-ready data (for a `Store`).
 *
 * @example
 * ```ts
 * import { SessionChannel } from '@paywire/core'
 * const data = SessionChannel.serialize(SessionChannel.initial(`0x${'ab'.repeat(32)}`))
 * data.deposit // '0'
 * ```
 */
export function serialize(state: State): Serialized {
  const voucherOf = (voucher: Voucher) => ({
    cumulativeAmount: voucher.cumulativeAmount.toString(),
    signature: voucher.signature,
  })
  const serialized: Serialized = {
    version: 1,
    status: state.status,
    channelId: state.channelId,
    deposit: state.deposit.toString(),
    settled: state.settled.toString(),
    acceptedCumulative: state.acceptedCumulative.toString(),
    spent: state.spent.toString(),
    units: state.units.toString(),
    minVoucherDelta: state.minVoucherDelta.toString(),
    closeRequestedAt: state.closeRequestedAt.toString(),
    finalized: state.finalized,
  }
  if (state.requiredCumulative !== undefined)
    serialized.requiredCumulative = state.requiredCumulative.toString()
  if (state.highest) serialized.highest = voucherOf(state.highest)
  if (state.earned) serialized.earned = voucherOf(state.earned)
  if (state.closing) serialized.closing = voucherOf(state.closing)
  return serialized
}

/**
 * Reads a persisted state, refusing data that fails the schema or the invariants.
 *
 * @throws {InvalidStateError}
 * @example
 * ```ts
 * import { SessionChannel } from '@paywire/core'
 * declare const stored: unknown
 * const state = SessionChannel.deserialize(stored)
 * ```
 */
export function deserialize(value: unknown): State {
  const result = stateSchema.safeParse(value)
  if (!result.success)
    throw new InvalidStateError(
      `stored channel state is invalid: ${result.error.issues[0]?.message ?? 'unknown'}`,
    )
  const data = result.data
  const voucherOf = (voucher: z.infer<typeof voucherSchema> | undefined) =>
    voucher && {
      cumulativeAmount: BigInt(voucher.cumulativeAmount),
      signature: voucher.signature as Hex,
    }
  const state: State = {
    status: data.status,
    channelId: data.channelId as Hex,
    deposit: BigInt(data.deposit),
    settled: BigInt(data.settled),
    acceptedCumulative: BigInt(data.acceptedCumulative),
    spent: BigInt(data.spent),
    units: BigInt(data.units),
    minVoucherDelta: BigInt(data.minVoucherDelta),
    closeRequestedAt: BigInt(data.closeRequestedAt),
    requiredCumulative:
      data.requiredCumulative === undefined ? undefined : BigInt(data.requiredCumulative),
    highest: voucherOf(data.highest),
    earned: voucherOf(data.earned),
    closing: voucherOf(data.closing),
    finalized: data.finalized,
  }
  if (!(state.spent <= state.acceptedCumulative && state.acceptedCumulative <= state.deposit))
    throw new InvalidStateError('stored channel state breaks spent <= accepted <= deposit')
  if (state.settled > state.deposit)
    throw new InvalidStateError('stored channel state settles more than its deposit')
  return state
}

// ---- transitions ----

function open(state: State, event: Extract<Event, { type: 'open' }>): reduce.ReturnType {
  if ((event.closeRequestedAt ?? 0n) !== 0n || state.status === 'close-requested')
    throw new ClosePendingError(`channel ${state.channelId} has a pending close request`)
  if (state.status !== 'none') {
    // A repeated open credential: a voucher on the channel, with the deposit brought up to date.
    const synced = event.deposit > state.deposit ? { ...state, deposit: event.deposit } : state
    return voucher(synced, event.voucher)
  }
  const settled = event.settled ?? 0n
  if (settled > event.deposit)
    throw new InconsistentEventError('the chain reports more settled than deposited')
  const amount = event.voucher.cumulativeAmount
  if (amount < settled)
    throw new VoucherNotIncreasingError(
      `the opening voucher (${amount}) is below the settled amount (${settled})`,
    )
  if (amount > event.deposit)
    throw new AmountExceedsDepositError(
      `the opening voucher (${amount}) exceeds the deposit (${event.deposit})`,
    )
  const next: State = {
    ...state,
    status: 'open',
    deposit: event.deposit,
    settled,
    acceptedCumulative: amount,
    // What was settled before this server knew the channel counts as served.
    spent: settled,
    minVoucherDelta: event.minVoucherDelta ?? 0n,
    highest: event.voucher,
    earned: amount === settled ? event.voucher : undefined,
  }
  return {
    state: next,
    decision: { type: 'voucher', acceptedCumulative: amount, idempotent: false },
  }
}

function voucher(state: State, incoming: Voucher): reduce.ReturnType {
  if (state.status === 'close-requested')
    throw new ClosePendingError(`channel ${state.channelId} has a pending close request`)
  const amount = incoming.cumulativeAmount
  if (amount < state.acceptedCumulative)
    throw new VoucherNotIncreasingError(
      `voucher amount ${amount} is below the accepted cumulative amount ${state.acceptedCumulative}`,
    )
  if (amount === state.acceptedCumulative)
    return {
      state,
      decision: { type: 'voucher', acceptedCumulative: amount, idempotent: true },
    }
  if (amount - state.acceptedCumulative < state.minVoucherDelta)
    throw new DeltaTooSmallError(
      `voucher increases the accepted amount by ${amount - state.acceptedCumulative}, less than the minimum ${state.minVoucherDelta}`,
    )
  if (amount > state.deposit)
    throw new AmountExceedsDepositError(
      `voucher amount ${amount} exceeds the deposit ${state.deposit}`,
    )
  const fed = state.requiredCumulative !== undefined && amount >= state.requiredCumulative
  const next: State = {
    ...state,
    acceptedCumulative: amount,
    highest: incoming,
    ...(fed ? { status: 'open', requiredCumulative: undefined } : {}),
  }
  return {
    state: next,
    decision: { type: 'voucher', acceptedCumulative: amount, idempotent: false },
  }
}

function charge(state: State, units: bigint, price: bigint): reduce.ReturnType {
  if (state.status === 'close-requested')
    throw new ClosePendingError(`channel ${state.channelId} has a pending close request`)
  const affordable = price === 0n ? units : available(state) / price
  const allowed = units < affordable ? units : affordable
  const cost = allowed * price
  const spent = state.spent + cost
  const short = units - allowed
  const requiredCumulative = short === 0n ? undefined : spent + short * price
  const next: State = {
    ...state,
    spent,
    units: state.units + allowed,
    status: short === 0n ? 'open' : 'starved',
    requiredCumulative,
    earned: spent === state.acceptedCumulative ? state.highest : state.earned,
  }
  return { state: next, decision: { type: 'charge', allowed, cost, requiredCumulative } }
}

function topUp(state: State, deposit: bigint): reduce.ReturnType {
  if (deposit < state.deposit)
    throw new InconsistentEventError(
      `a top-up cannot lower the deposit (${state.deposit} to ${deposit})`,
    )
  // On chain, a top-up cancels a pending close request.
  const resumed: Status =
    state.status !== 'close-requested'
      ? state.status
      : state.requiredCumulative === undefined
        ? 'open'
        : 'starved'
  const next: State = { ...state, deposit, closeRequestedAt: 0n, status: resumed }
  return { state: next, decision: { type: 'topUp', deposit } }
}

function settle(state: State, cumulativeAmount: bigint): reduce.ReturnType {
  if (cumulativeAmount > state.acceptedCumulative)
    throw new InconsistentEventError(
      `settled ${cumulativeAmount} is above the highest accepted voucher ${state.acceptedCumulative}`,
    )
  const settled = larger(cumulativeAmount, state.settled)
  return { state: { ...state, settled }, decision: { type: 'settled', settled } }
}

function closeRequested(state: State, requestedAt: bigint): reduce.ReturnType {
  if (requestedAt === 0n) throw new InconsistentEventError('a close request has a time')
  const closeRequestedAt = state.closeRequestedAt === 0n ? requestedAt : state.closeRequestedAt
  const next: State = { ...state, status: 'close-requested', closeRequestedAt }
  return { state: next, decision: { type: 'closeRequested', closeRequestedAt } }
}

function close(state: State, incoming: Voucher): reduce.ReturnType {
  const capture = larger(state.spent, state.settled)
  const amount = incoming.cumulativeAmount
  if (amount < capture)
    throw new CloseBelowSpentError(
      `the close voucher (${amount}) is below the amount owed (${capture})`,
    )
  if (amount > state.deposit)
    throw new AmountExceedsDepositError(
      `the close voucher (${amount}) exceeds the deposit (${state.deposit})`,
    )
  // The on-chain close captures the amount of the voucher it is given: use one worth
  // exactly what is owed, else the best one below (never capture more than was served).
  const candidates = [incoming, state.highest, state.earned].filter(
    (voucher): voucher is Voucher => voucher !== undefined,
  )
  const exact = candidates.find((voucher) => voucher.cumulativeAmount === capture)
  const below =
    state.earned && state.earned.cumulativeAmount >= state.settled ? state.earned : undefined
  const closing: Voucher = exact ?? below ?? { cumulativeAmount: state.settled, signature: '0x' }
  const higher = amount > state.acceptedCumulative
  const next: State = {
    ...state,
    status: 'closed',
    acceptedCumulative: higher ? amount : state.acceptedCumulative,
    highest: higher ? incoming : state.highest,
    requiredCumulative: undefined,
    closing,
  }
  return {
    state: next,
    decision: { type: 'close', capture: closing.cumulativeAmount, close: closing },
  }
}

function finalized(state: State, settled: bigint): reduce.ReturnType {
  const final = larger(settled, state.settled)
  const next: State = {
    ...state,
    status: 'closed',
    settled: final,
    requiredCumulative: undefined,
    closing: undefined,
    finalized: true,
  }
  return { state: next, decision: { type: 'finalized', settled: final } }
}

/** The larger of two amounts (Math.max does not take bigints). */
function larger(a: bigint, b: bigint): bigint {
  if (a > b) return a
  return b
}

function assertAmounts(event: Event): void {
  const amounts: bigint[] = []
  if ('voucher' in event) amounts.push(event.voucher.cumulativeAmount)
  if (event.type === 'open') amounts.push(event.deposit, event.settled ?? 0n)
  if (event.type === 'charge') amounts.push(event.units, event.price)
  if (event.type === 'topUp') amounts.push(event.deposit)
  if (event.type === 'settle') amounts.push(event.cumulativeAmount)
  if (event.type === 'finalized') amounts.push(event.settled)
  for (const amount of amounts)
    if (amount < 0n || amount > Amount.max)
      throw new InconsistentEventError(`amount ${amount} is outside 0..2^256-1`)
}

// ---- errors ----

/** An event for a channel the server has not seen open. */
export class ChannelNotOpenError extends BaseError {
  override readonly name = 'SessionChannel.ChannelNotOpenError'
  readonly code = 'ERR_SESSION_CHANNEL_NOT_FOUND'
  readonly problem = 'session/channel-not-found' as const
}

/** The channel is closed: no voucher, charge or settlement applies any more. */
export class ChannelFinalizedError extends BaseError {
  override readonly name = 'SessionChannel.ChannelFinalizedError'
  readonly code = 'ERR_SESSION_CHANNEL_FINALIZED'
  readonly problem = 'session/channel-finalized' as const
}

/**
 * The payer asked the chain to close the channel: service that could not be settled is
 * refused (the draft maps no own problem type; the channel is on its way to finalized).
 */
export class ClosePendingError extends BaseError {
  override readonly name = 'SessionChannel.ClosePendingError'
  readonly code = 'ERR_SESSION_CLOSE_PENDING'
  readonly problem = 'session/channel-finalized' as const
}

/** A voucher below the highest accepted one. */
export class VoucherNotIncreasingError extends BaseError {
  override readonly name = 'SessionChannel.VoucherNotIncreasingError'
  readonly code = 'ERR_SESSION_VOUCHER_NOT_INCREASING'
  readonly problem = 'session/delta-too-small' as const
}

/** A voucher that increases the accepted amount by less than `minVoucherDelta`. */
export class DeltaTooSmallError extends BaseError {
  override readonly name = 'SessionChannel.DeltaTooSmallError'
  readonly code = 'ERR_SESSION_DELTA_TOO_SMALL'
  readonly problem = 'session/delta-too-small' as const
}

/** A voucher above the channel's deposit. */
export class AmountExceedsDepositError extends BaseError {
  override readonly name = 'SessionChannel.AmountExceedsDepositError'
  readonly code = 'ERR_SESSION_AMOUNT_EXCEEDS_DEPOSIT'
  readonly problem = 'session/amount-exceeds-deposit' as const
}

/** A close voucher that does not cover what was spent (or already settled). */
export class CloseBelowSpentError extends BaseError {
  override readonly name = 'SessionChannel.CloseBelowSpentError'
  readonly code = 'ERR_SESSION_CLOSE_BELOW_SPENT'
  readonly problem = 'session/insufficient-balance' as const
}

/**
 * The authorized balance does not cover a request. Servers raise it when a charge's
 * decision allows fewer units than asked; `requiredTopUp` is `cost - available`.
 *
 * @example
 * ```ts
 * import { SessionChannel } from '@paywire/core'
 * const error = new SessionChannel.InsufficientBalanceError('balance exhausted', { requiredTopUp: 25n })
 * error.toProblem({ requiredTopUp: error.requiredTopUp.toString() })
 * ```
 */
export class InsufficientBalanceError extends BaseError {
  override readonly name = 'SessionChannel.InsufficientBalanceError'
  readonly code = 'ERR_SESSION_INSUFFICIENT_BALANCE'
  readonly problem = 'session/insufficient-balance' as const
  /** How much more the client must authorize. */
  readonly requiredTopUp: bigint
  constructor(message: string, options: { requiredTopUp: bigint; cause?: unknown }) {
    super(message, { cause: options.cause })
    this.requiredTopUp = options.requiredTopUp
  }
}

/** An event that contradicts the channel's state (a caller bug or a chain reorganization). */
export class InconsistentEventError extends BaseError {
  override readonly name = 'SessionChannel.InconsistentEventError'
  readonly code = 'ERR_SESSION_INCONSISTENT_EVENT'
  readonly problem = undefined
}

/** A persisted state that fails the schema or the invariants. */
export class InvalidStateError extends BaseError {
  override readonly name = 'SessionChannel.InvalidStateError'
  readonly code = 'ERR_SESSION_STATE_INVALID'
  readonly problem = undefined
}
