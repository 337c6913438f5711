// The session checks against real session servers on a local Tempo node (one for the
// file): the fixture (@paywire/server with @paywire/method-tempo-session, paywire's escrow
// deployed by its payee) and paywire's demo API (`pnpm paywire serve --tempo-rpc`, whose
// GET /session is paid on a session channel) pass every server.session check; the fixture
// with a defect (a lower voucher served, a top-up never broadcast) fails the check naming it.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { TempoNode } from '@paywire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Catalog from '../src/Catalog.js'
import type * as Results from '../src/Results.js'
import * as Suite from '../src/Suite.js'
import * as Config from '../src/server/Config.js'
import * as Processes from './fixtures/processes.js'
import { type SessionDefect, startSession } from './fixtures/session-paywall.js'

/** pathUSD: channels hold it, and the payer pays its fees with it. */
const currency = '0x20c0000000000000000000000000000000000000'

const demoConfigFile = fileURLToPath(
  new URL('./fixtures/demo-session.config.json', import.meta.url),
)

let node: TempoNode.TempoNode
let demo: Processes.Server | undefined
const runs = new Map<string, Results.Results>()
const servers: Array<{ close(): Promise<void> }> = []

function config(privateKey: string): Config.Config {
  return Config.from({
    routes: { paid: '/session', session: '/session' },
    session: { rpcUrl: node.rpcUrl, privateKey, deposit: '1000' },
  })
}

async function runAgainst(
  name: string,
  defect: SessionDefect | undefined,
  payee: TempoNode.Account,
): Promise<void> {
  const payer = await node.newAccount(100_000_000n)
  const server = await startSession({
    rpcUrl: node.rpcUrl,
    chainId: node.chainId,
    client: node.client,
    payeeKey: payee.privateKey,
    currency,
    defect,
  })
  servers.push(server)
  runs.set(
    name,
    await Suite.run({
      url: server.url,
      config: config(payer.privateKey),
      filter: { prefix: ['server.session.'] },
    }),
  )
}

beforeAll(async () => {
  node = await TempoNode.start()
  // The payees are dev accounts of the node: they deploy an escrow and pay the fees of closes.
  await runAgainst('correct', undefined, node.accounts[5] as TempoNode.Account)
  await runAgainst(
    'lower-voucher-served',
    'lower-voucher-served',
    node.accounts[6] as TempoNode.Account,
  )
  await runAgainst(
    'top-up-not-broadcast',
    'top-up-not-broadcast',
    node.accounts[7] as TempoNode.Account,
  )
  demo = await Processes.start({
    name: 'paywire serve',
    args: ['paywire', 'serve', '--port', '0', '--tempo-rpc', node.rpcUrl],
    ready: (output) => output.includes('tempo sessions: GET /session'),
  })
  const url = demo.url
  const payer = await node.newAccount(100_000_000n)
  // The configuration the README shows for the demo API, on this node and payer.
  const file = JSON.parse(readFileSync(demoConfigFile, 'utf8'))
  const demoConfig = Config.from({
    ...file,
    session: { ...file.session, rpcUrl: node.rpcUrl, privateKey: payer.privateKey },
  })
  runs.set(
    'demo',
    await Suite.run({ url, config: demoConfig, filter: { prefix: ['server.session.'] } }),
  )
}, 120_000)

afterAll(async () => {
  demo?.stop()
  await Promise.all(servers.map((server) => server.close()))
  await node?.stop()
})

function expectPass(run: string, id: string): void {
  const result = runs.get(run)?.results.find((entry) => entry.id === id)
  expect(result?.verdict, JSON.stringify(result)).toBe('pass')
}

const ids = Catalog.serverChecks
  .filter((check) => check.id.startsWith('server.session.'))
  .map((check) => check.id)

describe('the session checks against a correct session server', () => {
  it('lists the session checks', () => {
    expect(ids).toContain('server.session.sequences')
    expect(ids.length).toBeGreaterThanOrEqual(8)
  })

  it('server.session.open passes {tempo.session.open.channel-state, tempo.session.request.charge-before-delivery, tempo.session.request.receipt-balance, tempo.session.receipt.every-success}', () =>
    expectPass('correct', 'server.session.open'))
  it('server.session.voucher passes {tempo.session.voucher.monotonic, tempo.session.voucher.update-highest, tempo.session.request.voucher-first, tempo.session.request.receipt-balance}', () =>
    expectPass('correct', 'server.session.voucher'))
  it('server.session.voucher-lower passes {tempo.session.idempotency.lower-rejected, tempo.session.voucher.monotonic}', () =>
    expectPass('correct', 'server.session.voucher-lower'))
  it('server.session.voucher-equal passes {tempo.session.idempotency.equal-ok, tempo.session.voucher.idempotent-equal, tempo.session.request.balance-check}', () =>
    expectPass('correct', 'server.session.voucher-equal'))
  it('server.session.voucher-above-deposit passes {tempo.session.voucher.deposit-cap, tempo.session.errors.problem-details}', () =>
    expectPass('correct', 'server.session.voucher-above-deposit'))
  it('server.session.top-up passes {tempo.session.topup.transaction, tempo.session.topup.channel-state, tempo.session.topup.update-balance}', () =>
    expectPass('correct', 'server.session.top-up'))
  it('server.session.close passes {tempo.session.close.capture-spent, tempo.session.close.use-accounting, tempo.session.errors.problem-details}', () =>
    expectPass('correct', 'server.session.close'))
  it('server.session.sequences passes {tempo.session.voucher.monotonic, tempo.session.voucher.deposit-cap, tempo.session.concurrency.atomic-vouchers, tempo.session.close.capture-spent}', () =>
    expectPass('correct', 'server.session.sequences'))

  it('has one test above per session check, tagged with exactly its requirements', () => {
    const source = readFileSync(fileURLToPath(import.meta.url), 'utf8')
    const titles = [
      ...source.matchAll(/^ {2}it\('(server\.session\.[a-z-]+) passes \{([^}]*)\}'/gm),
    ]
    expect(titles.map((m) => m[1])).toEqual(ids)
    for (const [, id, tag] of titles)
      expect(tag?.split(', ')).toEqual(Catalog.tests.find((test) => test.id === id)?.requirements)
  })
})

describe("the session checks against paywire's demo API (paywire serve --tempo-rpc)", () => {
  it.each(ids)('%s passes', (id) => expectPass('demo', id))
})

describe('a session server with a defect', () => {
  it('answering a top-up without broadcasting it fails server.session.top-up', () => {
    const result = runs
      .get('top-up-not-broadcast')
      ?.results.find((entry) => entry.id === 'server.session.top-up')
    expect(result?.verdict).toBe('fail')
    expect(result?.message).toMatch(/after a top-up of \d+ on a deposit of \d+, the escrow holds/)
  })

  it('serving a lower voucher fails server.session.voucher-lower {tempo.session.idempotency.lower-rejected}', () => {
    const result = runs
      .get('lower-voucher-served')
      ?.results.find((entry) => entry.id === 'server.session.voucher-lower')
    expect(result?.verdict).toBe('fail')
    expect(result?.message).toMatch(/lower voucher was accepted/)
  })
})
