// Parallel `paywire` processes sharing one home: every payment each of them made is in the
// ledger exactly once, the budgets hold across them, and the files they share stay
// owner-only.
import { chmodSync, existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { home, paywire, referenceServer } from './test/run.js'

const testKey = 'paywire-reference-test-method-key'
let server: Awaited<ReturnType<typeof referenceServer>>

beforeAll(async () => {
  server = await referenceServer('--realm', 'paywire.reference')
})
afterAll(() => server?.stop())

const pay = (dir: string, ...policy: string[]) =>
  paywire([
    `${server.url}/paid`,
    '--home',
    dir,
    '--test-key',
    testKey,
    '--allow-realm',
    'paywire.reference',
    '--max-amount',
    '1000:usd',
    '--yes',
    '--json',
    ...policy,
  ])

type Entry = { challengeId: string; amount: string; status: string }

async function ledger(dir: string): Promise<{ entries: Entry[]; totals: Record<string, string> }> {
  return JSON.parse((await paywire(['ledger', '--home', dir, '--json'])).stdout)
}

describe('10 paying runs at once in one home', () => {
  it('keep an exact ledger: 10 payments, 10 entries, each settled once', async () => {
    const dir = home()
    const runs = await Promise.all(Array.from({ length: 10 }, () => pay(dir)))
    expect(runs.map((run) => run.code)).toEqual(Array(10).fill(0))
    const paid = runs.map((run) => JSON.parse(run.stdout).payment as Entry)
    const { entries, totals } = await ledger(dir)
    expect(entries).toHaveLength(10)
    expect(new Set(entries.map((entry) => entry.challengeId))).toEqual(
      new Set(paid.map((entry) => entry.challengeId)),
    )
    expect(entries.every((entry) => entry.status === 'settled' && entry.amount === '1000')).toBe(
      true,
    )
    expect(totals).toEqual({ usd: '10000' })
  })

  it('keep the budget: with room for 5, exactly 5 pay and the ledger holds those 5', async () => {
    const dir = home()
    const runs = await Promise.all(
      Array.from({ length: 10 }, () => pay(dir, '--budget', '5500:usd/day')),
    )
    expect(runs.map((run) => run.code).sort()).toEqual([0, 0, 0, 0, 0, 3, 3, 3, 3, 3])
    const { entries, totals } = await ledger(dir)
    expect(entries).toHaveLength(5)
    expect(totals).toEqual({ usd: '5000' })
  })
})

describe('paywire.db', () => {
  it('is owner-only (0600), with its write-ahead log, and a looser one is tightened', async () => {
    const dir = home()
    expect((await pay(dir)).code).toBe(0)
    const database = join(dir, 'paywire.db')
    for (const path of [database, `${database}-wal`, `${database}-shm`])
      if (existsSync(path)) expect([path, statSync(path).mode & 0o777]).toEqual([path, 0o600])
    chmodSync(database, 0o644)
    expect((await pay(dir)).code).toBe(0)
    expect(statSync(database).mode & 0o777).toBe(0o600)
  })

  it('is created owner-only, where the umask alone would give 0644', async () => {
    const dir = home()
    const run = await paywire(['ledger', '--home', dir, '--json'])
    expect(run.code).toBe(0)
    expect(statSync(join(dir, 'paywire.db')).mode & 0o777).toBe(0o600)
  })
})
