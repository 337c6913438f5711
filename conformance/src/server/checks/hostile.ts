// Checks with hostile and unusual input: a corpus of malformed credentials and generated
// mutations of real ones (draft-httpauth-payment §4.2 "Status Codes"), large and oversized
// credentials (§9.4 "Size Considerations"), and Accept-Payment negotiation (§7.4 "Client
// Payment Preferences").
import { Base64Url, type Challenge, Credential, type Problem } from '@paywire/core'
import fc from 'fast-check'
import { malformedCredentialToken, mutation } from '../../arbitraries.js'
import {
  authorization,
  buy,
  type Check,
  type Context,
  challenges,
  define,
  expectPaid,
  expectRefusal,
  expectRejected,
  expectResponse,
  Failure,
  offer,
  readChallenges,
} from '../Check.js'
import type * as Exchange from '../Exchange.js'
import { assertProperty } from './binding.js'

/** One malformed `Authorization` value and the problem types it may be refused with. */
export type CorpusEntry = { name: string; value: string; problems: readonly Problem.Slug[] }

const encoding: readonly Problem.Slug[] = ['malformed-credential']
const echo: readonly Problem.Slug[] = ['malformed-credential', 'invalid-challenge']

/**
 * The fixed corpus of malformed credentials, built around a real challenge of the target
 * (so that only the named defect is wrong).
 */
export function corpus(challenge: Challenge.Challenge): CorpusEntry[] {
  const json = (value: unknown) => `Payment ${Base64Url.encode(JSON.stringify(value))}`
  const credential = (change: Record<string, unknown>, payload: unknown = { proof: 'x' }) =>
    json({ challenge: { ...challenge, ...change }, payload })
  const standard = Buffer.from(
    JSON.stringify({ challenge, payload: { proof: '>>>???' }, pad: 'ab' }),
  ).toString('base64')
  return [
    {
      name: 'scheme without a token',
      value: 'Payment',
      problems: [...encoding, 'payment-required'],
    },
    { name: 'characters outside base64url', value: 'Payment not*base64url!', problems: encoding },
    {
      name: 'padded base64url',
      value: `Payment ${Base64Url.encode('{"a":1}')}=`,
      problems: encoding,
    },
    { name: 'standard base64 with + / =', value: `Payment ${standard}`, problems: encoding },
    { name: 'two tokens', value: 'Payment abc def', problems: encoding },
    { name: 'not JSON', value: `Payment ${Base64Url.encode('{challenge:')}`, problems: encoding },
    { name: 'JSON null', value: json(null), problems: encoding },
    { name: 'JSON string', value: json('credential'), problems: encoding },
    { name: 'JSON array', value: json([challenge]), problems: encoding },
    { name: 'empty object', value: json({}), problems: encoding },
    { name: 'no payload', value: json({ challenge }), problems: encoding },
    { name: 'no challenge', value: json({ payload: { proof: 'x' } }), problems: encoding },
    { name: 'payload not an object', value: credential({}, 'proof'), problems: encoding },
    { name: 'empty challenge id', value: credential({ id: '' }), problems: echo },
    { name: 'challenge without realm', value: credential({ realm: undefined }), problems: echo },
    { name: 'uppercase method', value: credential({ method: 'TEST' }), problems: echo },
    {
      name: 'padded request',
      value: credential({ request: `${challenge.request}=` }),
      problems: echo,
    },
    {
      name: 'request not JSON',
      value: credential({ request: Base64Url.encode('amount=1') }),
      problems: echo,
    },
    { name: 'expires not a date', value: credential({ expires: 'tomorrow' }), problems: echo },
    {
      name: 'nested 3,000 levels',
      value: `Payment ${Base64Url.encode(`${'['.repeat(3000)}${']'.repeat(3000)}`)}`,
      problems: encoding,
    },
  ]
}

/**
 * A paying `Authorization` value re-encoded as the same credential in other bytes: its
 * JSON after a UTF-8 byte order mark, and with the first payload member named twice (the
 * real value last, as a last-wins parser would read it).
 */
function byteForms(paid: string): Array<[string, string]> {
  const json = new TextDecoder().decode(Base64Url.decode(paid.slice('Payment '.length)))
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(json)])
  const parsed = JSON.parse(json) as { payload?: Record<string, unknown> }
  const [member] = Object.keys(parsed.payload ?? {})
  const forms: Array<[string, string]> = [['a byte order mark', `Payment ${Base64Url.encode(bom)}`]]
  // The same JSON with a trailing space where the token would need no padding, so that
  // padding can always be added: valid JSON, but its token padded.
  const bytes = new TextEncoder().encode(json).length
  const token = Base64Url.encode(bytes % 3 === 0 ? `${json} ` : json)
  forms.push(['its token padded', `Payment ${token}${'='.repeat(4 - (token.length % 4))}`])
  const standard = Buffer.from(json).toString('base64')
  if (/[+/]/.test(standard)) forms.push(['its token in standard base64', `Payment ${standard}`])
  if (member !== undefined)
    forms.push([
      `payload member "${member}" named twice`,
      `Payment ${Base64Url.encode(json.replace('"payload":{', `"payload":{${JSON.stringify(member)}:"x",`))}`,
    ])
  return forms
}

/** The checks of hostile input and negotiation. */
export const checks: Check[] = [
  define({
    id: 'server.malformed.corpus',
    title:
      'each credential of the malformed corpus gets 402, a fresh challenge and malformed-credential (or invalid-challenge for a bad echo)',
    level: 'MUST',
    requirements: ['core.status.malformed-credential', 'core.status.402-with-challenge'],
    needs: [],
    tags: ['hostile', 'status-table'],
    async run(context) {
      const { challenges: offered } = await challenges(context, context.routes.paid)
      for (const entry of corpus(offered[0] as Challenge.Challenge)) {
        const exchange = await context.request(context.routes.paid, { authorization: entry.value })
        expectRefusal(exchange, `a credential with ${entry.name}`, { problems: entry.problems })
      }
      return undefined
    },
  }),
  define({
    id: 'server.malformed.byte-forms',
    title:
      'a paying credential in a second byte form (a UTF-8 byte order mark before its JSON, a member named twice, its token padded or in standard base64) is refused as malformed-credential, and the credential itself still pays',
    level: 'MUST',
    requirements: ['core.status.malformed-credential'],
    needs: ['payment'],
    tags: ['hostile', 'status-table'],
    async run(context) {
      const { authorization: paid } = await buy(context, context.routes.paid)
      for (const [name, value] of byteForms(paid)) {
        const exchange = await context.request(context.routes.paid, { authorization: value })
        expectRefusal(exchange, `a paying credential with ${name}`, {
          problems: ['malformed-credential'],
        })
      }
      expectPaid(
        await context.request(context.routes.paid, { authorization: paid }),
        'the credential in its one byte form, after the refusals',
      )
      return undefined
    },
  }),
  define({
    id: 'server.malformed.property',
    title:
      'generated malformed credentials and mutations of a used one never get 2xx or 5xx, and every 402 carries a challenge',
    level: 'MUST',
    requirements: ['core.status.malformed-credential', 'core.status.402-with-challenge'],
    needs: ['payment'],
    tags: ['hostile', 'property'],
    async run(context) {
      // A used credential: whatever a mutation decodes to, it can never pay again.
      const found = await offer(context, context.routes.paid)
      const { description: _display, ...bound } = found.challenge
      const used = authorization(bound, await found.payer.pay(bound))
      expectPaid(
        await context.request(context.routes.paid, { authorization: used }),
        'the credential',
      )
      const token = used.slice('Payment '.length)
      let failure: Failure | undefined
      const property = fc.asyncProperty(
        fc.oneof(mutation(token), malformedCredentialToken()),
        async (candidate) => {
          const exchange = await context.request(context.routes.paid, {
            authorization: `Payment ${candidate}`,
          })
          try {
            expectRejected(exchange, 'a malformed credential')
            if (exchange.response?.status === 402) readChallenges(exchange)
          } catch (error) {
            failure = error as Failure
            throw error
          }
        },
      )
      await assertProperty(property, context, () => failure)
      return {
        message: `${context.config.fuzzRuns} generated credentials refused (seed ${context.seed})`,
      }
    },
  }),
  define({
    id: 'server.size.credential-4kb',
    title: 'a valid credential of more than 4 KB (an unknown member padding it) is accepted',
    level: 'MUST',
    requirements: ['core.size.credential-4kb', 'core.versioning.ignore-unknown'],
    needs: ['payment'],
    tags: ['size', 'headers'],
    async run(context) {
      const found = await offer(context, context.routes.paid)
      const payment = await found.payer.pay(found.challenge)
      const credential = {
        ...Credential.from({ challenge: found.challenge, ...payment }),
        conformancePadding: 'x'.repeat(5000),
      }
      const exchange = await context.request(context.routes.paid, {
        authorization: `Payment ${Base64Url.encode(JSON.stringify(credential))}`,
      })
      expectPaid(exchange, 'a 6 KB credential')
      return undefined
    },
  }),
  define({
    id: 'server.size.oversized-header',
    title: 'a 64 KiB Authorization header is refused cleanly (4xx, no 5xx, no dropped connection)',
    level: 'MUST',
    requirements: ['core.size.credential-4kb'],
    needs: [],
    tags: ['size', 'headers', 'hostile'],
    async run(context) {
      const exchange = await context.request(context.routes.paid, {
        authorization: `Payment ${'A'.repeat(65_536)}`,
      })
      if (exchange.response === undefined)
        throw new Failure(`the target dropped the request: ${exchange.error ?? ''}`, exchange)
      expectRejected(exchange, 'a 64 KiB credential')
      return undefined
    },
  }),
  define({
    id: 'server.negotiation.absent',
    title: 'without Accept-Payment, the 402 offers every claimed method and intent',
    level: 'MUST',
    requirements: ['core.accept-payment.absent'],
    needs: [],
    tags: ['negotiation'],
    async run(context) {
      const { exchange, challenges: offered } = await challenges(context, context.routes.paid)
      for (const method of Object.keys(context.config.methods))
        if (!offered.some((challenge) => challenge.method === method))
          throw new Failure(`claimed method ${method} is not offered`, exchange)
      for (const intent of context.config.intents)
        if (!offered.some((challenge) => challenge.intent === intent))
          throw new Failure(`claimed intent ${intent} is not offered`, exchange)
      return undefined
    },
  }),
  define({
    id: 'server.negotiation.malformed',
    title: 'a malformed Accept-Payment still gets a 402 with a Payment challenge',
    level: 'MUST',
    requirements: ['core.402.challenge-required', 'core.accept-payment.malformed'],
    needs: [],
    tags: ['negotiation', 'hostile'],
    async run(context) {
      for (const value of [
        ';;q=x,,/',
        'tempo/charge;q=2',
        '*/*;q=abc, ,',
        `${'a/b, '.repeat(2000)}`,
      ])
        await negotiated(context, value)
      return undefined
    },
  }),
  define({
    id: 'server.negotiation.no-match',
    title: 'an Accept-Payment that matches no offer still gets a 402 with a Payment challenge',
    level: 'MUST',
    requirements: ['core.402.challenge-required', 'core.accept-payment.no-match'],
    needs: [],
    tags: ['negotiation'],
    async run(context) {
      await negotiated(context, 'nosuchmethod/charge, */nosuchintent;q=0.5')
      return undefined
    },
  }),
  define({
    id: 'server.negotiation.filter',
    title: 'a method given q=0 in Accept-Payment is not offered',
    level: 'SHOULD',
    requirements: ['core.accept-payment.consider', 'core.accept-payment.filter'],
    needs: ['offers:several'],
    tags: ['negotiation'],
    async run(context) {
      const [refused, ...rest] = Object.keys(context.config.methods)
      const value = [`${refused}/*;q=0`, ...rest.map((method) => `${method}/*`)].join(', ')
      const { exchange, offered } = await negotiated(context, value)
      if (offered.some((challenge) => challenge.method === refused))
        throw new Failure(`${refused} was offered although Accept-Payment gave it q=0`, exchange)
      return undefined
    },
  }),
  define({
    id: 'server.negotiation.order',
    title: 'challenges are ordered by descending Accept-Payment weight',
    level: 'SHOULD',
    requirements: ['core.accept-payment.order', 'core.accept-payment.most-specific'],
    needs: ['offers:several'],
    tags: ['negotiation'],
    async run(context) {
      const methods = Object.keys(context.config.methods)
      const preferred = methods[methods.length - 1] as string
      const value = `*/*;q=0.2, ${preferred}/*;q=0.9`
      const { exchange, offered } = await negotiated(context, value)
      if (offered[0]?.method !== preferred)
        throw new Failure(
          `the first challenge is ${offered[0]?.method}, not ${preferred}`,
          exchange,
        )
      return undefined
    },
  }),
]

async function negotiated(
  context: Context,
  value: string,
): Promise<{ exchange: Exchange.Exchange; offered: Challenge.Challenge[] }> {
  const exchange = await context.request(context.routes.paid, {
    headers: { 'accept-payment': value },
  })
  expectResponse(exchange)
  if (exchange.response.status !== 402)
    throw new Failure(
      `with Accept-Payment "${value.slice(0, 40)}", got ${exchange.response.status}`,
      exchange,
    )
  return { exchange, offered: readChallenges(exchange) }
}
