// Express specifics: a body parser mounted before paywire works only when it keeps the
// raw bytes (the digest covers them); otherwise paywire fails closed.
import { createServer } from 'node:http'
import { FreePort } from '@paywire/testkit'
import express from 'express'
import { describe, expect, it, vi } from 'vitest'
import { authorization, challengesOf, expectReceipt, makePaywire } from '../test/payer.js'
import { paywall } from './express.js'

const price = { amount: '1000', currency: 'usd', recipient: 'acct_1' }
const json = JSON.stringify({ order: 7 })

async function start(keepRaw: boolean, handler: (body: unknown) => void) {
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
  app.post('/order', paywall(makePaywire(), { price, methods: ['test'] }), (req, res) => {
    handler(req.body)
    res.json({ ok: true })
  })
  return FreePort.listen(createServer(app))
}

async function payOrder(url: string) {
  const init = { method: 'POST', body: json, headers: { 'content-type': 'application/json' } }
  const first = await fetch(`${url}/order`, init)
  const challenge = challengesOf(first).find((c) => c.method === 'test')
  if (!challenge) throw new Error('no challenge')
  return fetch(`${url}/order`, {
    ...init,
    headers: { ...init.headers, authorization: await authorization(challenge) },
  })
}

describe('express binding after a body parser', () => {
  it('uses req.rawBody for the digest and leaves the parsed body to the handler', async () => {
    const handler = vi.fn()
    const { url, close } = await start(true, handler)
    try {
      expectReceipt(await payOrder(url))
      expect(handler).toHaveBeenCalledWith({ order: 7 })
    } finally {
      await close()
    }
  })

  it('fails closed when the body was consumed and no raw bytes were kept', async () => {
    const handler = vi.fn()
    const { url, close } = await start(false, handler)
    try {
      const response = await fetch(`${url}/order`, {
        method: 'POST',
        body: json,
        headers: { 'content-type': 'application/json' },
      })
      expect(response.status).toBe(500)
      expect(handler).not.toHaveBeenCalled()
    } finally {
      await close()
    }
  })
})
