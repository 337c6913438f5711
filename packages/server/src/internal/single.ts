// Single-use credentials (a charge; draft-httpauth-payment §"Replay Protection"): the
// challenge's payment record is taken (opened, or continued by the same credential after a
// timeout or a crash), the method takes the payment (`before-handler`) or holds it
// (`after-success`) under the record's attempt id, and the record says `running` before
// the handler starts: from then on the challenge is never released. What follows the
// handler is in paid.ts and settle.ts.
import { Challenge, Credential, Errors, Expires, Method, Receipt, type Store } from '@paywire/core'
import type { Payment, Result } from '../Paywire.js'
import { authorized, verified } from './charge.js'
import { receiptOf } from './contract.js'
import * as Idempotency from './idempotency.js'
import { type Context, deny, fire, refuse } from './issue.js'
import { paid } from './paid.js'
import * as Record from './record.js'
import * as Respond from './respond.js'
import * as Settle from './settle.js'

/** @internal A bound, schema-checked single-use credential. */
export type Redemption = {
  context: Context
  credential: Credential.Credential
  // biome-ignore lint/suspicious/noExplicitAny: any configured method
  method: Method.Server<any, any, any>
  verify: Method.VerifyParameters<unknown, Record<string, unknown>>
  payment: Payment
  record: Idempotency.Record | undefined
}

// @enforces core.replay.single-use, core.replay.reject-reuse, core.concurrency.single-settlement, charge.single-use, charge.replay.reject, charge.replay.protection, charge.replay.id-single-use
/** @internal Redeems a single-use credential: see the module comment. */
export async function redeemSingle(redemption: Redemption): Promise<Result> {
  const { context, credential, payment } = redemption
  const echo = credential.challenge
  const taken = await Record.take(
    context.config.store,
    {
      challengeId: echo.id,
      realm: echo.realm,
      credential: digestOf(credential),
      mode: context.route.settle,
      method: echo.method,
      intent: echo.intent,
      route: context.routeKey,
      // A plain JSON copy (the decoded request may hold prototype-less objects).
      request: JSON.parse(JSON.stringify(payment.request)) as Store.Value,
      expires: echo.expires as string,
    },
    timing(context, echo.expires as string),
  )
  if (taken.kind === 'busy') {
    // The same credential, while a request holds its payment (or until the lease of one
    // that crashed runs out): never an invitation to pay again.
    log(context, 'warn', 'the payment is in progress: the same credential may retry', 503, echo.id)
    return { kind: 'response', response: Settle.inProgress(taken.retryAfter) }
  }
  if (taken.kind === 'ran') return ran(context, taken.data)
  if (taken.kind !== 'held')
    return refuse(
      context,
      new Challenge.UnboundChallengeError('challenge was already used'),
      echo.id,
    )
  const { held } = taken
  redemption.verify.context.attempt = { id: held.data.attempt, resumed: held.resumed }
  redemption.verify.context.record = async (reference) => {
    if (!(await Record.advance(held, { reference })))
      throw new Method.PaymentPendingError('another request took the payment over')
  }
  if (held.data.phase === 'settling')
    return { kind: 'response', response: await Settle.resume(step(redemption, held)) }
  return pay(redemption, held)
}

/** @internal Whether an expired challenge may still be continued: its record is open for this credential. */
export async function resumable(context: Context, credential: Credential.Credential) {
  const entry = await context.config.store.get(Record.key(credential.challenge.id))
  const data = entry?.value
  return (
    Record.isData(data) &&
    data.credential === digestOf(credential) &&
    (data.phase === 'pending' || data.phase === 'settling' || data.phase === 'running')
  )
}

/**
 * The same credential's handler started and the request that ran it is gone (a crash, a
 * lost connection while the handler ran): the handler is never run again. Whatever was
 * taken is in the record for reconciliation (`Payments`): the answer is a clear refusal
 * that does not ask for another payment.
 */
function ran(context: Context, data: Record.Data): Result {
  log(
    context,
    'warn',
    'retry of a payment whose handler already started: not run again',
    409,
    data.challengeId,
  )
  const taken = data.mode === 'before-handler' && data.receipt !== null
  return {
    kind: 'response',
    response: Respond.refusal(
      409,
      Respond.plainProblem(
        409,
        'Conflict',
        taken
          ? 'This payment was taken and its request already started; it is not run again. The payment is kept for reconciliation: the operator delivers or refunds it.'
          : "This payment's request already started; it is not run again. Nothing more is taken: what was held is given back at reconciliation.",
      ),
    ),
  }
}

function log(
  context: Context,
  level: 'info' | 'warn',
  message: string,
  status: number,
  challengeId: string,
): void {
  context.config.log({
    level,
    event: 'refused',
    message,
    route: context.routeKey,
    status,
    challengeId,
  })
}

async function pay(redemption: Redemption, held: Record.Held): Promise<Result> {
  const { context, method, verify, payment } = redemption
  const { config, route } = context
  let hold: Store.Value | undefined
  try {
    if (route.settle === 'before-handler')
      // @enforces charge.verify.proof, core.status.verification-failed, core.side-effects.unpaid
      payment.receipt = receiptOf(await method.verify(verify), method)
    else if (method.hold !== undefined) hold = await method.hold(verify)
    else await (method.check as NonNullable<typeof method.check>)(verify)
  } catch (error) {
    return interrupted(context, held, error, payment.challengeId)
  }
  verified(context, payment)
  if (payment.receipt !== undefined)
    fire(context, config.hooks.onSettled, {
      request: context.request,
      route: context.routeKey,
      payment,
      receipt: payment.receipt,
    })
  if (!(await authorized(context, payment))) {
    if (route.settle === 'before-handler')
      // The payment was taken (the draft's status table keeps it): the request is answered.
      await Record.write(held, { phase: 'delivered', receipt: serialized(payment.receipt) })
    else {
      held.data.hold = hold ?? null
      await Settle.release(step(redemption, held))
      await Record.remove(held)
    }
    return deny(context, payment.challengeId)
  }
  const running = await Record.advance(held, {
    phase: 'running',
    hold: hold ?? null,
    receipt: serialized(payment.receipt),
  })
  // Another request took the record over (this one outlived its lease): it goes on.
  if (!running) return { kind: 'response', response: Settle.pending() }
  return paid({ ...redemption, held })
}

/**
 * A method refused or could not finish before the handler. A typed refusal of a first
 * attempt says nothing moved: the record is removed and the payer may present the
 * challenge again. A typed refusal of a resumed attempt cannot say what the interrupted
 * attempt did: the record stays open (reconciliation asks the method). An unknown outcome
 * keeps it open for a retry of the same credential (503); anything else keeps it open and
 * fails the request (500).
 */
async function interrupted(
  context: Context,
  held: Record.Held,
  error: unknown,
  challengeId: string,
): Promise<Result> {
  if (Method.outcomeUnknown(error)) {
    await Record.free(held, Settle.codeOf(error))
    context.config.log({
      level: 'warn',
      event: 'refused',
      message: 'the outcome of the payment is unknown: the same credential may retry',
      route: context.routeKey,
      status: 503,
      challengeId,
      code: Settle.codeOf(error),
    })
    // A method's own refusal (a payment still processing) is answered as the draft says;
    // the record stays open all the same.
    if (error instanceof Errors.BaseError && error.problem !== undefined)
      return refuse(context, error, challengeId)
    return { kind: 'response', response: Settle.pending() }
  }
  if (!(error instanceof Errors.BaseError) || error.problem === undefined) {
    await Record.free(held, 'error')
    throw error
  }
  if (held.resumed) await Record.free(held, error.code)
  else await Record.remove(held)
  return refuse(context, error, challengeId)
}

/** @internal The steps after the handler, for a held record. */
export function step(redemption: Omit<Redemption, 'credential'>, held: Record.Held): Settle.Step {
  const { context, record } = redemption
  const { config } = context
  return {
    context,
    method: redemption.method,
    verify: redemption.verify,
    payment: redemption.payment,
    held,
    keep: async (response) =>
      record === undefined || config.idempotency === undefined
        ? response
        : Idempotency.finish(config.store, record, response, config.idempotency),
    abandon: async () => {
      if (record !== undefined) await Idempotency.abandon(config.store, record)
    },
  }
}

function timing(context: Context, expires: string): Record.Timing {
  const { config } = context
  const now = config.now()
  const doneTtlSeconds =
    Math.max(1, Math.ceil((Expires.parse(expires) - now) / 1000)) + config.skewSeconds + 60
  return {
    now: config.now,
    leaseMs: config.payments.leaseSeconds * 1000,
    doneTtlSeconds,
    openTtlSeconds: Math.max(doneTtlSeconds, config.payments.recordTtlSeconds),
  }
}

function digestOf(credential: Credential.Credential): string {
  return Record.digest(Credential.serialize(credential))
}

function serialized(receipt: Receipt.Receipt | undefined): string | null {
  return receipt === undefined ? null : Receipt.serialize(receipt)
}
