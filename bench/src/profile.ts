// `tsx src/profile.ts <case> [seconds]` under `node --cpu-prof`: runs one paywire operation
// of the scenarios in a loop, so that its profile shows where the time goes.
// Cases: issue, parse3, credential, receipt, verify-claim.
import { Challenge, Credential, Receipt } from '@paywire/core'
import { MemoryStore } from '@paywire/store-memory'
import * as Fixtures from './Fixtures.js'

const [name, secondsText] = process.argv.slice(2)
const until = performance.now() + Number(secondsText ?? 5) * 1000
const header = ['tempo', 'stripe', 'test']
  .map((method, index) => Challenge.serialize(Fixtures.challenge(index, method)))
  .join(', ')
const authorization = Credential.toAuthorization(
  Credential.from({
    challenge: Fixtures.challenge(7),
    payload: { type: 'hash', hash: `0x${'5e'.repeat(32)}` },
  }),
)
const credential = Credential.fromAuthorization(authorization) as Credential.Credential
const store = MemoryStore.create({ maxEntries: 10_000_000 })
let i = 0
const cases: Record<string, () => unknown> = {
  issue: () =>
    Challenge.serialize(
      Challenge.from(
        {
          realm: Fixtures.realm,
          method: 'tempo',
          intent: 'charge',
          request: Fixtures.request,
          expires: Fixtures.expires,
          opaque: Fixtures.opaque(i++),
        },
        { secret: Fixtures.secret },
      ),
    ),
  parse3: () => Challenge.deserializeList(header),
  credential: () => {
    const parsed = Credential.fromAuthorization(authorization) as Credential.Credential
    return Challenge.verify(parsed.challenge, { secret: Fixtures.secret })
  },
  receipt: () =>
    Receipt.serialize(
      Receipt.from({ method: 'tempo', reference: '0xabc', timestamp: '2026-11-25T12:00:00Z' }),
    ),
  'verify-claim': async () => {
    Challenge.verify(credential.challenge, { secret: Fixtures.secret })
    await store.claim(`paywire:challenge:${i++}`, { ttlSeconds: 300 })
  },
}
const fn = cases[name as string]
if (fn === undefined) throw new Error(`unknown case ${name}`)
let ops = 0
while (performance.now() < until) {
  for (let k = 0; k < 100; k++) {
    const value = fn()
    if (value instanceof Promise) await value
  }
  ops += 100
}
console.log(`${name}: ${ops} ops`)
