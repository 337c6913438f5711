// The per-channel voucher limiter over a real in-memory store with a controlled clock:
// bursts, refill, one budget for every instance sharing the store, exact accounting under
// parallel submissions, and the 429 answer its error maps to.
import { MemoryStore } from '@paywire/store-memory'
import { describe, expect, it } from 'vitest'
import * as VoucherRate from './VoucherRate.js'

const channelId = `0x${'ab'.repeat(32)}` as const
const other = `0x${'cd'.repeat(32)}` as const

/** A clock the test moves by hand. */
function clock(start = 1_700_000_000_000) {
  let time = start
  return {
    now: () => time,
    advance(ms: number) {
      time += ms
    },
  }
}

async function outcome(promise: Promise<void>): Promise<'taken' | number> {
  try {
    await promise
    return 'taken'
  } catch (error) {
    if (!(error instanceof VoucherRate.RateLimitedError)) throw error
    return error.retryAfter
  }
}

describe('VoucherRate', () => {
  it('allows 10 submissions per second per channel, refuses the 11th with a retry delay, and refills {tempo.session.dos.rate-limit, tempo.session.dos.ten-per-second}', async () => {
    const time = clock()
    const store = MemoryStore.create({ now: time.now })
    const limiter = VoucherRate.create({ store, limit: { perSecond: 10 }, now: time.now })
    for (let submission = 0; submission < 10; submission++) await limiter.take(channelId)
    await expect(limiter.take(channelId)).rejects.toMatchObject({
      code: 'ERR_SESSION_VOUCHER_RATE_LIMITED',
      status: 429,
      retryAfter: 1,
    })
    // Another channel has its own budget.
    await limiter.take(other)
    // A tenth of a second buys one more submission, and no more.
    time.advance(100)
    await limiter.take(channelId)
    expect(await outcome(limiter.take(channelId))).toBe(1)
    // A full second refills the bucket to its burst, never beyond.
    time.advance(5_000)
    const results = await Promise.all(
      Array.from({ length: 15 }, () => outcome(limiter.take(channelId))),
    )
    expect(results.filter((result) => result === 'taken')).toHaveLength(10)
  })

  it('counts exactly under 100 parallel submissions across two instances sharing the store {tempo.session.dos.rate-limit, tempo.session.concurrency.serialized}', async () => {
    const time = clock()
    const store = MemoryStore.create({ now: time.now })
    const limit = { perSecond: 5, burst: 40 }
    const first = VoucherRate.create({ store, limit, now: time.now })
    const second = VoucherRate.create({ store, limit, now: time.now })
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, index) =>
        outcome((index % 2 === 0 ? first : second).take(channelId)),
      ),
    )
    expect(results.filter((result) => result === 'taken')).toHaveLength(40)
    // 60 refused, each told to wait the one second a token takes at 5 per second.
    expect(results.filter((result) => result === 1)).toHaveLength(60)
  })

  it('waits whole seconds for slow limits, and never counts time backwards across instances', async () => {
    const time = clock()
    const store = MemoryStore.create({ now: time.now })
    const slow = VoucherRate.create({ store, limit: { perSecond: 0.25 }, now: time.now })
    await slow.take(channelId)
    expect(await outcome(slow.take(channelId))).toBe(4)
    // An instance whose clock is 10 s behind sees an empty bucket, not a negative wait.
    const behind = VoucherRate.create({
      store,
      limit: { perSecond: 0.25 },
      now: () => time.now() - 10_000,
    })
    expect(await outcome(behind.take(channelId))).toBe(4)
    time.advance(4_000)
    expect(await outcome(slow.take(channelId))).toBe('taken')
  })

  it('answers a limited submission with 429 Too Many Requests and the retry delay in the body', () => {
    const error = new VoucherRate.RateLimitedError('too many vouchers', { retryAfter: 3 })
    expect(error.status).toBe(429)
    expect(error.type).toBe('about:blank')
    expect(error.toProblem(error.problemExtensions)).toEqual({
      type: 'about:blank',
      title: 'Too Many Requests',
      status: 429,
      detail: 'too many vouchers',
      retryAfter: 3,
    })
  })

  it('refuses limits that cannot be met', () => {
    const store = MemoryStore.create()
    expect(() => VoucherRate.create({ store, limit: { perSecond: 0 } })).toThrow(RangeError)
    expect(() => VoucherRate.create({ store, limit: { perSecond: Number.NaN } })).toThrow(
      RangeError,
    )
    expect(() => VoucherRate.create({ store, limit: { perSecond: 10, burst: 0.5 } })).toThrow(
      RangeError,
    )
  })

  it('keeps a bucket no longer than it takes to refill', async () => {
    const time = clock()
    const store = MemoryStore.create({ now: time.now })
    const limiter = VoucherRate.create({
      store,
      limit: { perSecond: 2, burst: 4 },
      now: time.now,
    })
    await limiter.take(channelId)
    expect(await store.get(VoucherRate.keyPrefix + channelId)).toBeDefined()
    time.advance(3_000)
    expect(await store.get(VoucherRate.keyPrefix + channelId)).toBeUndefined()
  })
})
