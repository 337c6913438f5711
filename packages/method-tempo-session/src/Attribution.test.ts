// Challenge-to-voucher records over a real in-memory store: what each challenge received,
// bounded in size, exact under parallel writes from two instances, kept for their
// retention, and refused when a stored record or a challenge id is corrupt.
import { MemoryStore } from '@paywire/store-memory'
import type { Hex } from 'viem'
import { describe, expect, it } from 'vitest'
import * as Attribution from './Attribution.js'

const challengeId = 'kM9xPqWvT2nJrHsY4aDfEb'
const channel = (byte: string) => `0x${byte.repeat(32)}` as Hex

describe('Attribution', () => {
  it('records per challenge the channel, the vouchers accepted, what was charged and when {tempo.session.attribution.mapping}', async () => {
    const attribution = Attribution.create({ store: MemoryStore.create() })
    const channelId = channel('AB')
    await attribution.record({
      type: 'voucher',
      challengeId,
      channelId,
      cumulativeAmount: 100n,
      at: 2_000,
    })
    await attribution.record({
      type: 'charge',
      challengeId,
      channelId,
      units: 3n,
      amount: 75n,
      at: 2_500,
    })
    await attribution.record({
      type: 'voucher',
      challengeId,
      channelId,
      cumulativeAmount: 250n,
      at: 3_000,
    })
    // An event reported late keeps first and last seen right.
    await attribution.record({
      type: 'charge',
      challengeId,
      channelId,
      units: 1n,
      amount: 25n,
      at: 1_000,
    })
    await attribution.record({
      type: 'charge',
      challengeId: 'another-challenge',
      channelId,
      units: 9n,
      amount: 225n,
      at: 3_000,
    })
    expect(await attribution.read(challengeId)).toEqual({
      challengeId,
      channels: [
        {
          channelId: channel('ab'),
          vouchers: 2,
          highestVoucher: 250n,
          units: 4n,
          amount: 100n,
          firstSeen: 1_000,
          lastSeen: 3_000,
        },
      ],
      otherChannels: 0,
      firstSeen: 1_000,
      lastSeen: 3_000,
    })
    expect(await attribution.read('another-challenge')).toMatchObject({
      channels: [{ vouchers: 0, highestVoucher: undefined, units: 9n, amount: 225n }],
    })
    expect(await attribution.read('never-issued')).toBeUndefined()
  })

  it('itemizes at most four channels per challenge and counts the rest', async () => {
    const attribution = Attribution.create({ store: MemoryStore.create() })
    for (const byte of ['01', '02', '03', '04', '05', '06', '01'])
      await attribution.record({
        type: 'charge',
        challengeId,
        channelId: channel(byte),
        units: 1n,
        amount: 10n,
        at: 1_000,
      })
    const record = await attribution.read(challengeId)
    expect(record?.channels.map((usage) => usage.channelId)).toEqual(
      ['01', '02', '03', '04'].map(channel),
    )
    expect(record?.channels[0]).toMatchObject({ units: 2n, amount: 20n })
    expect(record?.otherChannels).toBe(2)
  })

  it('accounts 200 parallel events from two instances sharing the store exactly {tempo.session.attribution.mapping, tempo.session.concurrency.serialized}', async () => {
    const store = MemoryStore.create()
    const instances = [Attribution.create({ store }), Attribution.create({ store })] as const
    const channelId = channel('ab')
    await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        (instances[index % 2] as Attribution.Attribution).record(
          index % 4 === 0
            ? {
                type: 'voucher',
                challengeId,
                channelId,
                cumulativeAmount: BigInt(index),
                at: index,
              }
            : { type: 'charge', challengeId, channelId, units: 1n, amount: 25n, at: index },
        ),
      ),
    )
    expect(await instances[1].read(challengeId)).toMatchObject({
      channels: [{ vouchers: 50, highestVoucher: 196n, units: 150n, amount: 3_750n }],
      firstSeen: 0,
      lastSeen: 199,
    })
  })

  it('keeps a record for its retention after the last update', async () => {
    let time = 1_000_000
    const store = MemoryStore.create({ now: () => time })
    const attribution = Attribution.create({ store, ttlSeconds: 60 })
    const event = {
      type: 'charge',
      challengeId,
      channelId: channel('ab'),
      units: 1n,
      amount: 1n,
      at: time,
    } as const
    await attribution.record(event)
    time += 50_000
    await attribution.record(event)
    time += 50_000
    expect((await attribution.read(challengeId))?.channels[0]?.units).toBe(2n)
    time += 10_000
    expect(await attribution.read(challengeId)).toBeUndefined()
    expect(() => Attribution.create({ store, ttlSeconds: 0 })).toThrow(RangeError)
  })

  it('refuses challenge ids that cannot be one and stored records that fail the schema', async () => {
    const store = MemoryStore.create()
    const attribution = Attribution.create({ store })
    for (const bad of ['', 'a'.repeat(129), 'has space', 'paywire:session:channel:0x'])
      await expect(
        attribution.record({
          type: 'charge',
          challengeId: bad,
          channelId: channel('ab'),
          units: 1n,
          amount: 1n,
          at: 0,
        }),
      ).rejects.toBeInstanceOf(Attribution.InvalidChallengeIdError)
    await store.put(Attribution.keyPrefix + challengeId, { version: 1, channels: 'many' })
    await expect(attribution.read(challengeId)).rejects.toBeInstanceOf(
      Attribution.InvalidRecordError,
    )
  })

  it('reports: tells the audit hook once the record is written, and sends failures to onError, never throwing', async () => {
    const store = MemoryStore.create()
    const seen: [string, unknown][] = []
    const event = {
      type: 'voucher',
      challengeId,
      channelId: channel('ab'),
      cumulativeAmount: 5n,
      at: 1,
    } as const
    const attribution = Attribution.create({
      store,
      onEvent: async (reported) => {
        // Written before the hook hears of it.
        seen.push(['event', (await attribution.read(reported.challengeId))?.channels[0]?.vouchers])
        if (seen.length > 1) throw new Error('audit sink down')
      },
      onError: (error) => void seen.push(['error', String(error)]),
    })
    await attribution.report(event)
    await attribution.report(event)
    await attribution.report({ ...event, challengeId: 'not valid' })
    expect(seen).toEqual([
      ['event', 1],
      ['event', 2],
      ['error', 'Error: audit sink down'],
      ['error', expect.stringContaining('InvalidChallengeIdError')],
    ])
  })
})
