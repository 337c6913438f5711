// Scenario 2: header codecs. Parse a `WWW-Authenticate` value holding three challenges;
// parse an `Authorization: Payment` credential and verify its binding; format a receipt.
import { Challenge, Credential, Receipt } from '@paywire/core'
import {
  Challenge as MppxChallenge,
  Credential as MppxCredential,
  Receipt as MppxReceipt,
} from 'mppx'
import * as Fixtures from '../Fixtures.js'
import { type Budget, type Measurement, measure } from '../Harness.js'
import { atLeast, type Row, type ScenarioResult } from '../Report.js'

const timestamp = '2026-11-25T12:00:00Z'
/** Distinct inputs per operation (fresh nonces, fresh references), cycled: what a server sees. */
const poolSize = 4096

/** Runs scenario 2. */
export async function run(budget: Budget): Promise<ScenarioResult> {
  // Each header is a 402 answer: three challenges (tempo, stripe, test), each with its own
  // nonce; each credential answers its own challenge; each receipt has its own reference.
  const header = Fixtures.cycle(poolSize, (n) =>
    ['tempo', 'stripe', 'test']
      .map((method, index) => Challenge.serialize(Fixtures.challenge(3 * n + index, method)))
      .join(', '),
  )
  const authorization = Fixtures.cycle(poolSize, (n) =>
    Credential.toAuthorization(
      Credential.from({
        challenge: Fixtures.challenge(n),
        payload: { type: 'hash', hash: Fixtures.reference(n) },
        source: 'did:pkh:eip155:4217:0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      }),
    ),
  )
  const reference = Fixtures.cycle(poolSize, Fixtures.reference)
  // Same verdicts on the same inputs, or the comparison means nothing.
  const first = header()
  if (
    Challenge.deserializeList(first).length !== 3 ||
    MppxChallenge.deserializeList(first).length !== 3
  )
    throw new Error('both libraries must read three challenges')
  const verifyPaywire = () => {
    const credential = Credential.fromAuthorization(authorization())
    if (credential === undefined) throw new Error('no credential')
    return Challenge.verify(credential.challenge, { secret: Fixtures.secret })
  }
  const verifyMppx = () => {
    const credential = MppxCredential.deserialize(authorization())
    return MppxChallenge.verify(credential.challenge, { secretKey: Fixtures.secretText })
  }
  for (let n = 0; n < poolSize; n++)
    if (!verifyPaywire() || !verifyMppx())
      throw new Error('both libraries must accept every credential')

  const rows: Row[] = []
  const compare = async (
    name: string,
    paywire: { label: string; fn: () => unknown },
    mppx: { label: string; fn: () => unknown },
  ) => {
    const [p, m] = (await measure(
      [
        { name: paywire.label, side: 'paywire', fn: paywire.fn },
        { name: mppx.label, side: 'mppx', fn: mppx.fn },
      ],
      budget,
    )) as [Measurement, Measurement]
    rows.push({
      scenario: 2,
      case: name,
      unit: 'ops/s',
      measurements: [p, m].map(({ name: label, ...rest }) => ({ label, ...rest })),
      ratios: [atLeast('paywire / mppx throughput', p.opsPerSecond / m.opsPerSecond, 3)],
      notes: [],
    })
  }
  await compare(
    'parse WWW-Authenticate with three challenges',
    { label: 'Challenge.deserializeList', fn: () => Challenge.deserializeList(header()) },
    { label: 'Challenge.deserializeList', fn: () => MppxChallenge.deserializeList(header()) },
  )
  await compare(
    'parse and verify a credential',
    { label: 'Credential.fromAuthorization + Challenge.verify', fn: verifyPaywire },
    { label: 'Credential.deserialize + Challenge.verify', fn: verifyMppx },
  )
  await compare(
    'format a receipt',
    {
      label: 'Receipt.from + Receipt.serialize',
      fn: () =>
        Receipt.serialize(Receipt.from({ method: 'tempo', reference: reference(), timestamp })),
    },
    {
      label: 'Receipt.from + Receipt.serialize',
      fn: () =>
        MppxReceipt.serialize(
          MppxReceipt.from({
            method: 'tempo',
            reference: reference(),
            status: 'success',
            timestamp,
          }),
        ),
    },
  )
  return { scenario: 2, title: 'Header codecs', skipped: [], rows }
}
