// One paywire server process of several sharing one PostgreSQL store, for the many-instances
// tests. GET or POST /paid costs 1000 (test method); GET /runs says how many times this
// process ran the paid handler. Prints `{"url": ...}` once it listens.
//   STORE_URL, STORE_TIMEOUT_MS, STORE_SCHEMA, PAYWIRE_SECRET_KEY, TEST_METHOD_KEY
import { createServer } from 'node:http'
import { Paywire } from '@paywire/server'
import { listener } from '@paywire/server/node'
import { PaidInstances, TestMethod } from '@paywire/testkit'
import * as PostgresStore from '../src/PostgresStore.js'

const store = PostgresStore.create({
  connectionString: process.env.STORE_URL,
  schema: process.env.STORE_SCHEMA,
  timeoutMs: Number(process.env.STORE_TIMEOUT_MS ?? 2_000),
  maxConnections: 10,
})
const paywire = Paywire.create({
  realm: 'paywire.instances',
  secret: process.env.PAYWIRE_SECRET_KEY,
  methods: [TestMethod.server({ key: process.env.TEST_METHOD_KEY ?? '' })],
  store,
  allowTestMethods: true,
})
let runs = 0
const paid = listener(paywire, { price: { amount: '1000', currency: 'usd' } }, () => {
  runs++
  return Response.json({ paid: true, pid: process.pid })
})
const server = createServer((req, res) => {
  if (req.url === '/runs') res.end(String(runs))
  else paid(req, res)
})
PaidInstances.announce(server, () => store.close())
