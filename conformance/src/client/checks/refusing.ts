// Client checks of what must not be paid, or not paid again: challenges it cannot or
// must not accept (unknown methods and intents, expired or too long-lived, above the cap,
// another currency or recipient, an invalid request, an empty id, a body it cannot
// match), a 402 reached through a redirect or over plain HTTP, a server that keeps
// answering 402 or sends a malformed receipt, and where the credential may go.

import {
  answered,
  Broken,
  type Check,
  define,
  Failure,
  NotApplicable,
  noCredential,
  type Observation,
  refusal,
} from '../Check.js'
import { digestMatches } from '../Server.js'

const refusals: ReadonlyArray<[string, string, string, string[], string, 'MUST' | 'SHOULD']> = [
  [
    'client.select.unknown-methods',
    'unknown-methods',
    'offered only methods it does not have, it pays nothing',
    ['core.client.select-one'],
    'negotiation',
    'SHOULD',
  ],
  [
    'client.select.unknown-intent',
    'unknown-intent',
    'a challenge of an intent it does not know is not paid',
    ['core.intent.unknown-unsupported'],
    'negotiation',
    'SHOULD',
  ],
  [
    'client.expiry.expired',
    'expired',
    'a challenge past its expires is not paid',
    ['core.client.no-expired'],
    'expiry',
    'MUST',
  ],
  [
    'client.expiry.validity-window',
    'validity',
    "a challenge valid far longer than the payer's window is not paid",
    ['core.client.verify-validity'],
    'expiry',
    'MUST',
  ],
  [
    'client.policy.max-amount',
    'over-cap',
    "a price above the payer's cap is not paid",
    ['core.client.verify-amount', 'charge.client.verify-amount'],
    'policy',
    'MUST',
  ],
  [
    'client.policy.currency',
    'currency',
    'a price in a currency the payer does not pay in is not paid',
    ['core.client.verify-currency', 'charge.client.verify-currency'],
    'policy',
    'MUST',
  ],
  [
    'client.policy.recipient',
    'recipient',
    'a recipient the payer does not allow is not paid',
    ['core.client.verify-recipient', 'charge.client.verify-recipient'],
    'policy',
    'MUST',
  ],
  [
    'client.negotiation.validate-challenge',
    'invalid-request',
    'a challenge matching its Accept-Payment but with an invalid request is not paid',
    ['core.accept-payment.client-validate'],
    'negotiation',
    'MUST',
  ],
  [
    'client.header.other-value',
    'header-other',
    'a challenge whose header names a field other than Payment-Authorization is not paid',
    ['core.header.other-value'],
    'header',
    'MUST',
  ],
  [
    'client.challenge.empty-id',
    'empty-id',
    'a challenge with an empty id is not paid',
    ['core.challenge.id.reject-empty'],
    'parsing',
    'MUST',
  ],
  [
    'client.origin.redirect',
    'redirect',
    'a 402 reached by a redirect to an origin outside the allowed ones is not paid',
    ['core.client.verify-recipient'],
    'policy',
    'MUST',
  ],
  [
    'client.transport.plaintext',
    'plaintext',
    'no credential goes over plain HTTP to an origin not declared a local exception',
    ['core.tls.client-no-plaintext'],
    'transport',
    'MUST',
  ],
]

export const checks: readonly Check[] = [
  ...refusals.map(([id, scenario, title, requirements, tag, level]) =>
    define({
      id,
      title,
      level,
      scenario,
      requirements,
      tags: ['refusal', tag],
      judge: (observation) => noCredential(observation, `the "${scenario}" scenario's 402`),
    }),
  ),
  define({
    id: 'client.digest.mismatch',
    title: 'a challenge binding the digest of another body is not paid with this body',
    level: 'MUST',
    scenario: 'digest-mismatch',
    requirements: ['core.challenge.digest.client-match'],
    tags: ['refusal', 'digest'],
    judge: (observation) => {
      for (const sent of observation.sent) {
        const digest = sent.credential?.challenge.digest
        if (digest === undefined || !digestMatches(digest, sent.request.body))
          throw new Failure(
            'a credential went with a body whose digest is not the challenge digest',
            [sent.request],
          )
      }
      answered(observation)
      return { message: refusal(observation), evidence: observation.requests.slice(-1) }
    },
  }),
  define({
    id: 'client.retry.no-runaway',
    title: 'a server answering every credential with a new 402 is paid at most once per request',
    level: 'MUST',
    scenario: 'loop',
    requirements: ['core.client.verify-amount', 'charge.client.verify-amount'],
    tags: ['retry', 'policy'],
    judge: (observation) => atMostOnce(observation),
  }),
  define({
    id: 'client.retry.bad-receipt',
    title: 'a paid response with a malformed receipt is not paid again',
    level: 'MUST',
    scenario: 'bad-receipt',
    requirements: ['core.client.verify-amount'],
    tags: ['retry', 'receipt'],
    judge: (observation) => atMostOnce(observation),
  }),
  define({
    id: 'client.credential.no-forward',
    title: 'a credential is not forwarded along a redirect to another origin',
    level: 'MUST',
    scenario: 'forward',
    requirements: ['core.credential.sensitive'],
    tags: ['credential', 'redirect'],
    judge: (observation) => {
      const forwarded = observation.sent.find((sent) => sent.request.listener !== 'main')
      if (forwarded !== undefined)
        throw new Failure(`the credential went to ${forwarded.request.url}`, [forwarded.request])
      if (observation.sent.length === 0) {
        answered(observation)
        throw new NotApplicable(
          `the client did not pay (${refusal(observation)}), so forwarding could not be seen`,
        )
      }
      const followed = observation.requests.some((request) => request.listener === 'redirect')
      return {
        message: followed
          ? 'followed the redirect without the credential'
          : 'did not follow the redirect',
        evidence: observation.requests.slice(-2),
      }
    },
  }),
  define({
    id: 'client.credential.not-logged',
    title:
      'the credential appears nowhere in what the client writes, and the receipt not in its logs',
    level: 'MUST',
    scenario: 'basic',
    requirements: ['core.credential.sensitive', 'core.storage.sensitive-headers'],
    tags: ['credential'],
    judge: (observation) => {
      const [sent] = observation.sent
      if (sent === undefined) {
        answered(observation)
        throw new NotApplicable(`the client did not pay (${refusal(observation)})`)
      }
      const { stdout, stderr } = observation.adapter
      const token = sent.lines[0]?.replace(/^Payment /, '') ?? ''
      if (token.length >= 16 && (stdout.includes(token) || stderr.includes(token)))
        throw new Failure(
          `the credential appears in the adapter's ${stdout.includes(token) ? 'stdout' : 'stderr'}`,
          [sent.request],
        )
      const receipt = sent.request.response.headers.find(
        ([name]) => name === 'payment-receipt',
      )?.[1]
      if (receipt !== undefined && stderr.includes(receipt))
        throw new Failure("the Payment-Receipt appears in the adapter's stderr (its logs)", [
          sent.request,
        ])
      return { evidence: [sent.request] }
    },
  }),
]

function atMostOnce(observation: Observation) {
  const { sent } = observation
  if (sent.length > 1)
    throw new Failure(
      `${sent.length} requests carried a credential for one call`,
      sent.map((s) => s.request),
    )
  if (observation.adapter.response === undefined)
    throw new Broken(`the adapter gave no answer: ${observation.adapter.failure ?? 'unknown'}`)
  return {
    message: `${sent.length} payment(s); ${refusal(observation)}`,
    evidence: observation.requests.slice(-2),
  }
}
