// The second check, inside every handler registered through `Payments`: the handler runs
// only for the very request the gate handed to the SDK after verifying its payment, and
// only when that payment was for this operation. A request that reaches a paid handler
// any other way (a server connected without the gate, a resolution the gate did not
// foresee, a forged `_meta`) is refused before the handler runs.
import { Errors } from '@paywire/core'
import type { State } from './gate.js'

/** @internal The handler of operation `key`, run only for a payment verified for it. */
export function guard<handler extends (...args: never[]) => unknown>(
  state: State,
  key: string,
  handler: handler,
): handler {
  const guarded = (...args: unknown[]) => {
    const extra = args.at(-1) as { _meta?: object } | undefined
    const meta = extra?._meta
    const dispatched = meta === undefined ? undefined : state.dispatched.get(meta)
    if (dispatched === undefined || dispatched.entry.key !== key)
      throw new UnpaidCallError(
        `${key} reached without a payment verified for it; connect the server through payments.transport()`,
      )
    if (dispatched.ran || dispatched.done)
      throw new UnpaidCallError(`${key}: this payment already ran its handler`)
    dispatched.ran = true
    return (handler as unknown as (...args: unknown[]) => unknown)(...args)
  }
  return guarded as unknown as handler
}

/**
 * Raised (and turned by the MCP SDK into an error) when a paid handler is reached without
 * a payment the gate verified for it: the server was connected without
 * `payments.transport()`, or the request forged `_meta`.
 *
 * @example
 * ```ts
 * import { Payments } from '@paywire/mcp'
 * const error = new Payments.UnpaidCallError('tools/call forecast reached without a payment verified for it')
 * error.code // 'ERR_MCP_UNPAID_CALL'
 * ```
 */
export class UnpaidCallError extends Errors.BaseError {
  override readonly name = 'Payments.UnpaidCallError'
  readonly code = 'ERR_MCP_UNPAID_CALL'
  readonly problem = undefined
}
