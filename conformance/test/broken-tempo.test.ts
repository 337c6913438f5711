// The Tempo checks must never pass a broken Tempo server: each Tempo fixture with one
// injected defect fails on the check naming it, while the correct fixture passes every
// Tempo check. One local Tempo node for the file; each fixture has its own payer and fee
// payer, so that the runs side by side never share a nonce.
import { TempoNode } from '@paywire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type * as Results from '../src/Results.js'
import * as Suite from '../src/Suite.js'
import * as Config from '../src/server/Config.js'
import { startTempo, type TempoDefect, tempoDefects } from './fixtures/tempo-paywall.js'

/** Each defect and the check that must fail on it. */
const caughtBy: Record<TempoDefect, string> = {
  'broadcast-before-verify': 'server.tempo.pull.wrong-recipient',
  'hash-reused': 'server.tempo.push.replay',
  'sponsored-hash-accepted': 'server.tempo.sponsored.hash-refused',
  'receipt-wrong-reference': 'server.tempo.receipt',
  'sponsored-modes-omitted': 'server.tempo.sponsored.settles',
  'push-unbound': 'server.tempo.push.unbound',
  'sponsor-unsimulated': 'server.tempo.sponsored.revert-refused',
  'sponsor-replay-charged': 'server.tempo.sponsored.replay-free',
  'verify-no-receipt': 'server.tempo.receipt',
}

let node: TempoNode.TempoNode
const runs = new Map<string, Results.Results>()
const servers: Array<{ close(): Promise<void> }> = []

async function runAgainst(name: string, defect: TempoDefect | undefined): Promise<void> {
  const [payer, sponsor] = await Promise.all([
    node.newAccount(100_000_000n),
    node.newAccount(100_000_000n),
  ])
  const server = await startTempo({
    rpcUrl: node.rpcUrl,
    chainId: node.chainId,
    recipient: (node.accounts[1] as TempoNode.Account).address,
    feePayerKey: sponsor.privateKey,
    defect,
  })
  servers.push(server)
  const config = Config.from({
    routes: { paid: '/paid', sponsored: '/paid-sponsored' },
    methods: { tempo: { rpcUrl: node.rpcUrl, privateKey: payer.privateKey } },
  })
  runs.set(
    name,
    await Suite.run({ url: server.url, config, filter: { prefix: ['server.tempo.'] } }),
  )
}

beforeAll(async () => {
  node = await TempoNode.start()
  // One after the other: the node's faucet funds every payer from one account.
  await runAgainst('correct', undefined)
  for (const defect of tempoDefects) await runAgainst(defect, defect)
}, 120_000)

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()))
  await node?.stop()
})

describe('the correct Tempo fixture', () => {
  it('passes every Tempo check', () => {
    const results = runs.get('correct') as Results.Results
    expect(results.results.map((r) => [r.id, r.verdict, r.message])).toEqual(
      results.results.map((r) => [r.id, 'pass', r.message]),
    )
    expect(results.results).toHaveLength(12)
  })
})

describe('each broken Tempo fixture', () => {
  it.each(tempoDefects.map((defect) => [defect, caughtBy[defect]] as const))(
    'with %s fails on %s',
    (defect, id) => {
      const results = runs.get(defect) as Results.Results
      const failed = results.results.filter((r) => r.verdict === 'fail').map((r) => r.id)
      expect(failed).toContain(id)
      expect(results.results.filter((r) => r.verdict === 'error')).toEqual([])
    },
  )

  it('names every defect in the table', () => {
    expect(Object.keys(caughtBy).sort()).toEqual([...tempoDefects].sort())
  })
})
