// Metered Server-Sent Events (draft-tempo-session §"Insufficient Balance During
// Streaming", §"Receipt Generation"): each unit of a stream is charged, and persisted,
// before it is sent; when the balance runs out the stream emits `payment-need-voucher`,
// pauses until a voucher reaches the required amount, and ends after an idle timeout;
// the final event is the `payment-receipt`.
import { Errors, SessionChannel } from '@paywire/core'
import type { Hex } from 'viem'
import * as Sessions from './Sessions.js'

/**
 * The response headers of a metered stream (add the `Payment-Receipt` of the request).
 *
 * @example
 * ```ts
 * import { Stream } from '@paywire/method-tempo-session'
 * new Response(stream, { headers: { ...Stream.headers } })
 * ```
 */
export const headers = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
} as const

/**
 * Streams `units` as SSE events, charging `price` for each one before sending it.
 *
 * @example
 * ```ts
 * import { Stream, type Sessions } from '@paywire/method-tempo-session'
 * declare const sessions: Sessions.Sessions
 * declare const tokens: AsyncIterable<string>
 * const body = Stream.meter({
 *   sessions,
 *   channelId: `0x${'ab'.repeat(32)}`,
 *   price: 25n,
 *   units: tokens,
 *   challengeId: 'kM9xPqWvT2nJrHsY4aDfEb',
 * })
 * return new Response(body, { headers: { ...Stream.headers } })
 * ```
 */
export function meter(parameters: meter.Parameters): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  // Cancelling (the client went away) ends a wait for a voucher at once, and no unit is
  // charged after it: a paused stream neither hangs until its idle timeout nor bills a unit
  // that can no longer be sent.
  const cancelled = new AbortController()
  const events = generate(parameters, cancelled.signal)
  return new ReadableStream({
    async pull(controller) {
      const { value, done } = await events.next()
      if (cancelled.signal.aborted) return
      if (done) controller.close()
      else controller.enqueue(encoder.encode(value))
    },
    async cancel() {
      cancelled.abort()
      await events.return(undefined)
    },
  })
}

export declare namespace meter {
  type Parameters = {
    sessions: Sessions.Sessions
    channelId: Hex
    /** Price of one unit, in base units. */
    price: bigint
    /** The units to send (tokens of an answer, chunks of a file...). */
    units: AsyncIterable<string> | Iterable<string>
    /** The challenge the stream is paid under (in the final receipt). */
    challengeId: string
    /** How long a starved stream waits for a voucher before it ends (default 60 s). */
    idleTimeoutMs?: number | undefined
    /** The SSE event name of a unit (default `message`). */
    event?: string | undefined
  }
}

/**
 * One SSE event: `event:` then one `data:` line per line of `data`.
 *
 * @example
 * ```ts
 * import { Stream } from '@paywire/method-tempo-session'
 * Stream.format('message', 'hello') // 'event: message\ndata: hello\n\n'
 * ```
 */
export function format(event: string, data: string): string {
  const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}`)
  return `event: ${event}\n${lines.join('\n')}\n\n`
}

async function* generate(
  parameters: meter.Parameters,
  signal: AbortSignal,
): AsyncGenerator<string, void> {
  const { sessions, channelId, price, challengeId } = parameters
  const idleTimeoutMs = parameters.idleTimeoutMs ?? 60_000
  let delivered = 0
  const receipt = async () =>
    format(
      'payment-receipt',
      JSON.stringify(
        Sessions.receipt({ state: await sessions.read(channelId), challengeId, units: delivered }),
      ),
    )
  for await (const unit of parameters.units) {
    for (;;) {
      if (signal.aborted) return
      let charged: Awaited<ReturnType<Sessions.Sessions['charge']>>
      try {
        charged = await sessions.charge({ channelId, units: 1n, price, challengeId })
      } catch (error) {
        // The channel closed or is closing: no further service can be paid for.
        if (error instanceof Errors.BaseError) return yield await receipt()
        throw error
      }
      if (charged.allowed === 1n) break
      const need = SessionChannel.needVoucher(charged.state)
      if (need === undefined) return yield await receipt()
      yield format('payment-need-voucher', JSON.stringify(need))
      const required = BigInt(need.requiredCumulative)
      const after = await sessions.waitForVoucher(channelId, {
        atLeast: required,
        timeoutMs: idleTimeoutMs,
        signal,
      })
      if (signal.aborted) return
      if (after.acceptedCumulative < required) return yield await receipt()
    }
    delivered += 1
    yield format(parameters.event ?? 'message', unit)
  }
  yield await receipt()
}
