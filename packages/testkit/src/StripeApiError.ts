// The error responses of the local Stripe API, shaped as Stripe's v1 API answers them:
// an HTTP status and `{ error: { type, code, decline_code, param, message, ... } }`.
// Used by StripeServer.ts and its resource modules.

/** The `error` member of a Stripe error body. */
export type Body = {
  type: 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error'
  message: string
  code?: string | undefined
  decline_code?: string | undefined
  param?: string | undefined
  doc_url?: string | undefined
  payment_intent?: Record<string, unknown> | undefined
}

/**
 * @internal An error the local Stripe API answers with. `saved` says whether the endpoint had
 * begun executing, so that an idempotency key keeps the answer (Stripe saves the result
 * of a request only once its endpoint began; validation failures are not saved).
 */
export class ApiError extends Error {
  override readonly name = 'StripeServer.ApiError'
  readonly code = 'ERR_STRIPE_API'
  constructor(
    readonly status: number,
    readonly body: Body,
    readonly saved: boolean = false,
  ) {
    super(body.message)
  }
}

/** @internal A 400 `invalid_request_error` for a parameter (not saved under an idempotency key). */
export function invalid(message: string, param?: string, code = 'parameter_invalid'): ApiError {
  return new ApiError(400, { type: 'invalid_request_error', code, message, param })
}

/** @internal A 400 for a parameter that is required and missing. */
export function missing(param: string): ApiError {
  return invalid(`Missing required param: ${param}.`, param, 'parameter_missing')
}

/** @internal A 400 `resource_missing` for an id that names nothing this account can see. */
export function noSuch(kind: string, id: string, param?: string): ApiError {
  return new ApiError(
    param === undefined ? 404 : 400,
    {
      type: 'invalid_request_error',
      code: 'resource_missing',
      message: `No such ${kind}: '${id}'`,
      param,
    },
    false,
  )
}
