// Three paywire server processes sharing one PostgreSQL store (issue 7, "Many instances"):
// a credential pays once across all of them, and when PostgreSQL goes away they fail closed.
import { PaidInstances, TcpProxy } from '@paywire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as postgres from '../test/postgres.js'

let database: Awaited<ReturnType<typeof postgres.isolate>>
let proxy: TcpProxy.TcpProxy
let instances: PaidInstances.Instances
/** The store timeout of the instances, in milliseconds. */
const storeTimeoutMs = 8_000

beforeAll(async () => {
  database = await postgres.isolate()
  proxy = await TcpProxy.start(postgres.target())
  instances = await PaidInstances.start({
    script: 'test/instance.ts',
    count: 3,
    env: {
      STORE_TIMEOUT_MS: String(storeTimeoutMs),
      STORE_URL: postgres.throughPort(proxy.port),
      STORE_SCHEMA: database.schema,
    },
  })
}, 90_000)
afterAll(async () => {
  await instances?.stop()
  await proxy?.close()
  await database?.drop()
})

/** The 200s, the copies refused (402: used; 503: in progress), and any other status. */
const answered = (statuses: Record<string, number>) => {
  const { 200: served = 0, 402: used = 0, 503: inProgress = 0, ...other } = statuses
  return { served, refused: used + inProgress, other }
}

const spread = <result>(count: number, request: (url: string) => Promise<result>) =>
  Promise.all(
    Array.from({ length: count }, (_, i) =>
      request(instances.urls[i % instances.urls.length] ?? ''),
    ),
  )

describe('three servers sharing one PostgreSQL store', () => {
  it('accept a credential once among 300 concurrent requests spread over them {core.concurrency.single-settlement, core.replay.reject-reuse, charge.replay.id-single-use}', async () => {
    const [first = ''] = instances.urls
    const authorization = await instances.pay(`${first}/paid`)
    const runsBefore = await instances.runs()
    const statuses = await spread(300, async (url) => {
      const response = await fetch(`${url}/paid`, { headers: { authorization } })
      await response.body?.cancel()
      return response.status
    })
    const counts = tally(statuses)
    // One 200; every copy refused: 402 once the challenge is used, 503 (retry later, do not
    // pay again) while the request that pays it holds its payment record.
    expect(answered(counts), JSON.stringify(counts)).toEqual({ served: 1, refused: 299, other: {} })
    expect((await instances.runs()) - runsBefore).toBe(1)
  })

  it('accept a credential once among PAYWIRE_REPLAYS (default 10,000) concurrent replays spread over them {core.concurrency.single-settlement, core.replay.reject-reuse, charge.replay.id-single-use}', async () => {
    const count = PaidInstances.replayCount()
    const { statuses, runs } = await PaidInstances.replayOne(instances, { count })
    expect(answered(statuses), JSON.stringify(statuses)).toEqual({
      served: 1,
      refused: count - 1,
      other: {},
    })
    expect(runs).toBe(1)
    // Ten thousand answers from three processes on a busy 2-core machine.
  }, 180_000)

  it('run the handler once for 300 concurrent retries with one Idempotency-Key {core.idempotency.replay-response, core.concurrency.single-settlement}', async () => {
    const [first = ''] = instances.urls
    const init = { method: 'POST', body: 'order=1' }
    const authorization = await instances.pay(`${first}/paid`, init)
    const runsBefore = await instances.runs()
    const responses = await spread(300, async (url) => {
      const response = await fetch(`${url}/paid`, {
        ...init,
        headers: { authorization, 'idempotency-key': 'order-1' },
      })
      await response.body?.cancel()
      return { status: response.status, replayed: response.headers.has('idempotent-replayed') }
    })
    const counts = tally(responses.map((r) => (r.replayed ? `${r.status} replayed` : r.status)))
    expect((await instances.runs()) - runsBefore, JSON.stringify(counts)).toBe(1)
    expect(counts[200], JSON.stringify(counts)).toBe(1)
    for (const response of responses) expect([200, 409]).toContain(response.status)
    const retry = await fetch(`${instances.urls[2]}/paid`, {
      ...init,
      headers: { authorization, 'idempotency-key': 'order-1' },
    })
    expect(retry.status).toBe(200)
    expect(retry.headers.get('idempotent-replayed')).toBe('true')
    expect((await instances.runs()) - runsBefore).toBe(1)
  })

  it('fail closed with a 503 problem while PostgreSQL is unreachable, and resume without restart', async () => {
    const [first = ''] = instances.urls
    const authorization = await instances.pay(`${first}/paid`)
    const runsBefore = await instances.runs()
    await proxy.cut()
    try {
      for (const url of instances.urls) {
        const response = await fetch(`${url}/paid`, { headers: { authorization } })
        expect(response.status).toBe(503)
        expect(response.headers.get('content-type')).toContain('application/problem+json')
        expect(response.headers.get('payment-receipt')).toBeNull()
        const body = (await response.json()) as { status: number; paid?: unknown }
        expect(body.status).toBe(503)
        expect(body.paid).toBeUndefined()
      }
      expect(await instances.runs()).toBe(runsBefore)
    } finally {
      await proxy.restore()
    }
    const statuses: number[] = []
    const deadline = Date.now() + 20_000
    while (Date.now() < deadline) {
      const response = await fetch(`${instances.urls[1]}/paid`, { headers: { authorization } })
      await response.body?.cancel()
      statuses.push(response.status)
      if (response.status !== 503) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(statuses.at(-1)).toBe(200)
    const again = await fetch(`${instances.urls[2]}/paid`, { headers: { authorization } })
    await again.body?.cancel()
    expect(again.status).toBe(402)
    expect((await instances.runs()) - runsBefore).toBe(1)
  })

  it('fail closed with a 503 while PostgreSQL hangs, within the store timeout', async () => {
    const [first = ''] = instances.urls
    const authorization = await instances.pay(`${first}/paid`)
    proxy.stall()
    try {
      const started = Date.now()
      const response = await fetch(`${first}/paid`, { headers: { authorization } })
      await response.body?.cancel()
      expect(response.status).toBe(503)
      expect(Date.now() - started).toBeLessThan(3 * storeTimeoutMs)
    } finally {
      await proxy.cut()
      await proxy.restore()
    }
  })
})

function tally(values: ReadonlyArray<string | number>): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1
  return counts
}
