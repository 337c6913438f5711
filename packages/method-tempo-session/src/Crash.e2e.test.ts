// Crash tests over HTTP: the session server runs in its own process (test/crashServer.ts,
// channel states in a SQLite file, the escrow on the local Tempo node this file shares) and
// SIGKILLs itself at one step of voucher handling; it is restarted on the same file, port,
// secret and chain, and the paying client carries on with its channel. After each scenario,
// from the store and the chain: every served unit is charged and covered by a persisted
// voucher, and the payee's gain is exactly what was charged (settle and close never capture
// more, nor twice).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Client as PayingClient } from '@paywire/client'
import { Secret } from '@paywire/core'
import { MemoryStore } from '@paywire/store-memory'
import { CrashServer, FreePort } from '@paywire/testkit'
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Step } from '../test/crashServer.js'
import { type Fixture, setUp, token } from '../test/fixtures.js'
import * as SessionClient from './Client.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const script = fileURLToPath(new URL('../test/crashServer.ts', import.meta.url))
/** Price of one `/paid` request, in base units. */
const price = 10n

let fixture: Fixture
let directory: string

beforeAll(async () => {
  fixture = await setUp()
  directory = mkdtempSync(join(tmpdir(), 'paywire-crash-'))
}, 60_000)

afterAll(async () => {
  CrashServer.stopAll()
  await fixture?.node.stop()
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true })
})

/** Starts the server process (test/crashServer.ts); resolves once it listens. */
function start(options: {
  db: string
  port: number
  secret: string
  crashAt?: Step | undefined
  crashOn?: number | undefined
}): Promise<CrashServer.Running> {
  return CrashServer.start({
    script,
    cwd: root,
    crashAt: options.crashAt,
    crashOn: options.crashOn,
    environment: {
      CRASH_DB: options.db,
      CRASH_PORT: String(options.port),
      CRASH_SECRET: options.secret,
      CRASH_RPC: fixture.node.rpcUrl,
      CRASH_CHAIN_ID: String(fixture.node.chainId),
      CRASH_ESCROW: fixture.escrow,
      CRASH_TOKEN: token,
      CRASH_PAYEE_KEY: (fixture.node.accounts[2] as { privateKey: Hex }).privateKey,
    },
  })
}

/** The store right after a crash during the third paid request (price 10 each). */
const atCrash: Partial<Record<Step, { accepted: bigint; spent: bigint }>> = {
  // verified, not persisted: the third voucher is lost, and nothing was charged for it
  'voucher-verified': { accepted: 20n, spent: 20n },
  // persisted, not charged: the payer authorized a unit it did not get, nothing is charged
  'voucher-persisted': { accepted: 30n, spent: 20n },
  // charged before delivery, not delivered: the one unit the draft lets a crash cost the payer
  'charge-persisted': { accepted: 30n, spent: 30n },
  handler: { accepted: 30n, spent: 30n },
  'response-sent': { accepted: 30n, spent: 30n },
}

/** One channel through one crash at `step` (the `on`-th time it is reached) and a restart. */
async function scenario(step: Step, on: number) {
  const db = join(directory, `${step}-${on}.sqlite`)
  const port = await FreePort.get()
  const secret = Secret.generate()
  const origin = `http://127.0.0.1:${port}`
  const url = (path: string) => `${origin}${path}`
  const account = await fixture.node.newAccount()
  await fixture.node.fund({ to: account.address, amount: 10_000n, token })
  const clientStore = MemoryStore.create()
  const session = SessionClient.client({
    privateKey: account.privateKey,
    client: fixture.node.client,
    chainId: fixture.node.chainId,
    escrow: fixture.escrow,
    currency: token,
    store: clientStore,
    maxDeposit: 1_000n,
  })
  const paying = PayingClient.create({
    methods: [session],
    policy: { currencies: { [token]: { maxAmount: '1000' } } },
    store: MemoryStore.create(),
    insecureOrigins: [origin],
  })
  const balance = (address: Hex) => fixture.node.balanceOf(address, token)
  const payee = fixture.payee.account.address
  const before = { payer: await balance(account.address), payee: await balance(payee) }

  let served = 0n
  let channelId: Hex | undefined
  /** A paid request; `false` when the server died under it. */
  const request = async () => {
    try {
      const result = await paying.fetch(url('/paid'))
      expect(result.response.status).toBe(200)
      channelId = ((await result.response.json()) as { channelId: Hex }).channelId
      served += 1n
      return true
    } catch (error) {
      if (
        error instanceof Error &&
        /fetch failed|socket|ECONNRESET|terminated/i.test(`${error.message} ${String(error.cause)}`)
      )
        return false
      throw error
    }
  }
  const state = async () => {
    const response = await fetch(url(`/state?channel=${channelId}`))
    expect(response.status).toBe(200)
    const body = (await response.json()) as Record<string, string>
    return {
      status: body.status,
      acceptedCumulative: BigInt(body.acceptedCumulative as string),
      spent: BigInt(body.spent as string),
      settled: BigInt(body.settled as string),
      deposit: BigInt(body.deposit as string),
    }
  }
  const settle = () => fetch(url(`/settle?channel=${channelId}`))
  const close = async (cumulativeAmount: bigint) =>
    session.close({ url: url('/paid'), channelId: channelId as Hex, cumulativeAmount })

  let server = await start({ db, port, secret, crashAt: step, crashOn: on })
  let crashed = false
  for (let attempt = 0; attempt < 4 && !crashed; attempt++) crashed = !(await request())
  if (step === 'settle-sent') {
    expect(crashed).toBe(false)
    await expect(settle()).rejects.toThrow()
    crashed = true
  }
  let closeCrashed = false
  if (step === 'close-recorded' || step === 'close-sent') {
    expect(crashed).toBe(false)
    const settled = await settle()
    expect(settled.status).toBe(200)
    expect(await request()).toBe(true)
    const { spent } = await state()
    await expect(close(spent)).rejects.toThrow()
    crashed = closeCrashed = true
  }
  expect(crashed).toBe(true)
  expect(await server.exited).toBe('SIGKILL')
  // The client's channel (known to the client even when no request was served).
  channelId = (
    await clientStore.get(
      `paywire:session-client:${fixture.node.chainId}:${fixture.escrow}:${token}:${payee}`.toLowerCase(),
    )
  )?.value as Hex
  expect(channelId).toMatch(/^0x[0-9a-f]{64}$/)

  // Restarted on the same file, port, secret and chain; the client carries on.
  server = await start({ db, port, secret })
  try {
    const afterCrash = await state()
    // Nothing served goes unpaid: every unit the client got is charged, and every charged
    // unit is covered by a voucher persisted before it was served.
    expect(afterCrash.spent).toBeGreaterThanOrEqual(served * price)
    expect(afterCrash.spent).toBeLessThanOrEqual(afterCrash.acceptedCumulative)
    // Where the crash left the store (requests 1 and 2 served, the third in flight).
    const left = on === 3 ? atCrash[step] : undefined
    if (left !== undefined) {
      expect(afterCrash).toMatchObject({ acceptedCumulative: left.accepted, spent: left.spent })
      expect(served).toBe(step === 'response-sent' ? 3n : 2n)
    }
    const onChainAtRestart = await fixture.chain.getChannel(channelId as Hex)
    if (step === 'voucher-verified' && on === 1) {
      // The open was sent and mined, its voucher checked, the channel never recorded: the
      // client's next voucher takes it up (before, it was refused with 410 for good).
      expect(afterCrash.status).toBe('none')
      expect(onChainAtRestart.deposit).toBe(1_000n)
    }
    if (step === 'settle-sent') {
      // Mined but not recorded: the chain has it, the store not yet.
      expect(onChainAtRestart.settled).toBe(40n)
      expect(afterCrash.settled).toBe(0n)
      expect((await balance(payee)) - before.payee).toBe(40n)
    }
    if (step === 'close-recorded') {
      expect(afterCrash.status).toBe('closed')
      expect(onChainAtRestart.finalized).toBe(false)
    }
    if (step === 'close-sent') expect(onChainAtRestart.finalized).toBe(true)
    if (!closeCrashed) {
      for (let more = 0; more < 3; more++) expect(await request()).toBe(true)
      const settled = await settle()
      expect(settled.status).toBe(200)
      const mid = await state()
      expect(mid.settled).toBeLessThanOrEqual(mid.spent)
      expect(mid.spent).toBeLessThanOrEqual(mid.acceptedCumulative)
      await close(mid.spent)
    } else {
      // The same close again. Recorded, not sent: sent as recorded. Mined, not recorded:
      // answered from the chain with the close transaction, the store taking its word.
      const { spent } = await state()
      const receipt = await close(spent)
      const closedOnChain = await fixture.chain.closeTransaction(channelId as Hex)
      expect(receipt).toMatchObject({ reference: channelId, txHash: closedOnChain?.txHash })
    }
    const final = await state()
    expect(final.status).toBe('closed')
    // At most the request in flight at the crash was charged and not delivered.
    expect(final.spent).toBeGreaterThanOrEqual(served * price)
    expect(final.spent - served * price).toBeLessThanOrEqual(price)
    expect(final.spent).toBeLessThanOrEqual(final.acceptedCumulative)
    expect(final.settled).toBe(final.spent)
    // Nothing captured twice: the payee gained exactly what was charged, the payer lost it.
    const onChain = await fixture.chain.getChannel(channelId as Hex)
    expect(onChain.finalized).toBe(true)
    expect(onChain.settled).toBe(final.spent)
    const after = { payer: await balance(account.address), payee: await balance(payee) }
    expect(after.payee - before.payee).toBe(final.spent)
    expect(before.payer - after.payer).toBe(final.spent)
    return { served, final }
  } finally {
    await server.stop()
  }
}

describe('tempo session server killed at each step of voucher handling {tempo.session.crash.transactional, tempo.session.request.charge-before-delivery, tempo.session.close.capture-spent}', () => {
  const cases: [Step, number][] = [
    ['voucher-verified', 1],
    ['voucher-verified', 3],
    ['voucher-persisted', 3],
    ['charge-persisted', 3],
    ['handler', 3],
    ['response-sent', 3],
    ['settle-sent', 1],
    ['close-recorded', 1],
    ['close-sent', 1],
  ]
  for (const [step, on] of cases)
    it(`${step} (#${on}): restarted on the same store and chain, nothing served unpaid, nothing captured twice {tempo.session.crash.transactional}`, async () => {
      await scenario(step, on)
      // A process restart and several chain transactions: generous on a loaded 2-core CI.
    }, 120_000)
})
