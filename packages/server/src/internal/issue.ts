// Issuing challenges (draft-httpauth-payment §"Challenge (WWW-Authenticate)",
// §"Client Payment Preferences", §"Request Body Digest Binding") and the refusals that
// carry them. Each challenge is HMAC-bound and unique: `opaque` holds the route and a
// random nonce, so two payers never receive the same challenge id.
import {
  AcceptPayment,
  Base64Url,
  BodyDigest,
  Challenge,
  Errors,
  Expires,
  type Method,
  Problem,
} from '@paywire/core'
import { ConfigurationError, type Result } from '../Paywire.js'
import type { CheckedRoute, Config } from './config.js'
import * as Respond from './respond.js'

/** @internal What every step of a decision knows about the request. */
export type Context = {
  config: Config
  route: CheckedRoute
  /** The request with its body buffered, as the handler will see it. */
  request: Request
  body: Uint8Array
  routeKey: string
}

// @enforces core.challenge.realm.required, core.side-effects.challenge-only, core.cache.challenge-not-reused, core.accept-payment.absent
/** @internal Fresh challenges for a request, ordered by its `Accept-Payment`. */
export async function issue(context: Context): Promise<Challenge.Challenge[]> {
  const { config, route } = context
  const offers = AcceptPayment.negotiate(
    route.offers.map((server) => ({ method: server.method, intent: server.intent, server })),
    context.request.headers.get('accept-payment'),
  )
  const now = config.now()
  const challenges: Challenge.Challenge[] = []
  for (const offer of offers) {
    const request = await priceRequest(context, offer.server)
    challenges.push(
      Challenge.from(
        {
          realm: config.realm,
          method: offer.method,
          intent: offer.intent,
          request,
          expires: Expires.inSeconds(route.expiresIn, now),
          digest: context.body.byteLength > 0 ? BodyDigest.compute(context.body) : undefined,
          description: route.description,
          opaque: { route: context.routeKey, nonce: nonce() },
          // @enforces core.header.value
          header:
            route.credentialField === Challenge.paymentAuthorization
              ? Challenge.paymentAuthorization
              : undefined,
        },
        { secret: config.secret },
      ),
    )
  }
  return challenges
}

/**
 * @internal The `request` object a method asks for this route now: the route's price
 * (static, or computed from the request) given to the method, checked by its schema.
 */
export async function priceRequest(
  context: Context,
  // biome-ignore lint/suspicious/noExplicitAny: any configured method
  method: Method.Server<any, any, any>,
): Promise<Record<string, unknown>> {
  const price = context.route.price
  const input =
    typeof price === 'function'
      ? await price(context.request.clone(), { method: method.method, intent: method.intent })
      : price
  const request = await method.request(input, { settle: context.route.settle })
  const parsed = method.requestSchema.safeParse(request)
  if (!parsed.success || request === null || typeof request !== 'object')
    throw new ConfigurationError(
      `the route's price does not give ${method.method}/${method.intent} a valid request`,
      { cause: parsed.error },
    )
  return request as Record<string, unknown>
}

// @enforces core.status.payment-required
/** @internal 402 with fresh challenges and the `payment-required` problem. */
export async function challenge(context: Context): Promise<Result.Response> {
  const challenges = await issue(context)
  const response = Respond.paymentRequired(
    challenges,
    Problem.from('payment-required', { detail: 'Payment is required for this resource.' }),
    context.config.retryAfter,
  )
  announce(context, challenges)
  return { kind: 'response', response }
}

// @enforces core.status.402-with-challenge
/**
 * @internal Refuses a request that carried a credential: 402 with fresh challenges when
 * the problem type is a 402 one, otherwise its own status (400) without a challenge.
 */
export async function refuse(
  context: Context,
  error: Errors.BaseError,
  challengeId: string | undefined,
  status: number | undefined = error.status,
  extensions?: Record<string, unknown> | undefined,
  options: { retryAfter?: number | undefined } = {},
): Promise<Result.Response> {
  const problem = error.toProblem(extensions) ?? Problem.from('verification-failed')
  let response: Response
  if (status === 402) {
    const challenges = await issue(context)
    response = Respond.paymentRequired(challenges, problem, context.config.retryAfter)
    announce(context, challenges)
  } else response = Respond.refusal(status ?? 400, problem, options)
  report(context, {
    status: response.status,
    problem: problem.type,
    code: error.code,
    challengeId,
  })
  return { kind: 'response', response }
}

// @enforces core.status.policy-denied
/** @internal 403 without a challenge: the payment verified, the access policy said no. */
export function deny(context: Context, challengeId: string): Result.Response {
  const response = Respond.refusal(
    403,
    Respond.plainProblem(403, 'Forbidden', 'Access to this resource is denied by policy.'),
  )
  report(context, { status: 403, problem: 'about:blank', code: undefined, challengeId })
  return { kind: 'response', response }
}

/** @internal Calls an event hook; its errors are logged and never change a response. */
export function fire<event>(
  context: Context,
  hook: ((event: event) => unknown) | undefined,
  event: event,
): void {
  if (hook === undefined) return
  const failed = (error: unknown) =>
    context.config.log({
      level: 'warn',
      event: 'hook-failed',
      message: `a lifecycle hook threw ${errorName(error)}`,
      route: context.routeKey,
    })
  try {
    const result = hook(event)
    if (result instanceof Promise) result.catch(failed)
  } catch (error) {
    failed(error)
  }
}

// @enforces core.credential.no-log, core.secret.no-log
/** @internal A loggable name for an error: its class and code, never its message. */
export function errorName(error: unknown): string {
  if (error instanceof Errors.BaseError) return `${error.name} (${error.code})`
  return error instanceof Error ? error.name : typeof error
}

function announce(context: Context, challenges: readonly Challenge.Challenge[]): void {
  const challengeIds = challenges.map((challenge) => challenge.id)
  context.config.log({
    level: 'info',
    event: 'challenge',
    message: `issued ${challenges.length} challenge(s)`,
    route: context.routeKey,
    status: 402,
    challengeId: challengeIds[0],
  })
  fire(context, context.config.hooks.onChallenge, {
    request: context.request,
    route: context.routeKey,
    challengeIds,
  })
}

function report(
  context: Context,
  refusal: {
    status: number
    problem: string
    code: string | undefined
    challengeId: string | undefined
  },
): void {
  context.config.log({
    level: 'info',
    event: 'refused',
    message: `refused: ${refusal.problem}`,
    route: context.routeKey,
    status: refusal.status,
    challengeId: refusal.challengeId,
    code: refusal.code,
  })
  fire(context, context.config.hooks.onFailed, {
    request: context.request,
    route: context.routeKey,
    ...refusal,
  })
}

// @enforces core.cache.challenge-not-reused
function nonce(): string {
  return Base64Url.encode(crypto.getRandomValues(new Uint8Array(16)))
}
