// Scenario 3: credential verification without the chain. For a credential already read
// from its header: the bound-id check (HMAC, constant-time compare) and the single-use
// claim of its challenge in the memory store. Each operation claims a new challenge; the
// store is replaced whenever the pool of credentials wraps, so every claim succeeds.
import { Challenge, Credential } from '@paywire/core'
import { MemoryStore } from '@paywire/store-memory'
import { Challenge as MppxChallenge, Credential as MppxCredential, Store as MppxStore } from 'mppx'
import * as Fixtures from '../Fixtures.js'
import { type Budget, type Measurement, measure } from '../Harness.js'
import { atLeast, type ScenarioResult } from '../Report.js'

const poolSize = 4096

/** Runs scenario 3. */
export async function run(budget: Budget): Promise<ScenarioResult> {
  const authorizations = Array.from({ length: poolSize }, (_, index) =>
    Credential.toAuthorization(
      Credential.from({
        challenge: Fixtures.challenge(index),
        payload: { type: 'hash', hash: `0x${'5e'.repeat(32)}` },
      }),
    ),
  )
  const paywireCredentials = authorizations.map(
    (authorization) => Credential.fromAuthorization(authorization) as Credential.Credential,
  )
  const mppxCredentials = authorizations.map((authorization) =>
    MppxCredential.deserialize(authorization),
  )
  const ttlSeconds = 390
  const expiresAt = Date.now() + ttlSeconds * 1000

  let paywireStore = MemoryStore.create({ maxEntries: poolSize + 1 })
  let p = 0
  const paywire = async () => {
    if (p === poolSize) {
      p = 0
      paywireStore = MemoryStore.create({ maxEntries: poolSize + 1 })
    }
    const credential = paywireCredentials[p++] as Credential.Credential
    if (!Challenge.verify(credential.challenge, { secret: Fixtures.secret }))
      throw new Error('unbound')
    if (!(await paywireStore.claim(`paywire:challenge:${credential.challenge.id}`, { ttlSeconds })))
      throw new Error('replayed')
  }

  let mppxStore = MppxStore.memory()
  let m = 0
  const mppx = async () => {
    if (m === poolSize) {
      m = 0
      mppxStore = MppxStore.memory()
    }
    const credential = mppxCredentials[m++] as (typeof mppxCredentials)[number]
    if (!MppxChallenge.verify(credential.challenge, { secretKey: Fixtures.secretText }))
      throw new Error('unbound')
    if (
      !(await MppxStore.tryClaim(mppxStore, `mppx:challenge:${credential.challenge.id}`, expiresAt))
    )
      throw new Error('replayed')
  }

  const measured = (await measure(
    [
      { name: 'Challenge.verify + MemoryStore claim', side: 'paywire', fn: paywire },
      { name: 'Challenge.verify + Store.tryClaim (Store.memory)', side: 'mppx', fn: mppx },
    ],
    budget,
  )) as [Measurement, Measurement]
  return {
    scenario: 3,
    title: 'Credential verification without the chain (bound id + memory-store claim)',
    skipped: [],
    rows: [
      {
        scenario: 3,
        case: 'verify a bound credential and claim its challenge',
        unit: 'ops/s',
        measurements: measured.map(({ name, ...rest }) => ({ label: name, ...rest })),
        ratios: [
          atLeast(
            'paywire / mppx throughput',
            measured[0].opsPerSecond / measured[1].opsPerSecond,
            3,
          ),
        ],
        notes: [],
      },
    ],
  }
}
