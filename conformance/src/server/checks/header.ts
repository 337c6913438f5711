// Checks of draft-httpauth-payment-01's credential field (§5.1.2 `header`, §5.2
// "Credentials", §11.10 "Caching"): a credential counts only in the field its challenge
// selected (`Authorization` by default, `Payment-Authorization` when the challenge says
// `header="Payment-Authorization"`), a server emits no other `header` value, the value is
// bound, and every answer to a credential sent outside `Authorization` is kept from shared
// caches. n/a for a target that claims draft -00 (`--draft 00`), which has no such field.
import { Challenge, Credential } from '@paywire/core'
import {
  authorization,
  type Check,
  type Context,
  define,
  expectPaid,
  expectRefusal,
  expectRejected,
  Failure,
  NotApplicable,
  offer,
} from '../Check.js'
import type * as Exchange from '../Exchange.js'

function only01(context: Context): void {
  if (context.config.draft === '00')
    throw new NotApplicable('the target claims draft-httpauth-payment-00, which has no header')
}

/** Whether a response can never be stored by a shared cache (`private` or `no-store`). */
function keptPrivate(exchange: Exchange.Exchange): boolean {
  const value = exchange.response?.headers.get('cache-control') ?? ''
  return value
    .split(',')
    .map((directive) => directive.trim().toLowerCase())
    .some((directive) => directive === 'private' || directive === 'no-store')
}

/** The checks of the credential field. */
export const checks: Check[] = [
  define({
    id: 'server.header.value',
    title: 'a header parameter, when a challenge has one, is Payment-Authorization',
    level: 'MUST',
    requirements: ['core.header.value'],
    needs: [],
    tags: ['header', 'draft-01'],
    async run(context) {
      only01(context)
      const exchange = await context.request(context.routes.paid)
      const header = exchange.response?.headers.get('www-authenticate') ?? ''
      const offered = Challenge.deserializeList(header)
      const other = offered.find(
        (challenge) =>
          challenge.header !== undefined && challenge.header !== Challenge.paymentAuthorization,
      )
      if (other !== undefined)
        throw new Failure(`a challenge selects the field "${other.header}"`, exchange)
      const selecting = offered.filter((challenge) => challenge.header !== undefined).length
      return {
        message: `${selecting} of ${offered.length} challenge(s) select Payment-Authorization`,
      }
    },
  }),
  define({
    id: 'server.header.selected-field-only',
    title:
      'a credential sent in the field its challenge did not select is refused, and the answer to one outside Authorization is private or no-store',
    level: 'MUST',
    requirements: ['core.server.credential-field', 'core.cache.credential-elsewhere'],
    needs: ['payment'],
    tags: ['header', 'draft-01', 'caching'],
    async run(context) {
      only01(context)
      const found = await offer(context, context.routes.paid)
      const value = authorization(found.challenge, await found.payer.pay(found.challenge))
      const selected = Challenge.credentialField(found.challenge)
      const wrong = selected === 'Authorization' ? 'payment-authorization' : 'authorization'
      const exchange = await context.request(context.routes.paid, {
        headers: { [wrong]: value },
      })
      expectRejected(exchange, `a credential sent in ${wrong} instead of ${selected}`)
      if (wrong === 'payment-authorization' && !keptPrivate(exchange))
        throw new Failure(
          'the answer to a request carrying a credential in Payment-Authorization has neither Cache-Control: private nor no-store',
          exchange,
        )
      return { message: `the challenge selected ${selected}; ${wrong} was refused` }
    },
  }),
  define({
    id: 'server.header.bound',
    title: 'a header added to the echo of a challenge that had none is refused (header is bound)',
    level: 'MUST',
    requirements: ['core.binding.header', 'core.binding.all-params-required'],
    needs: ['payment'],
    tags: ['header', 'draft-01', 'binding'],
    async run(context) {
      only01(context)
      const found = await offer(context, context.routes.paid)
      if (found.challenge.header !== undefined)
        throw new NotApplicable('the paid route already selects Payment-Authorization')
      const payment = await found.payer.pay(found.challenge)
      const forged = authorization(
        { ...found.challenge, header: Challenge.paymentAuthorization },
        payment,
      )
      // Sent where the forged echo says, as a client fooled by it would.
      const exchange = await context.request(context.routes.paid, {
        headers: { 'payment-authorization': forged },
      })
      // Not accepted is what binding requires; a server that reads no Payment-Authorization
      // field at all answers as to a request without credential.
      expectRefusal(exchange, 'an echo with a header the challenge did not have', {
        problems: [
          'invalid-challenge',
          'malformed-credential',
          'verification-failed',
          'payment-required',
        ],
      })
      const honest = await context.request(context.routes.paid, {
        authorization: authorization(found.challenge, payment),
      })
      expectPaid(honest, 'the same payment with the echo unchanged')
      const receipt = honest.response?.headers.get('payment-receipt')
      return { message: receipt ? 'refused, then paid unchanged' : 'refused' }
    },
  }),
  define({
    id: 'server.header.paid-private',
    title:
      'a route selecting Payment-Authorization is paid with the credential there, and its answer is private or no-store',
    level: 'MUST',
    requirements: [
      'core.server.credential-field',
      'core.cache.credential-elsewhere',
      'core.header.select',
    ],
    needs: ['payment'],
    tags: ['header', 'draft-01', 'caching'],
    async run(context) {
      only01(context)
      const found = await offer(context, context.routes.paid)
      if (found.challenge.header !== Challenge.paymentAuthorization)
        throw new NotApplicable(
          'the paid route selects Authorization (point routes.paid at a route with header="Payment-Authorization")',
        )
      const value = authorization(found.challenge, await found.payer.pay(found.challenge))
      if (Credential.fromAuthorization(value)?.challenge.header !== Challenge.paymentAuthorization)
        throw new Failure('the echo lost its header')
      const exchange = await context.request(context.routes.paid, {
        headers: { 'payment-authorization': value },
      })
      expectPaid(exchange, 'a credential in Payment-Authorization')
      if (!keptPrivate(exchange))
        throw new Failure(
          'the paid answer to a credential in Payment-Authorization has neither Cache-Control: private nor no-store',
          exchange,
        )
      return undefined
    },
  }),
]
