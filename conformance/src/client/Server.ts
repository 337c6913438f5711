// The compliance server of the client suite: plain-HTTP listeners on loopback that play
// scripted scenarios (Scenario.ts) to the client under test and record every request it
// makes, with its raw header lines, so checks judge what the client actually sent.
// Three origins: `main` (where calls start; credentials may reach it over plain HTTP),
// `plaintext` (an origin the payer may pay but not over plain HTTP) and `redirect` (an
// origin outside the payer's allowed origins, reached by redirect).
import { createHmac } from 'node:crypto'
import { createServer, type Server as HttpServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  AuthParams,
  Base64Url,
  BodyDigest,
  Challenge,
  ConstantTime,
  Credential,
  Receipt,
  Secret,
} from '@paywire/core'
import type * as Scenario from './Scenario.js'

/** The listeners of the compliance server. */
export const listeners = ['main', 'plaintext', 'redirect'] as const

/** One listener: where a request arrived. */
export type Listener = (typeof listeners)[number]

/** A request the client made, as it arrived, and the answer it got. */
export type Recorded = {
  listener: Listener
  method: string
  url: string
  /** Raw header lines, names lowercased, in order (repeated fields stay repeated). */
  headers: ReadonlyArray<readonly [string, string]>
  body: string
  response: Reply
}

/** An answer of a scenario. */
export type Reply = {
  status: number
  headers: ReadonlyArray<readonly [string, string]>
  body: string
}

/** What the scenario of one call has seen and issued so far. */
export type Log = { requests: Recorded[]; issued: Challenge.Challenge[] }

/** A running compliance server. */
export type Server = {
  /** The origin of each listener (`http://127.0.0.1:<port>`). */
  origins: Readonly<Record<Listener, string>>
  /** The key of the `test` method shared with the payer. */
  key: string
  /** What the scenario `name` has recorded. */
  log(name: string): Log
  close(): Promise<void>
}

/**
 * Starts the compliance server playing `scenarios` (each at `/<name>` of its listeners).
 *
 * @example
 * ```ts
 * import { ClientServer, ClientScenario } from '@paywire/conformance'
 * const server = await ClientServer.start(ClientScenario.scenarios)
 * console.log(server.origins.main)
 * await server.close()
 * ```
 */
export async function start(scenarios: readonly Scenario.Scenario[]): Promise<Server> {
  const key = Secret.generate()
  const secret = Secret.from(Secret.generate())
  const logs = new Map<string, Log>(scenarios.map((s) => [s.name, { requests: [], issued: [] }]))
  const byName = new Map(scenarios.map((s) => [s.name, s]))
  const servers = new Map<Listener, HttpServer>()
  const origins = {} as Record<Listener, string>
  for (const listener of listeners) {
    const server = createServer((incoming, outgoing) => {
      readBody(incoming).then(
        (body) => {
          const name = new URL(incoming.url ?? '/', 'http://x').pathname.split('/')[1] ?? ''
          const scenario = byName.get(name)
          const log = logs.get(name)
          const arrived = toArrived(listener, incoming, body, origins)
          let reply: Reply
          try {
            reply =
              scenario === undefined || log === undefined
                ? { status: 404, headers: [['content-type', 'text/plain']], body: 'no scenario' }
                : scenario.answer(arrived, kitFor(log, { key, secret, origins, arrived }))
          } catch (error) {
            // A scenario that breaks is the suite's defect: say so rather than hang the client.
            reply = {
              status: 500,
              headers: [],
              body: `scenario failed: ${(error as Error).message}`,
            }
          }
          log?.requests.push({ ...arrived, response: reply })
          outgoing.writeHead(reply.status, reply.headers.flat() as string[])
          outgoing.end(reply.body)
        },
        () => outgoing.destroy(),
      )
    })
    // Slow or stalled clients must not keep the suite waiting forever.
    server.requestTimeout = 15_000
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    servers.set(listener, server)
    origins[listener] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }
  return {
    origins,
    key,
    log: (name) => logs.get(name) ?? { requests: [], issued: [] },
    close: async () => {
      await Promise.all(
        [...servers.values()].map(
          (server) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections()
              server.close(() => resolve())
            }),
        ),
      )
    },
  }
}

/** A request as a scenario sees it. */
export type Arrived = Omit<Recorded, 'response'> & {
  /** The `Authorization` field lines. */
  authorizations: string[]
  /** The origin of the listener it arrived at. */
  origin: string
}

/** What a scenario answers with: challenge minting, credential checking, receipts. */
export type Kit = {
  origins: Readonly<Record<Listener, string>>
  /** The requests of this scenario before this one. */
  earlier: readonly Recorded[]
  /** Mints (and records as issued) a challenge of the listener the request came to. */
  challenge(parameters?: Partial<Challenge.from.Parameters>): Challenge.Challenge
  /** The credential of the request when it is a single valid payment of an issued challenge. */
  paid(): Credential.Credential | undefined
  /** A valid `Payment-Receipt` value for a credential. */
  receipt(credential: Credential.Credential): string
  /** The default charge request of the scenarios. */
  request: { amount: string; currency: string; recipient: string }
}

/** The payee every scenario names, and the payer allows. */
export const recipient = 'acct_conformance'

function kitFor(
  log: Log,
  context: {
    key: string
    secret: Secret.Secret
    origins: Record<Listener, string>
    arrived: Arrived
  },
): Kit {
  const { arrived, secret, key } = context
  return {
    origins: context.origins,
    earlier: [...log.requests],
    request: { amount: '100', currency: 'usd', recipient },
    challenge: (parameters = {}) => {
      const challenge = Challenge.from(
        {
          realm: new URL(arrived.origin).host,
          method: 'test',
          intent: 'charge',
          request: { amount: '100', currency: 'usd', recipient },
          expires: new Date(Date.now() + 300_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          ...parameters,
        },
        { secret },
      )
      log.issued.push(challenge)
      return challenge
    },
    paid: () => {
      // The credential counts only in the field its challenge selected (draft -01).
      const selected = arrived.headers
        .filter(([name]) => name === 'payment-authorization')
        .map(([, value]) => value)
      const lines = selected.length > 0 ? selected : arrived.authorizations
      if (lines.length !== 1) return undefined
      let credential: Credential.Credential | undefined
      try {
        credential = Credential.fromAuthorization(lines[0])
      } catch {
        return undefined
      }
      if (credential === undefined) return undefined
      const field = selected.length > 0 ? 'Payment-Authorization' : 'Authorization'
      if (Challenge.credentialField(credential.challenge) !== field) return undefined
      const echoed = credential.challenge
      if (!log.issued.some((issued) => sameChallenge(issued, echoed))) return undefined
      if (echoed.digest !== undefined && !digestMatches(echoed.digest, arrived.body))
        return undefined
      return proofMatches(key, credential) ? credential : undefined
    },
    receipt: (credential) =>
      Receipt.serialize(
        Receipt.from({ method: 'test', reference: `test_${credential.challenge.id.slice(0, 12)}` }),
      ),
  }
}

/** Whether two challenges carry the same bound parameters, byte for byte. */
export function sameChallenge(a: Challenge.Challenge, b: Challenge.Challenge): boolean {
  return (['id', ...Challenge.boundFields] as const).every((field) => a[field] === b[field])
}

/**
 * Whether the `test` proof of a credential is the one its echoed challenge calls for:
 * base64url(HMAC-SHA256(key, `paywire-test|<id>|<request>`)), as `Payer.test` makes it.
 */
export function proofMatches(key: string, credential: Credential.Credential): boolean {
  const proof = credential.payload.proof
  if (typeof proof !== 'string') return false
  const { id, request } = credential.challenge
  const expected = Base64Url.encode(
    createHmac('sha256', key).update(`paywire-test|${id}|${request}`).digest(),
  )
  return ConstantTime.equalStrings(expected, proof)
}

/** Whether `body` has the RFC 9530 digest `digest`. */
export function digestMatches(digest: string, body: string): boolean {
  try {
    return BodyDigest.verify(digest, body)
  } catch {
    return false
  }
}

/** A `Payment` challenge line with parameters as given (for malformed ones core refuses to write). */
export function raw(params: ReadonlyArray<readonly [string, string]>): string {
  return AuthParams.format('Payment', params)
}

function toArrived(
  listener: Listener,
  incoming: IncomingMessage,
  body: string,
  origins: Record<Listener, string>,
): Arrived {
  const headers: Array<readonly [string, string]> = []
  for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2)
    headers.push([
      (incoming.rawHeaders[i] as string).toLowerCase(),
      incoming.rawHeaders[i + 1] as string,
    ])
  return {
    listener,
    method: incoming.method ?? 'GET',
    url: `${origins[listener]}${incoming.url ?? '/'}`,
    headers,
    body,
    authorizations: headers.filter(([name]) => name === 'authorization').map(([, value]) => value),
    origin: origins[listener],
  }
}

/** Largest request body read (the scenarios send a few bytes). */
const maxBody = 1_048_576

function readBody(incoming: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBody) {
        incoming.destroy()
        reject(new Error('request body too large'))
      } else chunks.push(chunk)
    })
    incoming.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    incoming.on('error', reject)
  })
}
