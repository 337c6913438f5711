import { Store } from '@paywire/core'
import { TcpProxy } from '@paywire/testkit'
import { run } from '@paywire/testkit/store-contract'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as redis from '../test/redis.js'
import * as RedisStore from './RedisStore.js'

const filePrefix = redis.uniquePrefix()
let admin: Redis
let count = 0
const opened: RedisStore.RedisStore[] = []
const open = (options: RedisStore.create.Options = {}) => {
  const store = RedisStore.create({
    url: redis.url,
    prefix: `${filePrefix}${++count}:`,
    ...options,
  })
  opened.push(store)
  return store
}

beforeAll(async () => {
  admin = await redis.connect()
})
afterAll(async () => {
  for (const store of opened) await store.close()
  if (admin === undefined) return
  await redis.clear(admin, filePrefix)
  admin.disconnect()
})

run('RedisStore', () => open())

describe('RedisStore on a shared Redis', () => {
  it('lets exactly one of 200 concurrent claims from 4 connections win {core.concurrency.atomic-consume}', async () => {
    const prefix = `${filePrefix}shared-claim:`
    const stores = Array.from({ length: 4 }, () => open({ prefix }))
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        stores[i % stores.length]?.claim('challenge:race', { ttlSeconds: 60 }),
      ),
    )
    expect(results.filter((won) => won === true)).toHaveLength(1)
    expect(results.filter((won) => won === false)).toHaveLength(199)
  })

  it('loses no increment among 200 concurrent Store.update calls from 4 connections', async () => {
    const prefix = `${filePrefix}shared-update:`
    const stores = Array.from({ length: 4 }, () => open({ prefix }))
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        Store.update(
          stores[i % stores.length] as Store.Store,
          'session:channel',
          (current) => String(BigInt((current as string | undefined) ?? '0') + 1n),
          { maxAttempts: 1_000 },
        ),
      ),
    )
    expect((await stores[0]?.get('session:channel'))?.value).toBe('200')
  })

  it('writes under its prefix with the TTL in Redis', async () => {
    const store = open()
    await store.claim('c', { ttlSeconds: 30 })
    await store.put('kept', { amount: '1' })
    const ttl = await admin.pttl(`${store.prefix}c`)
    expect(ttl).toBeGreaterThan(29_000)
    expect(ttl).toBeLessThanOrEqual(30_000)
    expect(await admin.pttl(`${store.prefix}kept`)).toBe(-1)
    const other = open()
    expect(await other.get('kept')).toBeUndefined()
  })

  it('compare-and-swap sets and clears the TTL with the value', async () => {
    const store = open()
    expect(await store.compareAndSwap('s', null, '1', { ttlSeconds: 10 })).toBe(true)
    expect(await admin.pttl(`${store.prefix}s`)).toBeGreaterThan(9_000)
    const entry = await store.get('s')
    expect(await store.compareAndSwap('s', entry?.version ?? '', '2')).toBe(true)
    expect(await admin.pttl(`${store.prefix}s`)).toBe(-1)
  })

  it('runs its script again after Redis forgot it (SCRIPT FLUSH)', async () => {
    const store = open()
    await admin.script('FLUSH')
    expect(await store.compareAndSwap('flushed', null, 'x')).toBe(true)
  })

  it('answers Store.UnavailableError, not absent, for a key it did not write', async () => {
    const store = open()
    await admin.set(`${store.prefix}foreign`, 'no-version-here')
    await expect(store.get('foreign')).rejects.toBeInstanceOf(Store.UnavailableError)
  })

  it('refuses non-JSON values and claims without a positive TTL', async () => {
    const store = open()
    await expect(store.put('bad', Number.NaN)).rejects.toBeInstanceOf(RedisStore.InvalidValueError)
    await expect(store.claim('bad', { ttlSeconds: 0 })).rejects.toBeInstanceOf(
      RedisStore.InvalidOptionError,
    )
    expect(() => RedisStore.create({ commandTimeoutMs: -1 })).toThrow(RedisStore.InvalidOptionError)
  })

  it('keeps strings with NUL, quotes, backslashes, spaces and line breaks', async () => {
    const store = open()
    const value = { memo: 'a\u0000b "c" \\d\n\te  f', amount: '0.000001' }
    await store.put('escapes', value)
    expect((await store.get('escapes'))?.value).toEqual(value)
  })

  it('releases its connection on close()', async () => {
    const name = `paywire-close-${Date.now()}`
    const store = open({ redisOptions: { connectionName: name } })
    await store.get('k')
    const named = async () =>
      String(await admin.client('LIST'))
        .split('\n')
        .filter((line) => line.includes(` name=${name} `)).length
    expect(await named()).toBe(1)
    await store.close()
    expect(await named()).toBe(0)
  })

  it('rejects every operation after close()', async () => {
    const store = open()
    await store.close()
    await expect(store.get('k')).rejects.toBeInstanceOf(RedisStore.ClosedError)
  })
})

describe('RedisStore when Redis is unreachable', () => {
  it('fails closed on a refused connection and recovers without restart', async () => {
    const proxy = await TcpProxy.start(redis.target())
    const store = open({ url: redis.throughPort(proxy.port), commandTimeoutMs: 1_000 })
    try {
      expect(await store.claim('before', { ttlSeconds: 60 })).toBe(true)
      await proxy.cut()
      for (const operation of [
        () => store.claim('during', { ttlSeconds: 60 }),
        () => store.get('before'),
        () => store.put('during', '1'),
        () => store.compareAndSwap('during', null, '1'),
        () => store.delete('before'),
      ])
        await expect(operation()).rejects.toBeInstanceOf(Store.UnavailableError)
      await proxy.restore()
      expect(await eventually(() => store.claim('after', { ttlSeconds: 60 }))).toBe(true)
      expect(await store.claim('before', { ttlSeconds: 60 })).toBe(false)
    } finally {
      await proxy.close()
    }
  })

  it('fails closed within the command timeout when Redis hangs, then resumes', async () => {
    const proxy = await TcpProxy.start(redis.target())
    const store = open({ url: redis.throughPort(proxy.port), commandTimeoutMs: 1_000 })
    try {
      await store.put('k', '1')
      proxy.stall()
      const started = Date.now()
      await expect(store.get('k')).rejects.toBeInstanceOf(Store.UnavailableError)
      await expect(store.claim('k2', { ttlSeconds: 60 })).rejects.toBeInstanceOf(
        Store.UnavailableError,
      )
      expect(Date.now() - started).toBeLessThan(5_000)
      await proxy.cut()
      await proxy.restore()
      expect((await eventually(() => store.get('k')))?.value).toBe('1')
    } finally {
      await proxy.close()
    }
  })

  it('fails closed when Redis is down at start, and connects once it is up', async () => {
    const proxy = await TcpProxy.start(redis.target())
    await proxy.cut()
    const store = open({ url: redis.throughPort(proxy.port), commandTimeoutMs: 1_000 })
    try {
      await expect(store.claim('k', { ttlSeconds: 60 })).rejects.toBeInstanceOf(
        Store.UnavailableError,
      )
      await proxy.restore()
      expect(await eventually(() => store.claim('k', { ttlSeconds: 60 }))).toBe(true)
    } finally {
      await proxy.close()
    }
  })

  it('answers the value or Store.UnavailableError, never absent, after CLIENT KILL', async () => {
    const name = `paywire-kill-${Date.now()}`
    const store = open({ commandTimeoutMs: 1_000, redisOptions: { connectionName: name } })
    await store.put('k', '1')
    const line = String(await admin.client('LIST'))
      .split('\n')
      .find((l: string) => l.includes(` name=${name} `))
    const id = line?.match(/^id=(\d+)/)?.[1]
    expect(id).toBeDefined()
    await admin.client('KILL', 'ID', id ?? '')
    const first = await store.get('k').then(
      (entry) => entry?.value,
      (error: unknown) => error,
    )
    if (first !== '1') expect(first).toBeInstanceOf(Store.UnavailableError)
    expect((await eventually(() => store.get('k')))?.value).toBe('1')
  })
})

/** Retries an operation that fails with Store.UnavailableError for up to 5 seconds. */
async function eventually<result>(operation: () => Promise<result>): Promise<result> {
  const deadline = Date.now() + 5_000
  for (;;) {
    try {
      return await operation()
    } catch (error) {
      if (!(error instanceof Store.UnavailableError) || Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}
