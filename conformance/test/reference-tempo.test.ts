// Runs the whole server suite against paywire's reference server with the Tempo charge
// only (`pnpm serve:reference --methods tempo --tempo-rpc <url>`), on a local Tempo node:
// every check that needs a payment pays with real transactions, pull by default, push
// and fee-sponsored where the Tempo checks ask for them. Every MUST passes. The reference
// server names a fresh memo on every challenge (spec/DEVIATIONS.md, row 25): the payer pays
// it whatever its compatibility switch `memo` says (that switch only fills a memo the
// challenge leaves out).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Challenge, Credential } from '@paywire/core'
import { Binding, Chain, Transaction, Transfer } from '@paywire/method-tempo'
import { TempoNode } from '@paywire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Catalog from '../src/Catalog.js'
import type * as Results from '../src/Results.js'
import * as Suite from '../src/Suite.js'
import * as Config from '../src/server/Config.js'
import * as TempoPayer from '../src/server/TempoPayer.js'
import * as Processes from './fixtures/processes.js'

const configFile = fileURLToPath(new URL('./fixtures/reference-tempo.config.json', import.meta.url))
const logs = mkdtempSync(join(tmpdir(), 'paywire-conformance-tempo-'))
const logFile = join(logs, 'reference.log')
/** What the payer starts with: 1,000 pathUSD. */
const funds = 1_000_000_000n

let node: TempoNode.TempoNode
let server: Processes.Server | undefined
let url: string
let payer: TempoNode.Account
let recipient: `0x${string}`
let recipientBefore = 0n
let results: Results.Results
/** The paying groups again, the payer in push mode (no expiry wait, no side-effect count). */
let pushed: Results.Results
let pusher: TempoNode.Account
const pushedGroups = ['status', 'receipt', 'cache', 'binding', 'replay', 'digest', 'route']
  .concat(['idempotency', 'malformed', 'size', 'tempo'])
  .map((group) => `server.${group}.`)

beforeAll(async () => {
  node = await TempoNode.start()
  payer = await node.newAccount(funds)
  // Tempo refuses transactions valid for 3 s or less: challenges live 10 s.
  const args = ['serve:reference', '--port', '0', '--expires', '10', '--skew', '1']
  server = await Processes.start({
    name: 'reference server',
    args: [...args, '--methods', 'tempo', '--tempo-rpc', node.rpcUrl, '--log-events'],
    logFile,
  })
  url = server.url
  recipient = JSON.parse(/^tempo: (.*)$/m.exec(server.output)?.[1] ?? 'null').recipient.address
  recipientBefore = await node.balanceOf(recipient)
  const file = JSON.parse(readFileSync(configFile, 'utf8'))
  const config = Config.from({
    ...file,
    methods: {
      tempo: { ...file.methods.tempo, rpcUrl: node.rpcUrl, privateKey: payer.privateKey },
    },
    expiry: { skewSeconds: 1, maxWaitSeconds: 15 },
    logFile,
    fuzzRuns: 12,
    concurrency: 8,
  })
  results = await Suite.run({ url, config })
  pusher = await node.newAccount(funds)
  pushed = await Suite.run({
    url,
    config: {
      ...config,
      methods: {
        tempo: { ...(config.methods.tempo as object), privateKey: pusher.privateKey, mode: 'push' },
      },
    },
    filter: { prefix: pushedGroups },
  })
}, 120_000)

afterAll(async () => {
  server?.stop()
  await node?.stop()
  rmSync(logs, { recursive: true, force: true })
})

function expectVerdict(id: string, verdict: Results.Verdict): void {
  const result = results.results.find((r) => r.id === id)
  expect(result, `${id} ran`).toBeDefined()
  expect({ id, verdict: result?.verdict, message: result?.message }).toEqual({
    id,
    verdict,
    message: result?.message,
  })
}

describe('paywire reference server, Tempo charge only', () => {
  it('server.tempo.receipt passes {tempo.charge.receipt.return}', () =>
    expectVerdict('server.tempo.receipt', 'pass'))
  it('server.tempo.pull.wrong-recipient passes {tempo.charge.pull.verify-before-broadcast, tempo.charge.receipt.not-on-error, charge.verify.recipient}', () =>
    expectVerdict('server.tempo.pull.wrong-recipient', 'pass'))
  it('server.tempo.pull.wrong-amount passes {tempo.charge.pull.verify-before-broadcast, tempo.charge.receipt.not-on-error, charge.verify.amount}', () =>
    expectVerdict('server.tempo.pull.wrong-amount', 'pass'))
  it('server.tempo.push.replay passes {tempo.charge.receipt.not-on-error, charge.replay.reject, charge.replay.protection, core.replay.reject-reuse}', () =>
    expectVerdict('server.tempo.push.replay', 'pass'))
  it('server.tempo.push.wrong-recipient passes {tempo.charge.hash.verify-receipt, tempo.charge.receipt.not-on-error, charge.verify.recipient}', () =>
    expectVerdict('server.tempo.push.wrong-recipient', 'pass'))
  it('server.tempo.modes.omitted passes {tempo.charge.modes.omit-only-when-both, tempo.charge.modes.non-empty}', () =>
    expectVerdict('server.tempo.modes.omitted', 'pass'))
  it('server.tempo.modes.unadvertised passes {tempo.charge.hash.reject-unadvertised, tempo.charge.hash.verify-push-mode, tempo.charge.pull.verify-before-broadcast, tempo.charge.receipt.not-on-error}', () =>
    expectVerdict('server.tempo.modes.unadvertised', 'pass'))
  it('server.tempo.sponsored.settles passes {tempo.charge.modes.include-explicitly, tempo.charge.fee.server-balance}', () =>
    expectVerdict('server.tempo.sponsored.settles', 'pass'))
  it('server.tempo.sponsored.hash-refused passes {tempo.charge.hash.reject-fee-payer, tempo.charge.receipt.not-on-error}', () =>
    expectVerdict('server.tempo.sponsored.hash-refused', 'pass'))
  it('server.tempo.push.unbound passes {tempo.charge.binding.bound-transfer, tempo.charge.receipt.not-on-error}', () =>
    expectVerdict('server.tempo.push.unbound', 'pass'))
  it('server.tempo.sponsored.revert-refused passes {tempo.charge.fee.simulate, tempo.charge.receipt.not-on-error}', () =>
    expectVerdict('server.tempo.sponsored.revert-refused', 'pass'))
  it('server.tempo.sponsored.replay-free passes {tempo.charge.fee.no-replay-cost, charge.replay.protection}', () =>
    expectVerdict('server.tempo.sponsored.replay-free', 'pass'))

  it('has one test above per Tempo check of the catalog', () => {
    const source = readFileSync(fileURLToPath(import.meta.url), 'utf8')
    const titles = [...source.matchAll(/^ {2}it\('(server\.tempo\.[a-z0-9.-]+) /gm)]
    expect(titles.map((m) => m[1])).toEqual(
      Catalog.tests.filter((test) => test.id.startsWith('server.tempo.')).map((test) => test.id),
    )
  })
})

describe('the run against the reference server paid with Tempo', () => {
  it('passes every MUST it has the capabilities for, with no fail and no error', () => {
    const bad = results.results.filter((r) => r.verdict === 'fail' || r.verdict === 'error')
    expect(bad.map((r) => `${r.id}: ${r.message}`)).toEqual([])
    const musts = results.results.filter((r) => r.level === 'MUST')
    expect(musts.filter((r) => r.verdict !== 'pass' && r.verdict !== 'n/a')).toEqual([])
  })

  it('runs every check that needs a payment, paying with Tempo', () => {
    const paying = Catalog.tests.filter((test) => test.needs.includes('payment'))
    // Only the checks needing a route the reference server does not have are n/a: a
    // denying route, and a paid route selecting Payment-Authorization.
    const skipped = results.results
      .filter((r) => paying.some((test) => test.id === r.id) && r.verdict === 'n/a')
      .map((r) => r.id)
      .sort()
    expect(skipped).toEqual(['server.header.paid-private', 'server.status.policy-denied'])
    expect(results.target.methods).toEqual(['tempo'])
    expect(results.target.capabilities).toContain('payment:tempo')
  })

  it('passes the paying groups again with push payments, with no fail and no error', () => {
    expect(
      pushed.results
        .filter((r) => r.verdict !== 'pass' && r.verdict !== 'n/a')
        .map((r) => `${r.id}: ${r.verdict} ${r.message}`),
    ).toEqual([])
    expect(pushed.summary.pass).toBeGreaterThan(40)
  })

  it('moved real money: the payers paid, the recipient was paid', async () => {
    const pulled = funds - (await node.balanceOf(payer.address))
    const pushedOut = funds - (await node.balanceOf(pusher.address))
    const received = (await node.balanceOf(recipient)) - recipientBefore
    // Dozens of charges of 1000 base units or more settled to the recipient, from each.
    expect(pulled).toBeGreaterThanOrEqual(20_000n)
    expect(pushedOut).toBeGreaterThanOrEqual(20_000n)
    expect(received).toBeGreaterThanOrEqual(40_000n)
    expect(pulled + pushedOut).toBeGreaterThan(received)
  })
})

describe("the Tempo payer's compatibility memo (methods.tempo.memo)", () => {
  /** The reference server's challenge for /paid, paid by a fresh payer with `memo`; sent back. */
  async function payWith(memo: TempoPayer.Memo, mode: TempoPayer.Mode) {
    const account = await node.newAccount(funds)
    const payer = TempoPayer.from({
      rpcUrl: node.rpcUrl,
      privateKey: account.privateKey,
      mode,
      memo,
    })
    const unpaid = await fetch(`${url}/paid`)
    const challenge = Challenge.deserializeList(unpaid.headers.get('www-authenticate') ?? '').find(
      (offer) => offer.method === 'tempo',
    ) as Challenge.Challenge
    const payment = await payer.pay(challenge)
    const authorization = Credential.toAuthorization(Credential.from({ challenge, ...payment }))
    const response = await fetch(`${url}/paid`, { headers: { authorization } })
    return { challenge, payload: payment.payload as Record<string, string>, response }
  }

  it.each(['challenge', 'mppx-attribution'] as const)(
    "with memo '%s', pays the fresh memo the reference server names, and is accepted {tempo.charge.request.memo, tempo.charge.binding.issue-memo, tempo.charge.transaction.authorize}",
    async (memo) => {
      const { challenge, payload, response } = await payWith(memo, 'pull')
      const asked = (Challenge.decodeRequest(challenge).methodDetails as { memo: string }).memo
      expect(Binding.isIssued(asked)).toBe(true)
      const { envelope } = Transaction.deserialize(payload.signature as string)
      const calls = envelope.calls.map((call) => Transfer.decodeCall(call))
      expect(calls.map((call) => call?.memo)).toEqual([asked])
      expect(response.status).toBe(200)
      expect(response.headers.get('payment-receipt')).toBeTruthy()
    },
  )

  it("pushes a transfer whose logs carry the challenge's memo, and the reference server accepts it {tempo.charge.hash.verify-receipt, tempo.charge.binding.bound-transfer}", async () => {
    const { challenge, payload, response } = await payWith('mppx-attribution', 'push')
    const asked = (Challenge.decodeRequest(challenge).methodDetails as { memo: string }).memo
    const chain = Chain.fromRpc({ rpcUrl: node.rpcUrl, chainId: node.chainId })
    const receipt = await chain.getTransactionReceipt(payload.hash as `0x${string}`)
    const movements = Transfer.fromLogs(receipt?.logs ?? [], TempoNode.pathUsd).filter((movement) =>
      Transfer.sameAddress(movement.recipient, recipient),
    )
    expect(movements.map((movement) => movement.memo)).toEqual([asked])
    expect(response.status).toBe(200)
  })
})
