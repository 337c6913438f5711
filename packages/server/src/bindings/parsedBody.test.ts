// A body read before paywire, in every binding that can meet one: with the raw bytes kept
// (`req.rawBody`) the payment works; without them the request fails closed with a 500
// problem, the logger gets the reason, and the framework's error path sees the error.
import { createServer, type IncomingMessage } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import { FreePort } from '@paywire/testkit'
import express from 'express'
import { Hono } from 'hono'
import { describe, expect, it, vi } from 'vitest'
import { ConfigurationError, type LogEntry } from '../Paywire.js'
import { authorization, challengesOf, expectReceipt, makePaywire } from '../test/payer.js'
import * as ExpressBinding from './express.js'
import * as HonoBinding from './hono.js'
import * as NodeBinding from './node.js'

const price = { amount: '1000', currency: 'usd', recipient: 'acct_1' }
const route = { price, methods: ['test'] }
const json = JSON.stringify({ order: 7 })
const init = { method: 'POST', body: json, headers: { 'content-type': 'application/json' } }

async function payOrder(url: string) {
  const first = await fetch(`${url}/order`, init)
  const challenge = challengesOf(first).find((c) => c.method === 'test')
  if (!challenge) throw new Error('no challenge')
  return fetch(`${url}/order`, {
    ...init,
    headers: { ...init.headers, authorization: await authorization(challenge) },
  })
}

/** Asserts the fail-closed answer: 500, a problem body, no challenge, no receipt. */
async function expectMisconfigured(response: Response) {
  expect(response.status).toBe(500)
  expect(response.headers.get('content-type')).toContain('application/problem+json')
  expect(response.headers.get('www-authenticate')).toBeNull()
  expect(response.headers.get('payment-receipt')).toBeNull()
  const problem = (await response.json()) as { status: number; title: string; detail: string }
  expect(problem).toMatchObject({ status: 500, title: 'Internal Server Error' })
  expect(problem.detail).toMatch(/misconfigured/)
}

function expectLogged(
  logs: LogEntry[],
  reason = /request body was read before paywire.*req\.rawBody/,
) {
  const entry = logs.find((item) => item.event === 'error')
  expect(entry).toMatchObject({
    level: 'error',
    route: 'POST /order',
    status: 500,
    code: 'ERR_PAYWIRE_CONFIGURATION',
  })
  expect(entry?.message).toMatch(reason)
}

async function startExpress(keepRaw: boolean, handler: (body: unknown) => void) {
  const logs: LogEntry[] = []
  const errors: unknown[] = []
  const app = express()
  app.use(
    express.json(
      keepRaw
        ? {
            verify: (req, _res, buffer) => {
              ;(req as { rawBody?: Buffer }).rawBody = buffer
            },
          }
        : {},
    ),
  )
  const paywire = makePaywire({ logger: (entry) => logs.push(entry) })
  app.post('/order', ExpressBinding.paywall(paywire, route), (req, res) => {
    handler(req.body)
    res.json({ ok: true })
  })
  app.use(
    (error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      errors.push(error)
      res.status((error as { status?: number }).status ?? 500).json({ error: 'reported' })
    },
  )
  return { ...(await FreePort.listen(createServer(app))), logs, errors }
}

describe('express binding after a body parser', () => {
  it('uses req.rawBody for the digest and leaves the parsed body to the handler', async () => {
    const handler = vi.fn()
    const { url, close } = await startExpress(true, handler)
    try {
      expectReceipt(await payOrder(url))
      expect(handler).toHaveBeenCalledWith({ order: 7 })
    } finally {
      await close()
    }
  })

  it('fails closed without raw bytes: logs the reason and hands the error to next(err)', async () => {
    const handler = vi.fn()
    const { url, close, logs, errors } = await startExpress(false, handler)
    try {
      const response = await fetch(`${url}/order`, init)
      expect(response.status).toBe(500)
      expect(await response.json()).toEqual({ error: 'reported' })
      expect(handler).not.toHaveBeenCalled()
      expect(errors).toHaveLength(1)
      expect(errors[0]).toBeInstanceOf(ConfigurationError)
      expect((errors[0] as Error).message).toMatch(/express\.json\(\{ verify/)
      expectLogged(logs)
    } finally {
      await close()
    }
  })

  it("answers with Express's own error handling when the app has none", async () => {
    const app = express()
    app.use(express.json())
    app.post('/order', ExpressBinding.paywall(makePaywire(), route), (_req, res) => {
      res.json({ ok: true })
    })
    const { url, close } = await FreePort.listen(createServer(app))
    try {
      const response = await fetch(`${url}/order`, init)
      expect(response.status).toBe(500)
      expect(response.headers.get('payment-receipt')).toBeNull()
    } finally {
      await close()
    }
  })
})

describe('node paywall after a body parser', () => {
  /** A stand-in for a body parser run first: reads the body, keeps the bytes if asked. */
  const parse = async (req: IncomingMessage & { rawBody?: Buffer }, keepRaw: boolean) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    if (keepRaw) req.rawBody = Buffer.concat(chunks)
  }
  async function start(keepRaw: boolean, next: (error?: unknown) => void) {
    const logs: LogEntry[] = []
    const guard = NodeBinding.paywall(makePaywire({ logger: (entry) => logs.push(entry) }), route)
    const server = createServer(async (req, res) => {
      await parse(req, keepRaw)
      guard(req, res, (error) => {
        next(error)
        if (error === undefined) res.end('paid content')
      })
    })
    return { ...(await FreePort.listen(server)), logs }
  }

  it('uses req.rawBody for the digest', async () => {
    const next = vi.fn()
    const { url, close } = await start(true, next)
    try {
      const response = await payOrder(url)
      expectReceipt(response)
      expect(await response.text()).toBe('paid content')
    } finally {
      await close()
    }
  })

  it('answers a 500 problem and logs the reason, without calling next', async () => {
    const next = vi.fn()
    const { url, close, logs } = await start(false, next)
    try {
      await expectMisconfigured(await fetch(`${url}/order`, init))
      expect(next).not.toHaveBeenCalled()
      expectLogged(logs)
    } finally {
      await close()
    }
  })
})

describe('hono paywall after a body read', () => {
  it('throws the problem to app.onError and logs the reason', async () => {
    const logs: LogEntry[] = []
    const caught: unknown[] = []
    const handler = vi.fn()
    const app = new Hono<{ Variables: HonoBinding.Variables }>()
    app.use('/order', async (c, next) => {
      await c.req.json()
      await next()
    })
    app.post(
      '/order',
      HonoBinding.paywall(makePaywire({ logger: (entry) => logs.push(entry) }), route),
      (c) => {
        handler()
        return c.text('paid content')
      },
    )
    app.onError((error, c) => {
      caught.push(error)
      return error instanceof Error && 'getResponse' in error
        ? (error as { getResponse(): Response }).getResponse()
        : c.text('unexpected', 500)
    })
    const { url, close } = await FreePort.listen(createServer(getRequestListener(app.fetch)))
    try {
      await expectMisconfigured(await fetch(`${url}/order`, init))
      expect(handler).not.toHaveBeenCalled()
      expect(caught).toHaveLength(1)
      expect((caught[0] as Error).cause).toBeInstanceOf(ConfigurationError)
      expectLogged(logs, /request body was read before paywire: mount paywall before/)
    } finally {
      await close()
    }
  })

  it("answers the problem body with Hono's default error handling", async () => {
    const app = new Hono<{ Variables: HonoBinding.Variables }>()
    app.use('/order', async (c, next) => {
      await c.req.text()
      await next()
    })
    app.post('/order', HonoBinding.paywall(makePaywire(), route), (c) => c.text('paid'))
    const { url, close } = await FreePort.listen(createServer(getRequestListener(app.fetch)))
    try {
      await expectMisconfigured(await fetch(`${url}/order`, init))
    } finally {
      await close()
    }
  })
})
