import { run } from '@paywire/testkit/store-contract'
import { describe, expect, it } from 'vitest'
import * as MemoryStore from './MemoryStore.js'

run('MemoryStore', () => MemoryStore.create())

describe('MemoryStore bounds', () => {
  it('refuses a new entry when full of live entries instead of dropping a claim', async () => {
    const store = MemoryStore.create({ maxEntries: 2 })
    expect(await store.claim('a', { ttlSeconds: 60 })).toBe(true)
    expect(await store.claim('b', { ttlSeconds: 60 })).toBe(true)
    await expect(store.claim('c', { ttlSeconds: 60 })).rejects.toBeInstanceOf(
      MemoryStore.StoreFullError,
    )
    await expect(store.put('d', 'x')).rejects.toMatchObject({ code: 'ERR_STORE_FULL' })
    expect(await store.claim('a', { ttlSeconds: 60 })).toBe(false)
    expect(await store.claim('b', { ttlSeconds: 60 })).toBe(false)
  })

  it('makes room by removing expired entries first', async () => {
    let now = 1_000_000
    const store = MemoryStore.create({ maxEntries: 2, now: () => now })
    await store.claim('old', { ttlSeconds: 1 })
    await store.claim('live', { ttlSeconds: 60 })
    now += 2_000
    expect(await store.claim('new', { ttlSeconds: 60 })).toBe(true)
    expect(store.size()).toBe(2)
    expect(await store.claim('live', { ttlSeconds: 60 })).toBe(false)
  })

  it('overwrites an existing key when full', async () => {
    const store = MemoryStore.create({ maxEntries: 1 })
    await store.put('only', '1')
    await store.put('only', '2')
    expect((await store.get('only'))?.value).toBe('2')
  })

  it('expires entries at their TTL on an injected clock', async () => {
    let now = 0
    const store = MemoryStore.create({ now: () => now })
    await store.put('k', 'v', { ttlSeconds: 5 })
    now = 4_999
    expect((await store.get('k'))?.value).toBe('v')
    now = 5_000
    expect(await store.get('k')).toBeUndefined()
  })
})

describe('MemoryStore input checks', () => {
  it('refuses values JSON cannot carry', async () => {
    const store = MemoryStore.create()
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, undefined, () => 1, new Date(0)])
      await expect(store.put('bad', value as never)).rejects.toBeInstanceOf(
        MemoryStore.InvalidValueError,
      )
    expect(await store.get('bad')).toBeUndefined()
  })

  it('refuses a claim without a positive TTL', async () => {
    const store = MemoryStore.create()
    for (const ttlSeconds of [0, -1, Number.NaN])
      await expect(store.claim('k', { ttlSeconds })).rejects.toBeInstanceOf(
        MemoryStore.InvalidOptionError,
      )
    expect(() => MemoryStore.create({ maxEntries: 0 })).toThrow(MemoryStore.InvalidOptionError)
  })

  it('fails closed after close(): every operation rejects', async () => {
    const store = MemoryStore.create()
    await store.claim('k', { ttlSeconds: 60 })
    await store.close()
    await expect(store.claim('k', { ttlSeconds: 60 })).rejects.toBeInstanceOf(
      MemoryStore.ClosedError,
    )
    await expect(store.get('k')).rejects.toBeInstanceOf(MemoryStore.ClosedError)
  })
})
