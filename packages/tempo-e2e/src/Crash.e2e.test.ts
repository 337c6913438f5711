// Crash points of the Tempo charge (issue 14, "Reliability figures"): the server runs in
// its own process (crashServer.ts, claims in a SQLite file, the local Tempo node this file
// starts) and SIGKILLs itself at one step of a pull or a push payment; it is restarted on
// the same file, port, secret and chain, and the client retries with the same credential.
// After each: nothing served unpaid (a handler that ran has its payment on chain), nothing
// charged twice (the payer paid once at most, the retry moved nothing), and the retry gets
// a receipt or a clear refusal (402 invalid-challenge). Payments are in AlphaUSD, fees in
// pathUSD, so balances read exactly.
// Stripe's crash points belong to issue 16.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Challenge, Credential, Problem, Receipt, Secret } from '@paywire/core'
import { Chain, Client as TempoClient } from '@paywire/method-tempo'
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

/** Starts the server process (crashServer.ts); resolves once it listens. */
function start(options: {
  db: string
  port: number
  secret: string
  recipient: Hex
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
    },
  })
}

/** One payment through one crash at `step` and a restart; the retry's answer. */
async function scenario(mode: 'pull' | 'push', step: Step) {
  const db = join(directory, `${mode}-${step}.sqlite`)
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

  let server = await start({ db, port, secret, recipient, crashAt: step })
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

  // Restarted on the same file, port, secret and chain; the client retries.
  server = await start({ db, port, secret, recipient })
  try {
    const retry = await fetch(url, { headers: { authorization } })
    const body = await retry.text()
    const served = (await (
      await fetch(`http://127.0.0.1:${port}/served?challenge=${encodeURIComponent(challenge.id)}`)
    ).json()) as boolean
    const after = await balances()
    // The retry moved no money: nothing is charged twice.
    expect(after).toEqual(atCrash)
    const charged = before.payer - after.payer
    expect(after.recipient - before.recipient).toBe(charged)
    expect([0n, price]).toContain(charged)
    if (retry.status === 200) {
      const receipt = Receipt.deserialize(retry.headers.get('payment-receipt') ?? '')
      expect((await chain.getTransactionReceipt(receipt.reference as Hex))?.status).toBe('success')
      expect(charged).toBe(price)
    } else {
      // A clear refusal: a fresh challenge and the problem saying the challenge was used.
      expect(retry.status).toBe(402)
      expect(retry.headers.get('payment-receipt')).toBeNull()
      expect(retry.headers.get('www-authenticate')).toContain('Payment ')
      expect(Problem.parse(body).type).toBe(`${Problem.baseUri}invalid-challenge`)
    }
    // Nothing served unpaid: a handler that ran had its payment on chain.
    if (served) expect(charged).toBe(price)
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
    return { status: retry.status, charged, served }
  } finally {
    await server.stop()
  }
}

describe('tempo charge server killed at each step of a payment, restarted on the same store {core.concurrency.single-settlement}', () => {
  const cases: Array<['pull' | 'push', Step, { charged: bigint; served: boolean }]> = [
    ['pull', 'challenge-claimed', { charged: 0n, served: false }],
    ['pull', 'broadcast', { charged: price, served: false }],
    ['pull', 'recorded', { charged: price, served: false }],
    ['pull', 'handler', { charged: price, served: true }],
    ['push', 'challenge-claimed', { charged: price, served: false }],
    ['push', 'receipt-read', { charged: price, served: false }],
    ['push', 'recorded', { charged: price, served: false }],
    ['push', 'handler', { charged: price, served: true }],
  ]
  for (const [mode, step, expected] of cases)
    it(`${mode}, killed at ${step}: nothing served unpaid, nothing charged twice, the retry gets a receipt or a clear refusal`, async () => {
      const outcome = await scenario(mode, step)
      expect(outcome).toMatchObject(expected)
      // A process start, a crash, a restart and two chain payments on a busy 2-core CI.
    }, 120_000)
})
