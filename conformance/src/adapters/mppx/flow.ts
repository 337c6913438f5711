// The flow operation of the mpp-tools ABI, `http.payment_request`, driven through mppx's
// own paying client (`Mppx.create` of `mppx/client`, its fetch wrapper, with its Tempo
// charge client): one HTTP request, and what happened. The input is the one paywire's
// adapter reads, `payer` extension included (conformance/README.md, "Checking a client");
// each `payer` member is either handed to an mppx option or hook, or refused as
// `unsupported_operation` (`MppxUnsupportedError`). Not part of the published package.
import { Receipt } from 'mppx'
import { Mppx, tempo } from 'mppx/client'
import { createClient, defineChain, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { tempoLocalnet } from 'viem/chains'
import { z } from 'zod'

/** The `payer` members mppx cannot honour, with the reason (answered `unsupported_operation`). */
export const unsupportedPayer: Readonly<Record<string, string>> = {
  'methods.test': 'mppx has no `test` payment method',
}

/**
 * What this adapter answers: the harness's `HttpResponse` plus paywire's `payment`
 * extension, with `credentials`, the number of credentials mppx created and sent.
 */
export type Output = {
  status: number
  headers: Record<string, string>
  body: string
  payment?: {
    paid: boolean
    credentials: number
    challengeId?: string
    method?: string
    intent?: string
    amount?: string
    currency?: string
    receipt: Record<string, unknown> | null
  }
}

/**
 * Runs `http.payment_request` with mppx's client. `plain` sends the request with the
 * runtime's fetch; `payment` sends it through `Mppx.create({ methods: [tempo.charge(...)] })`
 * built from `payer.methods.tempo`, under the `payer.policy` members mppx can be given.
 *
 * @throws {MppxUnsupportedError} for a mode or a `payer` member mppx cannot honour.
 * @throws {MppxInputError} when the input does not have the operation's shape.
 * @throws {MppxRefusedError} when a policy rule filters every challenge out (nothing paid).
 * @example
 * ```ts
 * import * as MppxFlow from './flow.js'
 * const output = await MppxFlow.paymentRequest({
 *   url: 'http://127.0.0.1:8402/paid', method: 'GET', headers: {}, body: null,
 *   payment: { payload: {} }, mode: 'payment',
 *   payer: {
 *     methods: { tempo: { rpcUrl: 'http://127.0.0.1:8545', privateKey: '0x…' } },
 *     policy: { currencies: { '0x20c0000000000000000000000000000000000000': { maxAmount: '10000' } } },
 *   },
 * })
 * ```
 */
export async function paymentRequest(input: unknown): Promise<Output> {
  const request = read(input)
  const init: RequestInit = {
    method: request.method,
    headers: request.headers,
    ...(request.body === null ? {} : { body: request.body }),
  }
  if (request.mode === 'plain') {
    const output = await toOutput(await fetch(request.url, init))
    return request.payer === undefined
      ? output
      : { ...output, payment: { paid: false, credentials: 0, receipt: null } }
  }
  if (request.mode !== 'payment')
    throw new MppxUnsupportedError(
      `mode "${request.mode}": mppx's client has no way to alter a challenge before paying`,
    )
  if (request.payer === undefined)
    throw new MppxUnsupportedError('mode "payment" needs "payer" (paywire extension)')
  const { payer } = request
  if (payer.methods.tempo === undefined)
    throw new MppxUnsupportedError('payer.methods names no method mppx pays with (tempo)')
  const refusals: string[] = []
  const mppx = Mppx.create({
    methods: [tempoCharge(payer.methods.tempo, payer.policy.recipients)],
    polyfill: false,
    orderChallenges: (candidates) =>
      candidates.filter((candidate) => {
        const refusal =
          originRefusal(request.url, payer.policy) ??
          refusalOf(candidate.challenge, payer.policy, request.url)
        if (refusal !== undefined) refusals.push(refusal)
        return refusal === undefined
      }),
  })
  const sent: Array<{ id: string; method: string; intent: string; request: unknown }> = []
  mppx.on('credential.created', ({ challenge }) => void sent.push(challenge))
  let response: Response
  try {
    response = await mppx.fetch(request.url, init)
  } catch (error) {
    // mppx's answer when the hook left no challenge: the refusals are the reason.
    const noneLeft = error instanceof Error && error.message.startsWith('No method found')
    if (noneLeft && sent.length === 0 && refusals.length > 0)
      throw new MppxRefusedError(`payment refused (${[...new Set(refusals)].join('; ')})`)
    throw error
  }
  const last = sent.at(-1)
  const paid = last === undefined ? {} : paidFields(last)
  return {
    ...(await toOutput(response)),
    payment: {
      paid: last !== undefined,
      credentials: sent.length,
      ...paid,
      receipt: last === undefined ? null : receiptOf(response),
    },
  }
}

/** An input of the wrong shape (the harness's `http_error`, as paywire's adapter answers it). */
export class MppxInputError extends Error {
  override readonly name = 'MppxInputError'
  readonly code = 'ERR_MPPX_ADAPTER_INPUT_INVALID'
}

/** A mode or `payer` member mppx cannot honour (`unsupported_operation`). */
export class MppxUnsupportedError extends Error {
  override readonly name = 'MppxUnsupportedError'
  readonly code = 'ERR_MPPX_ADAPTER_UNSUPPORTED'
}

/** A policy rule refused every challenge; no credential was sent (`http_error`). */
export class MppxRefusedError extends Error {
  override readonly name = 'MppxRefusedError'
  readonly code = 'ERR_MPPX_ADAPTER_PAYMENT_REFUSED'
}

// --- input ------------------------------------------------------------------------------

const origin = z.string().refine((value) => {
  try {
    return new URL(value).origin === value && value !== 'null'
  } catch {
    return false
  }
}, 'expected an origin such as http://127.0.0.1:8402')

const tempoSchema = z.strictObject({
  rpcUrl: z.string().regex(/^https?:\/\/[^\s/]+\S*$/, 'expected the http(s) URL of a Tempo node'),
  privateKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 0x-prefixed 32-byte hex key'),
  mode: z.enum(['pull', 'push']).optional(),
})

const payerSchema = z.strictObject({
  methods: z.strictObject({ tempo: tempoSchema.optional() }),
  policy: z.strictObject({
    currencies: z.record(
      z.string().min(1),
      z.strictObject({ maxAmount: z.string().regex(/^\d+$/, 'expected an amount in base units') }),
    ),
    origins: z.array(origin).optional(),
    recipients: z.array(z.string().min(1)).optional(),
    maxValiditySeconds: z.number().int().positive().optional(),
    realms: z.union([z.enum(['host', 'any']), z.array(z.string().min(1))]).optional(),
    insecureOrigins: z.array(origin).optional(),
  }),
})

type Policy = z.infer<typeof payerSchema>['policy']

const inputSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']),
  headers: z.record(z.string(), z.string()),
  body: z.string().nullable(),
  payment: z.strictObject({
    payload: z.record(z.string(), z.unknown()),
    source: z.unknown().optional(),
  }),
  mode: z.enum([
    'payment',
    'plain',
    'invalid_payload',
    'mismatched_request',
    'invalid_challenge_id',
  ]),
  payer: payerSchema.optional(),
})

function read(input: unknown): z.infer<typeof inputSchema> {
  const payer = (input as { payer?: { methods?: unknown; policy?: unknown } } | null)?.payer
  for (const [where, value] of [
    ['methods', payer?.methods],
    ['policy', payer?.policy],
  ] as const) {
    if (value === null || typeof value !== 'object') continue
    for (const key of Object.keys(value)) {
      const reason = unsupportedPayer[`${where}.${key}`]
      if (reason !== undefined) throw new MppxUnsupportedError(`payer.${where}.${key}: ${reason}`)
    }
  }
  const result = inputSchema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  if (issue?.code === 'unrecognized_keys' && issue.path[0] === 'payer')
    throw new MppxUnsupportedError(
      `${issue.path.map(String).join('.')}: mppx's adapter does not know ${issue.keys.join(', ')}`,
    )
  throw new MppxInputError(`${issue?.path.map(String).join('.') || 'input'}: ${issue?.message}`)
}

// --- payer -> mppx ------------------------------------------------------------------------

/**
 * mppx's Tempo charge client for the node at `rpcUrl`. `recipients` goes to mppx's own
 * `expectedRecipients`. The viem chain asks for nonce 0 on expiring-nonce requests: mppx
 * signs on an expiring nonce, viem 2.57 fills it with a random value, and the local node
 * refuses it (spec/DEVIATIONS.md, row 10; the shim of paywire's interop tests).
 */
function tempoCharge(settings: z.infer<typeof tempoSchema>, recipients?: readonly string[]) {
  const [prepare, prepareOptions] = tempoLocalnet.prepareTransactionRequest
  // mppx asks for a client on the chain it pays on (the challenge's chainId).
  const getClient = ({ chainId }: { chainId?: number | undefined }) =>
    createClient({
      chain: defineChain({
        ...tempoLocalnet,
        id: chainId ?? tempoLocalnet.id,
        rpcUrls: { default: { http: [settings.rpcUrl] } },
        prepareTransactionRequest: [
          (request, context) => {
            const expiring = (request as { nonceKey?: unknown }).nonceKey === 'expiring'
            if (expiring && request.nonce === undefined) request.nonce = 0
            return prepare(request, context)
          },
          prepareOptions,
        ],
      }),
      transport: http(settings.rpcUrl, { retryCount: 0 }),
    })
  return tempo.charge({
    account: privateKeyToAccount(settings.privateKey as `0x${string}`),
    getClient: getClient as never,
    ...(settings.mode === undefined ? {} : { mode: settings.mode }),
    ...(recipients === undefined ? {} : { expectedRecipients: recipients as `0x${string}`[] }),
  })
}

/**
 * Why `policy` refuses `challenge`, if it does: the currency caps, the validity window and
 * the realms, when given (mppx has none of these rules; the adapter applies them through
 * mppx's `orderChallenges` hook, so mppx pays none of the filtered challenges).
 */
function refusalOf(
  challenge: { realm: string; expires?: string | undefined; request: Record<string, unknown> },
  policy: Policy,
  url: string,
): string | undefined {
  const { realms } = policy
  const { host, hostname } = new URL(url)
  if (
    (realms === 'host' && challenge.realm !== host && challenge.realm !== hostname) ||
    (Array.isArray(realms) && !realms.includes(challenge.realm))
  )
    return `realm: ${challenge.realm} is not accepted`
  const { currency, amount } = challenge.request
  const cap = typeof currency === 'string' ? policy.currencies[currency] : undefined
  if (cap === undefined) return `currency: ${String(currency)} is not in policy.currencies`
  if (typeof amount !== 'string' || !/^\d+$/.test(amount))
    return `max-amount: amount ${String(amount)} is not an amount in base units`
  if (BigInt(amount) > BigInt(cap.maxAmount))
    return `max-amount: ${amount} ${currency} exceeds ${cap.maxAmount}`
  if (policy.maxValiditySeconds !== undefined && challenge.expires !== undefined) {
    const ahead = (Date.parse(challenge.expires) - Date.now()) / 1000
    if (!(ahead <= policy.maxValiditySeconds))
      return `validity: expires ${challenge.expires}, more than ${policy.maxValiditySeconds}s ahead`
  }
  return undefined
}

/**
 * `origins` and `insecureOrigins` (plain HTTP only to those), applied to the request's
 * origin in the same hook: mppx has neither rule (it pays any origin, over plain HTTP too),
 * and the request's origin is the only one a credential can reach, since mppx refuses to
 * send one across a redirect to another origin.
 */
function originRefusal(url: string, policy: Policy): string | undefined {
  const target = new URL(url)
  if (policy.origins !== undefined && !policy.origins.includes(target.origin))
    return `origin: ${target.origin} is not in policy.origins`
  if (target.protocol === 'https:' || policy.insecureOrigins?.includes(target.origin))
    return undefined
  return `transport: ${target.origin} is plain HTTP and not in policy.insecureOrigins`
}

// --- output -------------------------------------------------------------------------------

function paidFields(challenge: { id: string; method: string; intent: string; request: unknown }) {
  const request = (challenge.request ?? {}) as Record<string, unknown>
  return {
    challengeId: challenge.id,
    method: challenge.method,
    intent: challenge.intent,
    ...(typeof request.amount === 'string' ? { amount: request.amount } : {}),
    ...(typeof request.currency === 'string' ? { currency: request.currency } : {}),
  }
}

/** The final response's receipt as mppx reads it, when the response is a success with one. */
function receiptOf(response: Response): Record<string, unknown> | null {
  const header = response.headers.get('payment-receipt')
  if (!response.ok || header === null) return null
  try {
    return { ...Receipt.deserialize(header) }
  } catch {
    return null
  }
}

async function toOutput(response: Response): Promise<Omit<Output, 'payment'>> {
  const headers: Record<string, string> = {}
  for (const [name, value] of response.headers) headers[name] = value
  return { status: response.status, headers, body: await response.text() }
}
