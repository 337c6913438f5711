// Checks of challenge binding (draft-httpauth-payment §5.1.2.1 "Challenge Binding";
// draft-payment-intent-charge §7.1 "Server Responsibilities"): a credential whose echoed
// challenge was changed in any bound field is refused, whatever the change; and an
// expired challenge is refused.
import { Base64Url, BodyDigest, Challenge, Expires, type Problem } from '@paywire/core'
import fc from 'fast-check'
import { type Tampering, tampered, withAmount } from '../../arbitraries.js'
import {
  authorization,
  type Check,
  define,
  expectPaid,
  expectRefusal,
  expectRejected,
  expectResponse,
  Failure,
  NotApplicable,
  offer,
  payAsEchoed,
  readChallenges,
} from '../Check.js'

/** How many id-like values of a refusal `server.binding.no-leak` tries at most. */
const maxLeakCandidates = 24

/** One tampering the suite always tries, named by the field it changes. */
type Tamper = {
  name: string
  title: string
  requirements?: readonly string[]
  /** Accepted problem types besides `invalid-challenge`; statuses besides 402. */
  problems?: readonly Problem.Slug[]
  statuses?: readonly number[]
  change(challenge: Challenge.Challenge): Challenge.Challenge
}

const tampers: readonly Tamper[] = [
  {
    name: 'realm',
    title: 'another realm',
    change: (c) => ({ ...c, realm: `${c.realm}.attacker.example` }),
  },
  {
    name: 'method',
    title: 'another method',
    // Some servers look at the payload (for the other method) before the binding.
    problems: [
      'method-unsupported',
      'malformed-credential',
      'invalid-payload',
      'verification-failed',
    ],
    statuses: [400],
    change: (c) => ({ ...c, method: c.method === 'tempo' ? 'stripe' : 'tempo' }),
  },
  {
    name: 'intent',
    title: 'another intent',
    // Some servers look at the payload (for the other method) before the binding.
    problems: [
      'method-unsupported',
      'malformed-credential',
      'invalid-payload',
      'verification-failed',
    ],
    statuses: [400],
    change: (c) => ({ ...c, intent: c.intent === 'session' ? 'charge' : 'session' }),
  },
  {
    name: 'request-amount',
    title: 'a lower amount in the request',
    requirements: ['charge.verify.amount'],
    problems: ['verification-failed', 'payment-insufficient'],
    change: (c) => ({ ...c, request: withAmount(c, lowered(Challenge.decodeRequest(c).amount)) }),
  },
  {
    name: 'request-currency',
    title: 'another currency in the request',
    problems: ['verification-failed'],
    change: (c) => ({ ...c, request: withField(c, 'currency', 'xts') }),
  },
  {
    name: 'request-recipient',
    title: 'another recipient in the request',
    requirements: ['charge.verify.recipient'],
    problems: ['verification-failed'],
    change: (c) => ({ ...c, request: withField(c, 'recipient', 'attacker') }),
  },
  {
    name: 'expires',
    title: 'a later expires',
    change: (c) => ({
      ...c,
      expires: Expires.format(
        (c.expires === undefined ? Date.now() : Expires.parse(c.expires)) + 3_600_000,
      ),
    }),
  },
  {
    name: 'digest',
    title: 'another body digest',
    requirements: ['core.binding.all-params'],
    change: (c) => ({ ...c, digest: BodyDigest.compute(`tampered ${c.digest ?? ''}`) }),
  },
  {
    name: 'opaque',
    title: 'changed opaque data',
    requirements: ['core.binding.opaque'],
    change: (c) => ({
      ...c,
      opaque: Challenge.encodeOpaque({ ...Challenge.decodeOpaque(c), conformance: 'tampered' }),
    }),
  },
  {
    name: 'id',
    title: 'an id of its own making',
    requirements: ['charge.verify.challenge-id'],
    change: (c) => ({ ...c, id: Base64Url.encode(crypto.getRandomValues(new Uint8Array(32))) }),
  },
]

const tamperChecks: Check[] = tampers.map((tamper) =>
  define({
    id: `server.binding.tamper.${tamper.name}`,
    title: `a credential echoing its challenge with ${tamper.title} is refused, even when paid as echoed`,
    level: 'MUST',
    requirements: [
      'core.binding.verify',
      'core.challenge.id.bound',
      ...(tamper.requirements ?? []),
    ],
    needs: ['payment'],
    tags: ['binding', 'tamper'],
    async run(context) {
      const found = await offer(context, context.routes.paid)
      const echo = tamper.change(found.challenge)
      const exchange = await context.request(context.routes.paid, {
        authorization: authorization(echo, await payAsEchoed(found, echo)),
      })
      expectRefusal(exchange, `a challenge with ${tamper.title}`, {
        problems: ['invalid-challenge', ...(tamper.problems ?? [])],
        status: [402, ...(tamper.statuses ?? [])],
      })
      return undefined
    },
  }),
)

/** The checks of challenge binding and expiry. */
export const checks: Check[] = [
  ...tamperChecks,
  define({
    id: 'server.binding.tamper.property',
    title:
      'generated tamperings of any bound field (paid as echoed) are never accepted and never break the target',
    level: 'MUST',
    requirements: ['core.binding.verify', 'core.binding.all-params'],
    needs: ['payment'],
    tags: ['binding', 'tamper', 'property'],
    async run(context) {
      const first = await offer(context, context.routes.paid)
      let failure: Failure | undefined
      const property = fc.asyncProperty(tampered(first.challenge), async (tampering) => {
        // Single use: each case transplants the tampered field onto a fresh challenge.
        const found = await offer(context, context.routes.paid)
        const echo = transplant(found.challenge, tampering)
        if (echo === undefined) return
        const exchange = await context.request(context.routes.paid, {
          authorization: authorization(echo, await payAsEchoed(found, echo)),
        })
        try {
          expectRejected(exchange, `a challenge with a tampered ${tampering.field}`)
        } catch (error) {
          failure = error as Failure
          throw error
        }
      })
      await assertProperty(property, context, () => failure)
      return { message: `${context.config.fuzzRuns} tamperings refused (seed ${context.seed})` }
    },
  }),
  define({
    id: 'server.binding.no-leak',
    title:
      'a refusal of a tampered challenge reveals nothing that binds it: no value found in the refusal makes the tampered challenge pay',
    level: 'MUST',
    requirements: ['core.binding.verify', 'core.secret.not-disclosed'],
    needs: ['payment'],
    tags: ['binding', 'secret'],
    async run(context) {
      const found = await offer(context, context.routes.paid)
      const amount = Challenge.decodeRequest(found.challenge).amount
      const echo = { ...found.challenge, request: withAmount(found.challenge, lowered(amount)) }
      const refused = await context.request(context.routes.paid, {
        authorization: authorization(echo, await payAsEchoed(found, echo)),
      })
      expectRejected(refused, 'a challenge with a lower amount')
      // Every id-like value of the refusal (body and headers) is tried as the tampered
      // challenge's id, paid as echoed; the fresh challenges' own parameters are not
      // binding material for the tampered one (each binds its own parameters).
      const known = new Set([found.challenge.id, echo.request, echo.opaque ?? ''])
      for (const fresh of freshChallenges(refused))
        for (const value of [fresh.id, fresh.request, fresh.opaque]) if (value) known.add(value)
      const text = [refused.body, ...[...refused.headers].map(([, value]) => value)].join('\n')
      const candidates = [...new Set(text.match(/[A-Za-z0-9_-]{16,128}/g) ?? [])]
        .filter((value) => !known.has(value))
        .slice(0, maxLeakCandidates)
      for (const id of candidates) {
        const forged = { ...echo, id }
        const exchange = await context.request(context.routes.paid, {
          authorization: authorization(forged, await payAsEchoed(found, forged)),
        })
        expectResponse(exchange)
        const status = exchange.response.status
        if (status >= 200 && status < 300)
          throw new Failure(
            'the refusal of a tampered challenge carried the id that binds it: with that id the tampered challenge paid',
            [refused, exchange],
          )
      }
      return {
        message: `${candidates.length} values of the refusal tried as the tampered challenge's id, none accepted`,
      }
    },
  }),
  define({
    id: 'server.binding.description-free',
    title:
      'a credential whose echoed description was changed is still accepted (description is display text only)',
    level: 'MUST',
    requirements: ['core.challenge.description.not-verified'],
    needs: ['payment'],
    tags: ['binding'],
    async run(context) {
      const found = await offer(context, context.routes.paid)
      const echo = { ...found.challenge, description: 'Pay nothing: this text is not verified' }
      const exchange = await context.request(context.routes.paid, {
        authorization: authorization(echo, await payAsEchoed(found, echo)),
      })
      expectPaid(exchange, 'a credential with another description')
      return undefined
    },
  }),
  define({
    id: 'server.expiry.expired-refused',
    title:
      'a credential for a challenge past its expires time is refused: payment-expired (draft -01), invalid-challenge (-00)',
    level: 'MUST',
    requirements: [
      'charge.verify.not-expired',
      'core.status.invalid-challenge',
      'core.status.payment-expired',
    ],
    needs: ['payment', 'expiry:wait'],
    tags: ['expiry', 'status-table'],
    background: true,
    async run(context) {
      const found = await offer(context, context.routes.paid)
      if (found.challenge.expires === undefined)
        throw new NotApplicable('the target issues challenges without expires')
      const { skewSeconds, maxWaitSeconds } = context.config.expiry
      const wait = Expires.parse(found.challenge.expires) + skewSeconds * 1000 + 1000 - Date.now()
      if (wait > maxWaitSeconds * 1000)
        throw new NotApplicable(
          `the challenge expires in ${Math.ceil(wait / 1000)} s (with skew): more than expiry.maxWaitSeconds (${maxWaitSeconds}); run the target with a shorter challenge lifetime`,
        )
      const paid = authorization(found.challenge, await found.payer.pay(found.challenge))
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)))
      const exchange = await context.request(context.routes.paid, { authorization: paid })
      // -00's status table answers an expired id with invalid-challenge; -01 with
      // payment-expired (and narrows invalid-challenge to unknown or used ids).
      expectRefusal(exchange, 'a credential for an expired challenge', {
        problems: context.config.draft === '00' ? ['invalid-challenge'] : ['payment-expired'],
      })
      return { message: `refused after waiting ${Math.round(wait / 1000)} s past issue` }
    },
  }),
]

/**
 * Runs a fast-check property with the run's seed and budget; a counterexample becomes a
 * {@link Failure} naming the seed and path to replay it, with the deciding exchange.
 */
export async function assertProperty(
  property: fc.IAsyncProperty<[unknown]> | fc.IAsyncPropertyWithHooks<[unknown]>,
  context: { seed: number; config: { fuzzRuns: number } },
  lastFailure: () => Failure | undefined,
): Promise<void> {
  const details = await fc.check(property as fc.IAsyncProperty<[unknown]>, {
    seed: context.seed,
    numRuns: context.config.fuzzRuns,
    // Shrink the counterexample: the failure kept is that of the last (smallest) failing case.
    endOnFailure: false,
  })
  if (!details.failed) return
  const failure = lastFailure()
  const replay = `seed ${details.seed}${details.counterexamplePath ? `, path ${details.counterexamplePath}` : ''}`
  if (failure === undefined)
    throw details.errorInstance ?? new Error(`property failed (${replay}) without a response`)
  throw new Failure(
    `${failure.message} (${replay}; replay with --seed ${details.seed})`,
    failure.evidence,
  )
}

/** `fresh` with the tampered field of `tampering`, or undefined when that changes nothing. */
function transplant(
  fresh: Challenge.Challenge,
  tampering: Tampering,
): Challenge.Challenge | undefined {
  const { field } = tampering
  const value = tampering.challenge[field]
  if (value === fresh[field]) return undefined
  const { [field]: _removed, ...rest } = fresh
  return (value === undefined ? rest : { ...rest, [field]: value }) as Challenge.Challenge
}

/** The Payment challenges a refusal offers, none when it offers none or they do not parse. */
function freshChallenges(exchange: Parameters<typeof readChallenges>[0]): Challenge.Challenge[] {
  if (exchange.response?.status !== 402) return []
  try {
    return readChallenges(exchange)
  } catch {
    return []
  }
}

function lowered(amount: unknown): string {
  const value = typeof amount === 'string' && /^[0-9]+$/.test(amount) ? BigInt(amount) : 0n
  return value > 1n ? (value / 2n).toString() : value === 1n ? '0' : '1'
}

function withField(challenge: Challenge.Challenge, field: string, value: string): string {
  const request = Challenge.decodeRequest(challenge)
  const current = request[field]
  // An address stays an address (another one), so that a payer can still pay it as echoed.
  const changed =
    typeof current === 'string' && /^0x[0-9a-fA-F]{40}$/.test(current)
      ? `${current.slice(0, -4)}${current.slice(-4).toLowerCase() === 'a77a' ? 'b77b' : 'a77a'}`
      : current === value
        ? `${value}x`
        : value
  return Challenge.encodeRequest({ ...request, [field]: changed })
}
