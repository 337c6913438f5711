// Fetching a discovery document within bounds (issue 14): what a remote party serves is
// data, and reading it must not let that party steer the reader elsewhere or hold it. Plain
// http only to a loopback host (unless refused or allowed), redirects only within the
// origin and at most a few, a body bounded in bytes, and a bounded time for everything.

/** @internal How plain http is treated. */
export type Plaintext = 'loopback' | 'refuse' | 'allow'

/** @internal The bounds of one fetch. */
export type Bounds = {
  plaintext: Plaintext
  maxBytes: number
  timeoutMs: number
  maxRedirects: number
  send: (input: string, init: RequestInit) => Promise<Response>
}

/** @internal GETs `url` within `bounds`; returns the final answer and its body bytes. */
export async function get(
  url: URL,
  bounds: Bounds,
  fail: (message: string, cause?: unknown) => Error,
): Promise<{ answer: Response; body: Uint8Array; url: URL }> {
  const signal = AbortSignal.timeout(bounds.timeoutMs)
  const timedOut = () =>
    fail(`${url.origin} did not answer within ${bounds.timeoutMs} ms (time limit)`)
  let current = url
  for (let hop = 0; ; hop++) {
    assertTransport(current, bounds.plaintext, fail)
    let answer: Response
    try {
      answer = await bounds.send(current.href, {
        headers: { accept: 'application/json' },
        redirect: 'manual',
        signal,
      })
    } catch (cause) {
      if (signal.aborted) throw timedOut()
      throw fail(`${current.href} could not be fetched`, cause)
    }
    const location = answer.headers.get('location')
    if (answer.status < 300 || answer.status > 399 || location === null) {
      const body = await read(answer, bounds.maxBytes, current, fail).catch((cause: unknown) => {
        throw signal.aborted ? timedOut() : cause
      })
      return { answer, body, url: current }
    }
    await answer.body?.cancel().catch(() => undefined)
    const next = new URL(location, current)
    if (next.origin !== url.origin)
      throw fail(`${current.href} redirects to another origin (${next.origin}): not followed`)
    if (hop >= bounds.maxRedirects)
      throw fail(`${url.href} redirects more than ${bounds.maxRedirects} times`)
    current = next
  }
}

function assertTransport(url: URL, plaintext: Plaintext, fail: (message: string) => Error): void {
  if (url.protocol === 'https:') return
  if (url.protocol !== 'http:') throw fail(`${url.href} is not an http(s) URL`)
  if (plaintext === 'allow') return
  if (plaintext === 'loopback' && loopback(url.hostname)) return
  throw fail(`${url.href} is plain http: discovery documents are fetched over https`)
}

function loopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    /^127\.(?:\d{1,3})\.(?:\d{1,3})\.(?:\d{1,3})$/.test(hostname)
  )
}

/** The body's bytes, refusing more than `maxBytes` (announced, or as they stream in). */
async function read(
  answer: Response,
  maxBytes: number,
  url: URL,
  fail: (message: string) => Error,
): Promise<Uint8Array> {
  const tooLarge = () => fail(`${url.href} serves more than ${maxBytes} bytes`)
  const announced = Number(answer.headers.get('content-length') ?? Number.NaN)
  if (announced > maxBytes) {
    await answer.body?.cancel().catch(() => undefined)
    throw tooLarge()
  }
  const chunks: Uint8Array[] = []
  let total = 0
  const reader = answer.body?.getReader()
  if (reader === undefined) return new Uint8Array(0)
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw tooLarge()
    }
    chunks.push(value)
  }
  const body = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return body
}
