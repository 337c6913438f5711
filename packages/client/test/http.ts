// Test harness: a real HTTP server on 127.0.0.1 around a fetch-style handler, and a paid
// endpoint built from @paywire/core and the testkit's method, used to inject what a
// correct server never sends on demand (expired or malformed challenges, a 402 after a
// valid payment, redirects to other origins). Real protocol objects, no canned headers.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  BodyDigest,
  Challenge,
  Credential,
  Expires,
  Receipt,
  Secret,
  type Store,
} from '@paywire/core'
import { MemoryStore } from '@paywire/store-memory'
import { TestMethod } from '@paywire/testkit'

export type Handler = (request: Request) => Response | Promise<Response>

export type Listening = { origin: string; url(path: string): string; close(): Promise<void> }

/** Serves a fetch-style handler on 127.0.0.1 on a free port. */
export async function listen(handler: Handler): Promise<Listening> {
  const server = createServer((incoming, outgoing) => {
    void bridge(handler, incoming, outgoing)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const origin = `http://127.0.0.1:${port}`
  return {
    origin,
    url: (path) => `${origin}${path}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}

async function bridge(handler: Handler, incoming: IncomingMessage, outgoing: ServerResponse) {
  const chunks: Buffer[] = []
  for await (const chunk of incoming) chunks.push(chunk as Buffer)
  const headers = new Headers()
  for (let index = 0; index < incoming.rawHeaders.length; index += 2)
    headers.append(incoming.rawHeaders[index] as string, incoming.rawHeaders[index + 1] as string)
  const body = chunks.length === 0 ? undefined : Buffer.concat(chunks)
  const request = new Request(`http://${incoming.headers.host}${incoming.url}`, {
    method: incoming.method ?? 'GET',
    headers,
    ...(body === undefined || incoming.method === 'GET' || incoming.method === 'HEAD'
      ? {}
      : { body }),
  })
  let response: Response
  try {
    response = await handler(request)
  } catch (error) {
    response = new Response(String(error), { status: 500 })
  }
  const out: Record<string, string[]> = {}
  response.headers.forEach((value, name) => {
    out[name] = [...(out[name] ?? []), value]
  })
  outgoing.writeHead(response.status, out)
  outgoing.end(Buffer.from(await response.arrayBuffer()))
}

/** The shared key of the test method in these tests. */
export const testKey = 'client-test-key'

/** What the core-built endpoint issues, per challenge. */
export type Offer = {
  method?: string
  intent?: string
  request?: Record<string, unknown>
  expires?: string | undefined
  realm?: string
  digest?: string
  /**
   * The challenge's `header` (draft -01): `Payment-Authorization` is bound as a correct
   * server binds it; any other value is appended to the header line as is (what a correct
   * server never sends).
   */
  header?: string
}

/**
 * A paid endpoint built from @paywire/core: issues the given challenges, verifies test
 * credentials (binding, expiry, single use), answers 200 with a receipt; `afterPayment`
 * replaces the success answer (to inject a 402 after a valid payment).
 */
export function paidHandler(options: {
  offers: (request: Request) => Offer[]
  store?: Store.Store
  afterPayment?: (request: Request) => Response
  onCredential?: (request: Request) => void
  onIssue?: (challenge: Challenge.Challenge) => void
}): Handler {
  const secret = Secret.from('a-test-secret-that-is-at-least-32-bytes-long!')
  const store = options.store ?? MemoryStore.create()
  const method = TestMethod.server({ key: testKey })
  return async (request) => {
    const url = new URL(request.url)
    const issue = () => {
      const headers = new Headers({ 'cache-control': 'no-store' })
      for (const offer of options.offers(request)) {
        const challenge = Challenge.from(
          {
            realm: offer.realm ?? url.host,
            method: offer.method ?? 'test',
            intent: offer.intent ?? 'charge',
            request: offer.request ?? { amount: '100', currency: 'usd' },
            ...(offer.expires === undefined ? {} : { expires: offer.expires }),
            ...(offer.digest === undefined ? {} : { digest: offer.digest }),
            opaque: { nonce: crypto.randomUUID() },
            ...(offer.header === Challenge.paymentAuthorization ? { header: offer.header } : {}),
          },
          { secret },
        )
        options.onIssue?.(challenge)
        const line = Challenge.serialize(challenge)
        headers.append(
          'www-authenticate',
          offer.header === undefined || offer.header === Challenge.paymentAuthorization
            ? line
            : `${line}, header="${offer.header}"`,
        )
      }
      return new Response('payment required', { status: 402, headers })
    }
    let found: Credential.fromHeaders.ReturnType
    try {
      found = Credential.fromHeaders(request.headers)
    } catch {
      return issue()
    }
    if (found === undefined) return issue()
    const { credential } = found
    options.onCredential?.(request)
    const { challenge } = credential
    if (!Challenge.verify(challenge, { secret })) return issue()
    // Accepted only from the field its challenge selected (draft -01 §"Credentials").
    if (Challenge.credentialField(challenge) !== found.field) return issue()
    if (challenge.expires !== undefined && Expires.isExpired(challenge.expires)) return issue()
    const body = new Uint8Array(await request.clone().arrayBuffer())
    if (challenge.digest !== undefined && !BodyDigest.verify(challenge.digest, body)) return issue()
    if (!(await store.claim(`challenge:${challenge.id}`, { ttlSeconds: 600 }))) return issue()
    const receipt = await method.verify({
      credential: credential as Parameters<typeof method.verify>[0]['credential'],
      challenge,
      request: Challenge.decodeRequest(challenge) as { amount: string; currency: string },
      context: { claim: (key, claim) => store.claim(key, claim), now: Date.now },
    })
    if (options.afterPayment) return options.afterPayment(request)
    return new Response('paid content', {
      status: 200,
      headers: { 'cache-control': 'private', [Receipt.headerName]: Receipt.serialize(receipt) },
    })
  }
}

/** A default-valid offer: 100 usd, expiring in five minutes. */
export function offer(overrides: Offer = {}): Offer {
  return { expires: Expires.inSeconds(300), ...overrides }
}
