import { Store } from '@paywire/core'
import { TcpProxy } from '@paywire/testkit'
import { run } from '@paywire/testkit/store-contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as postgres from '../test/postgres.js'
import * as PostgresStore from './PostgresStore.js'

let database: Awaited<ReturnType<typeof postgres.isolate>>
let count = 0
const opened: PostgresStore.PostgresStore[] = []
const open = (options: PostgresStore.create.Options = {}) => {
  const store = PostgresStore.create({
    connectionString: postgres.url,
    schema: database.schema,
    table: `store_${++count}`,
    maxConnections: 4,
    timeoutMs: 10_000,
    cleanupIntervalMs: 0,
    ...options,
  })
  opened.push(store)
  return store
}

beforeAll(async () => {
  database = await postgres.isolate()
})
afterAll(async () => {
  for (const store of opened) await store.close()
  await database?.drop()
})

run('PostgresStore', () => open())

describe('PostgresStore on a shared database', () => {
  it('lets exactly one of 200 concurrent claims from 4 pools win {core.concurrency.atomic-consume}', async () => {
    const table = `shared_claim`
    const stores = Array.from({ length: 4 }, () => open({ table }))
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        stores[i % stores.length]?.claim('challenge:race', { ttlSeconds: 60 }),
      ),
    )
    expect(results.filter((won) => won === true)).toHaveLength(1)
    expect(results.filter((won) => won === false)).toHaveLength(199)
  })

  it('lets exactly one of 200 concurrent claims take over an expired claim {core.concurrency.atomic-consume}', async () => {
    const table = `shared_takeover`
    const stores = Array.from({ length: 4 }, () => open({ table }))
    expect(await stores[0]?.claim('challenge:expired', { ttlSeconds: 0.05 })).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 100))
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        stores[i % stores.length]?.claim('challenge:expired', { ttlSeconds: 60 }),
      ),
    )
    expect(results.filter((won) => won === true)).toHaveLength(1)
  })

  it('loses no increment among 200 concurrent Store.update calls from 4 pools', async () => {
    const table = `shared_update`
    const stores = Array.from({ length: 4 }, () => open({ table }))
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

  it('stores JSON with amounts as strings, readable in SQL', async () => {
    const store = open()
    await store.put('receipt:1', { amount: '1000000000000000000000', currency: 'usd' })
    const { rows } = await database.admin.query(
      `SELECT value->>'amount' AS amount, json_typeof(value->'amount') AS type FROM ${database.schema}.store_${count} WHERE key = 'receipt:1'`,
    )
    expect(rows).toEqual([{ amount: '1000000000000000000000', type: 'string' }])
  })

  it('compare-and-swap from absent takes over an expired row', async () => {
    const store = open()
    await store.put('s', 'old', { ttlSeconds: 0.05 })
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(await store.compareAndSwap('s', null, 'new')).toBe(true)
    expect((await store.get('s'))?.value).toBe('new')
  })

  it('refuses a version that is not one it wrote, without asking the database', async () => {
    const store = open()
    await store.put('v', '1')
    for (const version of ['', 'abc', '0', '-1', '99999999999999999999999'])
      expect(await store.compareAndSwap('v', version, '2')).toBe(false)
  })

  it('deletes expired rows and keeps live ones', async () => {
    const store = open()
    await store.claim('gone', { ttlSeconds: 0.05 })
    await store.put('kept', 'x', { ttlSeconds: 60 })
    await store.put('forever', 'y')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(await store.deleteExpired()).toBe(1)
    const { rows } = await database.admin.query(
      `SELECT key FROM ${database.schema}.store_${count} ORDER BY key`,
    )
    expect(rows.map((row: { key: string }) => row.key)).toEqual(['forever', 'kept'])
  })

  it('deletes expired rows in the background', async () => {
    const store = open({ cleanupIntervalMs: 50 })
    await store.put('gone', 'x', { ttlSeconds: 0.05 })
    const table = `${database.schema}.store_${count}`
    const deadline = Date.now() + 5_000
    while (Date.now() < deadline) {
      const { rows } = await database.admin.query(`SELECT count(*)::int AS n FROM ${table}`)
      if (rows[0]?.n === 0) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const { rows } = await database.admin.query(`SELECT count(*)::int AS n FROM ${table}`)
    expect(rows[0]?.n).toBe(0)
  })

  it('runs its migration once when several instances start together', async () => {
    const stores = Array.from({ length: 3 }, () => open({ table: 'migrated_together' }))
    expect(
      await Promise.all(stores.map((store) => store.claim('first', { ttlSeconds: 60 }))),
    ).toContain(true)
  })

  it('exports its migration as SQL for a store created with migrate: false', async () => {
    const sql = PostgresStore.migration({ schema: database.schema, table: 'by_hand' })
    expect(sql).toContain(`CREATE TABLE IF NOT EXISTS "${database.schema}"."by_hand"`)
    const store = open({ table: 'by_hand', migrate: false })
    await expect(store.get('k')).rejects.toBeInstanceOf(Store.UnavailableError)
    await database.admin.query(sql)
    expect(await store.claim('k', { ttlSeconds: 60 })).toBe(true)
  })

  it('refuses table names that are not plain identifiers, non-JSON values and bad TTLs', async () => {
    for (const table of ['Store', 'a;drop', '', 'x'.repeat(49)])
      expect(() => PostgresStore.create({ table })).toThrow(PostgresStore.InvalidOptionError)
    const store = open()
    await expect(store.put('bad', Number.NaN)).rejects.toBeInstanceOf(
      PostgresStore.InvalidValueError,
    )
    await expect(store.claim('bad', { ttlSeconds: -1 })).rejects.toBeInstanceOf(
      PostgresStore.InvalidOptionError,
    )
  })

  it('keeps strings with NUL, quotes, backslashes, spaces and line breaks', async () => {
    const store = open()
    const value = { memo: 'a\u0000b "c" \\d\n\te  f', amount: '0.000001' }
    await store.put('escapes', value)
    expect((await store.get('escapes'))?.value).toEqual(value)
  })

  it('releases its connections on close()', async () => {
    const name = `paywire-close-${Date.now()}`
    const store = open({ poolOptions: { application_name: name } })
    await Promise.all([store.get('a'), store.get('b'), store.get('c')])
    const connections = async () =>
      (
        await database.admin.query(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
          [name],
        )
      ).rows[0]?.n
    expect(await connections()).toBeGreaterThan(0)
    await store.close()
    // The server ends a backend shortly after its client leaves.
    const deadline = Date.now() + 5_000
    while ((await connections()) !== 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20))
    expect(await connections()).toBe(0)
  })

  it('rejects every operation after close()', async () => {
    const store = open()
    await store.close()
    await expect(store.get('k')).rejects.toBeInstanceOf(PostgresStore.ClosedError)
  })
})

describe('PostgresStore when PostgreSQL is unreachable', () => {
  it('fails closed on a refused connection and recovers without restart', async () => {
    const proxy = await TcpProxy.start(postgres.target())
    const store = open({ connectionString: postgres.throughPort(proxy.port), timeoutMs: 1_000 })
    try {
      expect(await store.claim('before', { ttlSeconds: 60 })).toBe(true)
      await proxy.cut()
      for (const operation of [
        () => store.claim('during', { ttlSeconds: 60 }),
        () => store.get('before'),
        () => store.put('during', '1'),
        () => store.compareAndSwap('during', null, '1'),
        () => store.delete('before'),
        () => store.deleteExpired(),
      ])
        await expect(operation()).rejects.toBeInstanceOf(Store.UnavailableError)
      await proxy.restore()
      expect(await eventually(() => store.claim('after', { ttlSeconds: 60 }))).toBe(true)
      expect(await store.claim('before', { ttlSeconds: 60 })).toBe(false)
      expect(await store.get('during')).toBeUndefined()
    } finally {
      await proxy.close()
    }
  })

  it('fails closed within the timeout when PostgreSQL hangs, then resumes', async () => {
    const proxy = await TcpProxy.start(postgres.target())
    const store = open({ connectionString: postgres.throughPort(proxy.port), timeoutMs: 1_000 })
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

  it('fails closed when PostgreSQL is down at start, and migrates once it is up', async () => {
    const proxy = await TcpProxy.start(postgres.target())
    await proxy.cut()
    const store = open({ connectionString: postgres.throughPort(proxy.port), timeoutMs: 1_000 })
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

  it('answers the value or Store.UnavailableError, never absent, after its connections are terminated', async () => {
    const name = `paywire-kill-${Date.now()}`
    const store = open({ poolOptions: { application_name: name } })
    await store.put('k', '1')
    await database.admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
      [name],
    )
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
