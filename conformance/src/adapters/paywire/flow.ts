// The flow operation of the mpp-tools harness, `http.payment_request` (HARNESS_SPEC.md,
// "Flow Operation"), for paywire: one HTTP request sent through @paywire/client's paying
// fetch, and what happened (status, headers, body, and what was paid). The harness's
// input carries no payer; paywire's `payer` member (an ABI extension, documented in the
// package README) gives the methods to pay with (`test`, and `tempo` on a Tempo node) and
// the spending policy to pay under.
import { Client } from '@paywire/client'
import { Charge, Method } from '@paywire/core'
import { MemoryStore } from '@paywire/store-memory'
import { z } from 'zod'
import * as Payers from '../../server/Payer.js'
import { InvalidInputError, UnsupportedInputError } from './ops.js'

/** The HTTP methods the harness's `HttpPaymentRequest` allows. */
export const httpMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const

/** The harness's `HttpPaymentMode` values. */
export const modes = [
  'payment',
  'plain',
  'invalid_payload',
  'mismatched_request',
  'invalid_challenge_id',
] as const

const jsonObject = z.record(z.string(), z.unknown())
const origin = z.string().refine((value) => {
  try {
    return new URL(value).origin === value && value !== 'null'
  } catch {
    return false
  }
}, 'expected an origin such as http://127.0.0.1:8402')

/**
 * `payer.methods.tempo`: the Tempo charge paid from `privateKey`'s account on the node at
 * `rpcUrl` (its chain id is read from the node), in `mode` when the challenge allows both
 * (default pull). The account must hold the charged token and the fee token.
 */
const tempoSchema = z.strictObject({
  rpcUrl: z
    .string()
    .regex(/^https?:\/\/[^\s/]+\S*$/, 'expected the http(s) URL of a Tempo JSON-RPC endpoint'),
  privateKey: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, "expected the payer's 0x-prefixed 32-byte hex private key"),
  mode: z.enum(['pull', 'push']).optional(),
})

/**
 * paywire's `payer` extension of the flow input: the methods the client pays with (each
 * with what it needs) and its spending policy. Unknown members are refused, so that no
 * rule the suite asks for is silently dropped.
 */
export const payerSchema = z.strictObject({
  methods: z.strictObject({
    /** The `test` method: an HMAC proof under a key shared with the server. */
    test: z.strictObject({ key: z.string().min(1), source: z.string().optional() }).optional(),
    /** The Tempo charge (draft-tempo-charge-00): real payments on the node at `rpcUrl`. */
    tempo: tempoSchema.optional(),
  }),
  policy: z.strictObject({
    /** Currencies paid, each with the largest single payment in base units. */
    currencies: z.record(z.string().min(1), z.strictObject({ maxAmount: z.string() })),
    /** Origins that may be paid (all when absent). */
    origins: z.array(origin).optional(),
    /** Recipients that may be paid (all when absent). */
    recipients: z.array(z.string().min(1)).optional(),
    /** Longest accepted time between now and a challenge's `expires`, in seconds. */
    maxValiditySeconds: z.number().int().positive().optional(),
    /** Accepted challenge realms: `host` (the request's host, the default), `any`, or a list. */
    realms: z.union([z.enum(['host', 'any']), z.array(z.string().min(1))]).optional(),
    /** Origins credentials may reach over plain HTTP (local development); none by default. */
    insecureOrigins: z.array(origin).optional(),
  }),
})

/** paywire's `payer` extension. */
export type Payer = z.infer<typeof payerSchema>

/** The input of `http.payment_request`: the harness's `HttpPaymentRequest`, plus `payer`. */
export const inputSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  method: z.enum(httpMethods),
  headers: z.record(z.string(), z.string()),
  body: z.string().nullable(),
  payment: z.strictObject({
    payload: jsonObject,
    source: z.union([jsonObject, z.string(), z.null()]).optional(),
  }),
  mode: z.enum(modes),
  payer: payerSchema.optional(),
})

/** The input of `http.payment_request`. */
export type Input = z.infer<typeof inputSchema>

/**
 * The value of `http.payment_request`: the harness's `HttpResponse` (status, headers,
 * body of the final response) plus `payment`, paywire's extension saying what was paid
 * (present when the input used the `payer` extension).
 */
export type Output = {
  status: number
  headers: Record<string, string>
  body: string
  payment?: {
    paid: boolean
    /** How many credentials were sent (at most one per challenge hop). */
    credentials: number
    /** Present when a credential was sent. */
    challengeId?: string
    method?: string
    intent?: string
    amount?: string
    currency?: string
    /** The receipt of the final response, when it answers the payment with a valid one. */
    receipt: Record<string, unknown> | null
  }
}

/**
 * Runs `http.payment_request`: `plain` sends the request as it is; `payment` sends it
 * through a paying client built from `payer`. The modes that ask the adapter to tamper
 * with a challenge before paying are not supported: paywire's client never does.
 *
 * @throws {InvalidInputError} when the input does not have the operation's shape.
 * @throws {UnsupportedInputError} for a mode, or a `payer` member, paywire cannot honour.
 * @throws {Policy.RefusedError} when the client refuses to pay (nothing was paid).
 * @example
 * ```ts
 * import { Flow } from '@paywire/conformance'
 * const result = await Flow.paymentRequest({
 *   url: 'http://127.0.0.1:8402/paid',
 *   method: 'GET',
 *   headers: {},
 *   body: null,
 *   payment: { payload: {} },
 *   mode: 'payment',
 *   payer: {
 *     methods: { test: { key: 'paywire-reference-test-method-key' } },
 *     policy: { currencies: { usd: { maxAmount: '1000' } }, insecureOrigins: ['http://127.0.0.1:8402'] },
 *   },
 * })
 * console.log(result.status, result.payment.paid)
 * ```
 */
export async function paymentRequest(
  input: unknown,
  options: paymentRequest.Options = {},
): Promise<Output> {
  const request = read(input)
  const init: RequestInit = {
    method: request.method,
    headers: request.headers,
    ...(request.body === null ? {} : { body: request.body }),
  }
  if (request.mode === 'plain') {
    const response = await (options.fetch ?? fetch)(request.url, init)
    const output = await toOutput(response)
    // Without the extension in the input, the answer is the harness's HttpResponse alone.
    return request.payer === undefined
      ? output
      : { ...output, payment: { paid: false, credentials: 0, receipt: null } }
  }
  if (request.mode !== 'payment')
    throw new UnsupportedInputError(
      `mode "${request.mode}": paywire's client never alters a challenge or a payload before paying`,
    )
  if (request.payer === undefined)
    throw new UnsupportedInputError(
      'mode "payment" needs "payer" (paywire extension): the paying client pays only under a spending policy',
    )
  const client = Client.create({
    methods: await clientMethods(request.payer),
    policy: {
      currencies: request.payer.policy.currencies,
      origins: request.payer.policy.origins,
      recipients: request.payer.policy.recipients,
      maxValiditySeconds: request.payer.policy.maxValiditySeconds,
      realms: request.payer.policy.realms,
    },
    insecureOrigins: request.payer.policy.insecureOrigins,
    store: MemoryStore.create(),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.now === undefined ? {} : { now: options.now }),
  })
  const { response, receipt, payment, payments } = await client.fetch(request.url, init)
  return {
    ...(await toOutput(response)),
    payment:
      payment === undefined
        ? { paid: false, credentials: 0, receipt: null }
        : {
            paid: true,
            credentials: payments.length,
            challengeId: payment.challengeId,
            method: payment.method,
            intent: payment.intent,
            amount: payment.amount,
            currency: payment.currency,
            receipt: receipt === undefined ? null : { ...receipt },
          },
  }
}

export declare namespace paymentRequest {
  type Options = {
    /** @internal The fetch under the paying client (fault injection in tests). */
    fetch?: ((input: string, init: RequestInit) => Promise<Response>) | undefined
    /** @internal The paying client's clock (fault injection in tests). */
    now?: (() => number) | undefined
  }
}

function read(input: unknown): Input {
  // Members of `payer` paywire does not know are not an input error but something it
  // cannot honour: say so, so the caller can tell "unsupported" from "malformed".
  const payer = (input as { payer?: unknown } | null)?.payer
  if (payer !== undefined) {
    const unknown = unknownMembers(payer)
    if (unknown.length > 0)
      throw new UnsupportedInputError(
        `payer: paywire's adapter does not know ${unknown.join(', ')}`,
      )
  }
  const result = inputSchema.safeParse(input)
  if (!result.success) {
    const issue = result.error.issues[0]
    const path = issue?.path.map(String).join('.')
    throw new InvalidInputError(`${path || 'input'}: ${issue?.message ?? 'invalid'}`)
  }
  return result.data
}

function unknownMembers(payer: unknown): string[] {
  if (payer === null || typeof payer !== 'object') return []
  const known = {
    '': ['methods', 'policy'],
    methods: ['test', 'tempo'],
    policy: [
      'currencies',
      'origins',
      'recipients',
      'maxValiditySeconds',
      'realms',
      'insecureOrigins',
    ],
  } as const
  const found: string[] = []
  for (const [where, names] of Object.entries(known)) {
    const value = where === '' ? payer : (payer as Record<string, unknown>)[where]
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue
    for (const key of Object.keys(value))
      if (!(names as readonly string[]).includes(key)) found.push(where ? `${where}.${key}` : key)
  }
  return found
}

async function clientMethods(payer: Payer): Promise<Method.Client[]> {
  const methods: Method.Client[] = []
  const test = payer.methods.test
  if (test !== undefined) {
    const prover = Payers.test({ key: test.key })
    methods.push(
      Method.defineClient({
        method: 'test',
        intent: Charge.intent,
        requestSchema: Charge.requestSchema,
        async createCredential({ challenge }) {
          const { payload } = await prover.pay(challenge)
          return test.source === undefined ? { payload } : { payload, source: test.source }
        },
      }),
    )
  }
  const tempo = payer.methods.tempo
  if (tempo !== undefined) methods.push(await tempoClient(tempo))
  if (methods.length === 0)
    throw new UnsupportedInputError('payer.methods names no method to pay with')
  return methods
}

/** The client half of @paywire/method-tempo on the chain of the node at `rpcUrl`. */
async function tempoClient(settings: z.infer<typeof tempoSchema>): Promise<Method.Client> {
  // Loaded on demand: paying with `test` only does not need viem.
  const Tempo = await import('@paywire/method-tempo')
  const chainId = await readChainId(settings.rpcUrl)
  return Tempo.Client.client({
    chain: Tempo.Chain.fromRpc({ rpcUrl: settings.rpcUrl, chainId }),
    privateKey: settings.privateKey as `0x${string}`,
    ...(settings.mode === undefined ? {} : { mode: settings.mode }),
  }) as Method.Client
}

/** The node's chain id (`eth_chainId`); a node that does not answer is an http_error. */
async function readChainId(rpcUrl: string): Promise<number> {
  const response = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    signal: AbortSignal.timeout(10_000),
  })
  const body = (await response.json().catch(() => undefined)) as { result?: unknown } | undefined
  if (typeof body?.result !== 'string' || !/^0x[0-9a-f]+$/i.test(body.result))
    throw new Error(`the Tempo node at ${rpcUrl} gave no chain id`)
  return Number(BigInt(body.result))
}

async function toOutput(response: Response): Promise<Omit<Output, 'payment'>> {
  const headers: Record<string, string> = {}
  for (const [name, value] of response.headers) headers[name] = value
  return { status: response.status, headers, body: await response.text() }
}
