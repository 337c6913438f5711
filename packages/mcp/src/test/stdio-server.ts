// The test server over stdio, run as a child process by the tests (see `stdio` in
// connections.ts): the same paid server definition, settled as the first argument says.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import type { Paywire } from '@paywire/server'
import * as Effects from './effects.js'
import * as Fixture from './fixture.js'

const settle = process.argv[2] as Paywire.SettleMode | undefined
const effects = Effects.create()
const options = { effects, ...(settle === undefined ? {} : { settle }) }
const paid = Fixture.payments(options)
await Fixture.server(paid, options).connect(paid.transport(new StdioServerTransport()))
