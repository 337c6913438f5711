// Crash points of the Tempo charge (issue 14, "Reliability figures"; issue 16, "the payer
// either gets the paid response on retry or is refunded"): the server runs in its own
// process (crashServer.ts, its store in a SQLite file, the local Tempo node this file
// starts) and SIGKILLs itself at one step of a pull or a push payment, on a before-handler
// or an after-success route. While it is down, reconciliation (`Payments.sweep`, its clock
// two hours on) reads the record and the chain: a transfer that is on chain and not
// delivered is reported for the operator. The server is restarted on the same file, port,
// secret and chain, and the client retries with the same credential, waiting out the
// crashed request's lease as the `503`'s `Retry-After` says. After each: the retry resumes
// the recorded attempt and gets the paid response with its receipt; a payment whose handler
// had started is never run again and gets a clear refusal (`409`), its transfer reported
// for the operator. Nothing served unpaid, nothing charged twice, the handler run once at
// most. Payments are in AlphaUSD, fees in pathUSD, so balances read exactly.
// Stripe's crash points are in packages/method-stripe/src/Server.crash.test.ts.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Challenge, Credential, Problem, Receipt, Secret } from '@paywire/core'
import { Chain, Server, Client as TempoClient } from '@paywire/method-tempo'
import { Payments } from '@paywire/server'
import { SqliteStore } from '@paywire/store-sqlite'
import { CrashServer, FreePort, TempoNode } from '@paywire/testkit'
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Step } from './crashServer.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const script = fileURLToPath(new URL('./crashServer.ts', import.meta.url))
const alphaUsd: Hex = '0x20c0000000000000000000000000000000000001'
const price = 2_500n

let node: TempoNode.TempoNode
let chain: Chain.Chain
let directory: string

beforeAll(async () => {
  node = await TempoNode.start()
  chain = Chain.fromRpc({ rpcUrl: node.rpcUrl, chainId: node.chainId })
  directory = mkdtempSync(join(tmpdir(), 'paywire-tempo-crash-'))
})
afterAll(async () => {
  CrashServer.stopAll()
  await node?.stop()
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true })
})

type Settle = 'before-handler' | 'after-success'

/** Starts the server process (crashServer.ts); resolves once it listens. */
function start(options: {
  db: string
  port: number
  secret: string
  recipient: Hex
  settle: Settle
  mode: 'pull' | 'push'
  crashAt?: Step | undefined
}): Promise<CrashServer.Running> {
  return CrashServer.start({
    script,
    cwd: root,
    crashAt: options.crashAt,
    environment: {
      CRASH_DB: options.db,
      CRASH_PORT: String(options.port),
      CRASH_SECRET: options.secret,
      CRASH_RPC: node.rpcUrl,
      CRASH_CHAIN_ID: String(node.chainId),
      CRASH_RECIPIENT: options.recipient,
      CRASH_CURRENCY: alphaUsd,
      CRASH_PRICE: price.toString(),
      CRASH_SETTLE: options.settle,
      // After-success routes are paid in pull mode (a pushed transfer cannot be given back).
      CRASH_MODES: options.settle === 'after-success' ? 'pull' : 'pull,push',
      CRASH_LEASE: '2',
    },
  })
}

/**
 * Sends the credential until the answer is not `503`, waiting `Retry-After` between tries
 * (a crashed request's lease keeps its payment from the retry until it runs out).
 */
async function retry(url: string, authorization: string): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(url, { headers: { authorization } })
    if (response.status !== 503 || attempt === 10) return response
    const wait = Number(response.headers.get('retry-after'))
    expect(wait).toBeGreaterThan(0)
    await response.body?.cancel()
    await new Promise((resolve) => setTimeout(resolve, wait * 1000))
  }
}

/**
 * Reconciliation over the server's SQLite file: `soon`, its clock 5 s on and an unclaimed
 * window of 1 s (the challenge has not expired); `late`, two hours on (it has).
 */
async function sweep(
  db: string,
  recipient: Hex,
  when: 'soon' | 'late',
): Promise<Payments.Outcome[]> {
  const store = SqliteStore.create({ path: db })
  const offset = when === 'soon' ? 5_000 : 2 * 3_600_000
  try {
    return await Payments.create({
      store,
      methods: [Server.server({ chain, recipient, currency: alphaUsd })],
      now: () => Date.now() + offset,
      ...(when === 'soon' ? { unclaimedAfterSeconds: 1 } : {}),
    }).sweep()
  } finally {
    await store.close()
  }
}

/** Reads the payment records of the server's SQLite file. */
async function payment(db: string, challengeId: string): Promise<Payments.Payment | undefined> {
  const store = SqliteStore.create({ path: db })
  try {
    return await Payments.create({ store, methods: [] }).get(challengeId)
  } finally {
    await store.close()
  }
}

/** One payment through one crash at `step` and a restart; what happened. */
async function scenario(settle: Settle, mode: 'pull' | 'push', step: Step) {
  const db = join(directory, `${settle}-${mode}-${step}.sqlite`)
  const port = await FreePort.get()
  const secret = Secret.generate()
  const url = `http://127.0.0.1:${port}/paid`
  const recipient = (await node.newAccount(0n)).address
  const payer = await node.newAccount(10_000_000n)
  await node.fund({ to: payer.address, amount: 1_000_000n, token: alphaUsd })
  const client = TempoClient.client({ chain, privateKey: payer.privateKey, mode })
  const balances = async () => ({
    payer: await node.balanceOf(payer.address, alphaUsd),
    recipient: await node.balanceOf(recipient, alphaUsd),
  })
  const before = await balances()
  const options = { db, port, secret, recipient, settle, mode }

  let server = await start({ ...options, crashAt: step })
  const offered = await fetch(url)
  expect(offered.status).toBe(402)
  const challenge = Challenge.deserializeList(offered.headers.get('www-authenticate') ?? '')[0]
  if (challenge === undefined) throw new Error('no challenge')
  const request = client.requestSchema.parse(Challenge.decodeRequest(challenge))
  const paid = await client.createCredential({ challenge, request })
  const authorization = Credential.toAuthorization(Credential.from({ challenge, ...paid }))
  await expect(fetch(url, { headers: { authorization } })).rejects.toThrow()
  expect(await server.exited).toBe('SIGKILL')
  const atCrash = await balances()
  const charged = before.payer - atCrash.payer
  expect(atCrash.recipient - before.recipient).toBe(charged)

  // While the server is down: reconciliation finds what is on chain and undelivered.
  const swept = (await sweep(db, recipient, 'soon')).find(
    (outcome) => outcome.challengeId === challenge.id,
  )

  // Restarted on the same file, port, secret and chain; the client retries.
  server = await start(options)
  try {
    const response = await retry(url, authorization)
    const body = await response.text()
    const runs = (await (
      await fetch(`http://127.0.0.1:${port}/served?challenge=${encodeURIComponent(challenge.id)}`)
    ).json()) as number
    const after = await balances()
    // Nothing charged twice: the payer paid the price once at most, all of it to the recipient.
    expect(after.recipient - before.recipient).toBe(before.payer - after.payer)
    expect([0n, price]).toContain(before.payer - after.payer)
    // The handler ran once at most.
    expect(runs).toBeLessThanOrEqual(1)
    if (response.status === 200) {
      // The paid response with its receipt, for the transfer on chain.
      expect(JSON.parse(body)).toEqual({ paid: true })
      const receipt = Receipt.deserialize(response.headers.get('payment-receipt') ?? '')
      expect((await chain.getTransactionReceipt(receipt.reference as Hex))?.status).toBe('success')
      expect(before.payer - after.payer).toBe(price)
      expect(runs).toBe(1)
    } else {
      // A clear refusal that asks for no other payment: no challenge, no receipt.
      expect(response.status).toBe(409)
      expect(response.headers.get('www-authenticate')).toBeNull()
      expect(response.headers.get('payment-receipt')).toBeNull()
      expect(Problem.parse(body).status).toBe(409)
      // The retry moved nothing.
      expect(after).toEqual(atCrash)
    }
    const record = await payment(db, challenge.id)
    // Nothing served unpaid: a delivered payment has its transfer on chain.
    if (record?.phase === 'delivered') expect(before.payer - after.payer).toBe(price)
    // A payment left undelivered is reported for the operator once the window has passed.
    const late =
      response.status === 200
        ? undefined
        : (await sweep(db, recipient, 'late')).find(
            (outcome) => outcome.challengeId === challenge.id,
          )
    // The server works on: a new payment settles exactly once more.
    const again = await fetch(url)
    const next = Challenge.deserializeList(
      again.headers.get('www-authenticate') ?? '',
    )[0] as Challenge.Challenge
    const nextPaid = await client.createCredential({
      challenge: next,
      request: client.requestSchema.parse(Challenge.decodeRequest(next)),
    })
    const ok = await fetch(url, {
      headers: {
        authorization: Credential.toAuthorization(
          Credential.from({ challenge: next, ...nextPaid }),
        ),
      },
    })
    expect(ok.status).toBe(200)
    expect((await balances()).recipient - after.recipient).toBe(price)
    return {
      status: response.status,
      charged: before.payer - after.payer,
      runs,
      phase: record?.phase,
      reference: record?.reference,
      swept: swept?.action,
      sweptDetail: swept?.detail,
      late: late?.action,
      lateDetail: late?.detail,
    }
  } finally {
    await server.stop()
  }
}

type Expected = {
  status: number
  charged: bigint
  runs: number
  phase: Payments.Payment['phase']
  swept: Payments.Outcome['action'] | undefined
  late?: Payments.Outcome['action'] | undefined
}

describe('tempo charge server killed at each step of a payment, restarted on the same store {core.concurrency.single-settlement}', () => {
  const paid = { status: 200, charged: price, runs: 1, phase: 'delivered' } as const
  // The transfer is on chain, undelivered: reported for the operator (`refund-manual`).
  const reported = 'reported' as const
  const cases: Array<[Settle, 'pull' | 'push', Step, Expected]> = [
    // Nothing was broadcast: the retry pays and is served. The record names no transaction
    // yet and the challenge has not expired: reconciliation cannot tell yet (`left`).
    ['before-handler', 'pull', 'challenge-claimed', { ...paid, swept: 'left' }],
    ['before-handler', 'pull', 'broadcast', { ...paid, swept: reported }],
    ['before-handler', 'pull', 'recorded', { ...paid, swept: reported }],
    // The handler started: never run again; the transfer is reported.
    [
      'before-handler',
      'pull',
      'handler',
      { status: 409, charged: price, runs: 1, phase: 'running', swept: reported, late: reported },
    ],
    // The payer paid before presenting; the record names no transaction yet (`left`).
    ['before-handler', 'push', 'challenge-claimed', { ...paid, swept: 'left' }],
    ['before-handler', 'push', 'receipt-read', { ...paid, swept: reported }],
    ['before-handler', 'push', 'recorded', { ...paid, swept: reported }],
    [
      'before-handler',
      'push',
      'handler',
      { status: 409, charged: price, runs: 1, phase: 'running', swept: reported, late: reported },
    ],
    // After-success (pull only): nothing is broadcast before the handler answered.
    ['after-success', 'pull', 'challenge-claimed', { ...paid, swept: 'left' }],
    // The handler started and nothing was taken: never run again; once the challenge (and
    // the transaction's validity) has expired, the record is closed.
    [
      'after-success',
      'pull',
      'handler',
      { status: 409, charged: 0n, runs: 1, phase: 'running', swept: 'left', late: 'closed' },
    ],
    // Broadcast after the handler answered, before the record said so: the retry finds the
    // transaction on chain and gets the kept response; the handler is not run again.
    ['after-success', 'pull', 'broadcast', { ...paid, swept: reported }],
  ]
  for (const [settle, mode, step, expected] of cases)
    it(`${settle}, ${mode}, killed at ${step}: the retry resumes the payment (a receipt, or a clear refusal once the handler started), nothing served unpaid, nothing charged twice`, async () => {
      const outcome = await scenario(settle, mode, step)
      expect(outcome).toMatchObject(expected)
      if (outcome.swept === 'reported') expect(outcome.sweptDetail).toBe('refund-manual')
      if (outcome.status === 200) expect(outcome.reference).toMatch(/^0x[0-9a-f]{64}$/)
      // A process start, a crash, a restart and two chain payments on a busy 2-core CI.
    }, 120_000)
})
