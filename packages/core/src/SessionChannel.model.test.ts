// Model-based test of the channel reducer: fast-check drives random sequences of events
// (open, vouchers above, at and below the accepted amount, charges, top-ups, settlements,
// close requests, closes, finalization, and restarts through the persisted form) against
// a plain model, and checks every invariant after every step.
// Budget: 10 × FC_NUM_RUNS sequences (1,000 locally, 10,000 under CI=true, 200,000 with
// `pnpm fuzz`). Seed: FC_SEED (see vitest.setup.ts).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as SessionChannel from './SessionChannel.js'

const sequences = 10 * Number(process.env.FC_NUM_RUNS ?? (process.env.CI ? 1_000 : 100))

const channelId = `0x${'5e'.repeat(32)}` as const
const voucher = (amount: bigint): SessionChannel.Voucher => ({
  cumulativeAmount: amount,
  signature: `0x${amount.toString(16).padStart(130, '0')}`,
})

/** The model: the draft's accounting rules written as plainly as possible. */
type Model = {
  status: SessionChannel.Status
  deposit: bigint
  settled: bigint
  accepted: bigint
  spent: bigint
  minDelta: bigint
  required: bigint | undefined
  /** Every voucher amount the server accepted (it holds a signature for each). */
  vouchers: Set<bigint>
  /** Total price of the units the server was allowed to deliver. */
  served: bigint
  /** `spent` when the channel was opened (what was settled before). */
  openingSpent: bigint
}
type Real = { state: SessionChannel.State }
type Step = fc.Command<Model, Real>

/** Runs one event on the real reducer; returns the error code of a refusal. */
function step(real: Real, event: SessionChannel.Event) {
  const before = real.state
  try {
    const result = SessionChannel.reduce(before, event)
    checkInvariants(before, result.state)
    real.state = result.state
    return { decision: result.decision, code: undefined }
  } catch (error) {
    if (!(error instanceof SessionChannel.ChannelNotOpenError) && !('code' in (error as object)))
      throw error
    return { decision: undefined, code: (error as { code: string }).code }
  }
}

function checkInvariants(before: SessionChannel.State, after: SessionChannel.State): void {
  expect(after.spent <= after.acceptedCumulative).toBe(true)
  expect(after.acceptedCumulative <= after.deposit).toBe(true)
  expect(after.settled <= after.deposit).toBe(true)
  for (const field of ['acceptedCumulative', 'spent', 'settled', 'deposit', 'units'] as const)
    expect(after[field] >= before[field]).toBe(true)
  if (after.status === 'starved')
    expect((after.requiredCumulative ?? 0n) > after.acceptedCumulative).toBe(true)
  if (after.closing) {
    expect(after.closing.cumulativeAmount >= after.settled).toBe(true)
    expect(after.closing.cumulativeAmount <= larger(after.spent, after.settled)).toBe(true)
  }
}

/** Checks the real state against the model after a step. */
function compare(model: Model, real: Real): void {
  const { state } = real
  expect(state.status).toBe(model.status)
  expect(state.deposit).toBe(model.deposit)
  expect(state.settled).toBe(model.settled)
  expect(state.acceptedCumulative).toBe(model.accepted)
  expect(state.spent).toBe(model.spent)
  // Never served without payment, never charged without service.
  expect(state.spent - model.openingSpent).toBe(model.served)
  // Never captured more than was served.
  expect(state.settled <= state.spent).toBe(true)
}

class Open implements Step {
  constructor(
    readonly deposit: bigint,
    readonly amount: bigint,
    readonly minDelta: bigint,
  ) {}
  check = () => true
  run(model: Model, real: Real) {
    const expected =
      model.status === 'closed'
        ? 'ERR_SESSION_CHANNEL_FINALIZED'
        : model.status === 'close-requested'
          ? 'ERR_SESSION_CLOSE_PENDING'
          : model.status === 'none' && this.amount > this.deposit
            ? 'ERR_SESSION_AMOUNT_EXCEEDS_DEPOSIT'
            : undefined
    if (model.status !== 'none' && expected === undefined) {
      // A repeated open is a voucher, checked against the deposit brought up to date.
      const deposit = larger(this.deposit, model.deposit)
      const refusal = voucherRefusal(model, this.amount, deposit)
      const { code, decision } = step(real, {
        type: 'open',
        deposit: this.deposit,
        minVoucherDelta: this.minDelta,
        voucher: voucher(this.amount),
      })
      expect(code).toBe(refusal)
      if (refusal === undefined) {
        model.deposit = deposit
        acceptVoucher(model, this.amount, decision)
      }
      return compare(model, real)
    }
    const { code } = step(real, {
      type: 'open',
      deposit: this.deposit,
      minVoucherDelta: this.minDelta,
      voucher: voucher(this.amount),
    })
    expect(code).toBe(expected)
    if (expected === undefined) {
      Object.assign(model, {
        status: 'open',
        deposit: this.deposit,
        accepted: this.amount,
        minDelta: this.minDelta,
      })
      model.vouchers.add(this.amount)
    }
    compare(model, real)
  }
  toString = () => `open(${this.deposit}, ${this.amount}, delta ${this.minDelta})`
}

class Voucher implements Step {
  /** A voucher `offset` away from the accepted amount, the accepted amount plus the minimum delta, or the deposit. */
  constructor(
    readonly offset: bigint,
    readonly base: 'accepted' | 'delta' | 'deposit' = 'accepted',
  ) {}
  check = () => true
  run(model: Model, real: Real) {
    const reference = {
      accepted: model.accepted,
      delta: model.accepted + model.minDelta,
      deposit: model.deposit,
    }[this.base]
    const target = reference + this.offset
    const amount = target < 0n ? 0n : target
    const expected = voucherRefusal(model, amount, model.deposit)
    const { code, decision } = step(real, { type: 'voucher', voucher: voucher(amount) })
    expect(code).toBe(expected)
    if (expected === undefined) acceptVoucher(model, amount, decision)
    compare(model, real)
  }
  toString = () => `voucher(${this.base} ${this.offset >= 0n ? '+' : ''}${this.offset})`
}

class Charge implements Step {
  constructor(
    readonly units: bigint,
    readonly price: bigint,
  ) {}
  check = () => true
  run(model: Model, real: Real) {
    const expected = guard(model, [
      [model.status === 'close-requested', 'ERR_SESSION_CLOSE_PENDING'],
    ])
    const { code, decision } = step(real, { type: 'charge', units: this.units, price: this.price })
    expect(code).toBe(expected)
    if (expected === undefined) {
      // The model serves unit by unit while the accepted balance covers one more.
      let allowed = 0n
      while (allowed < this.units && model.spent + this.price <= model.accepted) {
        model.spent += this.price
        model.served += this.price
        allowed += 1n
      }
      expect(decision).toMatchObject({ type: 'charge', allowed, cost: allowed * this.price })
      if (allowed < this.units) {
        model.status = 'starved'
        model.required = model.spent + (this.units - allowed) * this.price
      } else {
        model.status = 'open'
        model.required = undefined
      }
    }
    compare(model, real)
  }
  toString = () => `charge(${this.units} × ${this.price})`
}

class TopUp implements Step {
  constructor(readonly additional: bigint) {}
  check = () => true
  run(model: Model, real: Real) {
    const expected = guard(model, [])
    const { code } = step(real, { type: 'topUp', deposit: model.deposit + this.additional })
    expect(code).toBe(expected)
    if (expected === undefined) {
      model.deposit += this.additional
      if (model.status === 'close-requested')
        model.status = model.required === undefined ? 'open' : 'starved'
    }
    compare(model, real)
  }
  toString = () => `topUp(+${this.additional})`
}

class Settle implements Step {
  check = () => true
  run(model: Model, real: Real) {
    const plan = SessionChannel.settlement(real.state)
    if (plan === undefined) return compare(model, real)
    // The plan is a voucher the server holds, above what is settled, within what was served.
    expect(model.vouchers.has(plan.cumulativeAmount)).toBe(true)
    expect(plan).toEqual(voucher(plan.cumulativeAmount))
    expect(plan.cumulativeAmount > model.settled).toBe(true)
    expect(plan.cumulativeAmount <= model.spent).toBe(true)
    const { code } = step(real, { type: 'settle', cumulativeAmount: plan.cumulativeAmount })
    expect(code).toBeUndefined()
    model.settled = plan.cumulativeAmount
    compare(model, real)
  }
  toString = () => 'settle'
}

class CloseRequested implements Step {
  check = () => true
  run(model: Model, real: Real) {
    const expected = guard(model, [])
    const { code } = step(real, { type: 'closeRequested', requestedAt: 1_700_000_000n })
    expect(code).toBe(expected)
    if (expected === undefined) model.status = 'close-requested'
    compare(model, real)
  }
  toString = () => 'closeRequested'
}

class Close implements Step {
  constructor(readonly offset: bigint) {}
  check = () => true
  run(model: Model, real: Real) {
    const owed = larger(model.spent, model.settled)
    const amount = owed + this.offset < 0n ? 0n : owed + this.offset
    const expected = guard(model, [
      [amount < owed, 'ERR_SESSION_CLOSE_BELOW_SPENT'],
      [amount > model.deposit, 'ERR_SESSION_AMOUNT_EXCEEDS_DEPOSIT'],
    ])
    const { code, decision } = step(real, { type: 'close', voucher: voucher(amount) })
    expect(code).toBe(expected)
    if (expected === undefined && decision?.type === 'close') {
      // Captures a held voucher (or the settled amount), never more than is owed.
      expect(decision.capture <= owed).toBe(true)
      expect(decision.capture >= model.settled).toBe(true)
      if (decision.capture > model.settled)
        expect(model.vouchers.has(decision.capture) || decision.capture === amount).toBe(true)
      if (amount === owed) expect(decision.capture).toBe(owed)
      model.status = 'closed'
      model.required = undefined
      if (amount > model.accepted) model.accepted = amount
      model.vouchers.add(amount)
    }
    compare(model, real)
  }
  toString = () => `close(owed ${this.offset >= 0n ? '+' : ''}${this.offset})`
}

class Finalize implements Step {
  check = (model: Readonly<Model>) => model.status !== 'none'
  run(model: Model, real: Real) {
    const { code } = step(real, { type: 'finalized', settled: model.settled })
    expect(code).toBeUndefined()
    model.status = 'closed'
    model.required = undefined
    expect(real.state.finalized).toBe(true)
    compare(model, real)
  }
  toString = () => 'finalized'
}

class Restart implements Step {
  check = () => true
  run(model: Model, real: Real) {
    const stored = JSON.parse(JSON.stringify(SessionChannel.serialize(real.state)))
    const restored = SessionChannel.deserialize(stored)
    expect(restored).toEqual(real.state)
    real.state = restored
    compare(model, real)
  }
  toString = () => 'restart'
}

function larger(a: bigint, b: bigint): bigint {
  if (a > b) return a
  return b
}

/** The draft's voucher checks, in order: pending close, monotonicity, delta, deposit cap. */
function voucherRefusal(model: Model, amount: bigint, deposit: bigint): string | undefined {
  return guard(model, [
    [model.status === 'close-requested', 'ERR_SESSION_CLOSE_PENDING'],
    [amount < model.accepted, 'ERR_SESSION_VOUCHER_NOT_INCREASING'],
    [
      amount > model.accepted && amount - model.accepted < model.minDelta,
      'ERR_SESSION_DELTA_TOO_SMALL',
    ],
    [amount > deposit, 'ERR_SESSION_AMOUNT_EXCEEDS_DEPOSIT'],
  ])
}

function acceptVoucher(
  model: Model,
  amount: bigint,
  decision: SessionChannel.Decision | undefined,
) {
  expect(decision).toEqual({
    type: 'voucher',
    acceptedCumulative: amount,
    idempotent: amount === model.accepted,
  })
  model.accepted = amount
  model.vouchers.add(amount)
  if (model.required !== undefined && amount >= model.required) {
    model.status = 'open'
    model.required = undefined
  }
}

/** The expected refusal: closed and not-open first, then the given rules in order. */
function guard(model: Model, rules: [boolean, string][]): string | undefined {
  if (model.status === 'closed') return 'ERR_SESSION_CHANNEL_FINALIZED'
  if (model.status === 'none') return 'ERR_SESSION_CHANNEL_NOT_FOUND'
  return rules.find(([applies]) => applies)?.[1]
}

const amount = (max: number) => fc.bigInt({ min: 0n, max: BigInt(max) })
/** Offsets from a reference amount, with the boundaries (equal, one below, one above) often. */
const offsets = (min: bigint, max: bigint) =>
  fc.oneof(fc.constantFrom(0n, -1n, 1n), fc.bigInt({ min, max }))
const commands = [
  fc
    .tuple(amount(2_000), amount(600), fc.constantFrom(0n, 0n, 1n, 10n, 50n))
    .map(([deposit, voucherAmount, minDelta]) => new Open(deposit, voucherAmount, minDelta)),
  offsets(-60n, 400n).map((offset) => new Voucher(offset)),
  fc
    .tuple(fc.constantFrom(-1n, 0n, 1n), fc.constantFrom('delta' as const, 'deposit' as const))
    .map(([offset, base]) => new Voucher(offset, base)),
  fc
    .tuple(amount(6), fc.constantFrom(0n, 1n, 7n, 25n, 40n))
    .map(([units, price]) => new Charge(units, price)),
  fc
    .tuple(amount(6), fc.constantFrom(1n, 7n, 25n))
    .map(([units, price]) => new Charge(units, price)),
  amount(800).map((additional) => new TopUp(additional)),
  fc.constant(new Settle()),
  fc.constant(new CloseRequested()),
  offsets(-30n, 300n).map((offset) => new Close(offset)),
  fc.constant(new Finalize()),
  fc.constant(new Restart()),
]

describe('SessionChannel (model-based)', () => {
  it('keeps spent <= accepted <= deposit, monotonic amounts, idempotent equal vouchers and capture <= served over random event sequences {tempo.session.voucher.monotonic, tempo.session.idempotency.lower-rejected, tempo.session.idempotency.equal-ok, tempo.session.close.capture-spent, tempo.session.request.charge-before-delivery, tempo.session.streaming.stop}', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 40 }), (steps) => {
        const setup = () => ({
          model: {
            status: 'none',
            deposit: 0n,
            settled: 0n,
            accepted: 0n,
            spent: 0n,
            minDelta: 0n,
            required: undefined,
            vouchers: new Set<bigint>(),
            served: 0n,
            openingSpent: 0n,
          } satisfies Model as Model,
          real: { state: SessionChannel.initial(channelId) },
        })
        fc.modelRun(setup, steps)
      }),
      { numRuns: sequences },
    )
    // 10,000 sequences take a few seconds alone; allow for a CI machine running other suites.
  }, 300_000)
})
