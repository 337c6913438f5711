// A Redis that evicts keys under memory pressure silently forgets used challenges (a
// forgotten claim is a replay): the store refuses to work on one unless told to only warn.
// The Redis here is a private redis-server started for this file (the shared one must stay
// `noeviction`), switched between policies with CONFIG SET.
import { type ChildProcess, spawn } from 'node:child_process'
import { Store } from '@paywire/core'
import { FreePort } from '@paywire/testkit'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as RedisStore from './RedisStore.js'

let server: ChildProcess
let admin: Redis
let url: string

beforeAll(async () => {
  const port = await FreePort.get()
  server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  )
  url = `redis://127.0.0.1:${port}`
  admin = new Redis(url, { retryStrategy: (attempt) => (attempt > 50 ? null : 100) })
  admin.on('error', () => {})
  await admin.ping()
}, 30_000)

afterAll(async () => {
  admin?.disconnect()
  server?.kill('SIGKILL')
})

const stores: RedisStore.RedisStore[] = []
afterAll(() => Promise.all(stores.map((store) => store.close())))
const open = (options: RedisStore.create.Options = {}) => {
  const store = RedisStore.create({ url, ...options })
  stores.push(store)
  return store
}

describe('RedisStore on a Redis that may evict keys', () => {
  it.each(['allkeys-lru', 'volatile-lru', 'volatile-ttl', 'allkeys-random'])(
    'refuses every operation while maxmemory-policy is %s, and works once it is noeviction',
    async (policy) => {
      await admin.config('SET', 'maxmemory-policy', policy)
      const store = open()
      const refusal = await store.claim('eviction:a', { ttlSeconds: 60 }).catch((error) => error)
      expect(refusal).toBeInstanceOf(Store.UnavailableError)
      expect((refusal as Error).message).toContain(policy)
      await expect(store.get('eviction:a')).rejects.toBeInstanceOf(Store.UnavailableError)
      expect(await admin.exists('eviction:a')).toBe(0)
      // Fixed on the server: the next operation checks again and goes through.
      await admin.config('SET', 'maxmemory-policy', 'noeviction')
      expect(await store.claim(`eviction:${policy}`, { ttlSeconds: 60 })).toBe(true)
    },
  )

  it("only warns with evictionPolicy: 'warn'", async () => {
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru')
    const warnings: string[] = []
    const store = open({ evictionPolicy: 'warn', onWarning: (message) => warnings.push(message) })
    expect(await store.claim('eviction:warned', { ttlSeconds: 60 })).toBe(true)
    expect(await store.claim('eviction:warned-2', { ttlSeconds: 60 })).toBe(true)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('allkeys-lru')
    await admin.config('SET', 'maxmemory-policy', 'noeviction')
  })

  it('refuses an unknown evictionPolicy option', () => {
    expect(() => RedisStore.create({ url, evictionPolicy: 'ignore' as never })).toThrow(
      RedisStore.InvalidOptionError,
    )
  })
})
