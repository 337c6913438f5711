// The same small paid API written once per binding, for the shared end-to-end table:
//   GET  /paid, /other        JSON { paid: true, path }
//   POST /paid-body[?delay=ms] echoes the body as text (digest-bound); waits `delay` first
//   GET  /stream              three chunks, 300 ms apart
//   GET  /denied              denied by the authorize hook (never reached)
//   GET  /fail                the handler answers 500
//   GET  /after               settled after success; answers the status in `x-status`
// Each binding is served over real HTTP on 127.0.0.1.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import { FreePort } from '@paywire/testkit'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import * as ExpressBinding from '../bindings/express.js'
import * as FastifyBinding from '../bindings/fastify.js'
import * as HonoBinding from '../bindings/hono.js'
import * as NodeBinding from '../bindings/node.js'
import type * as Paywire from '../Paywire.js'

/** A running app. */
export type App = { url: string; close(): Promise<void> }

/** A binding under test. */
export type Binding = {
  name: string
  /** Whether the binding writes one `WWW-Authenticate` line per challenge (Hono's adapter joins them). */
  separateChallengeLines: boolean
  start(paywire: Paywire.Paywire): Promise<App>
}

/** The price of every test route: the test methods' charge input. */
export const price = { amount: '1000', currency: 'usd', recipient: 'acct_1' }

/** The routes of the test API, by path. */
export const routes: Record<string, Paywire.Route> = {
  '/paid': { price },
  '/other': { price },
  '/paid-body': { price, methods: ['test'] },
  '/stream': { price, methods: ['test'] },
  '/denied': { price, methods: ['test'] },
  '/fail': { price, methods: ['test'] },
  '/after': { price, methods: ['test'], settle: 'after-success' },
}

const chunks = ['one,', 'two,', 'three']
const chunkGapMs = 300
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const delayOf = (url: string) => Number(new URL(url, 'http://x').searchParams.get('delay') ?? 0)

function streamBody(): ReadableStream<Uint8Array> {
  let index = 0
  return new ReadableStream({
    async pull(controller) {
      if (index > 0) await sleep(chunkGapMs)
      const chunk = chunks[index++]
      if (chunk === undefined) controller.close()
      else controller.enqueue(new TextEncoder().encode(chunk))
    },
  })
}

async function fetchHandler(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url)
  if (pathname === '/paid-body') {
    await sleep(delayOf(request.url))
    return new Response(await request.text(), { headers: { 'content-type': 'text/plain' } })
  }
  if (pathname === '/stream') return new Response(streamBody())
  if (pathname === '/fail') return Response.json({ error: 'boom' }, { status: 500 })
  if (pathname === '/after')
    return new Response('after content', {
      status: Number(request.headers.get('x-status') ?? 200),
    })
  return Response.json({ paid: true, path: pathname })
}

/** The fetch core, through `protect`, served by the Node `listener`. */
export const fetchCore: Binding = {
  name: 'fetch core (node listener)',
  separateChallengeLines: true,
  async start(paywire) {
    const listeners = new Map(
      Object.entries(routes).map(([path, route]) => [
        path,
        NodeBinding.listener(paywire, route, fetchHandler),
      ]),
    )
    return FreePort.listen(
      createServer((req, res) => {
        const serve = listeners.get(new URL(req.url ?? '/', 'http://x').pathname)
        if (serve) serve(req, res)
        else res.writeHead(404).end()
      }),
    )
  },
}

async function nodeHandler(req: IncomingMessage & { body?: unknown }, res: ServerResponse) {
  const pathname = new URL(req.url ?? '/', 'http://x').pathname
  if (pathname === '/paid-body') {
    await sleep(delayOf(req.url ?? '/'))
    res.setHeader('content-type', 'text/plain')
    res.end(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '')
    return
  }
  if (pathname === '/stream') {
    for (const [index, chunk] of chunks.entries()) {
      if (index > 0) await sleep(chunkGapMs)
      res.write(chunk)
    }
    res.end()
    return
  }
  if (pathname === '/after') {
    res.writeHead(Number(req.headers['x-status'] ?? 200), { 'content-type': 'text/plain' })
    res.end('after content')
    return
  }
  res.setHeader('content-type', 'application/json')
  if (pathname === '/fail') {
    res.statusCode = 500
    res.end(JSON.stringify({ error: 'boom' }))
    return
  }
  res.end(JSON.stringify({ paid: true, path: pathname }))
}

/** The Node connect-style middleware. */
export const nodeMiddleware: Binding = {
  name: 'node middleware',
  separateChallengeLines: true,
  async start(paywire) {
    const guards = new Map(
      Object.entries(routes).map(([path, route]) => [path, NodeBinding.paywall(paywire, route)]),
    )
    return FreePort.listen(
      createServer((req, res) => {
        const guard = guards.get(new URL(req.url ?? '/', 'http://x').pathname)
        if (!guard) return void res.writeHead(404).end()
        guard(req, res, (error) => {
          if (error) res.writeHead(500).end()
          else void nodeHandler(req, res)
        })
      }),
    )
  },
}

/** Hono, served through @hono/node-server's request listener. */
export const hono: Binding = {
  name: 'hono',
  separateChallengeLines: false,
  async start(paywire) {
    const app = new Hono<{ Variables: HonoBinding.Variables }>()
    for (const [path, route] of Object.entries(routes))
      app.on(['GET', 'POST'], path, HonoBinding.paywall(paywire, route), (c) => {
        if (c.get('payment') === undefined) throw new Error('payment missing')
        return fetchHandler(c.req.raw)
      })
    return FreePort.listen(createServer(getRequestListener(app.fetch)))
  },
}

/** Express 5. */
export const expressApp: Binding = {
  name: 'express',
  separateChallengeLines: true,
  async start(paywire) {
    const app = express()
    for (const [path, route] of Object.entries(routes))
      app.all(path, ExpressBinding.paywall(paywire, route), (req, res) => {
        if (res.locals.payment === undefined) throw new Error('payment missing')
        void nodeHandler(req, res)
      })
    return FreePort.listen(createServer(app))
  },
}

/** Fastify 5. */
export const fastify: Binding = {
  name: 'fastify',
  separateChallengeLines: true,
  async start(paywire) {
    const app = Fastify()
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))
    for (const [path, route] of Object.entries(routes))
      app.route({
        method: ['GET', 'POST'],
        url: path,
        ...FastifyBinding.paywall(paywire, route),
        handler: async (request, reply) => {
          if (FastifyBinding.payment(request) === undefined) throw new Error('payment missing')
          if (path === '/paid-body') {
            await sleep(delayOf(request.url))
            const body = request.body
            return reply
              .type('text/plain')
              .send(Buffer.isBuffer(body) ? body.toString('utf8') : String(body ?? ''))
          }
          if (path === '/stream') return reply.send(streamBody())
          if (path === '/fail') return reply.code(500).send({ error: 'boom' })
          if (path === '/after')
            return reply
              .code(Number(request.headers['x-status'] ?? 200))
              .type('text/plain')
              .send('after content')
          return { paid: true, path }
        },
      })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    return { url: `http://127.0.0.1:${port}`, close: () => app.close() }
  },
}

/** Every binding, for `describe.each`. */
export const bindings: readonly Binding[] = [fetchCore, nodeMiddleware, hono, expressApp, fastify]
