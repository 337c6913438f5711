// Checks of Tempo sessions (draft-tempo-session §"Per-Request Processing", §"Voucher
// Verification", §"Idempotency", §"Top-Up", §"Close", §"Receipt Generation", §"Error
// Responses"), judged from outside: the receipts' channel id, acceptedCumulative and spent,
// the problem types of refusals, and the escrow's getChannel view and transfers on chain.
// Each check opens its own channel on routes.session with the session payer.
import { type Challenge, Receipt } from '@paywire/core'
import fc from 'fast-check'
import type { Hex } from 'viem'
import {
  authorization,
  type Context,
  challenges,
  define,
  expectPaid,
  expectRefusal,
  expectResponse,
  Failure,
  NotApplicable,
} from '../Check.js'
import type { Config, Route } from '../Config.js'
import type * as Exchange from '../Exchange.js'
import type { Payment } from '../Payer.js'
import * as SessionPayer from '../SessionPayer.js'
import { assertProperty } from './binding.js'

const needs = ['route:session', 'payment:session']

/** The checks of Tempo sessions. */
export const checks = [
  define({
    id: 'server.session.open',
    title:
      'an open pays the first request and gets a session receipt naming the channel, its accepted amount and what was spent',
    level: 'MUST',
    requirements: [
      'tempo.session.open.channel-state',
      'tempo.session.request.charge-before-delivery',
      'tempo.session.request.receipt-balance',
      'tempo.session.receipt.every-success',
    ],
    needs,
    tags: ['tempo', 'session', 'receipt'],
    async run(context) {
      const session = await opened(context)
      const state = session.last
      if (state.acceptedCumulative !== session.price || state.spent !== session.price)
        throw new Failure(
          `after an open paying ${session.price}, the receipt says acceptedCumulative ${state.acceptedCumulative} and spent ${state.spent}`,
          session.evidence,
        )
      return { message: `channel ${session.channel.channelId} opened, spent ${state.spent}` }
    },
  }),
  define({
    id: 'server.session.voucher',
    title: 'a voucher raising the cumulative amount by the price pays the next request',
    level: 'MUST',
    requirements: [
      'tempo.session.voucher.monotonic',
      'tempo.session.voucher.update-highest',
      'tempo.session.request.voucher-first',
      'tempo.session.request.receipt-balance',
    ],
    needs,
    tags: ['tempo', 'session'],
    async run(context) {
      const session = await opened(context)
      const amount = session.price * 2n
      const state = await session.paid(await session.payer.voucher(session.channel, amount))
      if (state.acceptedCumulative !== amount || state.spent !== amount)
        throw new Failure(
          `a voucher for ${amount} got acceptedCumulative ${state.acceptedCumulative}, spent ${state.spent}`,
          session.evidence,
        )
      return undefined
    },
  }),
  define({
    id: 'server.session.voucher-lower',
    title:
      'a voucher below the highest accepted one is refused (delta-too-small) and changes nothing',
    level: 'MUST',
    requirements: ['tempo.session.idempotency.lower-rejected', 'tempo.session.voucher.monotonic'],
    needs,
    tags: ['tempo', 'session', 'replay'],
    async run(context) {
      const session = await opened(context)
      const high = session.price * 3n
      await session.paid(await session.payer.voucher(session.channel, high))
      const before = session.last
      const exchange = await session.send(
        await session.payer.voucher(session.channel, high - session.price),
      )
      expectRefusal(exchange, 'a lower voucher', { problems: ['session/delta-too-small'] })
      expectNoReceipt(exchange)
      await session.expectUnchanged(before)
      return undefined
    },
  }),
  define({
    id: 'server.session.voucher-equal',
    title:
      'an equal voucher is served from the balance or refused with insufficient-balance and requiredTopUp, never charged twice',
    level: 'MUST',
    requirements: [
      'tempo.session.idempotency.equal-ok',
      'tempo.session.voucher.idempotent-equal',
      'tempo.session.request.balance-check',
    ],
    needs,
    tags: ['tempo', 'session', 'replay'],
    async run(context) {
      const session = await opened(context)
      const amount = session.price * 2n
      const payment = await session.payer.voucher(session.channel, amount)
      await session.paid(payment)
      const before = session.last
      const again = await session.send(payment)
      expectResponse(again)
      if (again.response.status === 402) {
        const problem = expectRefusal(again, 'an equal voucher on a spent balance', {
          problems: ['session/insufficient-balance'],
        })
        if (String((problem as { requiredTopUp?: unknown }).requiredTopUp) !== `${session.price}`)
          throw new Failure(
            `the refusal asks requiredTopUp ${String((problem as { requiredTopUp?: unknown }).requiredTopUp)}, expected ${session.price}`,
            again,
          )
        await session.expectUnchanged(before)
        return { message: 'refused with insufficient-balance' }
      }
      expectPaid(again, 'an equal voucher')
      const state = readState(again, session.channel.channelId)
      if (state.acceptedCumulative !== amount || state.spent > amount)
        throw new Failure(
          `an equal voucher for ${amount} was served with acceptedCumulative ${state.acceptedCumulative} and spent ${state.spent}`,
          again,
        )
      return { message: 'served from the balance' }
    },
  }),
  define({
    id: 'server.session.voucher-above-deposit',
    title: 'a voucher above the deposit is refused (amount-exceeds-deposit) and changes nothing',
    level: 'MUST',
    requirements: ['tempo.session.voucher.deposit-cap', 'tempo.session.errors.problem-details'],
    needs,
    tags: ['tempo', 'session'],
    async run(context) {
      const session = await opened(context)
      const before = session.last
      const exchange = await session.send(
        await session.payer.forgeVoucher(session.channel, session.channel.deposit + 1n),
      )
      expectRefusal(exchange, 'a voucher above the deposit', {
        problems: ['session/amount-exceeds-deposit'],
      })
      expectNoReceipt(exchange)
      await session.expectUnchanged(before)
      return undefined
    },
  }),
  define({
    id: 'server.session.top-up',
    title:
      'a top-up raises the deposit on chain, and a voucher above the old deposit is then served',
    level: 'MUST',
    requirements: [
      'tempo.session.topup.transaction',
      'tempo.session.topup.channel-state',
      'tempo.session.topup.update-balance',
    ],
    needs,
    tags: ['tempo', 'session'],
    async run(context) {
      const session = await opened(context)
      const old = session.channel.deposit
      const added = session.price * 5n
      const exchange = await session.send(await session.payer.topUp(session.channel, added))
      expectPaid(exchange, 'a top-up')
      const onChain = await session.payer.onChain(session.channel)
      if (onChain.deposit !== old + added)
        throw new Failure(
          `after a top-up of ${added} on a deposit of ${old}, the escrow holds ${onChain.deposit}`,
          exchange,
        )
      await session.payer.deposited(session.channel, old + added)
      const state = await session.paid(await session.payer.voucher(session.channel, old + 1n))
      if (state.acceptedCumulative !== old + 1n)
        throw new Failure(
          `a voucher for ${old + 1n} after the top-up got acceptedCumulative ${state.acceptedCumulative}`,
          session.evidence,
        )
      return undefined
    },
  }),
  define({
    id: 'server.session.close',
    title:
      'a close for what was served, after vouchers authorizing more, settles exactly that (getChannel settled == spent, the payee paid that), then vouchers get 410 channel-finalized',
    level: 'MUST',
    requirements: [
      'tempo.session.close.capture-spent',
      'tempo.session.close.use-accounting',
      'tempo.session.errors.problem-details',
    ],
    needs,
    tags: ['tempo', 'session', 'close'],
    async run(context) {
      const session = await opened(context)
      const highest = session.price * 4n
      await session.paid(await session.payer.voucher(session.channel, session.price * 2n))
      // Authorizes more than is spent: the close must capture spent, not the voucher.
      const state = await session.paid(await session.payer.voucher(session.channel, highest))
      if (state.spent >= state.acceptedCumulative)
        throw new Failure(
          `a voucher for ${highest} after ${session.price * 2n} served was charged whole (spent ${state.spent})`,
          session.evidence,
        )
      await session.closeAndVerify()
      const late = await session.send(await session.payer.voucher(session.channel, highest))
      expectRefusal(late, 'a voucher after close', {
        problems: ['session/channel-finalized'],
        status: [410],
      })
      expectNoReceipt(late)
      return { message: `closed for ${session.last.spent}` }
    },
  }),
  define({
    id: 'server.session.sequences',
    title:
      'random voucher sequences (in order, repeated, lower, concurrent pairs) never make spent or acceptedCumulative decrease or exceed the deposit, and the close pays the payee exactly what was spent',
    level: 'MUST',
    requirements: [
      'tempo.session.voucher.monotonic',
      'tempo.session.voucher.deposit-cap',
      'tempo.session.concurrency.atomic-vouchers',
      'tempo.session.close.capture-spent',
    ],
    needs,
    tags: ['tempo', 'session', 'property'],
    async run(context) {
      const runs = Math.min(context.config.fuzzRuns, 10)
      let failure: Failure | undefined
      const property = fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 6 }), (steps) =>
        playSequence(context, steps).catch((error: unknown) => {
          if (error instanceof Failure) failure = error
          throw error
        }),
      )
      await assertProperty(
        property as unknown as fc.IAsyncProperty<[unknown]>,
        { seed: context.seed, config: { fuzzRuns: runs } },
        () => failure,
      )
      return { message: `${runs} voucher sequences held the invariants (seed ${context.seed})` }
    },
  }),
]

/** One step of a generated sequence, in multiples of the price. */
type Action =
  | { kind: 'next'; units: number }
  | { kind: 'repeat' }
  | { kind: 'lower' }
  | { kind: 'pair'; units: readonly [number, number] }

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('next' as const), units: fc.integer({ min: 1, max: 3 }) }),
  fc.constant({ kind: 'repeat' as const }),
  fc.constant({ kind: 'lower' as const }),
  fc.record({
    kind: fc.constant('pair' as const),
    units: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  }),
)

/** Plays one sequence on a fresh channel and closes it; throws Failure on a broken invariant. */
async function playSequence(context: Context, steps: readonly Action[]): Promise<void> {
  const session = await opened(context)
  let signed = session.price
  const cap = session.channel.deposit
  const observe = (exchange: Exchange.Exchange, floor: State) => {
    expectResponse(exchange)
    if (exchange.response.status >= 500)
      throw new Failure(`a voucher broke the target (${exchange.response.status})`, exchange)
    if (exchange.headers.get(Receipt.headerName) === null) return undefined
    const state = readState(exchange, session.channel.channelId)
    if (state.spent < floor.spent || state.acceptedCumulative < floor.acceptedCumulative)
      throw new Failure(
        `a receipt went back: spent ${floor.spent} → ${state.spent}, acceptedCumulative ${floor.acceptedCumulative} → ${state.acceptedCumulative} (steps ${JSON.stringify(steps)})`,
        exchange,
      )
    if (
      state.spent > cap ||
      state.acceptedCumulative > cap ||
      state.spent > state.acceptedCumulative
    )
      throw new Failure(
        `a receipt exceeds the deposit ${cap} or its own accepted amount: spent ${state.spent}, acceptedCumulative ${state.acceptedCumulative}`,
        exchange,
      )
    return state
  }
  const clamp = (units: number) => {
    const next = signed + BigInt(units) * session.price
    return next > cap ? cap : next
  }
  for (const step of steps) {
    const floor = session.last
    if (step.kind === 'pair') {
      const amounts = step.units.map((units) => clamp(units))
      const payments = await Promise.all(
        amounts.map((amount) => session.payer.voucher(session.channel, amount)),
      )
      const exchanges = await Promise.all(payments.map((payment) => session.send(payment)))
      for (const exchange of exchanges) {
        const state = observe(exchange, floor)
        if (state !== undefined && state.spent >= session.last.spent) session.last = state
      }
      for (const amount of amounts) if (amount > signed) signed = amount
      continue
    }
    const amount =
      step.kind === 'next' ? clamp(step.units) : step.kind === 'repeat' ? signed : signed - 1n
    if (amount < 0n) continue
    const exchange = await session.send(await session.payer.voucher(session.channel, amount))
    const state = observe(exchange, floor)
    if (state !== undefined) session.last = state
    if (amount > signed) signed = amount
  }
  try {
    await session.closeAndVerify()
  } catch (error) {
    if (!(error instanceof Failure)) throw error
    throw new Failure(`${error.message} (steps ${JSON.stringify(steps)})`, error.evidence)
  }
}

/** A session's accounting as a receipt reports it. */
type State = { acceptedCumulative: bigint; spent: bigint }

/** A channel opened on routes.session, with the exchanges and receipts so far. */
type Opened = {
  payer: SessionPayer.SessionPayer
  channel: SessionPayer.Channel
  price: bigint
  /** The state of the latest receipt. */
  last: State
  readonly evidence: Exchange.Exchange[]
  /** Sends a payment on a fresh challenge of routes.session. */
  send(payment: Payment): Promise<Exchange.Exchange>
  /** Sends a payment that must be served; records and returns its receipt's state. */
  paid(payment: Payment): Promise<State>
  /** Fails unless the escrow and a fresh equal voucher show the state unchanged. */
  expectUnchanged(before: State): Promise<void>
  /** Closes with a voucher for what was spent and checks the settlement on chain. */
  closeAndVerify(): Promise<void>
}

const payers = new WeakMap<Config, SessionPayer.SessionPayer>()

function payerOf(context: Context): SessionPayer.SessionPayer {
  if (context.config.session === undefined) throw new NotApplicable('no "session" payer configured')
  let payer = payers.get(context.config)
  if (payer === undefined) {
    payer = SessionPayer.from(context.config.session)
    payers.set(context.config, payer)
  }
  return payer
}

function sessionRoute(context: Context): Route {
  const path = context.config.routes.session
  if (path === undefined) throw new NotApplicable('no routes.session configured')
  const url = new URL(path, context.url)
  return { method: 'GET', path: `${url.pathname}${url.search}` }
}

async function freshChallenge(context: Context, route: Route): Promise<Challenge.Challenge> {
  const { exchange, challenges: offered } = await challenges(context, route)
  const found = offered.find((entry) => entry.method === 'tempo' && entry.intent === 'session')
  if (found === undefined)
    throw new Failure(`${route.method} ${route.path} offers no tempo/session challenge`, exchange)
  return found
}

/** Opens a channel on routes.session: the open must pay the first request. */
async function opened(context: Context): Promise<Opened> {
  const payer = payerOf(context)
  const route = sessionRoute(context)
  const challenge = await freshChallenge(context, route)
  const { channel, payment } = await payer.open(challenge)
  const evidence: Exchange.Exchange[] = []
  const send = async (paid: Payment) => {
    const exchange = await context.request(route, {
      authorization: authorization(await freshChallenge(context, route), paid),
    })
    evidence.push(exchange)
    return exchange
  }
  const first = await context.request(route, { authorization: authorization(challenge, payment) })
  evidence.push(first)
  expectPaid(first, 'an open')
  const session: Opened = {
    payer,
    channel,
    price: channel.terms.price,
    last: readState(first, channel.channelId),
    evidence,
    send,
    async paid(paid) {
      const exchange = await send(paid)
      expectPaid(exchange, `a ${String(paid.payload.action)} payment`)
      session.last = readState(exchange, channel.channelId)
      return session.last
    },
    async expectUnchanged(before) {
      const onChain = await payer.onChain(channel)
      if (onChain.settled > before.spent)
        throw new Failure(
          `the escrow settled ${onChain.settled}, more than the ${before.spent} spent`,
          evidence,
        )
      const probe = await send(await payer.voucher(channel, before.acceptedCumulative))
      expectResponse(probe)
      if (probe.headers.get(Receipt.headerName) === null) return
      const after = readState(probe, channel.channelId)
      if (after.acceptedCumulative !== before.acceptedCumulative)
        throw new Failure(
          `the refused voucher changed acceptedCumulative from ${before.acceptedCumulative} to ${after.acceptedCumulative}`,
          probe,
        )
      session.last = after
    },
    async closeAndVerify() {
      const spent = session.last.spent
      const settledBefore = (await payer.onChain(channel)).settled
      // A cooperative close is signed for what was served, which the target can capture.
      const exchange = await send(await payer.close(channel, spent))
      expectPaid(exchange, 'a close')
      const receipt = readReceipt(exchange)
      const closed = readState(exchange, channel.channelId)
      if (closed.spent !== spent)
        throw new Failure(`the close receipt says spent ${closed.spent}, not ${spent}`, exchange)
      const onChain = await payer.onChain(channel)
      if (onChain.settled !== closed.spent)
        throw new Failure(
          `the escrow settled ${onChain.settled} at close, but ${closed.spent} was spent`,
          exchange,
        )
      const txHash = receipt.txHash
      if (typeof txHash !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(txHash))
        throw new Failure('the close receipt names no txHash', exchange)
      const gain = await payer.received(
        txHash as Hex,
        channel.terms.currency,
        channel.terms.recipient,
      )
      if (gain !== closed.spent - settledBefore)
        throw new Failure(
          `the close paid the payee ${gain}, but ${closed.spent - settledBefore} of the ${closed.spent} spent was unsettled`,
          exchange,
        )
      session.last = closed
    },
  }
  if (session.last.acceptedCumulative > channel.deposit)
    throw new Failure('the open receipt exceeds the deposit', first)
  return session
}

function readReceipt(exchange: Exchange.Exchange): Receipt.Receipt {
  const value = exchange.headers.get(Receipt.headerName)
  if (value === null) throw new Failure('the served request has no Payment-Receipt', exchange)
  try {
    return Receipt.deserialize(value)
  } catch (error) {
    throw new Failure(`the receipt does not decode: ${(error as Error).message}`, exchange)
  }
}

/** The accounting of a session receipt, which must name `channelId`. */
function readState(exchange: Exchange.Exchange, channelId: Hex): State {
  const receipt = readReceipt(exchange)
  if (receipt.reference.toLowerCase() !== channelId.toLowerCase())
    throw new Failure(`the receipt's reference ${receipt.reference} is not ${channelId}`, exchange)
  const amount = (field: string) => {
    const value = receipt[field]
    if (typeof value !== 'string' || !/^[0-9]+$/.test(value))
      throw new Failure(`the session receipt has no decimal ${field}`, exchange)
    return BigInt(value)
  }
  return { acceptedCumulative: amount('acceptedCumulative'), spent: amount('spent') }
}

function expectNoReceipt(exchange: Exchange.Exchange): void {
  if (exchange.headers.get(Receipt.headerName) !== null)
    throw new Failure('the refusal carries a Payment-Receipt', exchange)
}
