import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as AcceptPayment from './AcceptPayment.js'

const offers = [
  { method: 'tempo', intent: 'session' },
  { method: 'tempo', intent: 'charge' },
  { method: 'solana', intent: 'charge' },
  { method: 'stripe', intent: 'charge' },
]
const pairs = (list: AcceptPayment.Offer[]) =>
  list.map((offer) => `${offer.method}/${offer.intent}`)

describe('parse', () => {
  it('reads ranges, weights and wildcards {core.accept-payment.send}', () => {
    expect(AcceptPayment.parse('tempo/*, solana/*;q=0.6, */session;q=0.3, */*;q=0')).toEqual([
      { method: 'tempo', intent: '*', q: 1 },
      { method: 'solana', intent: '*', q: 0.6 },
      { method: '*', intent: 'session', q: 0.3 },
      { method: '*', intent: '*', q: 0 },
    ])
  })

  it('allows optional whitespace around ";" and empty list elements', () => {
    expect(AcceptPayment.parse(' , tempo/charge ;  Q=0.5 ,, ')).toEqual([
      { method: 'tempo', intent: 'charge', q: 0.5 },
    ])
  })

  it.each([
    ['an uppercase method', 'Tempo/charge'],
    ['a missing slash', 'tempo'],
    ['a weight above 1', 'tempo/charge;q=1.5'],
    ['a weight with four decimals', 'tempo/charge;q=0.1234'],
    ['a weight of 2', 'tempo/charge;q=2'],
    ['a negative weight', 'tempo/charge;q=-0.1'],
    ['another parameter', 'tempo/charge;level=1'],
    ['whitespace inside the weight', 'tempo/charge;q = 0.5'],
    ['an empty value', ''],
    ['only commas', ', ,'],
    ['too long a value', `tempo/charge, ${'a/b, '.repeat(1000)}`],
  ])('rejects %s with a typed error', (_, value) => {
    expect(() => AcceptPayment.parse(value)).toThrow(AcceptPayment.InvalidHeaderError)
  })

  it('round-trips through serialize', () => {
    const range = fc.record({
      method: fc.oneof(fc.constant('*'), fc.stringMatching(/^[a-z]{1,8}$/)),
      intent: fc.oneof(fc.constant('*'), fc.stringMatching(/^[A-Za-z0-9-]{1,8}$/)),
      q: fc.integer({ min: 0, max: 1000 }).map((thousandths) => thousandths / 1000),
    })
    fc.assert(
      fc.property(fc.array(range, { minLength: 1, maxLength: 8 }), (ranges) => {
        expect(AcceptPayment.parse(AcceptPayment.serialize(ranges))).toEqual(ranges)
      }),
    )
  })
})

describe('negotiate', () => {
  it('orders by descending weight, as in the draft example {core.accept-payment.consider, core.accept-payment.order}', () => {
    const result = AcceptPayment.negotiate(
      offers,
      'tempo/charge, tempo/session, stripe/charge;q=0.5, solana/charge;q=0.3',
    )
    expect(pairs(result)).toEqual([
      'tempo/session',
      'tempo/charge',
      'stripe/charge',
      'solana/charge',
    ])
  })

  it('keeps the server order among equal weights {core.accept-payment.stable, core.accept-payment.equal-q-order}', () => {
    expect(pairs(AcceptPayment.negotiate(offers, 'solana/charge, tempo/charge'))).toEqual([
      'tempo/charge',
      'solana/charge',
    ])
  })

  it('ranks with wildcards', () => {
    const result = AcceptPayment.negotiate(offers, 'tempo/*, solana/*;q=0.6, stripe/charge;q=0.2')
    expect(pairs(result)).toEqual([
      'tempo/session',
      'tempo/charge',
      'solana/charge',
      'stripe/charge',
    ])
  })

  it('drops offers weighted q=0 {core.accept-payment.filter}', () => {
    const result = AcceptPayment.negotiate(
      offers,
      'tempo/charge, tempo/session;q=0, solana/charge;q=0.8, stripe/charge;q=0.4',
    )
    expect(pairs(result)).toEqual(['tempo/charge', 'solana/charge', 'stripe/charge'])
  })

  it('drops offers no range matches {core.accept-payment.filter}', () => {
    expect(pairs(AcceptPayment.negotiate(offers, 'stripe/*'))).toEqual(['stripe/charge'])
  })

  it('lets the most specific range decide, wherever it is listed {core.accept-payment.most-specific}', () => {
    expect(
      pairs(
        AcceptPayment.negotiate(
          offers,
          'tempo/*;q=0.1, tempo/session;q=0, */charge;q=0.5, tempo/charge',
        ),
      ),
    ).toEqual(['tempo/charge', 'solana/charge', 'stripe/charge'])
    // method beats intent: tempo/* (q=0.2) is more specific than */charge (q=0.9) for tempo/charge
    expect(pairs(AcceptPayment.negotiate(offers, '*/charge;q=0.9, tempo/*;q=0.2'))).toEqual([
      'solana/charge',
      'stripe/charge',
      'tempo/session',
      'tempo/charge',
    ])
  })

  it('returns the offers unchanged when the header is absent, malformed or matches nothing {core.accept-payment.absent, core.accept-payment.malformed, core.accept-payment.no-match}', () => {
    for (const header of [
      undefined,
      null,
      'tempo/charge;q=2',
      'nonsense',
      'lightning/charge',
      'tempo/*;q=0',
    ])
      expect(AcceptPayment.negotiate(offers, header)).toEqual(offers)
  })

  it('never invents, duplicates or reorders past the weights', () => {
    const header = fc
      .array(
        fc.record({
          method: fc.constantFrom('*', 'tempo', 'stripe', 'solana', 'lightning'),
          intent: fc.constantFrom('*', 'charge', 'session'),
          q: fc.integer({ min: 0, max: 1000 }).map((thousandths) => thousandths / 1000),
        }),
        { minLength: 1, maxLength: 6 },
      )
      .map(AcceptPayment.serialize)
    fc.assert(
      fc.property(header, (value) => {
        const result = AcceptPayment.negotiate(offers, value)
        expect(new Set(result).size).toBe(result.length)
        for (const offer of result) expect(offers).toContain(offer)
        const ranges = AcceptPayment.parse(value)
        const weights = result.map((offer) => AcceptPayment.weight(ranges, offer))
        if (weights.some((q) => q > 0)) {
          expect(weights.every((q) => q > 0)).toBe(true)
          for (let index = 1; index < weights.length; index++)
            expect(weights[index - 1] as number).toBeGreaterThanOrEqual(weights[index] as number)
        }
      }),
    )
  })
})
