// Metered SSE on a real local Tempo node (one node for this file): every unit is charged
// before it is sent, starvation emits payment-need-voucher and pauses until a voucher
// arrives, an idle stream ends, and the final event is the receipt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Fixture, setUp } from '../test/fixtures.js'
import * as Stream from './Stream.js'

let fixture: Fixture

beforeAll(async () => {
  fixture = await setUp()
}, 60_000)

afterAll(() => fixture?.node.stop())

type Event = { event: string; data: string }

/** Reads SSE events from a stream, calling `onEvent` for each (awaited before reading on). */
async function consume(
  stream: ReadableStream<Uint8Array>,
  onEvent: (event: Event) => Promise<void>,
) {
  const reader = stream.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return
    buffer += decoder.decode(value, { stream: true })
    let end = buffer.indexOf('\n\n')
    while (end !== -1) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const lines = block.split('\n')
      const event = lines.find((line) => line.startsWith('event: '))?.slice(7) ?? 'message'
      const data = lines
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n')
      await onEvent({ event, data })
      end = buffer.indexOf('\n\n')
    }
  }
}

function* tokens(count: number) {
  for (let index = 0; index < count; index++) yield `token ${index}`
}

describe('Stream.meter', () => {
  it('streams 10,000 units, each charged before it is sent, starving and resuming on vouchers {tempo.session.streaming.need-voucher, tempo.session.streaming.pause, tempo.session.streaming.resume, tempo.session.streaming.stop, tempo.session.receipt.sse-event}', async () => {
    const sessions = fixture.sessions()
    const channelId = await fixture.openOnChain(20_000n)
    await sessions.open({ channelId, ...(await fixture.sign(channelId, 1_500n)), price: 1n })
    const stream = Stream.meter({
      sessions,
      channelId,
      price: 1n,
      units: tokens(10_000),
      challengeId: 'challenge-stream',
    })
    let received = 0
    let starvations = 0
    let receipt: Record<string, unknown> | undefined
    await consume(stream, async ({ event, data }) => {
      if (event === 'message') {
        // Never more units than the vouchers accepted so far pay for.
        received += 1
        if (received % 1_000 === 0) {
          const state = await sessions.read(channelId)
          expect(BigInt(received) <= state.acceptedCumulative).toBe(true)
        }
      } else if (event === 'payment-need-voucher') {
        starvations += 1
        const need = JSON.parse(data)
        expect(need).toEqual({
          acceptedCumulative: expect.any(String),
          channelId,
          deposit: '20000',
          requiredCumulative: (BigInt(need.acceptedCumulative) + 1n).toString(),
        })
        expect(BigInt(need.acceptedCumulative)).toBe(BigInt(received))
        // The client answers with a voucher for the next 2,000 units (on another request).
        await sessions.voucher({
          channelId,
          ...(await fixture.sign(channelId, BigInt(need.requiredCumulative) + 1_999n)),
        })
      } else if (event === 'payment-receipt') receipt = JSON.parse(data)
    })
    expect(received).toBe(10_000)
    expect(starvations).toBe(5)
    expect(receipt).toMatchObject({
      method: 'tempo',
      intent: 'session',
      status: 'success',
      channelId,
      spent: '10000',
      units: 10_000,
    })
    const before = await fixture.balances()
    await sessions.close({ channelId, ...(await fixture.sign(channelId, 10_000n)) })
    const after = await fixture.balances()
    expect(after.payee - before.payee).toBe(10_000n)
    expect(after.payer - before.payer).toBe(10_000n)
  }, 120_000)

  it('ends a starved stream after the idle timeout, with the receipt last {tempo.session.streaming.idle-timeout}', async () => {
    const sessions = fixture.sessions()
    const channelId = await fixture.openOnChain(1_000n)
    await sessions.open({ channelId, ...(await fixture.sign(channelId, 3n)), price: 1n })
    const events: Event[] = []
    const started = Date.now()
    await consume(
      Stream.meter({
        sessions,
        channelId,
        price: 1n,
        units: tokens(10),
        challengeId: 'challenge-idle',
        idleTimeoutMs: 300,
      }),
      async (event) => {
        events.push(event)
      },
    )
    expect(Date.now() - started).toBeGreaterThanOrEqual(300)
    expect(events.map((event) => event.event)).toEqual([
      'message',
      'message',
      'message',
      'payment-need-voucher',
      'payment-receipt',
    ])
    expect(JSON.parse(events[4]?.data ?? '{}')).toMatchObject({ spent: '3', units: 3 })
  })

  it('formats multi-line data as one data line per line', () => {
    expect(Stream.format('message', 'a\nb')).toBe('event: message\ndata: a\ndata: b\n\n')
  })
})
