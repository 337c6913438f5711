// One of several processes racing on one SQLite file: opens its own store, prints "ready",
// waits for a line on stdin, then runs `count` claims or Store.update increments of one
// key at once and prints their results as JSON.
//   node --import tsx test/worker.ts <path> <claim|update> <key> <count>
import { createInterface } from 'node:readline'
import { Store } from '@paywire/core'
import * as SqliteStore from '../src/SqliteStore.js'

const [path = '', mode, key = '', count = '0'] = process.argv.slice(2)
const store = SqliteStore.create({ path, busyTimeoutMs: 10_000, cleanupIntervalMs: 0 })
await store.get(key)
console.log('ready')
await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve))
const results = await Promise.all(
  Array.from({ length: Number(count) }, () =>
    mode === 'claim'
      ? store.claim(key, { ttlSeconds: 60 })
      : Store.update(
          store,
          key,
          (current) => String(BigInt((current as string | undefined) ?? '0') + 1n),
          { maxAttempts: 10_000 },
        ),
  ),
)
console.log(JSON.stringify(results))
await store.close()
