// The settlement half of the session server (Sessions.ts; draft-tempo-session §"Settlement
// Procedure"): settles a channel under its lease (on demand, after a charge that crosses
// `everyAmount`, or from `settleDue`), sends recorded closes, and answers a close retried
// after its transaction was mined, from the chain. Only ever the highest voucher not above
// what was served (`SessionChannel.settlement`) is settled.
import { SessionChannel, SessionLedger, type Store } from '@paywire/core'
import type { Address, Hex } from 'viem'
import * as EscrowChain from '../EscrowChain.js'
import type * as Sessions from '../Sessions.js'
import * as Settlement from '../Settlement.js'
import * as SettlementRecords from './settlementRecords.js'

/** A voucher as a credential carries it. */
type SignedVoucher = { channelId: Hex; cumulativeAmount: bigint; signature: Hex }

/** What the session server lends its settlement half. */
export type Context = {
  store: Store.Store
  chain: EscrowChain.EscrowChain
  payee: Address
  schedule: Settlement.Schedule
  now: () => number
  onSettleError: (error: unknown, channelId: Hex) => void
  apply: (channelId: Hex, event: SessionChannel.Event) => Promise<SessionChannel.reduce.ReturnType>
  /** Brings the ledger up to date with the chain (throws once the channel is finalized). */
  sync: (channelId: Hex) => Promise<{ onChain: EscrowChain.Channel; state: SessionChannel.State }>
  /** Reads a channel that must exist on chain. */
  readExisting: (channelId: Hex) => Promise<EscrowChain.Channel>
  verifySignature: (onChain: EscrowChain.Channel, voucher: SignedVoucher) => Promise<unknown>
}

/** Creates the settlement half over the server's context. */
export function create(context: Context) {
  const { store, chain, schedule, now, apply, sync } = context
  /** Channels this instance is settling now (in the background or from `settleDue`). */
  const settling = new Set<string>()

  /** Settles the channel's earned voucher under its lease, recording it and its time. */
  const settle = async (channelId: Hex): Promise<Hex | undefined> => {
    const { onChain, state } = await sync(channelId)
    const plan = SessionChannel.settlement(state)
    if (plan === undefined) return undefined
    const { cumulativeAmount } = plan
    const held = await SettlementRecords.lease(store, {
      channelId,
      cumulativeAmount,
      settledOnChain: onChain.settled,
      ttlSeconds: schedule.leaseSeconds ?? 120,
    })
    if (!held)
      throw new Settlement.InProgressError(`channel ${channelId} is being settled elsewhere`)
    // Read again under the lease: what another instance settled meanwhile is not sent twice.
    const { state: current } = await sync(channelId)
    if (current.settled >= cumulativeAmount) return undefined
    const txHash = await chain
      .settle(channelId, cumulativeAmount, plan.signature)
      .catch(async (error: unknown) => {
        // Refused by the node, or mined and reverted: nothing is pending, the lease goes
        // back at once. Otherwise (no answer) the transaction may be pending: it stands.
        if (
          error instanceof EscrowChain.TransactionRevertedError ||
          error instanceof EscrowChain.TransactionRejectedError
        )
          await SettlementRecords.release(store, channelId, cumulativeAmount)
        throw error
      })
    try {
      await apply(channelId, { type: 'settle', cumulativeAmount })
    } catch (error) {
      // The payer's close was taken meanwhile: its transaction captures what was served
      // (at least this settlement), and records the final amount once mined.
      if (error instanceof SessionChannel.ChannelFinalizedError) return txHash
      throw error
    }
    await SettlementRecords.settledAt(store, channelId, now())
    return txHash
  }

  /** Sends a recorded close and records the finalization. */
  const sendClose = async (channelId: Hex, closing: SessionChannel.Voucher) => {
    const txHash = await chain.close(channelId, closing.cumulativeAmount, closing.signature)
    await apply(channelId, { type: 'finalized', settled: closing.cumulativeAmount })
    await SettlementRecords.untrack(store, channelId)
    return txHash
  }

  /**
   * A close credential for a channel already finalized on chain: when this server's payee
   * closed it (a retried close whose transaction was mined), the receipt comes from the
   * chain; a channel the payer withdrew from is refused as finalized.
   */
  const closedBefore = async (voucher: SignedVoucher, onChain: EscrowChain.Channel) => {
    const { channelId } = voucher
    const closed = await chain.closeTransaction(channelId)
    const known = await SessionLedger.read(store, channelId)
    const record = async () => {
      if (known.status !== 'none' && !known.finalized)
        await apply(channelId, { type: 'finalized', settled: onChain.settled })
      await SettlementRecords.untrack(store, channelId)
    }
    if (closed === undefined || closed.sender.toLowerCase() !== context.payee.toLowerCase()) {
      await record()
      throw new SessionChannel.ChannelFinalizedError(`channel ${channelId} is finalized on chain`)
    }
    await context.verifySignature(onChain, voucher)
    if (voucher.cumulativeAmount < onChain.settled)
      throw new SessionChannel.CloseBelowSpentError(
        `the close voucher (${voucher.cumulativeAmount}) is below the amount captured (${onChain.settled})`,
      )
    await record()
    const state =
      known.status === 'none'
        ? closedFromChain(channelId, onChain)
        : await SessionLedger.read(store, channelId)
    return { txHash: closed.txHash, capture: onChain.settled, state }
  }

  const channels = async () => {
    const entries = await SettlementRecords.list(store)
    return Promise.all(
      entries.map(async ({ channelId, settledAt }) => ({
        state: await SessionLedger.read(store, channelId),
        settledAt,
      })),
    )
  }

  /** Settles or closes one due channel, into `result`. */
  const settleOne = async (
    state: SessionChannel.State,
    reason: Settlement.Reason,
    result: Sessions.settleDue.ReturnType,
  ) => {
    const { channelId } = state
    if (reason !== 'close') {
      const txHash = await settle(channelId)
      if (txHash !== undefined) result.settled.push({ channelId, txHash, reason })
      return
    }
    // The payer's close was recorded and its transaction not sent (or not recorded).
    const onChain = await context.readExisting(channelId)
    if (!onChain.finalized) {
      const closing = state.closing as SessionChannel.Voucher
      result.closed.push({ channelId, txHash: await sendClose(channelId, closing) })
      return
    }
    await apply(channelId, { type: 'finalized', settled: onChain.settled })
    await SettlementRecords.untrack(store, channelId)
  }

  /**
   * A channel's state with the chain's news (a forced close the payer requested, a top-up,
   * a finalization) when it holds served value not yet settled: the grace period of a forced
   * close must not pass unnoticed because the payer stopped sending requests.
   */
  const current = async (state: SessionChannel.State): Promise<SessionChannel.State> => {
    if (state.status !== 'open' || state.spent <= state.settled) return state
    try {
      return (await sync(state.channelId)).state
    } catch (error) {
      if (!(error instanceof SessionChannel.ChannelFinalizedError)) throw error
      return SessionLedger.read(store, state.channelId)
    }
  }

  const settleDue = async (): Promise<Sessions.settleDue.ReturnType> => {
    const result: Sessions.settleDue.ReturnType = { settled: [], closed: [], failed: [] }
    for (const listed of await channels()) {
      const { channelId } = listed.state
      let state: SessionChannel.State
      try {
        state = await current(listed.state)
      } catch (error) {
        result.failed.push({ channelId, error })
        continue
      }
      if (state.finalized) {
        await SettlementRecords.untrack(store, channelId)
        continue
      }
      const { settledAt } = listed
      const reason = Settlement.due({ state, settledAt, schedule, now: now() })
      if (reason === undefined || settling.has(channelId)) continue
      settling.add(channelId)
      try {
        await settleOne(state, reason, result)
      } catch (error) {
        // Another instance holds the channel's lease: it is settling it now.
        if (!(error instanceof Settlement.InProgressError)) result.failed.push({ channelId, error })
      } finally {
        settling.delete(channelId)
      }
    }
    return result
  }

  /** After a charge: starts a settlement due by amount, in the background. */
  const afterCharge = (state: SessionChannel.State) => {
    const { everyAmount } = schedule
    const { channelId } = state
    if (
      everyAmount === undefined ||
      state.spent - state.settled < everyAmount ||
      SessionChannel.settlement(state) === undefined ||
      settling.has(channelId)
    )
      return
    settling.add(channelId)
    void settle(channelId)
      .catch((error: unknown) => {
        if (!(error instanceof Settlement.InProgressError)) context.onSettleError(error, channelId)
      })
      .finally(() => settling.delete(channelId))
  }

  return { settle, sendClose, closedBefore, channels, settleDue, afterCharge }
}

/** The state of a channel the store lost, as the chain tells it once finalized. */
function closedFromChain(channelId: Hex, onChain: EscrowChain.Channel): SessionChannel.State {
  return {
    ...SessionChannel.initial(channelId),
    status: 'closed',
    deposit: onChain.deposit,
    settled: onChain.settled,
    acceptedCumulative: onChain.settled,
    spent: onChain.settled,
    finalized: true,
  }
}
