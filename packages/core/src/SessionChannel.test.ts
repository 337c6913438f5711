import { describe, expect, it } from 'vitest'
import * as SessionChannel from './SessionChannel.js'

const channelId = `0x${'AB'.repeat(32)}` as const
const signature = (amount: bigint): SessionChannel.Hex =>
  `0x${amount.toString(16).padStart(130, '0')}`
const voucher = (amount: bigint): SessionChannel.Voucher => ({
  cumulativeAmount: amount,
  signature: signature(amount),
})

function opened(
  deposit = 1_000n,
  amount = 0n,
  extra: Partial<{ minVoucherDelta: bigint; settled: bigint }> = {},
) {
  return SessionChannel.reduce(SessionChannel.initial(channelId), {
    type: 'open',
    deposit,
    voucher: voucher(amount),
    ...extra,
  }).state
}

function apply(state: SessionChannel.State, ...events: SessionChannel.Event[]) {
  let current = state
  let decision: SessionChannel.Decision | undefined
  for (const event of events) ({ state: current, decision } = SessionChannel.reduce(current, event))
  return { state: current, decision }
}

function refusal(run: () => unknown): {
  code: string
  type: string | undefined
  status: number | undefined
} {
  try {
    run()
  } catch (error) {
    const { code, type, status } = error as SessionChannel.InconsistentEventError
    return { code, type, status }
  }
  throw new Error('expected a refusal')
}

describe('SessionChannel.initial', () => {
  it('keys the channel by its lower-case id {tempo.session.accounting.lowercase-key}', () => {
    const state = SessionChannel.initial(channelId)
    expect(state.channelId).toBe(channelId.toLowerCase())
    expect(state.status).toBe('none')
  })

  it('refuses a malformed channel id', () => {
    expect(() => SessionChannel.initial('0x1234')).toThrow(SessionChannel.InvalidStateError)
  })
})

describe('open', () => {
  it('opens with the initial voucher and counts what was settled before as spent {tempo.session.accounting.state}', () => {
    const state = opened(1_000n, 300n, { settled: 200n })
    expect(state).toMatchObject({
      status: 'open',
      deposit: 1_000n,
      settled: 200n,
      acceptedCumulative: 300n,
      spent: 200n,
    })
    expect(SessionChannel.available(state)).toBe(100n)
  })

  it('refuses an opening voucher below the settled amount {tempo.session.open.initial-voucher}', () => {
    expect(refusal(() => opened(1_000n, 100n, { settled: 200n }))).toMatchObject({
      code: 'ERR_SESSION_VOUCHER_NOT_INCREASING',
    })
  })

  it('refuses a channel with a pending close request {tempo.session.open.channel-state}', () => {
    const run = () =>
      SessionChannel.reduce(SessionChannel.initial(channelId), {
        type: 'open',
        deposit: 1_000n,
        closeRequestedAt: 1_700_000_000n,
        voucher: voucher(0n),
      })
    expect(refusal(run)).toMatchObject({ code: 'ERR_SESSION_CLOSE_PENDING', status: 410 })
  })

  it('treats a repeated open as a voucher and brings the deposit up to date', () => {
    const { state, decision } = apply(opened(1_000n, 100n), {
      type: 'open',
      deposit: 2_000n,
      voucher: voucher(1_500n),
    })
    expect(state).toMatchObject({ deposit: 2_000n, acceptedCumulative: 1_500n })
    expect(decision).toEqual({ type: 'voucher', acceptedCumulative: 1_500n, idempotent: false })
  })
})

describe('voucher', () => {
  it('accepts a higher voucher {tempo.session.voucher.monotonic, tempo.session.voucher.update-highest}', () => {
    const { state, decision } = apply(opened(), { type: 'voucher', voucher: voucher(250n) })
    expect(state.acceptedCumulative).toBe(250n)
    expect(state.highest).toEqual(voucher(250n))
    expect(decision).toEqual({ type: 'voucher', acceptedCumulative: 250n, idempotent: false })
  })

  it('takes an equal voucher as an idempotent success that changes nothing {tempo.session.voucher.idempotent-equal, tempo.session.idempotency.equal-ok}', () => {
    const before = apply(opened(), { type: 'voucher', voucher: voucher(250n) }).state
    const { state, decision } = apply(before, { type: 'voucher', voucher: voucher(250n) })
    expect(state).toBe(before)
    expect(decision).toEqual({ type: 'voucher', acceptedCumulative: 250n, idempotent: true })
  })

  it('refuses a lower voucher {tempo.session.idempotency.lower-rejected, tempo.session.voucher.monotonic}', () => {
    const state = apply(opened(), { type: 'voucher', voucher: voucher(250n) }).state
    const run = () => SessionChannel.reduce(state, { type: 'voucher', voucher: voucher(249n) })
    expect(refusal(run)).toMatchObject({
      code: 'ERR_SESSION_VOUCHER_NOT_INCREASING',
      type: 'https://paymentauth.org/problems/session/delta-too-small',
      status: 402,
    })
  })

  it('refuses an increase below minVoucherDelta {tempo.session.voucher.min-delta}', () => {
    const state = opened(1_000n, 0n, { minVoucherDelta: 100n })
    const run = () => SessionChannel.reduce(state, { type: 'voucher', voucher: voucher(99n) })
    expect(refusal(run)).toMatchObject({
      code: 'ERR_SESSION_DELTA_TOO_SMALL',
      type: 'https://paymentauth.org/problems/session/delta-too-small',
    })
    expect(apply(state, { type: 'voucher', voucher: voucher(100n) }).state.acceptedCumulative).toBe(
      100n,
    )
  })

  it('refuses a voucher above the deposit {tempo.session.voucher.deposit-cap}', () => {
    const run = () =>
      SessionChannel.reduce(opened(1_000n), { type: 'voucher', voucher: voucher(1_001n) })
    expect(refusal(run)).toMatchObject({
      code: 'ERR_SESSION_AMOUNT_EXCEEDS_DEPOSIT',
      type: 'https://paymentauth.org/problems/session/amount-exceeds-deposit',
      status: 402,
    })
  })

  it('refuses vouchers while a forced close is pending {tempo.session.voucher.close-pending}', () => {
    const state = apply(opened(), { type: 'closeRequested', requestedAt: 1_700_000_000n }).state
    const run = () => SessionChannel.reduce(state, { type: 'voucher', voucher: voucher(10n) })
    expect(refusal(run)).toMatchObject({ code: 'ERR_SESSION_CLOSE_PENDING' })
  })

  it('refuses vouchers before the channel is open and after it is closed', () => {
    const none = SessionChannel.initial(channelId)
    expect(
      refusal(() => SessionChannel.reduce(none, { type: 'voucher', voucher: voucher(1n) })),
    ).toMatchObject({
      code: 'ERR_SESSION_CHANNEL_NOT_FOUND',
      type: 'https://paymentauth.org/problems/session/channel-not-found',
      status: 410,
    })
    const closed = apply(opened(), { type: 'close', voucher: voucher(0n) }).state
    expect(
      refusal(() => SessionChannel.reduce(closed, { type: 'voucher', voucher: voucher(1n) })),
    ).toMatchObject({ code: 'ERR_SESSION_CHANNEL_FINALIZED', status: 410 })
  })
})

describe('charge', () => {
  it('allows units only from the accepted, persisted balance {tempo.session.voucher.persist-before-service, tempo.session.request.charge-before-delivery}', () => {
    const state = apply(opened(), { type: 'voucher', voucher: voucher(100n) }).state
    const { state: next, decision } = apply(state, { type: 'charge', units: 3n, price: 25n })
    expect(decision).toEqual({
      type: 'charge',
      allowed: 3n,
      cost: 75n,
      requiredCumulative: undefined,
    })
    expect(next).toMatchObject({ spent: 75n, units: 3n, acceptedCumulative: 100n, status: 'open' })
  })

  it('starves when the balance runs out and says what the next voucher must reach {tempo.session.request.balance-check, tempo.session.streaming.stop}', () => {
    const state = apply(opened(), { type: 'voucher', voucher: voucher(60n) }).state
    const { state: next, decision } = apply(state, { type: 'charge', units: 4n, price: 25n })
    expect(decision).toEqual({ type: 'charge', allowed: 2n, cost: 50n, requiredCumulative: 100n })
    expect(next).toMatchObject({ status: 'starved', spent: 50n, requiredCumulative: 100n })
    const again = apply(next, { type: 'charge', units: 1n, price: 25n })
    expect(again.decision).toMatchObject({ allowed: 0n, requiredCumulative: 75n })
  })

  it('gives the payment-need-voucher data of a starved channel {tempo.session.streaming.need-voucher, tempo.session.encoding.lowercase-hex}', () => {
    const state = apply(
      opened(500n),
      { type: 'voucher', voucher: voucher(250n) },
      { type: 'charge', units: 11n, price: 25n },
    ).state
    expect(SessionChannel.needVoucher(state)).toEqual({
      acceptedCumulative: '250',
      channelId: channelId.toLowerCase(),
      deposit: '500',
      requiredCumulative: '275',
    })
    expect(SessionChannel.needVoucher(opened())).toBeUndefined()
  })

  it('stays starved until a voucher reaches the required amount {tempo.session.streaming.pause}', () => {
    const starved = apply(opened(), { type: 'charge', units: 2n, price: 25n }).state
    expect(starved).toMatchObject({ status: 'starved', requiredCumulative: 50n })
    const partial = apply(starved, { type: 'voucher', voucher: voucher(25n) }).state
    expect(partial.status).toBe('starved')
    const fed = apply(partial, { type: 'voucher', voucher: voucher(50n) }).state
    expect(fed).toMatchObject({ status: 'open', requiredCumulative: undefined })
  })

  it('builds the insufficient-balance problem with requiredTopUp', () => {
    const error = new SessionChannel.InsufficientBalanceError('25 more needed', {
      requiredTopUp: 25n,
    })
    expect(error.toProblem({ requiredTopUp: error.requiredTopUp.toString() })).toMatchObject({
      type: 'https://paymentauth.org/problems/session/insufficient-balance',
      status: 402,
      requiredTopUp: '25',
    })
  })

  it('refuses to charge while a forced close is pending', () => {
    const state = apply(opened(1_000n, 100n), {
      type: 'closeRequested',
      requestedAt: 1_700_000_000n,
    }).state
    expect(
      refusal(() => SessionChannel.reduce(state, { type: 'charge', units: 1n, price: 1n })),
    ).toMatchObject({ code: 'ERR_SESSION_CLOSE_PENDING' })
  })
})

describe('settlement', () => {
  it('settles only a voucher that does not exceed what was served {tempo.session.close.capture-spent}', () => {
    let state = apply(opened(), { type: 'voucher', voucher: voucher(100n) }).state
    state = apply(state, { type: 'charge', units: 2n, price: 25n }).state
    expect(SessionChannel.settlement(state)).toBeUndefined()
    state = apply(state, { type: 'charge', units: 2n, price: 25n }).state
    expect(SessionChannel.settlement(state)).toEqual(voucher(100n))
    state = apply(state, { type: 'settle', cumulativeAmount: 100n }).state
    expect(state.settled).toBe(100n)
    expect(SessionChannel.settlement(state)).toBeUndefined()
  })

  it('refuses a settlement above the highest accepted voucher', () => {
    expect(
      refusal(() => SessionChannel.reduce(opened(), { type: 'settle', cumulativeAmount: 1n })),
    ).toMatchObject({ code: 'ERR_SESSION_INCONSISTENT_EVENT' })
  })
})

describe('top-up and close request', () => {
  it('raises the deposit and cancels a pending close request {tempo.session.topup.update-balance}', () => {
    const closing = apply(opened(), { type: 'closeRequested', requestedAt: 1_700_000_000n }).state
    expect(closing).toMatchObject({ status: 'close-requested', closeRequestedAt: 1_700_000_000n })
    const { state, decision } = apply(closing, { type: 'topUp', deposit: 5_000n })
    expect(state).toMatchObject({ status: 'open', deposit: 5_000n, closeRequestedAt: 0n })
    expect(decision).toEqual({ type: 'topUp', deposit: 5_000n })
    expect(
      apply(state, { type: 'voucher', voucher: voucher(4_000n) }).state.acceptedCumulative,
    ).toBe(4_000n)
  })

  it('refuses a deposit that shrinks', () => {
    expect(
      refusal(() => SessionChannel.reduce(opened(1_000n), { type: 'topUp', deposit: 999n })),
    ).toMatchObject({ code: 'ERR_SESSION_INCONSISTENT_EVENT' })
  })
})

describe('close', () => {
  it('captures what was spent, not the close voucher amount {tempo.session.close.capture-spent, tempo.session.close.use-accounting}', () => {
    let state = apply(opened(), { type: 'voucher', voucher: voucher(100n) }).state
    state = apply(state, { type: 'charge', units: 4n, price: 25n }).state
    state = apply(state, { type: 'voucher', voucher: voucher(300n) }).state
    const { state: closed, decision } = apply(state, { type: 'close', voucher: voucher(400n) })
    expect(decision).toEqual({ type: 'close', capture: 100n, close: voucher(100n) })
    expect(closed).toMatchObject({
      status: 'closed',
      acceptedCumulative: 400n,
      closing: voucher(100n),
    })
  })

  it('uses the close voucher when it is worth exactly what was spent', () => {
    let state = apply(opened(), { type: 'voucher', voucher: voucher(100n) }).state
    state = apply(state, { type: 'charge', units: 3n, price: 25n }).state
    const { decision } = apply(state, { type: 'close', voucher: voucher(75n) })
    expect(decision).toEqual({ type: 'close', capture: 75n, close: voucher(75n) })
  })

  it('refuses a close voucher below what was spent', () => {
    let state = apply(opened(), { type: 'voucher', voucher: voucher(100n) }).state
    state = apply(state, { type: 'charge', units: 3n, price: 25n }).state
    expect(
      refusal(() => SessionChannel.reduce(state, { type: 'close', voucher: voucher(74n) })),
    ).toMatchObject({
      code: 'ERR_SESSION_CLOSE_BELOW_SPENT',
      type: 'https://paymentauth.org/problems/session/insufficient-balance',
    })
  })

  it('records the chain finalizing the channel', () => {
    const closed = apply(opened(), { type: 'close', voucher: voucher(0n) }).state
    const { state } = apply(closed, { type: 'finalized', settled: 0n })
    expect(state).toMatchObject({ status: 'closed', finalized: true, closing: undefined })
  })
})

describe('serialize / deserialize', () => {
  it('round-trips a state through JSON with amounts as decimal strings', () => {
    let state = apply(opened(10n ** 30n, 0n, { minVoucherDelta: 5n }), {
      type: 'voucher',
      voucher: voucher(10n ** 29n),
    }).state
    state = apply(state, { type: 'charge', units: 7n, price: 3n }).state
    const data = SessionChannel.serialize(state)
    expect(data.deposit).toBe('1000000000000000000000000000000')
    expect(SessionChannel.deserialize(JSON.parse(JSON.stringify(data)))).toEqual(state)
  })

  it('refuses stored data that breaks the schema or the invariants', () => {
    const data = SessionChannel.serialize(opened())
    expect(() => SessionChannel.deserialize({ ...data, spent: '1e3' })).toThrow(
      SessionChannel.InvalidStateError,
    )
    expect(() =>
      SessionChannel.deserialize({ ...data, spent: '5', acceptedCumulative: '4' }),
    ).toThrow(/spent <= accepted <= deposit/)
    expect(() => SessionChannel.deserialize({ ...data, extra: 1 })).toThrow(
      SessionChannel.InvalidStateError,
    )
  })
})
