// `paywire serve`: a paid demo API on 127.0.0.1, built on @paywire/server, to try the
// protocol and the CLI against: GET /free, GET /paid (1000 usd; ?tier=pro 5000), POST
// /paid-body (2500, bound to its body). It charges with the test method, which moves no
// money, and with Tempo (pathUSD on a local node) when given a node, which also serves
// GET /session paid per request on a Tempo session channel; one log line per request on
// stderr, never with credentials.
import { createServer, type Server } from 'node:http'
import { type Method, Secret, type Store } from '@paywire/core'
import { Paywire } from '@paywire/server'
import { listener } from '@paywire/server/node'
import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'
import * as DemoSession from './DemoSession.js'
import * as ExitCode from './ExitCode.js'
import * as Home from './Home.js'
import * as Io from './Io.js'
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
  GET  /session         with Tempo only: ${DemoSession.prices.request} per request on a session channel
                        (deposit ${DemoSession.prices.suggestedDeposit} suggested)
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
                        who Tempo charges go to (default: dev account 1 of the node,
                        which is also the session payee; with another, no /session)
  --tempo-escrow <address>
                        paywire's session escrow already on the node (default: deploy one)
  --home <dir>          home directory, to find the \`paywire dev\` node

The test method moves no money. Pay it with:
  paywire http://127.0.0.1:8402/paid --test-key ${defaultTestKey} --max-amount 1000:usd --yes
and with Tempo, from a funded keystore account:
  paywire http://127.0.0.1:8402/paid --account alice --max-amount 1000:${pathUsd} --yes
  paywire http://127.0.0.1:8402/session --account alice --max-amount ${DemoSession.prices.suggestedDeposit}:${pathUsd} --yes`

export const flags = {
  port: { type: 'string', default: '8402' },
  'test-key': { type: 'string', default: defaultTestKey },
  secret: { type: 'string' },
  realm: { type: 'string' },
  'tempo-rpc': { type: 'string' },
  tempo: { type: 'boolean' },
  'tempo-recipient': { type: 'string' },
  'tempo-escrow': { type: 'string' },
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
  const escrow = values['tempo-escrow']
  if (escrow !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(escrow))
    throw new Usage.UsageError(`--tempo-escrow takes an address, found "${escrow}"`, {
      command: 'serve',
    })
  const store = MemoryStore.create()
  const tempo = await tempoMethod(values, io, store)
  const methods = [TestMethod.server({ key: values['test-key'] }) as Method.Server<unknown>]
  if (tempo !== undefined) methods.push(tempo.method)
  if (tempo?.session !== undefined) methods.push(tempo.session.method)
  const demo = await start({ port, secret, methods, realm: values.realm, io, store })
  io.stdout.write(`paywire demo API listening on ${demo.url}\n`)
  if (tempo !== undefined)
    io.stdout.write(`tempo: ${tempo.rpcUrl}, paying ${tempo.recipient} in pathUSD (${pathUsd})\n`)
  if (tempo?.session !== undefined)
    io.stdout.write(
      `tempo sessions: GET /session, ${DemoSession.prices.request} per request, payee ${tempo.session.payee}, escrow ${tempo.session.escrow}\n`,
    )
  await Io.stopped()
  await demo.close()
  return ExitCode.ok
}

type Values = ReturnType<typeof Usage.parse<typeof flags>>['values']

/** The Tempo server halves (charge, and session when the payee is a dev account), when a node is given. */
async function tempoMethod(values: Values, io: Io.Io, store: Store.Store) {
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
  const devPayee = mnemonicToAccount(TempoNode.mnemonic, { addressIndex: 1 })
  const recipient = values['tempo-recipient'] ?? devPayee.address
  const chain = Chain.fromRpc({ rpcUrl, chainId: await Rpc.chainId(rpcUrl) })
  const payeeKey = devPayee.getHdKey().privateKey
  const session =
    values['tempo-recipient'] === undefined && payeeKey !== null
      ? await DemoSession.start({
          rpcUrl,
          payeeKey: `0x${Buffer.from(payeeKey).toString('hex')}`,
          currency: pathUsd,
          store,
          escrow: values['tempo-escrow'] as `0x${string}` | undefined,
        })
      : undefined
  return {
    rpcUrl,
    recipient,
    method: Server.server({ chain, recipient }) as Method.Server<unknown>,
    session,
  }
}

async function start(options: {
  port: number
  secret: string
  methods: Method.Server<unknown>[]
  realm: string | undefined
  io: Io.Io
  store: Store.Store
}) {
  const { store } = options
  // The charge routes offer every method but the session one.
  const charges = options.methods
    .filter((method) => method.intent !== 'session')
    .map((method) => `${method.method}/${method.intent}`)
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
      methods: charges,
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
    {
      methods: charges,
      price: (_request: Request, offer: Paywire.Offer) => priced(offer, prices.body),
    },
    async (request) => Response.json({ paid: true, received: await request.text() }),
  )
  const session = options.methods.some((method) => method.intent === 'session')
    ? listener(
        paywire,
        {
          methods: ['tempo/session'],
          price: {
            amount: DemoSession.prices.request,
            suggestedDeposit: DemoSession.prices.suggestedDeposit,
          },
          description: 'paywire demo session resource',
        },
        (_request, payment) =>
          Response.json({
            paid: true,
            channelId: payment.receipt?.reference,
            spent: payment.receipt?.spent,
          }),
      )
    : undefined
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
    else if (session !== undefined && (route === 'GET /session' || route === 'HEAD /session'))
      session(req, res)
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
