// What a server method returns is checked like any untrusted input (issue 14, finding 4):
// `verify` must resolve a receipt, `redeem` a redemption carrying one. A method that
// resolves anything else (a forgotten `return`, a receipt without `reference`, a status
// other than `success`) is broken, not paid: the request fails closed with 500, the
// handler never runs, and the challenge stays claimed (the outcome is unknown).
import { Errors, type Method, Receipt } from '@paywire/core'

/** @internal The receipt `verify` resolved, checked. */
export function receiptOf(
  value: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: any configured method
  method: Method.Server<any, any, any>,
): Receipt.Receipt {
  const parsed = Receipt.schema.safeParse(value)
  if (!parsed.success)
    throw new MethodContractError(
      `method ${method.method}/${method.intent} resolved verify without a valid receipt`,
    )
  return value as Receipt.Receipt
}

/** @internal The redemption `redeem` resolved, checked. */
export function redemptionOf(
  value: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: any configured method
  method: Method.Server<any, any, any>,
): Method.Redemption {
  const kind = (value as { kind?: unknown } | null | undefined)?.kind
  if (kind !== 'serve' && kind !== 'answer')
    throw new MethodContractError(
      `method ${method.method}/${method.intent} resolved redeem without a redemption`,
    )
  receiptOf((value as { receipt?: unknown }).receipt, method)
  return value as Method.Redemption
}

/**
 * A method broke its contract (a paywire error without a problem type: answered 500, the
 * payment not taken as made).
 */
export class MethodContractError extends Errors.BaseError {
  override readonly name = 'Paywire.MethodContractError'
  readonly code = 'ERR_PAYWIRE_METHOD_CONTRACT'
  readonly problem = undefined
}
