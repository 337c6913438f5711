// After the handler of an `after-success` route (docs/security.md "The after-success
// model"): a non-2xx answer gives back what was held and voids the payment; a 2xx answer
// is kept in the payment record, then the payment is taken. A capture whose outcome is
// unknown leaves the record `settling`: a retry of the same credential takes the payment
// and gets the kept response, and the handler never runs again. A refused capture voids
// the payment and withholds the response.
import { Errors, Method, Receipt } from '@paywire/core'
import type { Payment } from '../Paywire.js'
import { receiptOf } from './contract.js'
import { type Context, errorName, fire, refuse } from './issue.js'
import * as Record from './record.js'
import * as Respond from './respond.js'
import * as Stored from './stored.js'

/** @internal What the steps after the handler work with. */
export type Step = {
  context: Context
  // biome-ignore lint/suspicious/noExplicitAny: any configured method
  method: Method.Server<any, any, any>
  verify: Method.VerifyParameters<unknown, Record<string, unknown>>
  payment: Payment
  held: Record.Held
  /** Keeps the final response for `Idempotency-Key` replays and returns what to send. */
  keep(response: Response): Promise<Response>
  /** Drops the `Idempotency-Key` record: the request ends without a final answer. */
  abandon(): Promise<void>
}

/** @internal Finishes a verified after-success request with the handler's response. */
export async function afterHandler(step: Step, response: Response): Promise<Response> {
  if (!Respond.isSuccess(response.status)) {
    const released = await release(step)
    await Record.write(
      step.held,
      released
        ? { phase: 'voided', note: 'handler-failed' }
        : { phase: 'running', lease: 0, note: 'release-failed' },
    )
    await step.abandon()
    log(
      step,
      'info',
      'handler did not succeed: nothing taken, the challenge is spent',
      response.status,
    )
    return withoutReceipt(response)
  }
  const maxBytes = step.context.config.idempotency?.maxResponseBytes ?? 1_048_576
  const kept = await Stored.keep(response, maxBytes)
  await Record.write(step.held, { phase: 'settling', response: kept.stored ?? null })
  return capture(step, kept.response)
}

/**
 * @internal Continues a `settling` record for a retry of its credential: takes the payment
 * and answers the kept response.
 */
export async function resume(step: Step): Promise<Response> {
  const stored = step.held.data.response
  if (stored === null) {
    // The response was too large or a stream: it cannot be delivered again, so the
    // payment is left for reconciliation (released, or refunded if it was taken).
    await Record.free(step.held, 'response-not-kept')
    await step.abandon()
    return Respond.refusal(
      500,
      Respond.plainProblem(
        500,
        'Internal Server Error',
        'The paid response was not kept; the payment is given back at reconciliation.',
      ),
    )
  }
  return capture(step, Stored.revive(stored))
}

async function capture(step: Step, response: Response): Promise<Response> {
  const { context, method, verify, payment, held } = step
  try {
    payment.receipt = receiptOf(
      await method.verify({
        ...verify,
        context: { ...verify.context, hold: held.data.hold ?? undefined },
      }),
      method,
    )
  } catch (error) {
    await response.body?.cancel().catch(() => undefined)
    await step.abandon()
    return captureFailed(step, error)
  }
  await Record.write(held, { phase: 'delivered', receipt: Receipt.serialize(payment.receipt) })
  context.config.log({
    level: 'info',
    event: 'settled',
    message: 'payment settled after success',
    route: context.routeKey,
    challengeId: payment.challengeId,
    method: payment.method,
    intent: payment.intent,
  })
  fire(context, context.config.hooks.onSettled, {
    request: context.request,
    route: context.routeKey,
    payment,
    receipt: payment.receipt,
  })
  return step.keep(Respond.withReceipt(response, payment.receipt))
}

async function captureFailed(step: Step, error: unknown): Promise<Response> {
  if (Method.outcomeUnknown(error)) {
    await Record.free(step.held, codeOf(error))
    log(step, 'warn', `settlement after success is pending: ${errorName(error)}`, 503)
    if (error instanceof Errors.BaseError && error.problem !== undefined)
      return (await refuse(step.context, error, step.payment.challengeId)).response
    return pending()
  }
  if (!(error instanceof Errors.BaseError) || error.problem === undefined) {
    await Record.free(step.held, 'error')
    throw error
  }
  await release(step)
  await Record.write(step.held, { phase: 'voided', note: error.code })
  log(step, 'warn', `settlement after success failed: ${errorName(error)}`, 402)
  return (await refuse(step.context, error, step.payment.challengeId)).response
}

/** @internal Gives back a hold; resolves whether nothing is held any more. */
export async function release(step: Step): Promise<boolean> {
  const { method, held } = step
  if (method.release === undefined || held.data.hold === null) return true
  try {
    await method.release(Record.settlement(held.data, step.verify.request, step.context.config.now))
    return true
  } catch (error) {
    log(step, 'warn', `releasing the hold failed: ${errorName(error)}`, undefined)
    return false
  }
}

/**
 * @internal The answer while a payment's outcome is unknown: 503 and `Retry-After`, no
 * challenge (the payer must not pay again), retry the same credential.
 */
export function pending(): Response {
  return Respond.refusal(
    503,
    Respond.plainProblem(
      503,
      'Service Unavailable',
      'The outcome of the payment is not known yet: retry with the same credential, and do not pay again.',
    ),
    { retryAfter: 1 },
  )
}

/**
 * @internal The answer to a copy of a credential whose payment a request holds (or held
 * before it crashed, until its lease runs out): 503, `Retry-After` until the lease ends,
 * no challenge.
 */
export function inProgress(retryAfter: number): Response {
  return Respond.refusal(
    503,
    Respond.plainProblem(
      503,
      'Service Unavailable',
      'This payment is being processed: retry with the same credential after Retry-After, and do not pay again.',
    ),
    { retryAfter },
  )
}

// @enforces core.receipt.not-on-error
/** @internal A response with any `Payment-Receipt` removed: receipts never go on errors. */
export function withoutReceipt(response: Response): Response {
  if (!response.headers.has('payment-receipt')) return response
  const headers = new Headers(response.headers)
  headers.delete('payment-receipt')
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  })
}

/** @internal The error code a record notes for operators. */
export function codeOf(error: unknown): string {
  return error instanceof Errors.BaseError ? error.code : 'error'
}

function log(step: Step, level: 'info' | 'warn', message: string, status: number | undefined) {
  step.context.config.log({
    level,
    event: 'refused',
    message,
    route: step.context.routeKey,
    status,
    challengeId: step.payment.challengeId,
  })
}
