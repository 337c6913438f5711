// Child process of scenario 7 (run with --expose-gc): fills one memory store with `count`
// claims or session records and prints the retained heap per entry as JSON; for claims,
// also the latency of new claims (16 in flight) on the empty store and on the full one.
// Usage: memoryChild.ts <paywire|mppx> <claim|session> <count> <measureMs>
import { SessionChannel, type Store } from '@paywire/core'
import { MemoryStore } from '@paywire/store-memory'
import { Store as MppxStore } from 'mppx'
import { measureConcurrent } from './Harness.js'

const [library, kind, countText, measureText] = process.argv.slice(2)
const count = Number(countText)
const timing = { warmupMs: 100, timeMs: Number(measureText ?? 500), concurrency: 16 }
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with --expose-gc')

const settle = () => {
  for (let i = 0; i < 4; i++) gc()
  return process.memoryUsage().heapUsed
}

// The inputs are made before the baseline so that only what the store retains is counted:
// keys are built inside the loop, as a server builds them from each request.
const state = SessionChannel.serialize(
  SessionChannel.reduce(SessionChannel.initial(`0x${'ab'.repeat(32)}`), {
    type: 'open',
    deposit: 10n ** 15n,
    voucher: { cumulativeAmount: 250_000n, signature: `0x${'1b'.repeat(65)}` },
  }).state,
)
const id = (i: number) => i.toString(16).padStart(43, '0')
const channel = (i: number) => `0x${i.toString(16).padStart(64, '0')}`

type Claims = { claim(key: string): Promise<boolean> }
let claims: Claims
let fill: () => Promise<void>
let keep: unknown
if (library === 'paywire') {
  const store = MemoryStore.create({ maxEntries: count + 1_000_000 })
  keep = store
  claims = { claim: (key) => store.claim(key, { ttlSeconds: 330 }) }
  fill = async () => {
    for (let i = 0; i < count; i++)
      if (kind === 'claim') await store.claim(`paywire:challenge:${id(i)}`, { ttlSeconds: 330 })
      else
        await store.put(`paywire:session:${channel(i)}`, {
          ...state,
          channelId: channel(i),
        } as Store.Value)
  }
} else {
  const store = MppxStore.memory()
  keep = store
  const expires = Date.now() + 330_000
  claims = { claim: async (key) => MppxStore.tryClaim(store, key, expires) }
  fill = async () => {
    for (let i = 0; i < count; i++)
      if (kind === 'claim') await MppxStore.tryClaim(store, `mppx:challenge:${id(i)}`, expires)
      else await store.put(`mppx:session:${channel(i)}`, { ...state, channelId: channel(i) })
  }
}

let fresh = 0
const latency = () =>
  measureConcurrent(
    'claim (new key each time)',
    library === 'paywire' ? 'paywire' : 'mppx',
    async () => {
      if (!(await claims.claim(`new:${fresh++}`))) throw new Error('claim of a new key refused')
    },
    timing,
  )
// The empty store's latency is measured before the baseline: its claims are not counted.
const empty = kind === 'claim' ? await latency() : undefined
const before = settle()
await fill()
const after = settle()
const full = kind === 'claim' ? await latency() : undefined
process.stdout.write(
  `${JSON.stringify({ bytesPerEntry: (after - before) / count, empty, full, held: keep !== undefined })}\n`,
)
