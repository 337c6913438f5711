import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Store } from '@paywire/core'
import { run } from '@paywire/testkit/store-contract'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import * as processes from '../test/processes.js'
import * as SqliteStore from './SqliteStore.js'

const directory = mkdtempSync(join(tmpdir(), 'paywire-sqlite-'))
let count = 0
const fresh = () => join(directory, `store-${++count}.db`)
const opened: SqliteStore.SqliteStore[] = []
const open = (options: Partial<SqliteStore.create.Options> = {}) => {
  const store = SqliteStore.create({ path: fresh(), cleanupIntervalMs: 0, ...options })
  opened.push(store)
  return store
}

afterAll(async () => {
  for (const store of opened) await store.close()
  rmSync(directory, { recursive: true, force: true })
})

run('SqliteStore', () => open())

describe('SqliteStore on one node', () => {
  it('keeps claims and values across a restart (a new store on the same file)', async () => {
    const path = fresh()
    const first = open({ path })
    expect(await first.claim('challenge:paid', { ttlSeconds: 600 })).toBe(true)
    await first.put('receipt', { amount: '1000' })
    await first.close()
    const second = open({ path })
    expect(await second.claim('challenge:paid', { ttlSeconds: 600 })).toBe(false)
    expect((await second.get('receipt'))?.value).toEqual({ amount: '1000' })
  })

  it('writes with a write-ahead log and full sync', () => {
    const path = fresh()
    const store = open({ path })
    return store.put('k', '1').then(() => {
      const db = new Database(path, { readonly: true })
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
      db.close()
    })
  })

  it('lets exactly one of 200 concurrent claims from 4 processes win {core.concurrency.atomic-consume}', async () => {
    const path = fresh()
    open({ path })
    const results = await processes.race(4, [path, 'claim', 'challenge:race', '50'])
    expect(results).toHaveLength(200)
    expect(results.filter((won) => won === true)).toHaveLength(1)
  })

  it('loses no increment among 200 concurrent Store.update calls from 4 processes', async () => {
    const path = fresh()
    const store = open({ path })
    await processes.race(4, [path, 'update', 'session:channel', '50'])
    expect((await store.get('session:channel'))?.value).toBe('200')
  })

  it('lets exactly one of 200 concurrent claims from 4 connections in one process win', async () => {
    const path = fresh()
    const stores = Array.from({ length: 4 }, () => open({ path }))
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        stores[i % stores.length]?.claim('challenge:race', { ttlSeconds: 60 }),
      ),
    )
    expect(results.filter((won) => won === true)).toHaveLength(1)
  })

  it('expires entries on its clock and deletes expired rows', async () => {
    let now = 1_000_000
    const store = open({ now: () => now })
    await store.claim('gone', { ttlSeconds: 5 })
    await store.put('kept', 'x', { ttlSeconds: 60 })
    await store.put('forever', 'y')
    now += 5_000
    expect(await store.get('gone')).toBeUndefined()
    expect(await store.deleteExpired()).toBe(1)
    expect(await store.claim('gone', { ttlSeconds: 5 })).toBe(true)
    expect((await store.get('kept'))?.value).toBe('x')
  })

  it('deletes expired rows in the background', async () => {
    const path = fresh()
    const store = open({ path, cleanupIntervalMs: 20 })
    await store.put('gone', 'x', { ttlSeconds: 0.01 })
    await new Promise((resolve) => setTimeout(resolve, 200))
    const db = new Database(path, { readonly: true })
    expect(db.prepare('SELECT count(*) AS n FROM paywire_store').get()).toEqual({ n: 0 })
    db.close()
  })

  it('refuses an in-memory database, non-JSON values and bad TTLs', async () => {
    for (const path of ['', ':memory:'])
      expect(() => SqliteStore.create({ path })).toThrow(SqliteStore.InvalidOptionError)
    const store = open()
    await expect(store.put('bad', Number.NaN)).rejects.toBeInstanceOf(SqliteStore.InvalidValueError)
    await expect(store.claim('bad', { ttlSeconds: 0 })).rejects.toBeInstanceOf(
      SqliteStore.InvalidOptionError,
    )
  })

  it('keeps strings with NUL, quotes, backslashes, spaces and line breaks', async () => {
    const store = open()
    const value = { memo: 'a\u0000b "c" \\d\n\te  f', amount: '0.000001' }
    await store.put('escapes', value)
    expect((await store.get('escapes'))?.value).toEqual(value)
  })

  it('releases its file on close(): the write-ahead log is checkpointed and removed', async () => {
    const path = fresh()
    const store = open({ path })
    await store.put('k', '1')
    expect(existsSync(`${path}-wal`)).toBe(true)
    await store.close()
    expect(existsSync(`${path}-wal`)).toBe(false)
  })

  it('rejects every operation after close()', async () => {
    const store = open()
    await store.close()
    await expect(store.get('k')).rejects.toBeInstanceOf(SqliteStore.ClosedError)
  })
})

describe('SqliteStore when its file is unavailable', () => {
  it('fails closed while another process holds the write lock, then resumes', async () => {
    const path = fresh()
    const store = open({ path, busyTimeoutMs: 100 })
    await store.put('k', '1')
    const holder = new Database(path)
    holder.exec('BEGIN EXCLUSIVE')
    try {
      await expect(store.claim('c', { ttlSeconds: 60 })).rejects.toBeInstanceOf(
        Store.UnavailableError,
      )
      await expect(store.compareAndSwap('free', null, '2')).rejects.toBeInstanceOf(
        Store.UnavailableError,
      )
      expect((await store.get('k'))?.value).toBe('1')
    } finally {
      holder.exec('COMMIT')
      holder.close()
    }
    expect(await store.claim('c', { ttlSeconds: 60 })).toBe(true)
  })

  it('fails closed when the file cannot be opened, and opens it once it can', async () => {
    const parent = join(directory, `later-${Date.now()}`)
    const store = open({ path: join(parent, 'store.db') })
    await expect(store.claim('c', { ttlSeconds: 60 })).rejects.toBeInstanceOf(
      Store.UnavailableError,
    )
    await expect(store.get('c')).rejects.toBeInstanceOf(Store.UnavailableError)
    mkdirSync(parent)
    expect(await store.claim('c', { ttlSeconds: 60 })).toBe(true)
  })
})
