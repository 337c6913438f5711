// The server side of Tempo sessions, v1 escrow (draft-tempo-session §"Verification
// Procedure", §"Server-Side Accounting", §"Settlement Procedure"), independent of HTTP:
// checks an opened channel and its first voucher against the chain, accepts vouchers
// (signer from the chain, never from the payload), meters charges, settles and closes.
// Channel state lives in a Store through core's SessionLedger, so server instances that
// share the store stay consistent; each method resolves only once its state is persisted.
import {
  ConstantTime,
  Errors,
  Receipt,
  SessionChannel,
  SessionLedger,
  type Store,
} from '@paywire/core'
import { Voucher } from '@paywire/escrow'
import type { Address, Hex } from 'viem'
import * as Attribution from './Attribution.js'
import type * as ChannelSponsor from './ChannelSponsor.js'
import * as ChannelTransaction from './ChannelTransaction.js'
import * as EscrowChain from './EscrowChain.js'
import * as SettlementRecords from './internal/settlementRecords.js'
import * as Settler from './internal/settler.js'
import * as SourceCheck from './internal/source.js'
import * as SponsoredOpen from './internal/sponsoredOpen.js'
import type * as Payload from './Payload.js'
import type * as Settlement from './Settlement.js'
import * as VoucherRate from './VoucherRate.js'

/** A voucher as a credential carries it. */
export type SignedVoucher = { channelId: Hex; cumulativeAmount: bigint; signature: Hex }

/** The session server: a plain object of functions over one store and one escrow. */
export type Sessions = {
  /**
   * Opens a session: with `transaction` (the client's signed open transaction) checks it
   * and broadcasts it first; then verifies the channel on chain and its initial voucher,
   * and records the channel. With `sponsor` (the challenge offered `feePayer: true`) the
   * transaction carries the fee payer placeholder, and the sponsor co-signs it only once
   * it, its deposit against `price` and the voucher's signer are checked.
   */
  open(
    parameters: SignedVoucher & {
      price: bigint
      transaction?: Hex | undefined
      sponsor?: ChannelSponsor.ChannelSponsor | undefined
      /** The challenge the credential answers: its opening voucher is attributed to it. */
      challengeId?: string | undefined
      /** The credential's `source`: when given, it must name the channel's payer. */
      source?: string | undefined
    },
  ): Promise<SessionChannel.State>
  /**
   * The `topUp` action: checks the client's signed top-up transaction, broadcasts it, and
   * takes the new deposit (which also cancels a pending close request) into the state.
   * With `sponsor` (the challenge offered `feePayer: true`) the checked transaction is
   * co-signed by the sponsor before it is broadcast.
   */
  topUp(parameters: {
    channelId: Hex
    transaction: Hex
    additionalDeposit: bigint
    sponsor?: ChannelSponsor.ChannelSponsor | undefined
    /** The credential's `source`: when given, it must name the channel's payer. */
    source?: string | undefined
  }): Promise<SessionChannel.State>
  /**
   * Verifies and accepts a voucher; an equal one is an idempotent success. Checks run
   * cheapest first: a voucher below the accepted amount is refused from the store, the
   * accepted voucher re-presented byte for byte is answered without ECDSA work, and any
   * other is a submission, counted against the channel's `voucherRate` before its
   * signature is recovered (draft-tempo-session §"Denial of Service").
   *
   * @throws {VoucherRate.RateLimitedError} the channel submitted vouchers too fast.
   */
  voucher(
    parameters: SignedVoucher & {
      /** The challenge the credential answers: an accepted voucher is attributed to it. */
      challengeId?: string | undefined
      /** The credential's `source`: when given, it must name the channel's payer. */
      source?: string | undefined
    },
  ): Promise<SessionChannel.State>
  /**
   * Charges up to `units` units at `price` from the accepted balance; serve only `allowed`.
   * With `challengeId`, what was charged is attributed to that challenge.
   */
  charge(parameters: {
    channelId: Hex
    units: bigint
    price: bigint
    challengeId?: string | undefined
  }): Promise<{ allowed: bigint; state: SessionChannel.State }>
  /**
   * Settles on chain what was served and not yet settled (the highest accepted voucher not
   * above `spent`); `undefined` when nothing is worth settling.
   *
   * @throws {Settlement.InProgressError} another call (here or on another instance) is
   * settling the channel right now.
   */
  settle(channelId: Hex): Promise<Hex | undefined>
  /**
   * The payer's close: captures what was served, refunds the rest, on chain. A retried
   * close whose transaction was already mined (the server stopped before recording it, or
   * the answer was lost) is answered from the chain with that transaction.
   */
  close(
    parameters: SignedVoucher & {
      /** The credential's `source`: when given, it must name the channel's payer. */
      source?: string | undefined
    },
  ): Promise<{ txHash: Hex; capture: bigint; state: SessionChannel.State }>
  /**
   * Carries out a parsed credential payload (`Payload.parse`): open, topUp, voucher or
   * close. `price` is the price of one unit (the challenge's `amount`), checked on open;
   * `sponsor` pays the fees of an open's or a top-up's transaction (`feePayer: true`).
   */
  act(
    payload: Payload.Payload,
    options: {
      price: bigint
      sponsor?: ChannelSponsor.ChannelSponsor | undefined
      /** The challenge the credential answers, for attribution (never taken from `payload`). */
      challengeId?: string | undefined
      /** The credential's `source`: when given, it must name the channel's payer. */
      source?: string | undefined
    },
  ): Promise<{ state: SessionChannel.State; txHash?: Hex | undefined }>
  /** The current state of a channel. */
  read(channelId: Hex): Promise<SessionChannel.State>
  /**
   * What a challenge received (draft-tempo-session §"Session Attribution"): the channels
   * that paid under it, the vouchers accepted (count, highest amount), the units and
   * amount charged, first and last seen; `undefined` when it saw nothing or expired.
   * Records are written by every instance sharing the store.
   */
  attribution(challengeId: string): Promise<Attribution.Record | undefined>
  /**
   * The channels not yet finalized on chain (opened here or on any instance sharing the
   * store), with their state and when they were last settled (or opened).
   */
  channels(): Promise<{ state: SessionChannel.State; settledAt: number }[]>
  /**
   * Settles every channel due under the `settle` schedule, finishes closes recorded but
   * not sent, and drops finalized channels from the index. Call it on a timer; instances
   * sharing the store may all call it: a channel is settled by one of them at a time.
   */
  settleDue(): Promise<settleDue.ReturnType>
  /**
   * Waits until the channel's accepted amount reaches `atLeast`, the channel stops taking
   * vouchers (close requested, closed), `timeoutMs` passes or `signal` aborts; resolves the
   * state then. Vouchers accepted by this instance wake it at once; others are seen by
   * polling the store.
   */
  waitForVoucher(
    channelId: Hex,
    options: {
      atLeast: bigint
      timeoutMs: number
      pollMs?: number | undefined
      signal?: AbortSignal | undefined
    },
  ): Promise<SessionChannel.State>
}

/**
 * Creates the session server for one payee, token and escrow.
 *
 * @example
 * ```ts
 * import { EscrowChain, Sessions } from '@paywire/method-tempo-session'
 * import { MemoryStore } from '@paywire/store-memory'
 * declare const chain: EscrowChain.EscrowChain
 * const sessions = Sessions.create({
 *   store: MemoryStore.create(),
 *   chain,
 *   payee: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
 *   currency: '0x20c0000000000000000000000000000000000000',
 * })
 * ```
 */
export function create(parameters: create.Parameters): Sessions {
  const { store, chain } = parameters
  const schedule = parameters.settle ?? {}
  const now = parameters.now ?? Date.now
  const onSettleError =
    parameters.onSettleError ??
    ((error: unknown, channelId: Hex) =>
      console.warn(
        `paywire: settling ${channelId} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      ))
  const apply = (channelId: Hex, event: SessionChannel.Event) =>
    SessionLedger.apply(store, channelId, event)
  const waiters = new Map<string, Set<() => void>>()
  const notify = (channelId: Hex) => {
    for (const wake of waiters.get(channelId.toLowerCase()) ?? []) wake()
  }

  /** Brings the ledger up to date with the chain: deposit, close request, finalization. */
  const sync = async (channelId: Hex) => {
    const onChain = await readExisting(chain, channelId)
    let state = await SessionLedger.read(store, channelId)
    if (onChain.finalized) {
      if (state.status !== 'none')
        await apply(channelId, { type: 'finalized', settled: onChain.settled })
      throw new SessionChannel.ChannelFinalizedError(`channel ${channelId} is finalized on chain`)
    }
    const live = state.status !== 'none' && state.status !== 'closed'
    // A settlement this server sent but did not record (it stopped in between).
    if (live && onChain.settled > state.settled)
      state = (await apply(channelId, { type: 'settle', cumulativeAmount: onChain.settled })).state
    if (live && onChain.deposit > state.deposit)
      state = (await apply(channelId, { type: 'topUp', deposit: onChain.deposit })).state
    if (live && onChain.closeRequestedAt !== 0n && state.closeRequestedAt === 0n)
      state = (
        await apply(channelId, { type: 'closeRequested', requestedAt: onChain.closeRequestedAt })
      ).state
    return { onChain, state }
  }

  const verifySignature = (onChain: EscrowChain.Channel, voucher: SignedVoucher) =>
    Voucher.verify({
      chainId: chain.chainId,
      escrow: chain.escrow,
      channelId: voucher.channelId,
      cumulativeAmount: voucher.cumulativeAmount,
      signature: voucher.signature,
      signer: Voucher.expectedSigner(onChain),
    })

  /** Channels this instance has put in the index (forgotten past 10,000: re-adding is a no-op). */
  const tracked = new Set<string>()
  const track = async (channelId: Hex) => {
    const id = channelId.toLowerCase()
    if (tracked.has(id)) return
    await SettlementRecords.track(store, channelId, now())
    if (tracked.size >= 10_000) tracked.clear()
    tracked.add(id)
  }

  /**
   * Broadcasts the client's signed open or top-up, co-signed first by `sponsor` when given.
   * One that reverts on chain (out of gas, short of funds) fails the client's credential, a
   * 402 with a fresh challenge (draft §"Rejection and Error Responses"), not the server:
   * only its fee was spent.
   */
  const broadcastClient = async (
    transaction: Hex,
    sponsor: ChannelSponsor.ChannelSponsor | undefined,
    amount: bigint,
  ) => {
    try {
      if (sponsor === undefined) await chain.broadcast(transaction)
      else
        await sponsor.send({
          transaction,
          currency: parameters.currency,
          amount,
          broadcast: (serialized) => chain.broadcast(serialized),
        })
    } catch (error) {
      if (!(error instanceof EscrowChain.TransactionRevertedError)) throw error
      throw new ChannelTransaction.ChannelTransactionError(
        `the client's transaction reverted on chain (${error.message})`,
        { cause: error },
      )
    }
  }

  const voucherRate = VoucherRate.create({ store, limit: parameters.voucherRate, now })
  const attribution = Attribution.create({ store, ...parameters.attribution })
  // Reported, never thrown: the state an event describes is already persisted, and
  // refusing a charged request now would charge for service not delivered.
  const attribute = (event: Attribution.Event) => attribution.report(event)

  const settler = Settler.create({
    store,
    chain,
    payee: parameters.payee,
    schedule,
    now,
    onSettleError,
    apply,
    sync,
    readExisting: (channelId) => readExisting(chain, channelId),
    verifySignature,
  })

  const sessions: Sessions = {
    async open({ price, transaction, sponsor, source, ...voucher }) {
      if (voucher.challengeId !== undefined) Attribution.assertChallengeId(voucher.challengeId)
      const minDeposit = parameters.minDeposit ?? 0n
      if (transaction !== undefined) {
        const opened = ChannelTransaction.verifyOpen(transaction, {
          chainId: chain.chainId,
          escrow: chain.escrow,
          recipient: parameters.payee,
          currency: parameters.currency,
          feePayer: sponsor !== undefined,
        })
        if (opened.channelId !== voucher.channelId.toLowerCase())
          throw new ChannelMismatchError(
            `the transaction opens channel ${opened.channelId}, not ${voucher.channelId}`,
          )
        // Before anything is broadcast: the payer named, and a deposit worth a channel.
        SourceCheck.assertPayer(source, opened.payer, chain.chainId)
        assertMinDeposit(opened.deposit, minDeposit)
        // A retried open whose transaction is already mined is not broadcast again.
        const existing = await chain.getChannel(voucher.channelId)
        if (/^0x0{40}$/.test(existing.payer)) {
          if (sponsor !== undefined)
            await SponsoredOpen.assert({
              opened,
              price,
              voucher,
              chainId: chain.chainId,
              escrow: chain.escrow,
            })
          await broadcastClient(transaction, sponsor, opened.deposit)
        }
      }
      const { onChain } = await sync(voucher.channelId)
      SourceCheck.assertPayer(source, onChain.payer, chain.chainId)
      if (!sameAddress(onChain.payee, parameters.payee))
        throw new ChannelMismatchError(`channel ${voucher.channelId} pays another payee`)
      if (!sameAddress(onChain.token, parameters.currency))
        throw new ChannelMismatchError(`channel ${voucher.channelId} holds another token`)
      if (onChain.closeRequestedAt !== 0n)
        throw new SessionChannel.ClosePendingError(
          `channel ${voucher.channelId} has a pending close request`,
        )
      assertMinDeposit(onChain.deposit, minDeposit)
      const available = onChain.deposit - onChain.settled
      if (available < price)
        throw new SessionChannel.InsufficientBalanceError(
          `the channel holds ${available}, less than the price ${price}`,
          { requiredTopUp: price - available },
        )
      await verifySignature(onChain, voucher)
      // Indexed before it is recorded: a channel is never open without being in the index.
      await track(voucher.channelId)
      const { state, decision } = await apply(voucher.channelId, {
        type: 'open',
        deposit: onChain.deposit,
        settled: onChain.settled,
        minVoucherDelta: parameters.minVoucherDelta,
        voucher: { cumulativeAmount: voucher.cumulativeAmount, signature: voucher.signature },
      })
      if (voucher.challengeId !== undefined && decision.type === 'voucher' && !decision.idempotent)
        await attribute({
          type: 'voucher',
          challengeId: voucher.challengeId,
          channelId: state.channelId,
          cumulativeAmount: decision.acceptedCumulative,
          at: now(),
        })
      return state
    },

    async topUp({ channelId, transaction, additionalDeposit, sponsor, source }) {
      const known = await SessionLedger.read(store, channelId)
      if (known.status === 'none')
        throw new SessionChannel.ChannelNotOpenError(`channel ${channelId} is not open`)
      const before = await readExisting(chain, channelId)
      if (before.finalized)
        throw new SessionChannel.ChannelFinalizedError(`channel ${channelId} is finalized on chain`)
      SourceCheck.assertPayer(source, before.payer, chain.chainId)
      ChannelTransaction.verifyTopUp(transaction, {
        chainId: chain.chainId,
        escrow: chain.escrow,
        currency: parameters.currency,
        channelId,
        payer: before.payer,
        additionalDeposit,
        feePayer: sponsor !== undefined,
      })
      await broadcastClient(transaction, sponsor, additionalDeposit)
      const { onChain, state } = await sync(channelId)
      if (onChain.deposit !== before.deposit + additionalDeposit)
        throw new ChannelMismatchError(
          `the deposit went from ${before.deposit} to ${onChain.deposit}, not up by ${additionalDeposit}`,
        )
      notify(channelId)
      return state
    },

    async voucher({ challengeId, source, ...voucher }) {
      if (challengeId !== undefined) Attribution.assertChallengeId(challengeId)
      const known = await SessionLedger.read(store, voucher.channelId)
      // A channel opened on chain but never recorded (the server stopped between sending
      // the open and persisting it) is taken up by its next voucher, checked like an open.
      if (known.status === 'none') {
        const state = await sessions.open({ ...voucher, price: 0n, challengeId, source })
        notify(voucher.channelId)
        return state
      }
      // A voucher below the accepted amount is refused before any chain read or ECDSA work.
      if (voucher.cumulativeAmount < known.acceptedCumulative)
        throw new SessionChannel.VoucherNotIncreasingError(
          `voucher amount ${voucher.cumulativeAmount} is below the accepted cumulative amount ${known.acceptedCumulative}`,
        )
      // The accepted voucher re-presented byte for byte was verified when it was accepted
      // (the expected signer is fixed on chain): no ECDSA work, and not a submission.
      const repeated = representsAccepted(known, voucher)
      if (!repeated) await voucherRate.take(voucher.channelId)
      const { onChain } = await sync(voucher.channelId)
      SourceCheck.assertPayer(source, onChain.payer, chain.chainId)
      if (!repeated) await verifySignature(onChain, voucher)
      // A channel opened before the index existed joins it with its first voucher here.
      await track(voucher.channelId)
      const { state, decision } = await apply(voucher.channelId, {
        type: 'voucher',
        voucher: { cumulativeAmount: voucher.cumulativeAmount, signature: voucher.signature },
      })
      if (challengeId !== undefined && decision.type === 'voucher' && !decision.idempotent)
        await attribute({
          type: 'voucher',
          challengeId,
          channelId: state.channelId,
          cumulativeAmount: decision.acceptedCumulative,
          at: now(),
        })
      notify(voucher.channelId)
      return state
    },

    async charge({ channelId, units, price, challengeId }) {
      if (challengeId !== undefined) Attribution.assertChallengeId(challengeId)
      const { state, decision } = await apply(channelId, { type: 'charge', units, price })
      // A settlement due by amount starts in the background: the charge is persisted and
      // its units may be served now.
      settler.afterCharge(state)
      const allowed = decision.type === 'charge' ? decision.allowed : 0n
      if (challengeId !== undefined && decision.type === 'charge' && allowed > 0n)
        await attribute({
          type: 'charge',
          challengeId,
          channelId: state.channelId,
          units: allowed,
          amount: decision.cost,
          at: now(),
        })
      return { allowed, state }
    },

    settle: (channelId) => settler.settle(channelId),

    async close({ source, ...voucher }) {
      const onChain = await readExisting(chain, voucher.channelId)
      SourceCheck.assertPayer(source, onChain.payer, chain.chainId)
      if (onChain.finalized) return settler.closedBefore(voucher, onChain)
      const { state } = await sync(voucher.channelId)
      await verifySignature(onChain, voucher)
      // A close recorded but not yet sent (the server stopped in between) is sent as recorded.
      const closing =
        state.status === 'closed' && state.closing !== undefined
          ? state.closing
          : await apply(voucher.channelId, {
              type: 'close',
              voucher: { cumulativeAmount: voucher.cumulativeAmount, signature: voucher.signature },
            }).then(({ decision }) => {
              if (decision.type !== 'close') throw new Error('unreachable: not a close decision')
              return decision.close
            })
      const txHash = await settler.sendClose(voucher.channelId, closing).catch(async (error) => {
        // Another instance (or `settleDue`) sent the same close first: answer with its receipt.
        if (!(error instanceof EscrowChain.TransactionRevertedError)) throw error
        const after = await chain.getChannel(voucher.channelId)
        if (!after.finalized) throw error
        return (await settler.closedBefore(voucher, after)).txHash
      })
      return {
        txHash,
        capture: closing.cumulativeAmount,
        state: await SessionLedger.read(store, voucher.channelId),
      }
    },

    async act(payload, { price, sponsor, challengeId, source }) {
      switch (payload.action) {
        case 'open':
          return { state: await sessions.open({ ...payload, price, sponsor, challengeId, source }) }
        case 'topUp':
          return { state: await sessions.topUp({ ...payload, sponsor, source }) }
        case 'voucher':
          return { state: await sessions.voucher({ ...payload, challengeId, source }) }
        case 'close': {
          const { txHash, state } = await sessions.close({ ...payload, source })
          return { state, txHash }
        }
      }
    },

    read: (channelId) => SessionLedger.read(store, channelId),

    attribution: (challengeId) => attribution.read(challengeId),

    channels: () => settler.channels(),

    settleDue: () => settler.settleDue(),

    async waitForVoucher(channelId, { atLeast, timeoutMs, pollMs = 250, signal }) {
      const deadline = Date.now() + timeoutMs
      const key = channelId.toLowerCase()
      for (;;) {
        const state = await SessionLedger.read(store, channelId)
        const remaining = deadline - Date.now()
        if (state.acceptedCumulative >= atLeast || remaining <= 0 || signal?.aborted) return state
        if (state.status === 'closed' || state.status === 'close-requested') return state
        await new Promise<void>((resolve) => {
          const set = waiters.get(key) ?? new Set()
          waiters.set(key, set)
          const done = () => {
            clearTimeout(timer)
            signal?.removeEventListener('abort', done)
            set.delete(done)
            if (set.size === 0) waiters.delete(key)
            resolve()
          }
          const timer = setTimeout(done, Math.min(pollMs, remaining))
          signal?.addEventListener('abort', done, { once: true })
          set.add(done)
        })
      }
    },
  }
  return sessions
}

export declare namespace create {
  type Parameters = {
    /** Where channel states live; share it between instances. */
    store: Store.Store
    chain: EscrowChain.EscrowChain
    /** The server's address: the channels' payee (the challenge's `recipient`). */
    payee: Address
    /** The TIP-20 token channels must hold (the challenge's `currency`). */
    currency: Address
    /** Smallest voucher increase accepted (the challenge's `minVoucherDelta`). */
    minVoucherDelta?: bigint | undefined
    /**
     * Smallest deposit of a channel this server opens (base units; default none beyond the
     * price of one unit): below it a channel costs more to settle and close than it can
     * earn. An open transaction below it is refused before it is broadcast (or sponsored).
     */
    minDeposit?: bigint | undefined
    /**
     * When to settle: after a charge once `everyAmount` is served and unsettled, and on
     * `settleDue()` once the last settlement is `everyMs` old. A close always captures.
     */
    settle?: Settlement.Schedule | undefined
    /** Receives the failures of settlements started in the background by a charge (default: a warning on the console). */
    onSettleError?: ((error: unknown, channelId: Hex) => void) | undefined
    /** The clock, in ms since the epoch (default `Date.now`). */
    now?: (() => number) | undefined
    /**
     * The per-channel limit on voucher submissions, shared by every instance on the store
     * (draft-tempo-session §"Denial of Service", a MUST): default
     * {@link VoucherRate.defaultLimit}, 100 per second in bursts of 1,000. A submission is a
     * voucher whose acceptance needs signature verification (above the accepted amount, or
     * equal with other signature bytes); the accepted voucher re-presented byte for byte and
     * a voucher below it are never counted. The draft's SHOULD of 10 per second is not the
     * default because paywire's and mppx's session clients pay every request with a voucher
     * advancing by its price: 10 would cap every session at 10 paid requests per second.
     * Pass `{ perSecond: 10 }` for the draft's figure (clients then authorize ahead).
     */
    voucherRate?: VoucherRate.Limit | undefined
    /**
     * The challenge-to-voucher records (draft-tempo-session §"Session Attribution"), kept
     * per challenge id in the store for `ttlSeconds` after their last update (default 30
     * days). `onEvent` is the audit hook: it receives each voucher and charge once its
     * record is written (awaited; its failures go to `onError`). `onError` receives
     * failures to write a record (default: a warning on the console).
     */
    attribution?: Omit<Attribution.create.Parameters, 'store'> | undefined
  }
}

export declare namespace settleDue {
  type ReturnType = {
    /** Settlements sent and recorded, and the trigger that made each channel due. */
    settled: { channelId: Hex; txHash: Hex; reason: Settlement.Reason }[]
    /** Closes recorded earlier and sent now. */
    closed: { channelId: Hex; txHash: Hex }[]
    /** Channels whose settlement failed; they are tried again on the next call. */
    failed: { channelId: Hex; error: unknown }[]
  }
}

/**
 * The session receipt of a served request (draft-tempo-session §"Receipt Generation"):
 * `reference` is the channel id.
 *
 * @example
 * ```ts
 * import { Sessions } from '@paywire/method-tempo-session'
 * declare const state: import('@paywire/core').SessionChannel.State
 * const receipt = Sessions.receipt({ state, challengeId: 'kM9xPqWvT2nJrHsY4aDfEb', units: 3 })
 * ```
 */
export function receipt(parameters: receipt.Parameters): Receipt.Receipt {
  const { state, challengeId, units, txHash } = parameters
  return Receipt.from({
    method: 'tempo',
    intent: 'session',
    reference: state.channelId,
    challengeId,
    channelId: state.channelId,
    acceptedCumulative: state.acceptedCumulative.toString(),
    spent: state.spent.toString(),
    ...(units === undefined ? {} : { units }),
    ...(txHash === undefined ? {} : { txHash }),
  })
}

export declare namespace receipt {
  type Parameters = {
    state: SessionChannel.State
    challengeId: string
    /** Units consumed by this request. */
    units?: number | undefined
    /** The settlement or close transaction, when this response made one. */
    txHash?: Hex | undefined
  }
}

async function readExisting(chain: EscrowChain.EscrowChain, channelId: Hex) {
  const onChain = await chain.getChannel(channelId)
  if (/^0x0{40}$/.test(onChain.payer))
    throw new ChannelNotFoundError(`no channel ${channelId} on escrow ${chain.escrow}`)
  return onChain
}

/** Whether a voucher is the channel's accepted one, signature bytes and all. */
function representsAccepted(state: SessionChannel.State, voucher: SignedVoucher): boolean {
  const accepted = state.highest
  return (
    accepted !== undefined &&
    voucher.cumulativeAmount === accepted.cumulativeAmount &&
    ConstantTime.equalStrings(accepted.signature.toLowerCase(), voucher.signature.toLowerCase())
  )
}

/** Refuses a deposit below the server's minimum (402 insufficient-balance, with the shortfall). */
function assertMinDeposit(deposit: bigint, minDeposit: bigint): void {
  if (deposit < minDeposit)
    throw new SessionChannel.InsufficientBalanceError(
      `the channel deposits ${deposit}, less than this server's minimum of ${minDeposit}`,
      { requiredTopUp: minDeposit - deposit },
    )
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase()
}

export { SourceMismatchError } from './internal/source.js'

/** The escrow has no channel with this id. */
export class ChannelNotFoundError extends Errors.BaseError {
  override readonly name = 'Sessions.ChannelNotFoundError'
  readonly code = 'ERR_SESSION_CHANNEL_NOT_FOUND'
  readonly problem = 'session/channel-not-found' as const
}

/** The channel on chain pays another payee or holds another token than the challenge asks. */
export class ChannelMismatchError extends Errors.BaseError {
  override readonly name = 'Sessions.ChannelMismatchError'
  readonly code = 'ERR_SESSION_CHANNEL_MISMATCH'
  readonly problem = 'verification-failed' as const
}
