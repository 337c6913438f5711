// The fetch-style core of a paid HTTP server (draft-httpauth-payment §"Status Codes",
// §"Challenge Binding", §"Replay Protection", §"Idempotency and Side Effects",
// §"Concurrent Request Handling", §"Caching"). It speaks only web-standard Request and
// Response; the Node, Express, Fastify and Hono bindings translate to it.
import {
  AuthParams,
  Errors,
  Expires,
  Intent,
  type Method,
  type Receipt,
  Secret,
  type Store,
} from '@paywire/core'
import { charge, guard, unexpected } from './internal/charge.js'
import type { CheckedRoute, Config } from './internal/config.js'
import * as Respond from './internal/respond.js'
import { checkStaticPrice, warnLocalStore } from './internal/startup.js'
import * as Routes from './Route.js'

/** Default lifetime of an issued challenge, in seconds. */
export const defaultExpiresIn = 300
/** Default limit on a request body paywire reads to check its digest, in bytes. */
export const defaultMaxBodyBytes = 1_048_576
/** Longest wait for one store operation, in ms, by default: 10 s. */
export const defaultStoreTimeoutMs = 10_000
/** The environment variable the binding secret is read from when no `secret` is given. */
export const secretEnvironmentVariable = 'PAYWIRE_SECRET_KEY'

/**
 * Configures a paid server once: realm, binding secret, methods, store, expiry, hooks.
 * Refuses at once (throws {@link ConfigurationError} or `Secret.InvalidSecretError`) when
 * the configuration could not protect money: no or weak secret, no method, a test-only
 * method without `allowTestMethods`, a realm that cannot travel in a header.
 *
 * @example
 * ```ts
 * import { Paywire } from '@paywire/server'
 * import { MemoryStore } from '@paywire/store-memory'
 * import { TestMethod } from '@paywire/testkit'
 *
 * const paywire = Paywire.create({
 *   realm: 'api.example.com',
 *   secret: process.env.PAYWIRE_SECRET_KEY,
 *   methods: [TestMethod.server({ key: 'shared-test-key' })],
 *   allowTestMethods: true,
 *   store: MemoryStore.create(),
 * })
 * const handler = paywire.protect({ price: { amount: '1000' } }, () => new Response('paid content'))
 * ```
 */
export function create(options: create.Options): Paywire {
  const config = configure(options)
  warnLocalStore(options.store, config.log)
  // Routes are checked once per server: their offers depend on this configuration.
  const checked = new WeakMap<Route, CheckedRoute>()
  const check = (route: Route): CheckedRoute => {
    const found = checked.get(route) ?? checkRoute(config, route)
    checked.set(route, found)
    return found
  }
  const paywire: Paywire = {
    realm: config.realm,
    charge: (request, route) => charge(config, request, check(route)),
    protect(route, handler) {
      const checkedRoute = check(route)
      return async (request) => {
        const result = await charge(config, request, checkedRoute)
        if (result.kind === 'response') return result.response
        let response: Response
        try {
          response = await handler(result.request, result.payment)
        } catch (error) {
          // The handler failed: answer 500, which carries no receipt (and in
          // `after-success` mode takes nothing: the hold is given back).
          response = unexpected(config, Routes.key(request), error, 'handler')
        }
        return result.complete(response)
      }
    },
    checkRoute: (route) => void check(route),
    fail: (request, error) => failure(config, request, error),
  }
  return paywire
}

export declare namespace create {
  type Options = {
    /** The protection space, bound into every challenge. Configure it; never derive it from `Host`. */
    realm: string
    /** The binding secret (≥ 32 bytes). Default: the `PAYWIRE_SECRET_KEY` environment variable. */
    secret?: string | Uint8Array | undefined
    /** Earlier secrets still accepted during a rotation, until their challenges expire. */
    previousSecrets?: ReadonlyArray<string | Uint8Array> | undefined
    /** The server halves of the payment methods offered, in preference order. */
    // biome-ignore lint/suspicious/noExplicitAny: each method has its own input, request and payload types
    methods: ReadonlyArray<Method.Server<any, any, any>>
    /**
     * Where single-use claims and idempotent responses are kept. Every instance of the
     * realm must share it: a process-local store (`scope: 'process'`, the memory store)
     * behind a server run as several processes is reported at startup (a warning log).
     */
    store: Store.Store
    /**
     * Longest wait for one store operation, in ms (default {@link defaultStoreTimeoutMs}):
     * past it the paid request fails closed with 503 (no handler, no receipt).
     */
    storeTimeoutMs?: number | undefined
    /** Challenge lifetime in seconds (default {@link defaultExpiresIn}). */
    expiresIn?: number | undefined
    /** Clock disagreement tolerated when checking `expires`, in seconds (default 30). */
    skewSeconds?: number | undefined
    /** Mount methods marked `testOnly` (which move no money). Never in production. */
    allowTestMethods?: boolean | undefined
    /**
     * Mount methods whose intent is not in the IANA "HTTP Payment Intents" registry (see
     * `Intent.registered` in `@paywire/core`). The core draft requires registered intents;
     * set this only to experiment with an intent still being specified.
     */
    allowUnregisteredIntents?: boolean | undefined
    /**
     * Payment messages travel only over TLS (core draft, Transport Security). A request that
     * did not arrive over HTTPS gets 403 with no challenge, and its credential is not read:
     * - `'loopback'` (default): plain HTTP is allowed only when the request names a loopback
     *   host (`localhost`, `127.0.0.0/8`, `[::1]`), for development and tests;
     * - `'refuse'`: never;
     * - `'allow'`: always (only behind a TLS-terminating proxy you trust; prefer
     *   `trustForwardedProto`).
     */
    plaintext?: 'loopback' | 'refuse' | 'allow' | undefined
    /**
     * Treat `X-Forwarded-Proto: https` as proof that the request arrived over TLS. Set it
     * only when a proxy you control terminates TLS and overwrites that header.
     */
    trustForwardedProto?: boolean | undefined
    /**
     * `Retry-After` on every 402, in seconds (core draft, Retry Behavior: servers SHOULD say
     * when clients may retry). Default 0: a client may answer the fresh challenges at once.
     * `false` sends no `Retry-After`.
     */
    retryAfter?: number | false | undefined
    /** Largest request body read, in bytes (default {@link defaultMaxBodyBytes}); larger gets 413. */
    maxBodyBytes?: number | undefined
    /**
     * `Idempotency-Key` replays: settings, or `false` to ignore the header. With `false`, a
     * retried paid request is charged again (a session request is redeemed again): say so
     * to your clients (draft-tempo-session §"Request Idempotency").
     */
    idempotency?: IdempotencyOptions | false | undefined
    /**
     * The payment record kept per single-use challenge (docs/security.md, "The
     * after-success model"): how long a request may hold it, how long an open one is kept,
     * and when reconciliation treats an undelivered payment as unclaimed.
     */
    payments?: PaymentsOptions | undefined
    /** Lifecycle hooks for metrics, audit and access policy. */
    hooks?: Hooks | undefined
    /** Receives one entry per event; entries never hold credentials, receipts or secrets. */
    logger?: ((entry: LogEntry) => void) | undefined
    /** The clock, in milliseconds (default `Date.now`). */
    now?: (() => number) | undefined
    /**
     * An OpenTelemetry tracer (`trace.getTracer('paywire')` from `@opentelemetry/api`, or
     * anything of the same shape): one span per decision, never with credential content.
     */
    tracer?: Tracer | undefined
  }
}

/**
 * The part of an OpenTelemetry `Tracer` paywire uses; `@opentelemetry/api` tracers fit.
 * Spans are named `paywire.charge` and carry `http.request.method`, `paywire.route`,
 * `paywire.outcome` (`challenge`, `refused`, `paid`, `replayed`), `http.response.status_code`
 * and, once a credential names one, `paywire.challenge_id`, `paywire.method`, `paywire.intent`.
 */
export type Tracer = {
  startSpan(name: string, options?: { attributes?: Record<string, string | number> }): Span
}

/** The part of an OpenTelemetry `Span` paywire uses. */
export type Span = {
  setAttribute(key: string, value: string | number | boolean): unknown
  /** `code` 2 is OpenTelemetry's `ERROR`. */
  setStatus(status: { code: number; message?: string }): unknown
  end(): void
}

/** A configured paid server. */
export type Paywire = {
  /** The configured realm. */
  readonly realm: string
  /**
   * Decides a request against a route: either a ready response (402 with challenges, or
   * another refusal, or an idempotent replay), or a paid result whose `complete` wraps the
   * handler's response with the receipt.
   */
  charge(request: Request, route: Route): Promise<Result>
  /** A fetch handler that serves `handler` only to paid requests. */
  protect(route: Route, handler: Handler): (request: Request) => Promise<Response>
  /** Throws {@link ConfigurationError} if a route could not be served as configured. */
  checkRoute(route: Route): void
  /**
   * Logs an error a binding met before the core could decide (a {@link ConfigurationError}
   * such as a body read by a parser mounted before paywire, with its message) and returns
   * the 500 problem response to answer with. The response names no configuration detail;
   * the log entry and the error do. Bindings call it; applications rarely need to.
   *
   * @example
   * ```ts
   * declare const paywire: import('@paywire/server').Paywire.Paywire
   * const response = paywire.fail({ method: 'POST', url: 'https://api.example.com/order' }, new Error('boom'))
   * response.status // 500
   * ```
   */
  fail(request: Pick<Request, 'method' | 'url'>, error: unknown): Response
}

/** What a paid request's handler receives: the request (body intact) and the payment. */
export type Handler = (request: Request, payment: Payment) => Response | Promise<Response>

/** A protected route: its price and how it is charged. */
export type Route = {
  /**
   * The input given to each method's `request()` (e.g. `{ amount: '1000' }` for the
   * test method), or a function of the request and the offered method for dynamic prices.
   */
  price: Price
  /** Methods offered on this route, as `method` or `method/intent` (default: all). */
  methods?: readonly string[] | undefined
  /** Display text for the challenge; never used for verification. Latin-1 only. */
  description?: string | undefined
  /** Challenge lifetime for this route, in seconds. */
  expiresIn?: number | undefined
  /**
   * The request field the credential must come in (draft-httpauth-payment-01): the
   * default `Authorization`, or `Payment-Authorization` for an API that uses
   * `Authorization` itself (`Bearer` tokens): its challenges then carry
   * `header="Payment-Authorization"`, and a credential is accepted only from the field its
   * challenge selected. Clients that know only draft -00 cannot pay such a route.
   */
  credentialField?: 'Authorization' | 'Payment-Authorization' | undefined
  /**
   * When money moves: `before-handler` (default) settles before the handler runs;
   * `after-success` checks the proof (or holds the money, for methods with `hold`) before
   * the handler and takes the payment only when the handler answers 2xx; otherwise
   * nothing is taken. Either way the handler runs at most once per challenge: the
   * challenge is spent once it starts (every method needs `check`; docs/security.md,
   * "The after-success model").
   */
  settle?: SettleMode | undefined
}

/** When a route settles payment. */
export type SettleMode = 'before-handler' | 'after-success'

/** A static price input, or a function of the request and the offer being priced. */
export type Price = unknown

/** A method and intent a route offers. */
export type Offer = { method: string; intent: string }

/** The outcome of {@link Paywire.charge}. */
export type Result = Result.Response | Result.Paid

export declare namespace Result {
  /** Answer with this response; no handler runs. */
  type Response = { kind: 'response'; response: globalThis.Response }
  /** Paid (or, in `after-success` mode, verified): run the handler, then `complete`. */
  type Paid = {
    kind: 'paid'
    /** The request to hand to the handler: same method, URL and headers, body intact. */
    request: Request
    /** The request body as read. */
    body: Uint8Array
    payment: Payment
    /**
     * Finishes the request with the handler's response: receipt and `Cache-Control:
     * private` on 2xx (never on an error), settlement in `after-success` mode, storage for
     * `Idempotency-Key` retries. Streams pass through unless an idempotent response is kept.
     */
    complete(response: globalThis.Response): Promise<globalThis.Response>
    /**
     * For bindings that write to a socket themselves (`before-handler` mode only): the
     * headers to add to a response with this status, given its current `Cache-Control`.
     */
    receiptHeaders(status: number, cacheControl?: string | null): Record<string, string>
    /** Whether the binding must report the response through `record` (Idempotency-Key). */
    readonly idempotent: boolean
    /** For such bindings: keeps the response for idempotent retries. */
    record(response: globalThis.Response): Promise<void>
  }
}

/** A verified payment, as the handler and the hooks see it. */
export type Payment = {
  challengeId: string
  realm: string
  method: string
  intent: string
  /** The payer identifier the credential names, if any (not authenticated by paywire). */
  source: string | undefined
  /** The decoded `request` of the challenge that was paid. */
  request: Record<string, unknown>
  expires: string
  /** The receipt; `undefined` until settlement in `after-success` mode. */
  receipt: Receipt.Receipt | undefined
}

/** Settings of `Idempotency-Key` replays. */
export type IdempotencyOptions = {
  /** How long a completed response is kept, in seconds (default 86,400). */
  ttlSeconds?: number | undefined
  /** How long a request may run before its record is dropped, in seconds (default 120). */
  inFlightSeconds?: number | undefined
  /** Largest response body kept for replay, in bytes (default 1 MiB). */
  maxResponseBytes?: number | undefined
}

/** Settings of the payment records (see {@link create.Options.payments}). */
export type PaymentsOptions = {
  /**
   * How long one request may work on a payment before a retry of the same credential
   * may take it over, in seconds (default 120). Longer than the slowest payment call plus
   * the slowest handler.
   */
  leaseSeconds?: number | undefined
  /**
   * How long a payment that is not finished (pending, running, settling) is kept for a
   * retry and for reconciliation, in seconds (default 30 days).
   */
  recordTtlSeconds?: number | undefined
  /**
   * After how long an unfinished payment counts as unclaimed: reconciliation then gives
   * back what was held and refunds what was taken (default 3,600 seconds).
   */
  unclaimedAfterSeconds?: number | undefined
}

/** Lifecycle hooks. Errors thrown by the event hooks are logged and never change a response. */
export type Hooks = {
  /** Challenges were issued (a 402). */
  onChallenge?: ((event: Event & { challengeIds: readonly string[] }) => unknown) | undefined
  /** A credential passed every check and the method verified it. */
  onVerified?: ((event: Event & { payment: Payment }) => unknown) | undefined
  /** Money moved: the method settled the payment. */
  onSettled?:
    | ((event: Event & { payment: Payment; receipt: Receipt.Receipt }) => unknown)
    | undefined
  /** A request carrying a credential was refused. */
  onFailed?: ((event: Event & Refusal) => unknown) | undefined
  /**
   * Rate limiting (draft-httpauth-payment §"Denial of Service"): called before a challenge
   * is issued (`attempt: 'challenge'`) and before a credential is checked (`attempt:
   * 'credential'`). Resolve a number of seconds to refuse with 429 and that `Retry-After`;
   * resolve 0 or `undefined` to go on. A throttle that throws fails the request (500).
   */
  throttle?:
    | ((
        event: Event & { attempt: 'challenge' | 'credential' },
      ) => number | undefined | Promise<number | undefined>)
    | undefined
  /**
   * Access policy for a verified payment: resolve `false` to answer 403 without a
   * challenge. Runs after settlement in `before-handler` mode (the payment is kept, as the
   * draft's status table says) and before it in `after-success` mode (no money moves).
   * A hook that throws denies.
   */
  authorize?: ((event: Event & { payment: Payment }) => boolean | Promise<boolean>) | undefined
}

/** What every hook event carries. */
export type Event = { request: Request; route: string }

/** Why a request was refused. */
export type Refusal = {
  status: number
  /** The problem type URI of the answer. */
  problem: string
  /** The paywire error code, e.g. `ERR_CHALLENGE_UNBOUND`. */
  code: string | undefined
  challengeId: string | undefined
}

/** One log entry. Never holds a credential, a receipt, a body or a secret. */
export type LogEntry = {
  level: 'info' | 'warn' | 'error'
  event: 'challenge' | 'refused' | 'verified' | 'settled' | 'replayed' | 'hook-failed' | 'error'
  message: string
  route: string
  status?: number | undefined
  challengeId?: string | undefined
  method?: string | undefined
  intent?: string | undefined
  code?: string | undefined
}

function configure(options: create.Options): Config {
  if (typeof options.realm !== 'string' || options.realm === '')
    throw new ConfigurationError('realm must be a non-empty string')
  assertHeaderSafe('realm', options.realm)
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env
  // @enforces core.secret.server-only
  const secretInput = options.secret ?? env?.[secretEnvironmentVariable]
  if (secretInput === undefined || secretInput === '')
    throw new ConfigurationError(`no secret: pass \`secret\` or set ${secretEnvironmentVariable}`)
  const methods = options.methods ?? []
  if (methods.length === 0) throw new ConfigurationError('at least one method is required')
  const seen = new Set<string>()
  for (const method of methods) {
    const name = `${method.method}/${method.intent}`
    if (!/^[a-z]+$/.test(method.method) || !/^[A-Za-z0-9-]+$/.test(method.intent))
      throw new ConfigurationError(`method ${name} is not a valid method/intent pair`)
    if (seen.has(name)) throw new ConfigurationError(`method ${name} is configured twice`)
    seen.add(name)
    // @enforces core.challenge.intent.registered
    if (!Intent.isRegistered(method.intent) && options.allowUnregisteredIntents !== true)
      throw new ConfigurationError(
        `method ${name} uses intent "${method.intent}", which is not registered; set allowUnregisteredIntents to mount it`,
      )
    if (method.testOnly === true && options.allowTestMethods !== true)
      throw new ConfigurationError(
        `method ${name} is test-only (it moves no money); set allowTestMethods to mount it`,
      )
  }
  if (options.store === undefined) throw new ConfigurationError('a store is required')
  const idempotency =
    options.idempotency === false
      ? undefined
      : {
          ttlSeconds: positive('idempotency.ttlSeconds', options.idempotency?.ttlSeconds, 86_400),
          inFlightSeconds: positive(
            'idempotency.inFlightSeconds',
            options.idempotency?.inFlightSeconds,
            120,
          ),
          maxResponseBytes: positive(
            'idempotency.maxResponseBytes',
            options.idempotency?.maxResponseBytes,
            1_048_576,
          ),
        }
  const logger = options.logger
  return {
    realm: options.realm,
    secret: Secret.from(secretInput),
    previousSecrets: (options.previousSecrets ?? []).map((secret) => Secret.from(secret)),
    methods,
    store: guard(options.store, {
      timeoutMs: positive('storeTimeoutMs', options.storeTimeoutMs, defaultStoreTimeoutMs),
    }),
    expiresIn: positive('expiresIn', options.expiresIn, defaultExpiresIn),
    skewSeconds: nonNegative('skewSeconds', options.skewSeconds, Expires.defaultSkewSeconds),
    maxBodyBytes: positive('maxBodyBytes', options.maxBodyBytes, defaultMaxBodyBytes),
    idempotency,
    hooks: options.hooks ?? {},
    log: (entry) => {
      try {
        logger?.(entry)
      } catch {
        // A failing logger must not turn a payment decision into an error.
      }
    },
    now: options.now ?? Date.now,
    tracer: options.tracer,
    plaintext: oneOf('plaintext', options.plaintext, ['loopback', 'refuse', 'allow'], 'loopback'),
    trustForwardedProto: options.trustForwardedProto === true,
    retryAfter:
      options.retryAfter === false
        ? undefined
        : nonNegativeInteger('retryAfter', options.retryAfter, 0),
    payments: {
      leaseSeconds: positive('payments.leaseSeconds', options.payments?.leaseSeconds, 120),
      recordTtlSeconds: positive(
        'payments.recordTtlSeconds',
        options.payments?.recordTtlSeconds,
        30 * 86_400,
      ),
      unclaimedAfterSeconds: positive(
        'payments.unclaimedAfterSeconds',
        options.payments?.unclaimedAfterSeconds,
        3_600,
      ),
    },
  }
}

function failure(
  config: Config,
  request: Pick<Request, 'method' | 'url'>,
  error: unknown,
): Response {
  if (!(error instanceof ConfigurationError)) return unexpected(config, routeKey(request), error)
  config.log({
    level: 'error',
    event: 'error',
    // A configuration message names the mistake and never holds request content or secrets.
    message: `paywire is misconfigured: ${error.message}`,
    route: routeKey(request),
    status: 500,
    code: error.code,
  })
  return Respond.refusal(
    500,
    Respond.plainProblem(
      500,
      'Internal Server Error',
      'The server is misconfigured for payments; its log says how.',
    ),
  )
}

function routeKey(request: Pick<Request, 'method' | 'url'>): string {
  try {
    return Routes.key(request)
  } catch {
    return `${request.method.toUpperCase()} ${request.url}`
  }
}

function oneOf<value extends string>(
  name: string,
  given: value | undefined,
  allowed: readonly value[],
  fallback: value,
): value {
  if (given === undefined) return fallback
  if (!allowed.includes(given))
    throw new ConfigurationError(`${name} must be one of ${allowed.join(', ')}`)
  return given
}

function checkRoute(config: Config, route: Route): CheckedRoute {
  if (route === null || typeof route !== 'object' || !('price' in route))
    throw new ConfigurationError('a route needs a price')
  const offers =
    route.methods === undefined
      ? config.methods
      : route.methods.map((name) => {
          const found = config.methods.filter(
            (method) => name === method.method || name === `${method.method}/${method.intent}`,
          )
          if (found.length === 0)
            throw new ConfigurationError(`route names method ${name}, which is not configured`)
          return found
        })
  const flat = offers.flat()
  if (flat.length === 0) throw new ConfigurationError('a route must offer at least one method')
  checkStaticPrice(route, flat)
  if (route.description !== undefined) assertHeaderSafe('description', route.description)
  if (
    route.credentialField !== undefined &&
    route.credentialField !== 'Authorization' &&
    route.credentialField !== 'Payment-Authorization'
  )
    throw new ConfigurationError(
      `credentialField must be 'Authorization' or 'Payment-Authorization'`,
    )
  const settle = route.settle ?? 'before-handler'
  if (settle !== 'before-handler' && settle !== 'after-success')
    throw new ConfigurationError(`settle must be 'before-handler' or 'after-success'`)
  if (settle === 'after-success')
    for (const method of flat)
      if (typeof method.check !== 'function')
        throw new ConfigurationError(
          `method ${method.method}/${method.intent} has no check(): it cannot settle after success`,
        )
  return {
    ...route,
    offers: [...new Set(flat)],
    settle,
    expiresIn: positive('route.expiresIn', route.expiresIn, config.expiresIn),
  }
}

function assertHeaderSafe(name: string, value: string): void {
  try {
    AuthParams.quote(name, value)
  } catch (cause) {
    throw new ConfigurationError(`${name} cannot be carried in a header field`, { cause })
  }
  for (const char of value)
    if ((char.codePointAt(0) ?? 0) > 0xff)
      throw new ConfigurationError(`${name} must be Latin-1 text to travel in a header field`)
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value <= 0)
    throw new ConfigurationError(`${name} must be a positive number, found ${value}`)
  return value
}

function nonNegativeInteger(name: string, value: number | undefined, fallback: number): number {
  const checked = nonNegative(name, value, fallback)
  if (!Number.isInteger(checked))
    throw new ConfigurationError(`${name} must be a whole number of seconds, found ${checked}`)
  return checked
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value < 0)
    throw new ConfigurationError(`${name} must be a non-negative number, found ${value}`)
  return value
}

/** Raised when a server or route configuration could not protect payments as asked. */
export class ConfigurationError extends Errors.BaseError {
  override readonly name = 'Paywire.ConfigurationError'
  readonly code = 'ERR_PAYWIRE_CONFIGURATION'
  readonly problem = undefined
}
