// `pnpm serve:reference --port <port> [--tempo-rpc <url>]`: starts the reference paid API
// on 127.0.0.1, with the Tempo charge when a Tempo node is given.
import { parseArgs } from 'node:util'
import { Secret } from '@paywire/core'
import { defaultTestKey, prices, start } from './server.js'
import { devAccounts, sponsorDefaults } from './tempo.js'

const help = `Usage: pnpm serve:reference [options]

Starts the paywire reference paid API on 127.0.0.1.

Routes:
  GET  /free               free (200, no payment)
  GET  /effects            free: {"count": n}, how many times a paid handler ran (for conformance runs)
  GET  /paid               charged ${prices.basic} (usd) with every enabled method
  GET  /paid?tier=pro      query-bound: charged ${prices.pro}; a credential for one query is refused on another
  POST /paid-body          body-bound: charged ${prices.body}; the challenge carries the body's digest
  GET  /paid-sponsored     with Tempo only: a Tempo charge of ${prices.sponsored} whose fees the server pays
                           (pull mode only, as the draft requires for fee-sponsored charges)

With --tempo-rpc, the paid routes also offer the Tempo charge (draft-tempo-charge-00) in
pathUSD base units, pull and push, settled on that node; the payer pays its own fees there.

Options:
  --port <port>            port to listen on (default 8402; 0 picks a free one)
  --secret <secret>        binding secret, 32 bytes or more (default: PAYWIRE_SECRET_KEY, else a random one)
  --realm <realm>          realm (default 127.0.0.1, the host it listens on)
  --expires <seconds>      challenge lifetime (default 300)
  --skew <seconds>         clock skew tolerated past expires (default 30)
  --store <store>          where claims are kept: memory (the only store so far)
  --methods <list>         comma-separated methods to enable: test, tempo
                           (default test, and tempo when --tempo-rpc is given)
  --test-key <key>         key the test method shares with clients (default "${defaultTestKey}")
  --log-events             also log paywire's decisions, one JSON line each (never credentials)
  --tempo-rpc <url>        JSON-RPC URL of a Tempo node (e.g. from \`pnpm dev:chain\`); enables tempo
  --tempo-recipient-key <hex>
                           key of the account paid (default PAYWIRE_TEMPO_RECIPIENT_KEY, else
                           dev account ${devAccounts.recipient} of anvil's test mnemonic)
  --tempo-fee-payer-key <hex>
                           key of the account that pays fees on /paid-sponsored (default
                           PAYWIRE_TEMPO_FEE_PAYER_KEY, else dev account ${devAccounts.feePayer})
  --tempo-max-fee <units>  largest fee sponsored per payment (default ${sponsorDefaults.maxFeePerPayment})
  --tempo-sponsor-budget <units>
                           fees sponsored in all (default ${sponsorDefaults.budget})
  --help                   print this help

The test method moves no money; it exists for probing and conformance runs.
With Tempo, one line "tempo: {json}" is printed at start, before the "listening on" line:
the RPC URL, chain id, currency, and the recipient and fee payer (address, where the key
comes from, and the private key when it is a dev account's, whose keys are public; a key
given as a flag or variable is never printed).
One line is logged per request; credentials and secrets are never logged.`

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8402' },
    secret: { type: 'string' },
    realm: { type: 'string' },
    expires: { type: 'string' },
    skew: { type: 'string' },
    store: { type: 'string', default: 'memory' },
    methods: { type: 'string' },
    'test-key': { type: 'string' },
    'log-events': { type: 'boolean', default: false },
    'tempo-rpc': { type: 'string' },
    'tempo-recipient-key': { type: 'string' },
    'tempo-fee-payer-key': { type: 'string' },
    'tempo-max-fee': { type: 'string' },
    'tempo-sponsor-budget': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
})

if (values.help) {
  console.log(help)
} else {
  if (values.store !== 'memory') {
    console.error(`unknown store "${values.store}" (available: memory)`)
    process.exit(2)
  }
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`--port must be a port number, found "${values.port}"`)
    process.exit(2)
  }
  const secret = values.secret || process.env.PAYWIRE_SECRET_KEY || Secret.generate()
  const server = await start({
    port,
    secret,
    realm: values.realm,
    expiresIn: values.expires === undefined ? undefined : Number(values.expires),
    skewSeconds: values.skew === undefined ? undefined : Number(values.skew),
    methods: values.methods?.split(',').map((name) => name.trim()),
    testKey: values['test-key'],
    tempo:
      values['tempo-rpc'] === undefined
        ? undefined
        : {
            rpcUrl: values['tempo-rpc'],
            recipientKey:
              values['tempo-recipient-key'] || process.env.PAYWIRE_TEMPO_RECIPIENT_KEY || undefined,
            feePayerKey:
              values['tempo-fee-payer-key'] || process.env.PAYWIRE_TEMPO_FEE_PAYER_KEY || undefined,
            maxFeePerPayment: units('--tempo-max-fee', values['tempo-max-fee']),
            budget: units('--tempo-sponsor-budget', values['tempo-sponsor-budget']),
          },
    log: (line) => console.log(line),
    logger: values['log-events'] ? (entry) => console.log(JSON.stringify(entry)) : undefined,
  }).catch((error: Error) => {
    // Configuration mistakes (a short secret, an unknown method) end the process cleanly;
    // messages never carry the secret.
    console.error(`cannot start: ${error.message}`)
    process.exit(2)
  })
  if (server.tempo !== undefined) console.log(`tempo: ${JSON.stringify(server.tempo)}`)
  console.log(`paywire reference server listening on ${server.url}`)
  const stop = () => void server.close().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

/** A base-unit amount flag, or `undefined` when absent; exits on a bad value. */
function units(flag: string, value: string | undefined): bigint | undefined {
  if (value === undefined) return undefined
  if (!/^[0-9]+$/.test(value)) {
    console.error(`${flag} must be a whole number of base units, found "${value}"`)
    process.exit(2)
  }
  return BigInt(value)
}
