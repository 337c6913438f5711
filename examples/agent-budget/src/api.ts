// A paid API for the agent to buy from, on Node http: news for 5 cents, a report for 25,
// an archive for 45 (more than the agent may pay at once). Test method only.
import { createServer } from 'node:http'
import { Secret } from '@paywire/core'
import { Paywire } from '@paywire/server'
import { toRequest, writeResponse } from '@paywire/server/node'
import { MemoryStore } from '@paywire/store-memory'
import { FreePort, TestMethod } from '@paywire/testkit'

/** The paid routes and their prices in cents. */
export const catalog = {
  '/news': { amount: '5', description: 'Headlines' },
  '/report': { amount: '25', description: 'Market report' },
  '/archive': { amount: '45', description: 'Full archive' },
} as const

/** Starts the API on 127.0.0.1 with a free port; resolves its URL and `close`. */
export async function start(testKey: string) {
  const paywire = Paywire.create({
    realm: '127.0.0.1',
    secret: Secret.generate(),
    methods: [TestMethod.server({ key: testKey })],
    allowTestMethods: true,
    store: MemoryStore.create(),
  })
  const routes = new Map(
    Object.entries(catalog).map(([path, { amount, description }]) => [
      path,
      paywire.protect({ price: { amount, currency: 'usd' }, description }, () =>
        Response.json({ path, content: `${description} of the day` }),
      ),
    ]),
  )
  const server = createServer((req, res) => {
    const route = routes.get(new URL(req.url ?? '/', 'http://localhost').pathname)
    void (async () => {
      const response = route ? await route(toRequest(req)) : new Response(null, { status: 404 })
      await writeResponse(res, response)
    })().catch(() => res.destroy())
  })
  return FreePort.listen(server)
}
