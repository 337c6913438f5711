// `paywire serve`: a paid demo API on 127.0.0.1, built on @paywire/server, to try the
// protocol and the CLI against: GET /free, GET /paid (1000 usd; ?tier=pro 5000), POST
// /paid-body (2500, bound to its body). It charges with the test method, which moves no
// money, and with Tempo (pathUSD on a local node) when given a node; one log line per
// request on stderr, never with credentials.
import { createServer, type Server } from 'node:http'
import { type Method, Secret } from '@paywire/core'
import { Paywire } from '@paywire/server'
import { listener } from '@paywire/server/node'
import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'
import * as ExitCode from './ExitCode.js'
import * as Home from './Home.js'
import type * as Io from './Io.js'
import * as Rpc from './Rpc.js'
import * as Usage from './Usage.js'

/**
 * The demo API's prices, in base units of `usd`.
 *
 * @example
 * ```ts
 * import { Serve } from '@paywire/cli'
 * Serve.prices.basic // '1000'
 * ```
 */
export const prices = { basic: '1000', pro: '5000', body: '2500' } as const

/** pathUSD, the TIP-20 token of every Tempo node (the default currency of Tempo charges). */
const pathUsd = '0x20c0000000000000000000000000000000000000'

/**
 * The test method key the demo API uses unless told (the reference server's).
 *
 * @example
 * ```ts
 * import { Serve } from '@paywire/cli'
 * console.log(`paywire <url> --test-key ${Serve.defaultTestKey}`)
 * ```
 */
export const defaultTestKey = 'paywire-reference-test-method-key'

/**
 * The help of `paywire serve`.
 *
 * @example
 * ```ts
 * import { Serve } from '@paywire/cli'
 * console.log(Serve.help)
 * ```
 */
export const help = `Usage: paywire serve [options]

Starts a paid demo API on 127.0.0.1 until interrupted:
  GET  /free            free
  GET  /paid            ${prices.basic} (?tier=pro: ${prices.pro})
  POST /paid-body       ${prices.body}, bound to the request body
Prices are in base units: usd with the test method; pathUSD with Tempo (6 decimals).

Options:
  --port <port>         port (default 8402; 0 picks a free one)
  --test-key <key>      key shared with payers (default ${defaultTestKey})
  --secret <secret>     challenge binding secret, 32 bytes or more
                        (default PAYWIRE_SECRET_KEY, else a random one)
  --realm <realm>       realm (default 127.0.0.1:<port>)
  --tempo-rpc <url>     also charge with Tempo on this node (pull and push)
  --tempo               also charge with Tempo on the node \`paywire dev\` runs
  --tempo-recipient <address>
                        who Tempo payments go to (default: dev account 1 of the node)
  --home <dir>          home directory, to find the \`paywire dev\` node

The test method moves no money. Pay it with:
  paywire http://127.0.0.1:8402/paid --test-key ${defaultTestKey} --max-amount 1000:usd --yes
and with Tempo, from a funded keystore account:
  paywire http://127.0.0.1:8402/paid --account alice --max-amount 1000:${pathUsd} --yes`

const flags = {
  port: { type: 'string', default: '8402' },
  'test-key': { type: 'string', default: defaultTestKey },
  secret: { type: 'string' },
  realm: { type: 'string' },
  'tempo-rpc': { type: 'string' },
  tempo: { type: 'boolean' },
  'tempo-recipient': { type: 'string' },
  home: { type: 'string' },
} as const satisfies Usage.Options

/**
 * Runs `paywire serve`; resolves once SIGINT or SIGTERM has stopped the server.
 *
 * @example
 * ```ts
 * import { Io, Serve } from '@paywire/cli'
 * await Serve.run(['--port', '0'], Io.fromProcess())
 * ```
 */
export async function run(args: readonly string[], io: Io.Io): Promise<ExitCode.ExitCode> {
  const { values, positionals } = Usage.parse(args, flags, 'serve')
  if (positionals.length > 0)
    throw new Usage.UsageError(`unexpected argument "${positionals[0]}"`, { command: 'serve' })
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Usage.UsageError(`--port takes a port number, found "${values.port}"`, {
      command: 'serve',
    })
  const secret = values.secret ?? io.env.PAYWIRE_SECRET_KEY ?? Secret.generate()
  const tempo = await tempoMethod(values, io)
  const methods = [TestMethod.server({ key: values['test-key'] }) as Method.Server<unknown>]
  if (tempo !== undefined) methods.push(tempo.method)
  const demo = await start({ port, secret, methods, realm: values.realm, io })
  io.stdout.write(`paywire demo API listening on ${demo.url}\n`)
  if (tempo !== undefined)
    io.stdout.write(`tempo: ${tempo.rpcUrl}, paying ${tempo.recipient} in pathUSD (${pathUsd})\n`)
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  await demo.close()
  return ExitCode.ok
}

type Values = ReturnType<typeof Usage.parse<typeof flags>>['values']

/** The Tempo server half, when a node is given. */
async function tempoMethod(values: Values, io: Io.Io) {
  const rpcUrl =
    values['tempo-rpc'] ??
    (values.tempo === true
      ? Home.devNode(Home.from({ home: values.home, env: io.env }))?.rpcUrl
      : undefined)
  if (values.tempo === true && rpcUrl === undefined)
    throw new Usage.UsageError(
      '--tempo: no `paywire dev` node is running with this home (or pass --tempo-rpc <url>)',
      {
        command: 'serve',
      },
    )
  if (rpcUrl === undefined) return undefined
  const { Chain, Server } = await import('@paywire/method-tempo')
  const { mnemonicToAccount } = await import('viem/accounts')
  const { TempoNode } = await import('@paywire/testkit')
  const recipient =
    values['tempo-recipient'] ?? mnemonicToAccount(TempoNode.mnemonic, { addressIndex: 1 }).address
  const chain = Chain.fromRpc({ rpcUrl, chainId: await Rpc.chainId(rpcUrl) })
  return {
    rpcUrl,
    recipient,
    method: Server.server({ chain, recipient }) as Method.Server<unknown>,
  }
}

async function start(options: {
  port: number
  secret: string
  methods: Method.Server<unknown>[]
  realm: string | undefined
  io: Io.Io
}) {
  const store = MemoryStore.create()
  const server: Server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : options.port
  const paywire = Paywire.create({
    realm: options.realm ?? `127.0.0.1:${port}`,
    secret: options.secret,
    methods: options.methods,
    store,
    allowTestMethods: true,
  })
  const paid = listener(
    paywire,
    {
      price: (request: Request, offer: Paywire.Offer) =>
        priced(
          offer,
          new URL(request.url).searchParams.get('tier') === 'pro' ? prices.pro : prices.basic,
        ),
      description: 'paywire demo resource',
    },
    (request, payment) =>
      Response.json({
        paid: true,
        tier: new URL(request.url).searchParams.get('tier') ?? 'basic',
        reference: payment.receipt?.reference,
      }),
  )
  const paidBody = listener(
    paywire,
    { price: (_request: Request, offer: Paywire.Offer) => priced(offer, prices.body) },
    async (request) => Response.json({ paid: true, received: await request.text() }),
  )
  server.on('request', (req, res) => {
    const started = Date.now()
    res.once('finish', () =>
      options.io.stderr.write(
        `${new Date().toISOString()} ${req.method} ${(req.url ?? '/').replace(/[^\x21-\x7e]/g, '?').slice(0, 200)} ${res.statusCode} ${Date.now() - started}ms\n`,
      ),
    )
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    const route = `${req.method} ${path}`
    if (route === 'GET /free')
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"free":true}')
    else if (route === 'GET /paid') paid(req, res)
    else if (route === 'POST /paid-body') paidBody(req, res)
    else res.writeHead(404).end()
  })
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await store.close?.()
    },
  }
}

/** A method's price input: usd to `demo` with the test method, pathUSD (the default) with Tempo. */
function priced(offer: Paywire.Offer, amount: string) {
  return offer.method === 'test' ? { amount, currency: 'usd', recipient: 'demo' } : { amount }
}
