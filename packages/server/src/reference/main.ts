// `pnpm serve:reference --port <port>`: starts the reference paid API on 127.0.0.1.
import { parseArgs } from 'node:util'
import { Secret } from '@paywire/core'
import { defaultTestKey, prices, start } from './server.js'

const help = `Usage: pnpm serve:reference [options]

Starts the paywire reference paid API on 127.0.0.1.

Routes:
  GET  /free               free (200, no payment)
  GET  /paid               charged ${prices.basic} (usd) with every enabled method
  GET  /paid?tier=pro      query-bound: charged ${prices.pro}; a credential for one query is refused on another
  POST /paid-body          body-bound: charged ${prices.body}; the challenge carries the body's digest

Options:
  --port <port>            port to listen on (default 8402; 0 picks a free one)
  --secret <secret>        binding secret, 32 bytes or more (default: PAYWIRE_SECRET_KEY, else a random one)
  --realm <realm>          realm (default paywire.reference)
  --expires <seconds>      challenge lifetime (default 300)
  --store <store>          where claims are kept: memory (the only store so far)
  --methods <list>         comma-separated methods to enable: test (default test)
  --test-key <key>         key the test method shares with clients (default "${defaultTestKey}")
  --help                   print this help

The test method moves no money; it exists for probing and conformance runs.
One line is logged per request; credentials and secrets are never logged.`

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8402' },
    secret: { type: 'string' },
    realm: { type: 'string' },
    expires: { type: 'string' },
    store: { type: 'string', default: 'memory' },
    methods: { type: 'string', default: 'test' },
    'test-key': { type: 'string' },
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
    methods: values.methods.split(',').map((name) => name.trim()),
    testKey: values['test-key'],
    log: (line) => console.log(line),
  }).catch((error: Error) => {
    // Configuration mistakes (a short secret, an unknown method) end the process cleanly;
    // messages never carry the secret.
    console.error(`cannot start: ${error.message}`)
    process.exit(2)
  })
  console.log(`paywire reference server listening on ${server.url}`)
  const stop = () => void server.close().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
