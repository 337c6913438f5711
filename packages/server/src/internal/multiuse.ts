// Credentials of multi-use methods (a method with `redeem`, e.g. the tempo session intent,
// draft-tempo-session §"Voucher Submission Transport", §"Receipt Generation"): the
// challenge pays for many requests, so it is not claimed once; after the same binding,
// expiry, digest and price checks as any credential, the method decides each request:
// served by the handler (the receipt on its 2xx) or answered at once (a management
// request). Single-use methods never come here.
import { Errors, type Method, Problem } from '@paywire/core'
import type { Payment, Result } from '../Paywire.js'
import { authorized } from './charge.js'
import type * as Idempotency from './idempotency.js'
import { type Context, deny, fire, refuse } from './issue.js'
import { paid } from './paid.js'
import * as Respond from './respond.js'

/**
 * @internal Whether a credential bound to `issuedFor` (`METHOD /path?query`) may be
 * redeemed on `route`: a multi-use challenge covers its resource on any HTTP method
 * (vouchers on `HEAD`, closes on `GET`), a single-use one only its own route.
 */
export function covers(issuedFor: unknown, route: string, multiUse: boolean): boolean {
  if (issuedFor === route) return true
  if (!multiUse || typeof issuedFor !== 'string') return false
  const resource = (key: string) => key.slice(key.indexOf(' ') + 1)
  return issuedFor.includes(' ') && resource(issuedFor) === resource(route)
}

/** @internal Redeems a bound credential of a multi-use method for this request. */
export async function redeemMultiUse(parameters: {
  context: Context
  // biome-ignore lint/suspicious/noExplicitAny: any configured method
  method: Method.Server<any, any, any>
  verify: Method.VerifyParameters<unknown, Record<string, unknown>>
  payment: Payment
  record: Idempotency.Record | undefined
}): Promise<Result> {
  const { context, method, verify, payment, record } = parameters
  const { config, request } = context
  const redeem = method.redeem as NonNullable<typeof method.redeem>
  let redemption: Method.Redemption
  try {
    redemption = await redeem({ ...verify, requestMethod: request.method.toUpperCase() })
  } catch (error) {
    if (!(error instanceof Errors.BaseError) || error.problem === undefined) throw error
    return refuse(context, error, payment.challengeId, error.status, extensionsOf(error), {
      retryAfter: retryAfterOf(error),
    })
  }
  payment.receipt = redemption.receipt
  config.log({
    level: 'info',
    event: 'settled',
    message: redemption.kind === 'answer' ? 'management request answered' : 'payment accepted',
    route: context.routeKey,
    challengeId: payment.challengeId,
    method: payment.method,
    intent: payment.intent,
  })
  const event = { request, route: context.routeKey, payment }
  fire(context, config.hooks.onVerified, event)
  fire(context, config.hooks.onSettled, { ...event, receipt: redemption.receipt })
  // A management answer is not kept for Idempotency-Key replays (the caller drops the
  // record): its actions are idempotent themselves (an equal voucher, a recorded close).
  if (redemption.kind === 'answer')
    return {
      kind: 'response',
      response: Respond.withReceipt(
        new Response(null, { status: redemption.status ?? 200 }),
        redemption.receipt,
      ),
    }
  if (!(await authorized(context, payment))) return deny(context, payment.challengeId)
  return paid({ context, method, verify, payment, record })
}

/** Extra problem members a method's error asks for (e.g. a session's `requiredTopUp`). */
/**
 * A method error's `retryAfter` (whole seconds, e.g. a rate-limited session voucher), sent
 * as `Retry-After` on a refusal without a challenge.
 */
function retryAfterOf(error: Errors.BaseError): number | undefined {
  const seconds = (error as { retryAfter?: unknown }).retryAfter
  return typeof seconds === 'number' && Number.isInteger(seconds) && seconds >= 0
    ? seconds
    : undefined
}

function extensionsOf(error: Errors.BaseError): Record<string, unknown> | undefined {
  const extensions = (error as { problemExtensions?: unknown }).problemExtensions
  if (extensions === null || typeof extensions !== 'object') return undefined
  const reserved = new Set(Object.keys(Problem.from('verification-failed')))
  return Object.fromEntries(
    Object.entries(extensions as Record<string, unknown>).filter(([name]) => !reserved.has(name)),
  )
}
