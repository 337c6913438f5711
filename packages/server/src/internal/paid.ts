// The paid result: what happens once the handler has answered (draft-httpauth-payment
// §"Payment-Receipt Header", §"Caching", §"Idempotency and Side Effects"). A receipt
// goes only on a 2xx, with `Cache-Control: private`; in `after-success` mode settlement
// happens here, and a non-2xx answer releases the challenge (no money moved).
import type { Method } from '@paywire/core'
import type { Payment, Result } from '../Paywire.js'
import { failed, unexpected } from './charge.js'
import { receiptOf } from './contract.js'
import * as Idempotency from './idempotency.js'
import { type Context, errorName, fire } from './issue.js'
import * as Respond from './respond.js'

/** @internal Builds the paid result of a verified request. */
export function paid(parameters: {
  context: Context
  // biome-ignore lint/suspicious/noExplicitAny: any configured method
  method: Method.Server<any, any, any>
  verify: Method.VerifyParameters<unknown, Record<string, unknown>>
  payment: Payment
  claimKey: string
  record: Idempotency.Record | undefined
}): Result.Paid {
  const { context, payment, record } = parameters
  const { config, route } = context
  const keep = async (response: Response): Promise<Response> =>
    record === undefined || config.idempotency === undefined
      ? response
      : Idempotency.finish(config.store, record, response, config.idempotency)

  const complete = async (response: Response): Promise<Response> => {
    if (route.settle === 'before-handler') {
      const receipt = payment.receipt
      const answered =
        receipt !== undefined && Respond.isSuccess(response.status)
          ? Respond.withReceipt(response, receipt)
          : withoutReceipt(response)
      return keep(answered)
    }
    if (!Respond.isSuccess(response.status)) {
      // The handler did not succeed: nothing is settled, and the payer may use the
      // challenge again.
      await config.store.delete(parameters.claimKey)
      if (record !== undefined) await Idempotency.abandon(config.store, record)
      context.config.log({
        level: 'info',
        event: 'refused',
        message: 'handler did not succeed; payment not settled, challenge released',
        route: context.routeKey,
        status: response.status,
        challengeId: payment.challengeId,
      })
      return withoutReceipt(response)
    }
    try {
      payment.receipt = receiptOf(
        await parameters.method.verify(parameters.verify),
        parameters.method,
      )
    } catch (error) {
      // Settlement failed after the handler ran: its response is withheld.
      await response.body?.cancel().catch(() => undefined)
      if (record !== undefined) await Idempotency.abandon(config.store, record)
      context.config.log({
        level: 'warn',
        event: 'refused',
        message: `settlement after success failed: ${errorName(error)}`,
        route: context.routeKey,
        challengeId: payment.challengeId,
      })
      return (await failed(context, config.store, parameters.claimKey, payment.challengeId, error))
        .response
    }
    context.config.log({
      level: 'info',
      event: 'settled',
      message: 'payment settled after success',
      route: context.routeKey,
      challengeId: payment.challengeId,
      method: payment.method,
      intent: payment.intent,
    })
    fire(context, config.hooks.onSettled, {
      request: context.request,
      route: context.routeKey,
      payment,
      receipt: payment.receipt,
    })
    return keep(Respond.withReceipt(response, payment.receipt))
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
      if (route.settle !== 'before-handler' || payment.receipt === undefined) return {}
      return Respond.isSuccess(status) ? Respond.receiptHeaders(payment.receipt, cacheControl) : {}
    },
    idempotent: record !== undefined,
    async record(response) {
      await keep(response)
    },
  }
}

/** A response with any `Payment-Receipt` removed: receipts never go on errors. */
function withoutReceipt(response: Response): Response {
  if (!response.headers.has('payment-receipt')) return response
  const headers = new Headers(response.headers)
  headers.delete('payment-receipt')
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  })
}
