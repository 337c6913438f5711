// Scenario 1: challenge issuance. Build, bind (HMAC-SHA256) and serialize one challenge,
// as a server does for every unpaid request. Floors: the HMAC of the binding input alone,
// with node:crypto (the platform's native HMAC, what paywire uses on Node) and with
// @noble/hashes (the portable one, what paywire uses in browsers and workers, and mppx
// everywhere).
import { createHmac } from 'node:crypto'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { Challenge } from '@paywire/core'
import { Challenge as MppxChallenge } from 'mppx'
import * as Fixtures from '../Fixtures.js'
import { type Budget, type Measurement, measure } from '../Harness.js'
import { atLeast, type ScenarioResult } from '../Report.js'

/** Runs scenario 1. */
export async function run(budget: Budget): Promise<ScenarioResult> {
  let i = 0
  const bindingInput = [
    Fixtures.realm,
    'tempo',
    'charge',
    Challenge.encodeRequest(Fixtures.request),
    Fixtures.expires,
    '',
    Challenge.encodeOpaque(Fixtures.opaque(0)),
  ].join('|')
  const bindingBytes = new TextEncoder().encode(bindingInput)
  const measured = (await measure(
    [
      {
        name: 'Challenge.from + Challenge.serialize',
        side: 'paywire',
        fn: () =>
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
      },
      {
        name: 'Challenge.from + Challenge.serialize',
        side: 'mppx',
        fn: () =>
          MppxChallenge.serialize(
            MppxChallenge.from({
              secretKey: Fixtures.secretText,
              realm: Fixtures.realm,
              method: 'tempo',
              intent: 'charge',
              request: Fixtures.request,
              expires: Fixtures.expires,
              meta: Fixtures.opaque(i++),
            }),
          ),
      },
      {
        name: 'HMAC-SHA256 of the binding input (node:crypto)',
        side: 'floor',
        fn: () => createHmac('sha256', Fixtures.secret).update(bindingInput).digest(),
      },
      {
        name: 'HMAC-SHA256 of the binding input (@noble/hashes)',
        side: 'floor',
        fn: () => hmac(sha256, Fixtures.secret, bindingBytes),
      },
    ],
    budget,
  )) as [Measurement, Measurement, Measurement, Measurement]
  const [paywire, mppx, native, noble] = measured
  return {
    scenario: 1,
    title: 'Challenge issuance: build, bind (HMAC) and serialize',
    skipped: [],
    rows: [
      {
        scenario: 1,
        case: 'issue one challenge',
        unit: 'ops/s',
        measurements: measured.map(({ name, ...m }) => ({ label: name, ...m })),
        ratios: [
          atLeast('paywire / mppx throughput', paywire.opsPerSecond / mppx.opsPerSecond, 4),
          {
            name: 'native HMAC floor / paywire throughput (informative)',
            value: native.opsPerSecond / paywire.opsPerSecond,
          },
          {
            name: 'native / noble HMAC throughput (informative)',
            value: native.opsPerSecond / noble.opsPerSecond,
          },
        ],
        notes: [],
      },
    ],
  }
}
