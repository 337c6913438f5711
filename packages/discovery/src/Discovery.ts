// Service discovery for the Payment scheme (draft-payment-discovery §"OpenAPI Discovery",
// §"Caching", §"Cross-Origin Requests", §"Relationship to the 402 Challenge"): build the
// OpenAPI document of a paid server from its @paywire/server routes, serve it at
// /openapi.json, and read and check it on the client side. Discovery is advisory: a
// client pays what the 402 challenge says, never what a document said.
import { Errors, type Method } from '@paywire/core'
import type { Paywire } from '@paywire/server'
import { z } from 'zod'
import * as Fetching from './internal/fetchDocument.js'
import * as PaymentInfo from './PaymentInfo.js'
import * as ServiceInfo from './ServiceInfo.js'

/**
 * Where the document is served (draft §"Document Location").
 * @example
 * ```ts
 * import { Discovery } from '@paywire/discovery'
 * Discovery.path // '/openapi.json'
 * ```
 */
export const path = '/openapi.json'

/**
 * The OpenAPI version of the documents built here.
 * @example
 * ```ts
 * import { Discovery } from '@paywire/discovery'
 * Discovery.openapiVersion // '3.1.0'
 * ```
 */
export const openapiVersion = '3.1.0'

/**
 * The headers the document is served with: JSON, cacheable for 5 minutes, any origin.
 * @example
 * ```ts
 * import { Discovery } from '@paywire/discovery'
 * Discovery.headers['cache-control'] // 'max-age=300'
 * ```
 */
export const headers = {
  'content-type': 'application/json',
  'cache-control': 'max-age=300',
  'access-control-allow-origin': '*',
} as const

/**
 * The OpenAPI HTTP methods an operation can be declared under.
 * @example
 * ```ts
 * import { Discovery } from '@paywire/discovery'
 * Discovery.httpMethods.includes('post') // true
 * ```
 */
export const httpMethods = [
  'get',
  'put',
  'post',
  'delete',
  'options',
  'head',
  'patch',
  'trace',
] as const

/**
 * An operation of a discovery document; payable ones carry `x-payment-info` and a 402.
 * @example
 * ```ts
 * import { Discovery } from '@paywire/discovery'
 * Discovery.operationSchema.safeParse({ 'x-payment-info': { intent: 'charge', method: 'tempo', amount: '1' } }).success // false: no 402 response
 * ```
 */
export const operationSchema = z
  .looseObject({
    [PaymentInfo.extension]: PaymentInfo.schema.optional(),
    responses: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((operation, context) => {
    if (
      operation[PaymentInfo.extension] !== undefined &&
      !Object.hasOwn(operation.responses ?? {}, '402')
    )
      context.addIssue({
        code: 'custom',
        path: ['responses', '402'],
        message: 'a payable operation must declare a 402 response',
      })
  })

/**
 * A discovery document: an OpenAPI 3.x document with the draft's extensions.
 * @example
 * ```ts
 * import { Discovery } from '@paywire/discovery'
 * declare const body: unknown
 * const checked = Discovery.schema.safeParse(body)
 * ```
 */
export const schema = z
  .looseObject({
    openapi: z.string().regex(/^3\.\d+\.\d+$/, 'openapi must be a 3.x version such as "3.1.0"'),
    info: z.looseObject({ title: z.string().min(1), version: z.string().min(1) }),
    [ServiceInfo.extension]: ServiceInfo.schema.optional(),
    paths: z
      .record(
        z.string(),
        z.looseObject(
          Object.fromEntries(httpMethods.map((name) => [name, operationSchema.optional()])),
        ),
      )
      .refine((paths) => Object.keys(paths).length > 0, 'paths must hold at least one path'),
  })
  .meta({ title: 'Discovery document', description: 'draft-payment-discovery §4' })

/**
 * A discovery document.
 * @example
 * ```ts
 * import { Discovery } from '@paywire/discovery'
 * declare const document: Discovery.Document
 * document.paths['/forecast']?.get?.['x-payment-info']
 * ```
 */
export type Document = z.infer<typeof schema>

/**
 * One operation of a paid server, in @paywire/server terms.
 * @example
 * ```ts
 * import type { Discovery } from '@paywire/discovery'
 * const forecast: Discovery.Operation = { method: 'GET', path: '/forecast', route: { price: { amount: '100' } } }
 * ```
 */
export type Operation = {
  /** HTTP method, e.g. `POST`. */
  method: string
  /** The OpenAPI path, e.g. `/v1/forecast` or `/v1/items/{id}`. */
  path: string
  /** The paywire route when the operation is paid; absent for a free operation. */
  route?: Paywire.Route | undefined
  /** Offers to publish instead of those computed from the route's price. */
  offers?: readonly PaymentInfo.Offer[] | undefined
  summary?: string | undefined
  description?: string | undefined
  operationId?: string | undefined
  /** The OpenAPI `requestBody` (its input schema), advised for every operation. */
  requestBody?: Record<string, unknown> | undefined
  parameters?: readonly Record<string, unknown>[] | undefined
  /** Responses besides the `402` added to payable operations (default a `200`). */
  responses?: Record<string, unknown> | undefined
}

/**
 * Builds the discovery document of a paid server: each paid route gets `x-payment-info`
 * with one offer per method it accepts (amount and currency from the method's `request`
 * for the route's price; `amount: null` when the price is a function of the request)
 * and a `402` response.
 *
 * @throws {InvalidDocumentError} when the result would not be a valid discovery document.
 * @example
 * ```ts
 * import { Discovery } from '@paywire/discovery'
 * import { TestMethod } from '@paywire/testkit'
 * const document = await Discovery.document({
 *   info: { title: 'Weather API', version: '1.0.0' },
 *   serviceInfo: { categories: ['data'] },
 *   methods: [TestMethod.server({ key: 'shared-test-key' })],
 *   operations: [{ method: 'GET', path: '/forecast', summary: 'Tomorrow', route: { price: { amount: '100' } } }],
 * })
 * ```
 */
export async function document(options: document.Options): Promise<Document> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const operation of options.operations) {
    const method = operation.method.toLowerCase()
    if (!(httpMethods as readonly string[]).includes(method))
      throw new InvalidDocumentError(`${operation.method} is not an OpenAPI operation method`)
    const item = paths[operation.path] ?? {}
    if (Object.hasOwn(item, method))
      throw new InvalidDocumentError(`${operation.method} ${operation.path} is declared twice`)
    item[method] = await describe(operation, options.methods)
    paths[operation.path] = item
  }
  const built = {
    openapi: openapiVersion,
    info: options.info,
    ...(options.serviceInfo === undefined ? {} : { [ServiceInfo.extension]: options.serviceInfo }),
    ...(options.servers === undefined ? {} : { servers: options.servers }),
    paths,
  }
  return parse(built)
}

export declare namespace document {
  type Options = {
    /** OpenAPI `info`: `title` (the service name) and `version` are required. */
    info: { title: string; version: string; description?: string | undefined }
    /** The `x-service-info` extension. */
    serviceInfo?: ServiceInfo.ServiceInfo | undefined
    /** OpenAPI `servers`. */
    servers?: readonly { url: string; description?: string }[] | undefined
    /** The server halves of the methods, as given to `Paywire.create`. */
    // biome-ignore lint/suspicious/noExplicitAny: each method has its own input, request and payload types
    methods: ReadonlyArray<Method.Server<any, any, any>>
    operations: readonly Operation[]
  }
}

/**
 * Validates a discovery document (as a client, registry or conformance suite reads it).
 *
 * @throws {InvalidDocumentError} naming the first invalid member.
 * @example
 * ```ts
 * import { Discovery } from '@paywire/discovery'
 * declare const body: unknown
 * const document = Discovery.parse(body)
 * ```
 */
export function parse(value: unknown): Document {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  throw new InvalidDocumentError(
    `${issue?.path.length ? issue.path.join('.') : 'document'}: ${issue?.message ?? 'invalid'}`,
    { cause: result.error },
  )
}

/**
 * The payable operations of a document with their offers (shorthand forms read as one
 * offer), in document order.
 *
 * @example
 * ```ts
 * import { Discovery } from '@paywire/discovery'
 * declare const document: Discovery.Document
 * for (const { method, path, offers } of Discovery.payable(document))
 *   console.log(method, path, offers.map((offer) => `${offer.amount ?? 'dynamic'} ${offer.currency}`))
 * ```
 */
export function payable(value: Document): payable.Entry[] {
  const entries: payable.Entry[] = []
  for (const [route, item] of Object.entries(value.paths))
    for (const method of httpMethods) {
      const operation = item[method] as z.infer<typeof operationSchema> | undefined
      const info = operation?.[PaymentInfo.extension]
      if (info !== undefined)
        entries.push({
          method: method.toUpperCase(),
          path: route,
          offers: PaymentInfo.offers(info),
        })
    }
  return entries
}

export declare namespace payable {
  type Entry = { method: string; path: string; offers: PaymentInfo.Offer[] }
}

/**
 * The response serving a document: `application/json`, `Cache-Control: max-age=300` and
 * `Access-Control-Allow-Origin: *`. What every binding writes.
 *
 * @example
 * ```ts
 * import { Discovery } from '@paywire/discovery'
 * declare const document: Discovery.Document
 * const handler = (request: Request) =>
 *   new URL(request.url).pathname === Discovery.path ? Discovery.response(document) : new Response(null, { status: 404 })
 * ```
 */
export function response(value: Document, options: { head?: boolean } = {}): Response {
  return new Response(options.head ? null : JSON.stringify(value), { status: 200, headers })
}

/**
 * Fetches and validates the discovery document of an origin (`GET <origin>/openapi.json`),
 * within bounds: over https (plain http only to a loopback host, unless `plaintext` says
 * otherwise), following at most `maxRedirects` redirects and only within the origin, reading
 * at most `maxBytes` (default 1 MiB) within `timeoutMs` (default 10 s).
 *
 * @throws {InvalidDocumentError} when the answer is not a JSON discovery document, or a
 * bound is crossed.
 * @example
 * ```ts
 * import { Discovery } from '@paywire/discovery'
 * const document = await Discovery.fetch('https://api.example.com')
 * ```
 */
export async function fetch(origin: string | URL, options: fetch.Options = {}): Promise<Document> {
  const fail = (message: string, cause?: unknown) =>
    new InvalidDocumentError(message, cause === undefined ? {} : { cause })
  const { answer, body, url } = await Fetching.get(
    new URL(path, origin),
    {
      plaintext: options.plaintext ?? 'loopback',
      maxBytes: options.maxBytes ?? defaultMaxBytes,
      timeoutMs: options.timeoutMs ?? defaultTimeoutMs,
      maxRedirects: options.maxRedirects ?? 3,
      send: options.fetch ?? globalThis.fetch.bind(globalThis),
    },
    fail,
  )
  if (answer.status !== 200)
    throw new InvalidDocumentError(`${url.href} answered ${answer.status}, expected 200`)
  const type = answer.headers.get('content-type') ?? ''
  if (!/^application\/json\s*(;|$)/i.test(type))
    throw new InvalidDocumentError(`${url.href} is served as "${type}", expected application/json`)
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
  } catch (cause) {
    throw new InvalidDocumentError(`${url.href} is not JSON`, { cause })
  }
  return parse(value)
}

export declare namespace fetch {
  type Options = {
    fetch?: ((input: string, init: RequestInit) => Promise<Response>) | undefined
    /**
     * Plain http: `'loopback'` (default) only to `localhost`, `127.0.0.0/8` and `[::1]`;
     * `'refuse'` never; `'allow'` always.
     */
    plaintext?: 'loopback' | 'refuse' | 'allow' | undefined
    /** Largest body read, in bytes (default 1 MiB). */
    maxBytes?: number | undefined
    /** Time for the whole fetch, redirects included, in ms (default 10 s). */
    timeoutMs?: number | undefined
    /** Redirects followed within the origin (default 3); one to another origin never is. */
    maxRedirects?: number | undefined
  }
}

/** The largest discovery document fetched, by default: 1 MiB. */
const defaultMaxBytes = 1_048_576
/** The time a fetch of a discovery document may take, by default: 10 s. */
const defaultTimeoutMs = 10_000

async function describe(
  operation: Operation,
  // biome-ignore lint/suspicious/noExplicitAny: see document.Options.methods
  methods: ReadonlyArray<Method.Server<any, any, any>>,
): Promise<Record<string, unknown>> {
  const responses: Record<string, unknown> = operation.responses ?? {
    '200': { description: 'Successful response' },
  }
  const described: Record<string, unknown> = {
    ...(operation.operationId === undefined ? {} : { operationId: operation.operationId }),
    ...(operation.summary === undefined ? {} : { summary: operation.summary }),
    ...(operation.description === undefined ? {} : { description: operation.description }),
    ...(operation.parameters === undefined ? {} : { parameters: operation.parameters }),
    ...(operation.requestBody === undefined ? {} : { requestBody: operation.requestBody }),
  }
  if (operation.route === undefined && operation.offers === undefined)
    return { ...described, responses }
  const offers = operation.offers ?? (await offersOf(operation.route as Paywire.Route, methods))
  return {
    ...described,
    [PaymentInfo.extension]: PaymentInfo.from(offers),
    responses: { ...responses, '402': { description: 'Payment Required' } },
  }
}

async function offersOf(
  route: Paywire.Route,
  // biome-ignore lint/suspicious/noExplicitAny: see document.Options.methods
  methods: ReadonlyArray<Method.Server<any, any, any>>,
): Promise<PaymentInfo.Offer[]> {
  const offered =
    route.methods === undefined
      ? methods
      : methods.filter((method) =>
          route.methods?.some(
            (name) => name === method.method || name === `${method.method}/${method.intent}`,
          ),
        )
  if (offered.length === 0)
    throw new InvalidDocumentError('a paid route offers no configured method')
  const list: PaymentInfo.Offer[] = []
  for (const method of offered) {
    const intent = method.intent
    if (intent !== 'charge' && intent !== 'session')
      throw new InvalidDocumentError(
        `${method.method}/${intent}: discovery offers are for the charge and session intents only`,
      )
    const description = route.description === undefined ? {} : { description: route.description }
    if (typeof route.price === 'function') {
      list.push({ intent, method: method.method, amount: null, ...description })
      continue
    }
    const request = (await method.request(route.price)) as { amount?: unknown; currency?: unknown }
    list.push({
      intent,
      method: method.method,
      amount: typeof request.amount === 'string' ? request.amount : null,
      ...(typeof request.currency === 'string' ? { currency: request.currency } : {}),
      ...description,
    })
  }
  return list
}

/**
 * Raised when a discovery document is not valid, or cannot be fetched as one.
 *
 * @example
 * ```ts
 * import { Discovery } from '@paywire/discovery'
 * try {
 *   Discovery.parse({ openapi: '3.1.0', info: { title: 'x', version: '1' }, paths: {} })
 * } catch (error) {
 *   if (error instanceof Discovery.InvalidDocumentError) console.log(error.message) // 'paths: paths must hold at least one path'
 * }
 * ```
 */
export class InvalidDocumentError extends Errors.BaseError {
  override readonly name = 'Discovery.InvalidDocumentError'
  readonly code = 'ERR_DISCOVERY_DOCUMENT_INVALID'
  readonly problem = undefined
}
