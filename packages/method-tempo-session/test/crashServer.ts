// A session server in its own process, for the crash tests (src/Crash.e2e.test.ts): the
// session method over @paywire/server's node binding, channel states in a SQLite file, the
// escrow on a local Tempo node. Test-only fault injection, opt-in through the environment:
// `PAYWIRE_CRASH_AT=<step>` (and `PAYWIRE_CRASH_ON=<n>`, the n-th time the step is reached,
// default 1) makes the process SIGKILL itself at that step of voucher handling:
//
// - `voucher-verified`: a voucher (or the open's) passed its checks, before it is persisted
// - `voucher-persisted`: right after the higher accepted amount is written
// - `charge-persisted`: right after a request's charge is written, before its handler runs
// - `handler`: inside the route's handler, before any response byte is sent
// - `response-sent`: right after a served response (with its receipt) is fully written
// - `settle-sent`: the settle transaction is mined, before the settlement is recorded
// - `close-recorded`: the close is recorded in the store, before its transaction is sent
// - `close-sent`: the close transaction is mined, before the finalization is recorded
//
// The faults wrap the Store and the EscrowChain handed to `Sessions.create` (the seams the
// package already offers); nothing in the package's own code knows about them.
// Other environment: CRASH_DB, CRASH_PORT, CRASH_SECRET, CRASH_RPC, CRASH_CHAIN_ID,
// CRASH_ESCROW, CRASH_PAYEE_KEY, CRASH_TOKEN. Prints `ready` once it listens.
import { createServer } from 'node:http'
import { SessionChannel, SessionLedger, type Store } from '@paywire/core'
import { Paywire } from '@paywire/server'
import { listener } from '@paywire/server/node'
import { SqliteStore } from '@paywire/store-sqlite'
import { CrashServer } from '@paywire/testkit'
import {
  type Address,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import * as EscrowChain from '../src/EscrowChain.js'
import * as Server from '../src/Server.js'
import * as Sessions from '../src/Sessions.js'

export const steps = [
  'voucher-verified',
  'voucher-persisted',
  'charge-persisted',
  'handler',
  'response-sent',
  'settle-sent',
  'close-recorded',
  'close-sent',
] as const
export type Step = (typeof steps)[number]

const env = CrashServer.setting

const { reached } = CrashServer.arm(steps)

const chainId = Number(env('CRASH_CHAIN_ID'))
const rpc = env('CRASH_RPC')
const escrow = env('CRASH_ESCROW') as Address
const token = env('CRASH_TOKEN') as Address
const payee = privateKeyToAccount(env('CRASH_PAYEE_KEY') as Hex)
const port = Number(env('CRASH_PORT'))
const tempo = defineChain({
  id: chainId,
  name: 'Tempo (local)',
  nativeCurrency: { name: 'USD', symbol: 'USD', decimals: 18 },
  rpcUrls: { default: { http: [rpc] } },
})

const sqlite = SqliteStore.create({ path: env('CRASH_DB') })

/** The store, with the voucher and charge steps: a channel's state written under CAS. */
const store: Store.Store = {
  ...sqlite,
  claim: (key, options) => sqlite.claim(key, options),
  get: (key) => sqlite.get(key),
  put: (key, value, options) => sqlite.put(key, value, options),
  delete: (key) => sqlite.delete(key),
  async compareAndSwap(key, expected, value, options) {
    if (!key.startsWith(SessionLedger.keyPrefix))
      return sqlite.compareAndSwap(key, expected, value, options)
    const current = await sqlite.get(key)
    const before =
      current === undefined
        ? undefined
        : (SessionChannel.deserialize(current.value) as SessionChannel.State)
    const after = SessionChannel.deserialize(value) as SessionChannel.State
    const voucher = after.acceptedCumulative > (before?.acceptedCumulative ?? 0n)
    const charge = after.spent > (before?.spent ?? 0n)
    if (voucher) await reached('voucher-verified')
    const written = await sqlite.compareAndSwap(key, expected, value, options)
    if (written && voucher) await reached('voucher-persisted')
    if (written && charge) await reached('charge-persisted')
    return written
  },
}

const viemChain = EscrowChain.fromViem({
  publicClient: createPublicClient({ chain: tempo, transport: http(rpc) }),
  walletClient: createWalletClient({ account: payee, chain: tempo, transport: http(rpc) }),
  escrow,
  pollingInterval: 50,
})
/** The chain, with the settle and close steps. */
const chain: EscrowChain.EscrowChain = {
  ...viemChain,
  async settle(channelId, cumulativeAmount, signature) {
    const hash = await viemChain.settle(channelId, cumulativeAmount, signature)
    await reached('settle-sent')
    return hash
  },
  async close(channelId, cumulativeAmount, signature) {
    await reached('close-recorded')
    const hash = await viemChain.close(channelId, cumulativeAmount, signature)
    await reached('close-sent')
    return hash
  },
}

const sessions = Sessions.create({ store, chain, payee: payee.address, currency: token })
const paywire = Paywire.create({
  realm: `127.0.0.1:${port}`,
  secret: env('CRASH_SECRET'),
  methods: [
    Server.server({ sessions, chainId, escrow, currency: token, recipient: payee.address }),
  ],
  store,
})
const paid = listener(
  paywire,
  { price: { amount: '10', suggestedDeposit: '1000' } },
  async (_request, payment) => {
    await reached('handler')
    return Response.json({ channelId: payment.receipt?.reference })
  },
)

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const channelId = url.searchParams.get('channel') as Hex | null
  if (url.pathname === '/paid') {
    res.on('finish', () => {
      if (res.statusCode === 200 && req.method === 'GET' && res.hasHeader('payment-receipt'))
        void reached('response-sent')
    })
    paid(req, res)
    return
  }
  // Unprotected test routes: settle on demand, and the channel's stored state.
  const answer = (work: Promise<unknown>) =>
    work.then(
      (body) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
      (error: Error) => res.writeHead(500).end(`${error.name}: ${error.message}`),
    )
  if (url.pathname === '/settle' && channelId !== null)
    answer(sessions.settle(channelId).then((txHash) => ({ txHash: txHash ?? null })))
  else if (url.pathname === '/state' && channelId !== null)
    answer(sessions.read(channelId).then((state) => SessionChannel.serialize(state)))
  else res.writeHead(404).end()
})
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'))
