// Client checks of what a paid retry carries: one credential, for a challenge the client
// supports, echoing it unchanged (opaque, unknown parameters, a challenge over 4 KB, one
// relayed by an intermediary), with a proof in its payload and the body its digest binds.
import { AcceptPayment } from '@paywire/core'
import { type Check, changed, define, Failure, type Observation, onePayment } from '../Check.js'
import { digestMatches, proofMatches } from '../Server.js'

export const checks: readonly Check[] = [
  define({
    id: 'client.pay.basic',
    title:
      'pays a challenge it supports once, with a proof in the payload, and returns the paid response',
    level: 'MUST',
    scenario: 'basic',
    requirements: ['charge.payload.proof'],
    tags: ['payment'],
    judge: (observation) => {
      const { credential, sent } = onePayment(observation)
      if (!proofMatches(observation.key, credential))
        throw new Failure('the credential payload holds no valid proof of payment', [sent.request])
      const status = finalStatus(observation)
      if (status !== 200)
        throw new Failure(`paid, but the adapter reported ${status} rather than the paid 200`, [
          sent.request,
        ])
      return { evidence: [sent.request] }
    },
  }),
  define({
    id: 'client.header.payment-authorization',
    title:
      'a challenge selecting Payment-Authorization is paid with the credential in that field, header echoed',
    level: 'MUST',
    scenario: 'payment-authorization',
    requirements: [
      'core.header.payment-authorization-field',
      'core.header.only-selected-field',
      'core.credential.echo-header',
    ],
    tags: ['payment', 'header'],
    judge: (observation) => {
      const { credential, sent } = onePayment(observation)
      if (sent.field !== 'Payment-Authorization')
        throw new Failure(`the credential went in ${sent.field}`, [sent.request])
      if (credential.challenge.header !== 'Payment-Authorization')
        throw new Failure('the credential does not echo header', [sent.request])
      const status = finalStatus(observation)
      if (status !== 200)
        throw new Failure(`paid, but the adapter reported ${status} rather than the paid 200`, [
          sent.request,
        ])
      return undefined
    },
  }),
  define({
    id: 'client.credential.echo',
    title: 'the credential echoes the challenge it answers unchanged, id included',
    level: 'MUST',
    scenario: 'basic',
    requirements: ['core.credential.echo'],
    tags: ['payment', 'echo'],
    judge: (observation) => unchanged(observation),
  }),
  define({
    id: 'client.credential.single-authorization',
    title:
      'offered several challenges, the retry carries exactly one Authorization: Payment, for one of them',
    level: 'MUST',
    scenario: 'several',
    requirements: ['core.client.single-authorization'],
    tags: ['payment', 'negotiation'],
    judge: (observation) => {
      const { sent } = onePayment(observation)
      if (sent.lines.length !== 1 || !/^Payment [A-Za-z0-9_-]+$/.test(sent.lines[0] ?? ''))
        throw new Failure(
          `the retry carries ${sent.lines.length} Authorization line(s), not one "Payment <token>"`,
          [sent.request],
        )
      return { evidence: [sent.request] }
    },
  }),
  define({
    id: 'client.select.supported',
    title: 'offered an unknown method and two it supports, it pays one it supports',
    level: 'SHOULD',
    scenario: 'several',
    requirements: ['core.client.select-one'],
    tags: ['payment', 'negotiation'],
    judge: (observation) => {
      const { issued, sent } = onePayment(observation)
      if (issued.method !== 'test')
        throw new Failure(`it answered the ${issued.method}/${issued.intent} challenge`, [
          sent.request,
        ])
      return {
        message: `paid challenge ${observation.issued.indexOf(issued) + 1} of 3`,
        evidence: [sent.request],
      }
    },
  }),
  define({
    id: 'client.negotiation.accept-payment',
    title: 'an Accept-Payment it sends is well-formed and admits the method it pays with',
    level: 'MAY',
    scenario: 'basic',
    requirements: ['core.accept-payment.send'],
    tags: ['negotiation'],
    judge: (observation) => {
      const [first] = observation.requests
      if (first === undefined) throw new Failure('the client made no request')
      const lines = first.headers.filter(([name]) => name === 'accept-payment').map(([, v]) => v)
      if (lines.length === 0)
        return { message: 'no Accept-Payment sent (optional)', evidence: [first] }
      let ranges: AcceptPayment.Range[]
      try {
        ranges = AcceptPayment.parse(lines.join(', '))
      } catch (error) {
        throw new Failure(`Accept-Payment does not parse: ${(error as Error).message}`, [first])
      }
      if (AcceptPayment.weight(ranges, { method: 'test', intent: 'charge' }) <= 0)
        throw new Failure('Accept-Payment excludes test/charge, the method the payer pays with', [
          first,
        ])
      return { message: `sent "${lines.join(', ')}"`, evidence: [first] }
    },
  }),
  define({
    id: 'client.challenge.opaque-unchanged',
    title: 'the credential returns opaque exactly as received',
    level: 'MUST',
    scenario: 'opaque',
    requirements: ['core.challenge.opaque.unchanged'],
    tags: ['payment', 'echo'],
    judge: (observation) => {
      const { credential, issued, sent } = onePayment(observation)
      if (credential.challenge.opaque !== issued.opaque)
        throw new Failure(
          `opaque came back as ${JSON.stringify(credential.challenge.opaque)}, not ${JSON.stringify(issued.opaque)}`,
          [sent.request],
        )
      return { evidence: [sent.request] }
    },
  }),
  define({
    id: 'client.challenge.unknown-params',
    title: 'a challenge with unknown parameters is paid, its known parameters echoed unchanged',
    level: 'MUST',
    scenario: 'unknown-params',
    requirements: ['core.challenge.unknown-params'],
    tags: ['payment', 'parsing'],
    judge: (observation) => unchanged(observation),
  }),
  define({
    id: 'client.challenge.size-4kb',
    title: 'a challenge of more than 4 KB is paid and echoed unchanged',
    level: 'MUST',
    scenario: 'large',
    requirements: ['core.size.challenge-4kb'],
    tags: ['payment', 'size'],
    judge: (observation) => {
      const header = observation.requests[0]?.response.headers.find(
        ([n]) => n === 'www-authenticate',
      )
      if (header === undefined || header[1].length <= 4096)
        throw new Error('the scenario did not send a challenge of more than 4 KB')
      return unchanged(observation)
    },
  }),
  define({
    id: 'client.digest.match',
    title: 'answering a challenge with a digest, the retry carries a body with that digest',
    level: 'MUST',
    scenario: 'digest',
    requirements: ['core.challenge.digest.client-match'],
    tags: ['payment', 'digest'],
    judge: (observation) => {
      const { issued, sent } = onePayment(observation)
      if (issued.digest === undefined || !digestMatches(issued.digest, sent.request.body))
        throw new Failure(
          'the paid retry carries a body whose digest is not the challenge digest',
          [sent.request],
        )
      return { evidence: [sent.request] }
    },
  }),
  define({
    id: 'client.intermediary.relayed-402',
    title:
      'a 402 relayed by an intermediary (combined field line, other scheme first, no problem body) is paid',
    level: 'MUST',
    scenario: 'intermediary',
    requirements: ['core.intermediary.client-prepared'],
    tags: ['payment', 'parsing'],
    judge: (observation) => unchanged(observation),
  }),
]

/** One payment, echoing its challenge unchanged. */
function unchanged(observation: Observation) {
  const { credential, issued, sent } = onePayment(observation)
  const differing = changed(issued, credential.challenge)
  if (differing.length > 0)
    throw new Failure(
      `the echoed challenge differs from the issued one in ${differing.join(', ')}`,
      [sent.request],
    )
  return { evidence: [sent.request] }
}

/** The status the adapter reported, or its error. */
function finalStatus(observation: Observation): string | number {
  const response = observation.adapter.response
  if (response === undefined) return `no answer (${observation.adapter.failure ?? 'unknown'})`
  if (!response.ok) return `${response.error.type}: ${response.error.message}`
  return Number((response.value as { status?: unknown } | null)?.status)
}
