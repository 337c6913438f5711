// The client × server matrix on one local Tempo node: the mppx server target
// (targets/mppx-server.ts, which starts the node) and a paywire server built from
// @paywire/server with the Tempo charge (in this process, on the same node), paid by
// paywire's adapter and the mppx adapter (their manifests in adapters/, built commands).
// Each server is listed once per charge mode and credential field: `<server>.<mode>.<field>`
// with mode `pull`, `push` (the payer's choice, on the route without a fee payer) or
// `sponsored` (pull on the route whose fees the server pays) and field `authorization`
// (the credential in Authorization) or `payment-authorization` (a route whose challenge
// selects Payment-Authorization, draft-httpauth-payment-01 §5.1, requested with
// `Authorization: Bearer <token>` that the server checks before the payment: 401 without).
// Every cell pays from the target's funded payer account, under a policy capping pathUSD
// at 0.01 and allowing plain HTTP to the two loopback servers only (and, for the mppx
// target, its realm). One node and one server per target serve all the cells.
// The cells not expected paid name their row in spec/DEVIATIONS.md.
//
// Used by test/matrix.test.ts and scripts/results-matrix.ts; run `Matrix.run(Matrix.read(
// started.config, packageDir))` on what {@link start} gives.
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { Secret } from '@paywire/core'
import { Chain, FeePayer, Server as TempoServer } from '@paywire/method-tempo'
import { Paywire } from '@paywire/server'
import { listener } from '@paywire/server/node'
import { MemoryStore } from '@paywire/store-memory'
import { FreePort, TempoNode } from '@paywire/testkit'
import type * as Matrix from '../src/Matrix.js'
import * as MppxServer from './mppx-server.js'

/** The package directory: the configuration's relative paths start there. */
export const packageDir = fileURLToPath(new URL('..', import.meta.url))

/** The charge modes each server is paid in. */
export const modes = ['pull', 'push', 'sponsored'] as const

/** Where the client sends the credential: the route's challenge selects it. */
export const fields = ['authorization', 'payment-authorization'] as const

/** The Bearer token of the Payment-Authorization routes (both servers check it). */
export const bearerToken = MppxServer.bearerToken

/** The matrix's server entry for a server, a mode and a field: `paywire.pull.authorization`. */
export function entry(
  server: 'paywire' | 'mppx',
  mode: (typeof modes)[number],
  field: (typeof fields)[number],
): string {
  return `${server}.${mode}.${field}`
}

const row5 =
  "tempo-charge §5.2 and §6.1 (a fee-sponsored pull credential is the client-signed 0x76 transaction with the 0x00 fee-payer placeholder; 0x78 is the fee payer's domain): mppx 0.11's client sends it in viem's 0x78 fee-payer envelope, which paywire refuses as invalid-payload, nothing broadcast (spec/DEVIATIONS.md, row 5)"
const row11 =
  "tempo-charge §4.3 (a client MAY choose a dedicated nonceKey) and core §4.2 (a credential that fails verification gets 402 verification-failed): mppx 0.11 co-signs only transactions on an expiring nonce and answers paywire's sponsored transaction (nonce key 0) with 500 internal-payment-error (spec/DEVIATIONS.md, row 11)"

/**
 * The cells not expected to be paid, with why: the fee-sponsored cells between paywire and
 * mppx, each naming its row in spec/DEVIATIONS.md and the draft section paywire follows.
 * Every other cell (pull and push, Authorization and Payment-Authorization, and each
 * implementation's own sponsored cells) is expected paid.
 */
export const expected: NonNullable<Matrix.Config['expected']> = fields.flatMap((field) => [
  {
    client: 'paywire',
    server: entry('mppx', 'sponsored', field),
    outcome: 'refused' as const,
    by: 'server' as const,
    match: 'internal-payment-error',
    reason: row11,
  },
  {
    client: 'mppx',
    server: entry('paywire', 'sponsored', field),
    outcome: 'refused' as const,
    by: 'server' as const,
    match: 'invalid-payload',
    reason: row5,
  },
])

/** The realm of the mppx server target (targets/mppx-server.ts). */
export const mppxRealm = 'mppx.conformance.test'

/** The running servers and the matrix configuration for them. */
export type Started = { config: Matrix.Config; stop(): Promise<void> }

/**
 * Starts the node and both servers.
 *
 * @example
 * ```ts
 * import * as MatrixTarget from './matrix.js'
 * const started = await MatrixTarget.start()
 * await started.stop()
 * ```
 */
export async function start(): Promise<Started> {
  // The node mines each transaction at once and a block every second besides, as a live
  // chain does (its latest block is never old): mppx's client signs on an
  // expiring nonce valid until the challenge expires, and the node refuses one valid more
  // than 30 s after its latest block (spec/DEVIATIONS.md, row 10). Challenges live 20 s,
  // so a pull transaction signed valid until then is accepted (Tempo refuses 3 s or less).
  const mppx = await MppxServer.start({
    expiresSeconds: 20,
    nodeArgs: ['--block-time', '1', '--mixed-mining'],
  })
  let reference: Awaited<ReturnType<typeof servePaywire>> | undefined
  try {
    const settings = mppx.config.methods?.tempo as { rpcUrl: string; privateKey: string }
    reference = await servePaywire(mppx.node)
    const payer = (url: string, mode: 'pull' | 'push', realms?: string[]) => ({
      methods: { tempo: { rpcUrl: settings.rpcUrl, privateKey: settings.privateKey, mode } },
      policy: {
        currencies: { [TempoNode.pathUsd]: { maxAmount: '10000' } },
        insecureOrigins: [new URL(url).origin],
        ...(realms === undefined ? {} : { realms }),
      },
    })
    const servers: Matrix.Config['servers'] = []
    for (const [name, url, realms] of [
      ['paywire', reference.url, undefined],
      // The mppx target names its realm, not its host: paywire's client accepts only the host by default.
      ['mppx', mppx.url, [mppxRealm]],
    ] as const)
      for (const mode of modes)
        for (const field of fields) {
          const sponsored = mode === 'sponsored' ? '-sponsored' : ''
          const bearer = field === 'payment-authorization'
          servers.push({
            name: entry(name, mode, field),
            url,
            route: {
              path: `/paid${sponsored}${bearer ? '-bearer' : ''}`,
              method: 'GET',
              headers: bearer ? { authorization: `Bearer ${bearerToken}` } : {},
            },
            payer: payer(url, mode === 'push' ? 'push' : 'pull', realms && [...realms]),
          })
        }
    const config: Matrix.Config = {
      clients: [
        { name: 'paywire', adapter: 'adapters/paywire/adapter.json' },
        { name: 'mppx', adapter: 'adapters/mppx/adapter.json' },
      ],
      servers,
      expected,
    }
    const stopReference = reference.stop
    return {
      config,
      stop: async () => {
        await stopReference()
        await mppx.stop()
      },
    }
  } catch (error) {
    await reference?.stop()
    await mppx.stop()
    throw error
  }
}

/**
 * A paywire server on 127.0.0.1 with the Tempo charge on `node`: `GET /paid` (pull and
 * push, the payer paying its fees), `GET /paid-sponsored` (pull, fees paid by a funded
 * sponsor), and their `-bearer` twins whose challenges select Payment-Authorization
 * (`credentialField`) and which serve only `Authorization: Bearer` {@link bearerToken}.
 * Every route charges 0.001 pathUSD.
 */
async function servePaywire(
  node: TempoNode.TempoNode,
): Promise<{ url: string; stop(): Promise<void> }> {
  const recipient = await node.newAccount(0n)
  const sponsor = await node.newAccount()
  const chain = Chain.fromRpc({ rpcUrl: node.rpcUrl, chainId: node.chainId })
  const feePayer = FeePayer.from({
    privateKey: sponsor.privateKey,
    maxFeePerPayment: 50_000n,
    budget: 10_000_000n,
  })
  let handlers: Record<string, ReturnType<typeof listener>> = {}
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    const handler = handlers[path]
    if (handler === undefined || req.method !== 'GET') res.writeHead(404).end()
    // The app's own authentication comes first: 401 without the token, nothing charged.
    else if (path.endsWith('-bearer') && req.headers.authorization !== `Bearer ${bearerToken}`)
      res.writeHead(401).end('unauthenticated')
    else handler(req, res)
  })
  const { port, url, close } = await FreePort.listen(server)
  const paywire = Paywire.create({
    realm: `127.0.0.1:${port}`,
    secret: Secret.generate(),
    methods: [TempoServer.server({ chain, recipient: recipient.address, feePayer })],
    store: MemoryStore.create(),
    expiresIn: 20,
  })
  const served = (request: Request, payment: Paywire.Payment) =>
    Response.json({ paid: new URL(request.url).pathname, reference: payment.receipt?.reference })
  const route = (feePayer: boolean, field?: 'Payment-Authorization') =>
    listener(
      paywire,
      {
        price: { amount: '1000', feePayer },
        methods: ['tempo'],
        ...(field === undefined ? {} : { credentialField: field }),
      },
      served,
    )
  handlers = {
    '/paid': route(false),
    '/paid-sponsored': route(true),
    '/paid-bearer': route(false, 'Payment-Authorization'),
    '/paid-sponsored-bearer': route(true, 'Payment-Authorization'),
  }
  return { url, stop: close }
}
