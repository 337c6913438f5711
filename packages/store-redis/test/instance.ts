// One paywire server process of several sharing one Redis store, for the many-instances
// tests. GET or POST /paid costs 1000 (test method); GET /runs says how many times this
// process ran the paid handler. Prints `{"url": ...}` once it listens.
//   STORE_URL, STORE_TIMEOUT_MS, STORE_PREFIX, PAYWIRE_SECRET_KEY, TEST_METHOD_KEY
import { createServer } from 'node:http'
import { Paywire } from '@paywire/server'
import { listener } from '@paywire/server/node'
import { PaidInstances, TestMethod } from '@paywire/testkit'
import * as RedisStore from '../src/RedisStore.js'

const store = RedisStore.create({
  url: process.env.STORE_URL,
  prefix: process.env.STORE_PREFIX,
  commandTimeoutMs: Number(process.env.STORE_TIMEOUT_MS ?? 2_000),
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
