// A Tempo charge server in its own process, for the crash tests (Crash.e2e.test.ts):
// @paywire/server's node binding with the Tempo charge, claims in a SQLite file, the local
// Tempo node. Test-only fault injection, opt-in through the environment (testkit's
// CrashServer): the armed step makes the process SIGKILL itself (no cleanup, no flush) the
// first time it reaches it:
//
// - `challenge-claimed`: the challenge's payment record is created, before any chain call
// - `broadcast`: the client's pull transaction is mined, before its hash is recorded
// - `receipt-read`: a pushed transaction's receipt is read, before its hash is recorded
// - `recorded`: the transaction hash is claimed in the store, before the handler
// - `handler`: inside the paid handler (after recording `served:<challenge id>`), before any
//   response byte is sent
//
// On an after-success route (CRASH_SETTLE=after-success) the pull transaction is broadcast
// after the handler answered: `broadcast` then comes after `handler`.
//
// The faults wrap the Store and the Chain handed to the server (the seams it offers);
// nothing in the packages' code knows about them. Other environment: CRASH_DB, CRASH_PORT,
// CRASH_SECRET, CRASH_RPC, CRASH_CHAIN_ID, CRASH_RECIPIENT, CRASH_CURRENCY, CRASH_PRICE,
// CRASH_SETTLE (the route's settle mode), CRASH_MODES (the modes offered, comma-separated),
// CRASH_LEASE (the payment records' lease, seconds: how long a crashed request keeps its
// payment from the retry).
// Routes: GET /paid; GET /served?challenge=<id> counts the runs of that challenge's handler.
// Prints `ready`.
import { createServer } from 'node:http'
import type { Store } from '@paywire/core'
import { Chain, Server } from '@paywire/method-tempo'
import { Paywire } from '@paywire/server'
import { listener } from '@paywire/server/node'
import { SqliteStore } from '@paywire/store-sqlite'
import { CrashServer } from '@paywire/testkit'

export const steps = [
  'challenge-claimed',
  'broadcast',
  'receipt-read',
  'recorded',
  'handler',
] as const
export type Step = (typeof steps)[number]

const env = CrashServer.setting

const { reached } = CrashServer.arm(steps)

const sqlite = SqliteStore.create({ path: env('CRASH_DB') })
/** The steps a store write reaches: the challenge's payment record, a transaction's claim. */
const stepOf = (key: string): Step | undefined =>
  key.startsWith('paywire:payment:') || key.startsWith('paywire:challenge:')
    ? 'challenge-claimed'
    : key.startsWith('paywire:proof:tempo:')
      ? 'recorded'
      : undefined

const store: Store.Store = {
  ...sqlite,
  async claim(key, options) {
    const won = await sqlite.claim(key, options)
    const step = stepOf(key)
    if (won && step !== undefined) await reached(step)
    return won
  },
  get: (key) => sqlite.get(key),
  put: (key, value, options) => sqlite.put(key, value, options),
  async compareAndSwap(key, expected, value, options) {
    const written = await sqlite.compareAndSwap(key, expected, value, options)
    // Created (not updated): the record of a new payment, or a new claim of a transaction.
    const step = stepOf(key)
    if (written && expected === null && step !== undefined) await reached(step)
    return written
  },
  delete: (key) => sqlite.delete(key),
}

const rpc = Chain.fromRpc({ rpcUrl: env('CRASH_RPC'), chainId: Number(env('CRASH_CHAIN_ID')) })
const chain: Chain.Chain = {
  ...rpc,
  async sendRawTransactionSync(serialized) {
    const receipt = await rpc.sendRawTransactionSync(serialized)
    await reached('broadcast')
    return receipt
  },
  async getTransactionReceipt(hash) {
    const receipt = await rpc.getTransactionReceipt(hash)
    // The push path reads a receipt that is there; the pull path looks first (none yet).
    if (receipt !== undefined) await reached('receipt-read')
    return receipt
  },
}

const port = Number(env('CRASH_PORT'))
const paywire = Paywire.create({
  realm: `127.0.0.1:${port}`,
  secret: env('CRASH_SECRET'),
  methods: [
    Server.server({ chain, recipient: env('CRASH_RECIPIENT'), currency: env('CRASH_CURRENCY') }),
  ],
  store,
  payments: { leaseSeconds: Number(env('CRASH_LEASE')) },
})
const paid = listener(
  paywire,
  {
    price: {
      amount: env('CRASH_PRICE'),
      modes: env('CRASH_MODES').split(',') as Array<'pull' | 'push'>,
    },
    settle: env('CRASH_SETTLE') as 'before-handler' | 'after-success',
  },
  async (_request, payment) => {
    const runs = (await sqlite.get(`served:${payment.challengeId}`))?.value
    await sqlite.put(`served:${payment.challengeId}`, (typeof runs === 'number' ? runs : 0) + 1)
    await reached('handler')
    return Response.json({ paid: true })
  },
)

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost')
  if (url.pathname === '/paid') return paid(req, res)
  if (url.pathname === '/served' && url.searchParams.has('challenge'))
    return void sqlite
      .get(`served:${url.searchParams.get('challenge')}`)
      .then((entry) => res.end(JSON.stringify(entry?.value ?? 0)))
  res.writeHead(404).end()
})
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'))
