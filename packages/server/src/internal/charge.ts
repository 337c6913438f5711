// One paid-request decision (draft-httpauth-payment §"Status Codes"): read the body
// (bounded), read the credential, check its challenge against this server and this
// request (binding, realm, route, expiry, body digest, price), claim it once, let the
// method verify and settle, consult the access policy, and hand back either a response
// or a paid result. Every failure ends in a refusal; no path reaches the handler unpaid.
import {
  BodyDigest,
  Challenge,
  Credential,
  Errors,
  Expires,
  Method,
  Problem,
  type Store,
} from '@paywire/core'
import type { Payment, Result, Span } from '../Paywire.js'
import * as Route from '../Route.js'
import { BodyTooLargeError, readRequestBody } from './body.js'
import type { CheckedRoute, Config } from './config.js'
import * as Idempotency from './idempotency.js'
import { type Context, challenge, errorName, fire, priceRequest, refuse } from './issue.js'
import { covers, redeemMultiUse } from './multiuse.js'
import * as Respond from './respond.js'
import { redeemSingle, resumable } from './single.js'
import { record, startSpan } from './trace.js'
import * as Transport from './transport.js'

/** @internal Decides a request; never throws. */
export async function charge(
  config: Config,
  request: Request,
  route: CheckedRoute,
): Promise<Result> {
  let routeKey = `${request.method} ?`
  let span: Span | undefined
  let result: Result
  try {
    routeKey = Route.key(request)
    span = startSpan(config, request, routeKey)
    result = await decide(config, request, route, routeKey)
  } catch (error) {
    result = { kind: 'response', response: unexpected(config, routeKey, error) }
  }
  // draft-httpauth-payment-01 §"Caching": a shared cache may store the answer to a request
  // whose credential is not in `Authorization` (RFC 9111 §3.5 covers only that field), so
  // every response to one is made `private` (or is already `no-store`).
  if (request.headers.has('payment-authorization')) result = Respond.keepPrivate(result)
  if (span !== undefined) {
    try {
      record(span, request, result)
    } catch {
      // A failing tracer must not change a payment decision.
    }
  }
  return result
}

// @enforces core.secret.not-disclosed, core.credential.no-log
/**
 * @internal The answer when processing failed: fail closed. A failure of the payment
 * processing gets -01's `internal-payment-error`; a failure of the handler (`handler`)
 * a plain 500.
 */
export function unexpected(
  config: Config,
  routeKey: string,
  error: unknown,
  origin: 'payment' | 'handler' = 'payment',
): Response {
  const unavailable = error instanceof StoreFailure
  config.log({
    level: 'error',
    event: 'error',
    message: `payment processing failed: ${errorName(unavailable ? error.cause : error)}`,
    route: routeKey,
    status: unavailable ? 503 : 500,
    code: error instanceof Errors.BaseError ? error.code : undefined,
  })
  return unavailable
    ? Respond.refusal(
        503,
        Respond.plainProblem(503, 'Service Unavailable', 'Payment state is unavailable.'),
        { retryAfter: 5 },
      )
    : Respond.refusal(
        500,
        origin === 'payment'
          ? Problem.from('internal-payment-error', {
              detail: 'The payment could not be processed.',
            })
          : Respond.plainProblem(500, 'Internal Server Error', 'The request could not be served.'),
      )
}

async function decide(
  config: Config,
  request: Request,
  route: CheckedRoute,
  routeKey: string,
): Promise<Result> {
  // @enforces core.tls.server-no-plaintext, core.tls.use, charge.tls
  if (!Transport.secure(config, request)) {
    config.log({
      level: 'warn',
      event: 'refused',
      message: 'request did not arrive over TLS; no challenge issued, no credential read',
      route: routeKey,
      status: 403,
      code: undefined,
    })
    return {
      kind: 'response',
      response: Respond.refusal(
        403,
        Respond.plainProblem(403, 'Forbidden', 'Payment requires HTTPS.'),
      ),
    }
  }
  let body: Uint8Array = new Uint8Array(0)
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    try {
      body = await readRequestBody(request, config.maxBodyBytes)
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error
      return {
        kind: 'response',
        response: Respond.refusal(
          413,
          Respond.plainProblem(413, 'Content Too Large', error.message),
        ),
      }
    }
  }
  const context: Context = { config, route, request: rebuild(request, body), body, routeKey }
  let found: Credential.fromHeaders.ReturnType
  try {
    // From `Authorization` or `Payment-Authorization` (draft -01); that the field is the
    // one the challenge selected is checked once the echo is known to be bound.
    // @enforces core.status.malformed-credential, core.privacy.no-accounts
    found = Credential.fromHeaders(request.headers)
  } catch (error) {
    if (error instanceof Credential.MultipleCredentialsError)
      return refuse(context, error, undefined, error.httpStatus)
    if (error instanceof Errors.BaseError) return refuse(context, error, undefined)
    throw error
  }
  const wait = await config.hooks.throttle?.({
    request: context.request,
    route: routeKey,
    attempt: found === undefined ? 'challenge' : 'credential',
  })
  if (wait !== undefined && wait > 0)
    return plain(429, 'Too Many Requests', 'Too many payment attempts.', Math.ceil(wait))
  if (found === undefined) return challenge(context)
  return redeem(context, found.credential, found.field)
}

async function redeem(
  context: Context,
  credential: Credential.Credential,
  field: Challenge.CredentialField,
): Promise<Result> {
  const { config, route, request } = context
  const echo = credential.challenge
  const unbound = (reason: string) =>
    refuse(context, new Challenge.UnboundChallengeError(reason), echo.id)
  const method = route.offers.find(
    (offer) => offer.method === echo.method && offer.intent === echo.intent,
  )
  if (method === undefined)
    return refuse(
      context,
      new Method.MethodUnsupportedError(`${echo.method}/${echo.intent} is not accepted here`),
      echo.id,
    )
  const unknown = (reason: string) =>
    ownRefusal(context, method, credential, 'challenge-unknown') ?? unbound(reason)
  if (echo.realm !== config.realm) return unknown('challenge was issued for another realm')
  // @enforces core.binding.verify, core.status.invalid-challenge, charge.verify.challenge-id, core.status.unknown-challenge
  if (!Challenge.verify(echo, { secret: config.secret, previousSecrets: config.previousSecrets }))
    return unknown('challenge is not bound to this server')
  // The echoed `header` is bound (eighth slot), so this is the field this server selected:
  // a credential received in any other field does not satisfy the challenge (-01 §5.2).
  // @enforces core.server.credential-field
  const selected = Challenge.credentialField(echo)
  if (selected !== field)
    return refuse(
      context,
      new Credential.WrongFieldError(
        `the credential arrived in ${field}, but its challenge selected ${selected ?? 'another field'}`,
      ),
      echo.id,
    )
  // Bound by the HMAC above, so this opaque was written by this server.
  const opaque = Challenge.decodeOpaque(echo)
  if (typeof opaque.nonce !== 'string') return unknown('challenge carries no nonce')
  if (!covers(opaque.route, context.routeKey, method.redeem !== undefined))
    return unknown('challenge was issued for another route')

  let record: Idempotency.Record | undefined
  const idempotencyKey = request.headers.get('idempotency-key')
  if (
    config.idempotency !== undefined &&
    idempotencyKey !== null &&
    (Route.acceptsIdempotencyKey(request.method) ||
      // A multi-use challenge pays each request, GET included (draft-tempo-session
      // §"Request Idempotency" shows a GET): a retry must not be charged again.
      (method.redeem !== undefined && request.method !== 'HEAD'))
  ) {
    if (!/^[\x21-\x7e][\x20-\x7e]{0,254}$/.test(idempotencyKey))
      return {
        kind: 'response',
        response: Respond.refusal(
          400,
          Problem.from('bad-request', {
            detail: 'Idempotency-Key must be 1 to 255 visible ASCII characters.',
          }),
        ),
      }
    const begun = await Idempotency.begin(
      config.store,
      { credential: Credential.serialize(credential), idempotencyKey, body: context.body },
      config.idempotency,
    )
    if (begun.kind === 'replay') {
      config.log({
        level: 'info',
        event: 'replayed',
        message: 'idempotent replay of a stored response',
        route: context.routeKey,
        status: begun.response.status,
        challengeId: echo.id,
      })
      return { kind: 'response', response: begun.response }
    }
    if (begun.kind === 'in-flight')
      return plain(409, 'Conflict', 'A request with this Idempotency-Key is in progress.', 1)
    if (begun.kind === 'mismatch')
      return plain(
        422,
        'Unprocessable Content',
        'This Idempotency-Key was used with another request body.',
      )
    record = begun.record
  }
  try {
    const result = await redeemBound(context, credential, method, record)
    if (result.kind === 'response' && record !== undefined)
      await Idempotency.abandon(config.store, record)
    return result
  } catch (error) {
    if (record !== undefined) await Idempotency.abandon(config.store, record).catch(() => undefined)
    throw error
  }
}

async function redeemBound(
  context: Context,
  credential: Credential.Credential,
  // biome-ignore lint/suspicious/noExplicitAny: any configured method
  method: Method.Server<any, any, any>,
  record: Idempotency.Record | undefined,
): Promise<Result> {
  const { config } = context
  const echo = credential.challenge
  const unbound = (reason: string) =>
    refuse(context, new Challenge.UnboundChallengeError(reason), echo.id)
  if (echo.expires === undefined)
    return (
      ownRefusal(context, method, credential, 'challenge-unknown') ??
      unbound('challenge carries no expiry')
    )
  const now = config.now()
  // @enforces charge.verify.not-expired, core.status.invalid-challenge, core.status.payment-expired
  if (
    Expires.isExpired(echo.expires, { now, skewSeconds: config.skewSeconds }) &&
    // A payment begun in time may be finished after the challenge expired.
    (method.redeem !== undefined || !(await resumable(context, credential)))
  )
    return (
      ownRefusal(context, method, credential, 'challenge-expired') ??
      refuse(context, new Expires.ExpiredError(`challenge expired at ${echo.expires}`), echo.id)
    )
  // @enforces core.digest.verify, core.digest.reject-mismatch
  if (echo.digest === undefined) {
    if (context.body.byteLength > 0)
      return unbound('request has a body the challenge does not cover')
  } else if (!BodyDigest.verify(echo.digest, context.body))
    return unbound('request body does not match the challenge digest')

  const decoded = Challenge.decodeRequest(echo)
  const parsedRequest = method.requestSchema.safeParse(decoded)
  if (!parsedRequest.success) return unbound('challenge request does not fit the method')
  const expected = await priceRequest(context, method)
  // @enforces charge.verify.amount, charge.verify.recipient
  for (const field of ['amount', 'currency', 'recipient'])
    if (decoded[field] !== expected[field])
      return unbound(`challenge was issued for another ${field}`)
  const payload = method.payloadSchema.safeParse(credential.payload)
  if (!payload.success)
    return (
      ownRefusal(context, method, credential, 'payload-malformed') ??
      refuse(
        context,
        new Credential.InvalidPayloadError(
          `payload does not match the ${method.method} method's schema`,
        ),
        echo.id,
      )
    )

  // Multi-use methods (sessions) redeem their challenge on every request: no claim.
  if (method.redeem !== undefined)
    return redeemMultiUse({
      context,
      method,
      record,
      ...bound(context, credential, method, payload.data, { decoded, parsed: parsedRequest.data }),
    })

  // Single use: the payment record is the claim; it comes before any money moves.
  return redeemSingle({
    context,
    credential,
    method,
    record,
    ...bound(context, credential, method, payload.data, { decoded, parsed: parsedRequest.data }),
  })
}

/** The method's verify parameters and the payment the handler and hooks will see. */
function bound(
  context: Context,
  credential: Credential.Credential,
  // biome-ignore lint/suspicious/noExplicitAny: any configured method
  method: Method.Server<any, any, any>,
  payload: unknown,
  request: { decoded: Record<string, unknown>; parsed: unknown },
): { verify: Method.VerifyParameters<unknown, Record<string, unknown>>; payment: Payment } {
  const { config } = context
  const echo = credential.challenge
  const store = config.store
  const verify: Method.VerifyParameters<unknown, Record<string, unknown>> = {
    credential: { ...credential, payload: payload as Record<string, unknown> },
    challenge: echo,
    request: request.parsed,
    context: {
      // Idempotent for the payment attempt: a resumed attempt may claim its proof again.
      claim: (key, options) =>
        claimProof(store, `paywire:proof:${method.method}:${key}`, verify.context.attempt, options),
      now: config.now,
      signal: context.request.signal,
    },
  }
  const payment: Payment = {
    challengeId: echo.id,
    realm: echo.realm,
    method: echo.method,
    intent: echo.intent,
    source: credential.source,
    request: request.decoded,
    expires: echo.expires as string,
    receipt: undefined,
  }
  return { verify, payment }
}

/**
 * A method-level proof (a transaction hash, a token) claimed for one payment attempt:
 * the first claimer wins, and the same attempt claiming it again (a retry of the same
 * credential after a timeout or crash) still owns it.
 */
async function claimProof(
  store: Store.Store,
  key: string,
  attempt: { id: string } | undefined,
  options: { ttlSeconds: number },
): Promise<boolean> {
  if (attempt === undefined) return store.claim(key, options)
  if (await store.compareAndSwap(key, null, attempt.id, options)) return true
  return (await store.get(key))?.value === attempt.id
}

/** @internal Logs a verified payment and fires `onVerified`. */
export function verified(context: Context, payment: Payment): void {
  context.config.log({
    level: 'info',
    event: payment.receipt === undefined ? 'verified' : 'settled',
    message: payment.receipt === undefined ? 'payment verified' : 'payment settled',
    route: context.routeKey,
    challengeId: payment.challengeId,
    method: payment.method,
    intent: payment.intent,
  })
  fire(context, context.config.hooks.onVerified, {
    request: context.request,
    route: context.routeKey,
    payment,
  })
}

/** @internal The access policy's verdict on a payment; a hook that throws denies. */
export async function authorized(context: Context, payment: Payment): Promise<boolean> {
  const hook = context.config.hooks.authorize
  if (hook === undefined) return true
  try {
    return (await hook({ request: context.request, route: context.routeKey, payment })) === true
  } catch (error) {
    context.config.log({
      level: 'warn',
      event: 'hook-failed',
      message: `authorize threw ${errorName(error)}; access denied`,
      route: context.routeKey,
      challengeId: payment.challengeId,
    })
    return false
  }
}

function plain(status: number, title: string, detail: string, retryAfter?: number): Result {
  return {
    kind: 'response',
    response: Respond.refusal(status, Respond.plainProblem(status, title, detail), { retryAfter }),
  }
}

function rebuild(request: Request, body: Uint8Array): Request {
  if (request.method === 'GET' || request.method === 'HEAD') return request
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: body.byteLength > 0 ? (body as Uint8Array<ArrayBuffer>) : null,
    signal: request.signal,
  })
}

/**
 * @internal Wraps a store so that its failures are recognised (and answered with 503), and
 * so that no operation holds a paid request longer than `timeoutMs`: one that has not
 * answered by then fails the same way (fail closed; it may still apply later, which only
 * ever consumes a claim or keeps a record).
 */
export function guard(store: Store.Store, options: { timeoutMs: number }): Store.Store {
  const wrap =
    <args extends unknown[], value>(operation: (...args: args) => Promise<value>) =>
    async (...args: args): Promise<value> => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${options.timeoutMs} ms`)),
          options.timeoutMs,
        )
      })
      try {
        return await Promise.race([operation(...args), timedOut])
      } catch (cause) {
        throw new StoreFailure('the store failed', { cause })
      } finally {
        clearTimeout(timer)
      }
    }
  return {
    claim: wrap((key, options) => store.claim(key, options)),
    get: wrap((key) => store.get(key)),
    put: wrap((key, value, options) => store.put(key, value, options)),
    compareAndSwap: wrap((key, expected, value, options) =>
      store.compareAndSwap(key, expected, value, options),
    ),
    delete: wrap((key) => store.delete(key)),
    ...(store.scan === undefined
      ? {}
      : {
          scan: wrap((prefix, options) =>
            (store.scan as NonNullable<typeof store.scan>)(prefix, options),
          ),
        }),
    ...(store.scope === undefined ? {} : { scope: store.scope }),
  }
}

/** @internal A store operation failed: no payment is accepted while it does. */
export class StoreFailure extends Errors.BaseError {
  override readonly name = 'Paywire.StoreFailure'
  readonly code = 'ERR_PAYWIRE_STORE'
  readonly problem = undefined
}

/**
 * The method's own refusal for a credential refused before the method sees it (see
 * `Method.Server.refusal`), or `undefined` to keep the core one. A method whose hook
 * throws keeps the core refusal: the hook cannot turn a refusal into anything else.
 */
function ownRefusal(
  context: Context,
  // biome-ignore lint/suspicious/noExplicitAny: any configured method
  method: Method.Server<any, any, any>,
  credential: Credential.Credential,
  reason: Method.RefusalReason,
): Promise<Result> | undefined {
  let own: Method.Refusal | undefined
  try {
    own = method.refusal?.({ reason, payload: credential.payload })
  } catch {
    return undefined
  }
  if (own === undefined || !(own.error instanceof Errors.BaseError)) return undefined
  return refuse(context, own.error, credential.challenge.id, own.status ?? own.error.status ?? 402)
}
