// The paid result: what happens once the handler has answered (draft-httpauth-payment
// §"Payment-Receipt Header", §"Caching", §"Idempotency and Side Effects"). A receipt goes
// only on a 2xx, with `Cache-Control: private`. A single-use payment's record is marked
// delivered once the response is handed over; in `after-success` mode the payment is
// taken here (settle.ts), and the handler never runs again for the challenge.
import type { Method } from '@paywire/core'
import type { Payment, Result } from '../Paywire.js'
import { unexpected } from './charge.js'
import * as Idempotency from './idempotency.js'
import type { Context } from './issue.js'
import * as Record from './record.js'
import * as Respond from './respond.js'
import * as Settle from './settle.js'
import { step } from './single.js'

/** @internal Builds the paid result of a verified request. */
export function paid(parameters: {
  context: Context
  // biome-ignore lint/suspicious/noExplicitAny: any configured method
  method: Method.Server<any, any, any>
  verify: Method.VerifyParameters<unknown, Record<string, unknown>>
  payment: Payment
  record: Idempotency.Record | undefined
  /** The payment record of a single-use challenge (none for multi-use ones). */
  held?: Record.Held | undefined
}): Result.Paid {
  const { context, payment, record, held } = parameters
  const { config, route } = context
  const afterSuccess = route.settle === 'after-success' && held !== undefined
  let delivered: Promise<void> | undefined
  // Before-handler: the record says the paid request was answered (once).
  const deliver = () => {
    delivered ??=
      held === undefined ? Promise.resolve() : Record.write(held, { phase: 'delivered' })
    return delivered
  }
  const keep = async (response: Response): Promise<Response> =>
    record === undefined || config.idempotency === undefined
      ? response
      : Idempotency.finish(config.store, record, response, config.idempotency)

  const complete = async (response: Response): Promise<Response> => {
    if (afterSuccess) return Settle.afterHandler(step(parameters, held as Record.Held), response)
    await deliver()
    const receipt = payment.receipt
    return keep(
      receipt !== undefined && Respond.isSuccess(response.status)
        ? Respond.withReceipt(response, receipt)
        : Settle.withoutReceipt(response),
    )
  }

  return {
    kind: 'paid',
    request: context.request,
    body: context.body,
    payment,
    complete: async (response) => {
      try {
        return await complete(response)
      } catch (error) {
        return unexpected(config, context.routeKey, error)
      }
    },
    receiptHeaders(status, cacheControl) {
      if (afterSuccess) return {}
      // A binding writing to a socket itself reports the answer here, not through complete.
      deliver().catch((error: unknown) => {
        config.log({
          level: 'error',
          event: 'error',
          message: `recording the delivery failed: ${String((error as Error)?.name ?? error)}`,
          route: context.routeKey,
          challengeId: payment.challengeId,
        })
      })
      if (payment.receipt === undefined) return {}
      return Respond.isSuccess(status) ? Respond.receiptHeaders(payment.receipt, cacheControl) : {}
    },
    idempotent: record !== undefined,
    async record(response) {
      await keep(response)
    },
  }
}
