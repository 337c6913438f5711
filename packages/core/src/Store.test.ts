import { describe, expect, it } from 'vitest'
import * as Store from './Store.js'

/** A map-backed store whose compareAndSwap can be made to lose races on purpose. */
function faultyStore(losses: number): Store.Store & { writes: number } {
  const data = new Map<string, Store.Entry>()
  let version = 0
  let remaining = losses
  return {
    writes: 0,
    async claim() {
      return true
    },
    async get(key) {
      return data.get(key)
    },
    async put(key, value) {
      data.set(key, { value, version: String(++version) })
    },
    async compareAndSwap(key, expected, value) {
      if (remaining > 0) {
        remaining--
        // Another writer got there first.
        data.set(key, { value: data.get(key)?.value ?? '0', version: String(++version) })
        return false
      }
      if ((data.get(key)?.version ?? null) !== expected) return false
      data.set(key, { value, version: String(++version) })
      this.writes++
      return true
    },
    async delete(key) {
      data.delete(key)
    },
  }
}

describe('Store.update', () => {
  it('applies the function to the current value and writes the result', async () => {
    const store = faultyStore(0)
    await store.put('k', '5')
    expect(await Store.update(store, 'k', (value) => String(BigInt(value as string) + 2n))).toBe(
      '7',
    )
    expect((await store.get('k'))?.value).toBe('7')
  })

  it('retries after a lost race, re-reading the value', async () => {
    const store = faultyStore(3)
    const seen: unknown[] = []
    const result = await Store.update(store, 'k', (value) => {
      seen.push(value)
      return String(BigInt((value as string | undefined) ?? '0') + 1n)
    })
    expect(result).toBe('1')
    expect(seen).toEqual([undefined, '0', '0', '0'])
    expect(store.writes).toBe(1)
  })

  it('leaves the record alone when the function returns undefined', async () => {
    const store = faultyStore(0)
    await store.put('k', 'x')
    expect(await Store.update(store, 'k', () => undefined)).toBe('x')
    expect(store.writes).toBe(0)
  })

  it('gives up with a typed error after maxAttempts lost races', async () => {
    const store = faultyStore(10)
    await expect(Store.update(store, 'k', () => 'v', { maxAttempts: 5 })).rejects.toBeInstanceOf(
      Store.ConflictError,
    )
  })
})

describe('Store.invalidValue', () => {
  it('accepts JSON values, amounts as strings included', () => {
    for (const value of [
      null,
      true,
      0,
      -1.5,
      '',
      '10',
      [],
      {},
      { amount: '10', nested: [1, { a: null }] },
    ])
      expect(Store.invalidValue(value)).toBeUndefined()
  })

  it('names what JSON cannot carry', () => {
    expect(Store.invalidValue({ amount: 10n })).toBe(
      'value holds a bigint, which JSON cannot carry',
    )
    expect(Store.invalidValue([undefined])).toBe('value holds a undefined, which JSON cannot carry')
    expect(Store.invalidValue({ f: () => 1 })).toBe(
      'value holds a function, which JSON cannot carry',
    )
    expect(Store.invalidValue(new Date(0))).toBe('value holds a object, which JSON cannot carry')
    expect(Store.invalidValue([Number.NaN])).toBe('value holds a non-finite number')
    expect(Store.invalidValue({ a: Number.POSITIVE_INFINITY })).toBe(
      'value holds a non-finite number',
    )
  })

  it('refuses nesting deeper than maxDepth and accepts it at maxDepth', () => {
    const nest = (levels: number): unknown => (levels === 0 ? 'leaf' : [nest(levels - 1)])
    expect(Store.invalidValue(nest(Store.maxDepth))).toBeUndefined()
    expect(Store.invalidValue(nest(Store.maxDepth + 1))).toBe('value nests deeper than 64 levels')
  })
})
