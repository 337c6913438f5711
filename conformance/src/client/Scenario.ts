// The scripted scenarios of the client suite: each is a small state machine at
// `/<name>` of the compliance server that answers the client under test (a 402 with the
// challenges it is about, a success with a receipt once paid, a redirect...) and, with
// the payer policy it needs, makes one call of the adapter's `http.payment_request`.
import { BodyDigest, Challenge, type Credential, Problem } from '@paywire/core'
import type { Payer } from '../adapters/paywire/flow.js'
import type { Arrived, Kit, Listener, Reply } from './Server.js'
import { raw, recipient } from './Server.js'

/** One scenario. */
export type Scenario = {
  /** Stable name, the first path segment of its URLs. */
  name: string
  /** What it plays, in one line. */
  title: string
  /** The listener the call starts at (default `main`). */
  start?: Listener | undefined
  /** The request the client is asked to send (default GET, no body). */
  method?: 'GET' | 'POST' | undefined
  body?: string | undefined
  /** Policy members this scenario adds to the payer's base policy. */
  policy?: ((origins: Readonly<Record<Listener, string>>) => Partial<Payer['policy']>) | undefined
  /** Answers one request of the client. */
  answer(arrived: Arrived, kit: Kit): Reply
}

/** The largest single payment the suite's payer allows, in base units of `usd`. */
export const maxAmount = '1000'

/** The body of the scenarios that send one. */
export const orderBody = '{"order":"conformance"}'

/** A 402 that only ever issues fresh challenges: the loop scenario stops answering after this many. */
export const loopLimit = 12

/** Every scenario, in run order. */
export const scenarios: readonly Scenario[] = [
  paywall('basic', 'a valid test/charge challenge, then a receipt', (kit) => [kit.challenge()]),
  paywall(
    'several',
    'an unknown method and two test/charge challenges, one field line each',
    (kit) => [
      kit.challenge({ method: 'zzz' }),
      kit.challenge(),
      kit.challenge({ request: { ...kit.request, amount: '200' } }),
    ],
  ),
  paywall('unknown-methods', 'only challenges of methods the payer does not have', (kit) => [
    kit.challenge({ method: 'zzz' }),
    kit.challenge({ method: 'yyy' }),
  ]),
  paywall('unknown-intent', 'a test challenge of an intent the payer does not know', (kit) => [
    kit.challenge({ intent: 'subscribe' }),
  ]),
  paywall(
    'payment-authorization',
    'a challenge selecting Payment-Authorization (draft -01 header parameter)',
    (kit) => [kit.challenge({ header: Challenge.paymentAuthorization })],
  ),
  {
    name: 'header-other',
    title: 'a challenge whose header parameter names a field other than Payment-Authorization',
    // Written by hand: a conforming server never emits it, so core will not serialize it.
    answer: (_, kit) =>
      paidOr(kit, () => [`${Challenge.serialize(kit.challenge())}, header="X-Payment"`]),
  },
  paywall('expired', 'a challenge that expired a minute ago', (kit) => [
    kit.challenge({ expires: instant(-60) }),
  ]),
  {
    ...paywall('validity', 'a challenge valid for 30 days; the payer accepts 10 minutes', (kit) => [
      kit.challenge({ expires: instant(30 * 86_400) }),
    ]),
    policy: () => ({ maxValiditySeconds: 600 }),
  },
  paywall('over-cap', `a price one unit above the payer's cap of ${maxAmount}`, (kit) => [
    kit.challenge({ request: { ...kit.request, amount: String(BigInt(maxAmount) + 1n) } }),
  ]),
  paywall('currency', 'a price in a currency the payer does not pay in', (kit) => [
    kit.challenge({ request: { ...kit.request, currency: 'eur' } }),
  ]),
  {
    ...paywall('recipient', 'a recipient other than the one the payer allows', (kit) => [
      kit.challenge({ request: { ...kit.request, recipient: 'acct_elsewhere' } }),
    ]),
    policy: () => ({ recipients: [recipient] }),
  },
  paywall('invalid-request', 'a challenge matching Accept-Payment whose amount is "1.5"', (kit) => [
    kit.challenge({ request: { ...kit.request, amount: '1.5' } }),
  ]),
  paywall('opaque', 'a challenge with opaque correlation data', (kit) => [
    kit.challenge({ opaque: { order: 'ord_7', tier: 'pro' } }),
  ]),
  {
    name: 'unknown-params',
    title: 'a challenge with parameters the client does not know',
    answer: (_, kit) =>
      paidOr(kit, () => [`${Challenge.serialize(kit.challenge())}, x-trace="t-1", foo=bar`]),
  },
  {
    name: 'empty-id',
    title: 'a challenge whose id is empty',
    answer: (_, kit) => {
      const valid = kit.challenge()
      const { id: _id, ...rest } = valid
      const params = Object.entries(rest).flatMap(([name, value]) =>
        value === undefined ? [] : [[name, value] as const],
      )
      return paidOr(kit, () => [raw([['id', ''], ...params])])
    },
  },
  paywall('large', 'a challenge of more than 4 KB', (kit) => [
    kit.challenge({ description: `Conformance ${'x'.repeat(4500)}` }),
  ]),
  {
    ...paywall('digest', 'a POST whose challenge binds the body digest', (kit, arrived) => [
      kit.challenge({ digest: BodyDigest.compute(arrived.body) }),
    ]),
    method: 'POST',
    body: orderBody,
  },
  {
    ...paywall(
      'digest-mismatch',
      'a POST whose challenge binds the digest of another body',
      (kit) => [kit.challenge({ digest: BodyDigest.compute('{"order":"another"}') })],
    ),
    method: 'POST',
    body: orderBody,
  },
  {
    name: 'intermediary',
    title:
      'a 402 as a proxy relays it: one combined field line, a Bearer challenge first, no problem body',
    answer: (_, kit) => {
      const credential = kit.paid()
      if (credential !== undefined) return success(kit, credential)
      return {
        status: 402,
        headers: [
          ['via', '1.1 cdn.example'],
          ['content-type', 'text/html'],
          ['www-authenticate', `Bearer realm="cdn", ${Challenge.serialize(kit.challenge())}`],
        ],
        body: '<html><body>Payment Required</body></html>',
      }
    },
  },
  {
    name: 'loop',
    title: `a server that answers every request, paid or not, with a fresh 402 (price = the cap)`,
    answer: (_, kit) => {
      if (kit.earlier.length >= loopLimit) return { status: 429, headers: [], body: 'enough' }
      return payment402([kit.challenge({ request: { ...kit.request, amount: maxAmount } })], kit)
    },
  },
  {
    name: 'bad-receipt',
    title: 'a paid request answered 200 with a malformed Payment-Receipt',
    answer: (_, kit) => {
      const credential = kit.paid()
      if (credential === undefined) return payment402([kit.challenge()], kit)
      return {
        status: 200,
        headers: [
          ['content-type', 'application/json'],
          ['cache-control', 'private'],
          ['payment-receipt', 'not a receipt!'],
        ],
        body: '{"ok":true}',
      }
    },
  },
  {
    name: 'redirect',
    title: 'a redirect to an origin outside the allowed origins, which answers 402',
    policy: (origins) => ({ origins: [origins.main, origins.plaintext] }),
    answer: (arrived, kit) => {
      if (arrived.listener === 'main')
        return {
          status: 302,
          headers: [['location', `${kit.origins.redirect}/redirect/target`]],
          body: '',
        }
      return paidOr(kit, () => [Challenge.serialize(kit.challenge())])
    },
  },
  {
    name: 'forward',
    title: 'a paid request answered by a redirect to another origin',
    answer: (arrived, kit) => {
      if (arrived.listener !== 'main')
        return { status: 200, headers: [['content-type', 'text/plain']], body: 'landed' }
      const credential = kit.paid()
      if (credential === undefined) return payment402([kit.challenge()], kit)
      return {
        status: 307,
        headers: [
          ['location', `${kit.origins.redirect}/forward/landing`],
          ['payment-receipt', kit.receipt(credential)],
          ['cache-control', 'private'],
        ],
        body: '',
      }
    },
  },
  {
    ...paywall('plaintext', 'a plain-HTTP origin not declared as a local exception', (kit) => [
      kit.challenge(),
    ]),
    start: 'plaintext',
  },
]

/**
 * A paid resource: a 402 with `offer`'s challenges (one field line each) until a valid
 * credential arrives, then 200 with a receipt.
 */
function paywall(
  name: string,
  title: string,
  offer: (kit: Kit, arrived: Arrived) => Challenge.Challenge[],
): Scenario {
  return {
    name,
    title,
    answer: (arrived, kit) =>
      paidOr(kit, () => offer(kit, arrived).map((challenge) => Challenge.serialize(challenge))),
  }
}

function paidOr(kit: Kit, lines: () => string[]): Reply {
  const credential = kit.paid()
  if (credential !== undefined) return success(kit, credential)
  return payment402(lines(), kit)
}

function success(kit: Kit, credential: Credential.Credential): Reply {
  return {
    status: 200,
    headers: [
      ['content-type', 'application/json'],
      ['cache-control', 'private'],
      ['payment-receipt', kit.receipt(credential)],
    ],
    body: '{"ok":true}',
  }
}

function payment402(lines: ReadonlyArray<Challenge.Challenge | string>, kit: Kit): Reply {
  const slug = kit.earlier.some((request) => request.headers.some(([n]) => n === 'authorization'))
    ? 'verification-failed'
    : 'payment-required'
  return {
    status: 402,
    headers: [
      ['cache-control', 'no-store'],
      ['content-type', 'application/problem+json'],
      ...lines.map(
        (line) =>
          [
            'www-authenticate',
            typeof line === 'string' ? line : Challenge.serialize(line),
          ] as const,
      ),
    ],
    body: JSON.stringify({
      type: `${Problem.baseUri}${slug}`,
      title: 'Payment Required',
      status: 402,
    }),
  }
}

function instant(secondsFromNow: number): string {
  return new Date(Date.now() + secondsFromNow * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}
