// The contract suite every Store implementation runs against itself (@paywire/core
// Store.ts): atomic claims under concurrency, TTL expiry, compare-and-swap, lossless
// atomic updates, JSON fidelity (amounts stay strings), copies in and out, delete.
// Imported from `@paywire/testkit/store-contract`; it needs vitest (a peer dependency).
import { Store } from '@paywire/core'
import { afterEach, describe, expect, it } from 'vitest'

/**
 * Registers the Store contract tests (a vitest `describe` block) for an implementation.
 * `makeStore` is called once per test and must return an empty store; the suite closes
 * it after the test.
 *
 * @example
 * ```ts
 * import { run } from '@paywire/testkit/store-contract'
 * import { MemoryStore } from '@paywire/store-memory'
 * run('MemoryStore', () => MemoryStore.create())
 * ```
 */
export function run(name: string, makeStore: () => Store.Store | Promise<Store.Store>): void {
  describe(`Store contract: ${name}`, () => {
    let opened: Store.Store[] = []
    const fresh = async () => {
      const store = await makeStore()
      opened.push(store)
      return store
    }
    afterEach(async () => {
      for (const store of opened) await store.close?.()
      opened = []
    })

    it('claims a key once: the first claim wins, later claims lose', async () => {
      const store = await fresh()
      expect(await store.claim('c:1', { ttlSeconds: 60 })).toBe(true)
      expect(await store.claim('c:1', { ttlSeconds: 60 })).toBe(false)
      expect(await store.claim('c:2', { ttlSeconds: 60 })).toBe(true)
    })

    it('lets exactly one of 200 concurrent claims of one key win', async () => {
      const store = await fresh()
      const results = await Promise.all(
        Array.from({ length: 200 }, () => store.claim('c:race', { ttlSeconds: 60 })),
      )
      expect(results.filter(Boolean)).toHaveLength(1)
    })

    it('refuses a claim of a key that holds a value', async () => {
      const store = await fresh()
      await store.put('k', { amount: '1' })
      expect(await store.claim('k', { ttlSeconds: 60 })).toBe(false)
    })

    it('forgets a claim and a value after their TTL', async () => {
      const store = await fresh()
      expect(await store.claim('c:ttl', { ttlSeconds: 1 })).toBe(true)
      await store.put('v:ttl', 'x', { ttlSeconds: 1 })
      await store.put('v:kept', 'y', { ttlSeconds: 60 })
      expect(await store.claim('c:ttl', { ttlSeconds: 1 })).toBe(false)
      await sleep(1_300)
      expect(await store.get('v:ttl')).toBeUndefined()
      expect((await store.get('v:kept'))?.value).toBe('y')
      expect(await store.claim('c:ttl', { ttlSeconds: 60 })).toBe(true)
    })

    it('releases a claim on delete, and deletes absent keys without error', async () => {
      const store = await fresh()
      await store.claim('c:del', { ttlSeconds: 60 })
      await store.delete('c:del')
      await store.delete('never-written')
      expect(await store.get('c:del')).toBeUndefined()
      expect(await store.claim('c:del', { ttlSeconds: 60 })).toBe(true)
    })

    it('keeps JSON values exactly: amounts as strings, nesting, unicode, numbers', async () => {
      const store = await fresh()
      const value = {
        amount: '115792089237316195423570985008687907853269984665640564039457584007913129639935',
        small: '0',
        nested: { list: [1, 2.5, -3, true, false, null, 'ü€𝄞'], empty: {} },
        leadingZeros: '000123',
      }
      await store.put('json', value)
      const entry = await store.get('json')
      expect(entry?.value).toEqual(value)
      expect(typeof (entry?.value as { amount: unknown } | undefined)?.amount).toBe('string')
    })

    it('copies values in and out: no caller changes stored state by reference', async () => {
      const store = await fresh()
      const value = { amount: '10', items: ['a'] }
      await store.put('copy', value)
      value.amount = '999'
      value.items.push('b')
      const first = await store.get('copy')
      expect(first?.value).toEqual({ amount: '10', items: ['a'] })
      ;(first?.value as { amount: string }).amount = '777'
      expect((await store.get('copy'))?.value).toEqual({ amount: '10', items: ['a'] })
    })

    it('changes the version on every write, even of an equal value', async () => {
      const store = await fresh()
      await store.put('ver', 'same')
      const first = await store.get('ver')
      await store.put('ver', 'same')
      const second = await store.get('ver')
      expect(first?.version).toBeTypeOf('string')
      expect(second?.version).not.toBe(first?.version)
    })

    it('compare-and-swap writes only over the expected version', async () => {
      const store = await fresh()
      expect(await store.compareAndSwap('cas', null, { n: '1' })).toBe(true)
      expect(await store.compareAndSwap('cas', null, { n: 'x' })).toBe(false)
      const first = await store.get('cas')
      expect(await store.compareAndSwap('cas', first?.version ?? '', { n: '2' })).toBe(true)
      expect(await store.compareAndSwap('cas', first?.version ?? '', { n: 'stale' })).toBe(false)
      expect((await store.get('cas'))?.value).toEqual({ n: '2' })
    })

    it('compare-and-swap does not accept a version from before a delete', async () => {
      const store = await fresh()
      await store.put('aba', 'a')
      const old = await store.get('aba')
      await store.delete('aba')
      await store.put('aba', 'b')
      expect(await store.compareAndSwap('aba', old?.version ?? '', 'c')).toBe(false)
      await store.delete('aba')
      expect(await store.compareAndSwap('aba', old?.version ?? '', 'c')).toBe(false)
      expect(await store.compareAndSwap('aba', null, 'd')).toBe(true)
    })

    it('scans the live keys of a prefix page by page, if it can scan', async () => {
      const store = await fresh()
      if (store.scan === undefined) return
      const wanted = Array.from({ length: 25 }, (_, i) => `scan:a:${String(i).padStart(2, '0')}`)
      for (const key of wanted) await store.put(key, { n: key })
      expect(await store.claim('scan:a:claimed', { ttlSeconds: 60 })).toBe(true)
      await store.put('scan:b:1', 'other prefix')
      await store.put('scan:[a]*:1', 'glob characters are literal')
      await store.put('scan:a:gone', 'deleted')
      await store.delete('scan:a:gone')
      // A page may hold fewer keys than asked, none at all (Redis), or a key twice.
      const all = async (prefix: string, limit?: number) => {
        const seen = new Set<string>()
        let cursor: string | undefined
        let pages = 0
        do {
          const page = await (store.scan as NonNullable<Store.Store['scan']>)(prefix, {
            cursor,
            limit,
          })
          for (const key of page.keys) seen.add(key)
          cursor = page.cursor
          pages++
        } while (cursor !== undefined && pages < 1_000)
        return [...seen].sort()
      }
      expect(await all('scan:a:', 10)).toEqual([...wanted, 'scan:a:claimed'].sort())
      expect(await all('scan:[a]*')).toEqual(['scan:[a]*:1'])
    })

    it('loses no increment among 200 concurrent Store.update calls', async () => {
      const store = await fresh()
      await Promise.all(
        Array.from({ length: 200 }, () =>
          Store.update(
            store,
            'counter',
            (current) => String(BigInt((current as string | undefined) ?? '0') + 1n),
            { maxAttempts: 1_000 },
          ),
        ),
      )
      expect((await store.get('counter'))?.value).toBe('200')
    })
  })
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
