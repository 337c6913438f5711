// The paying side of MCP (draft-payment-transport-mcp §"Payment Credential", client
// side): wraps an MCP client's `callTool` so that a -32042 is answered once, under the
// same spending policy, budgets and ledger as @paywire/client's fetch (its Policy,
// Budget, Ledger and Challenges are used as they are).
import { Budget, Challenges, Ledger, Policy } from '@paywire/client'
import {
  AcceptPayment,
  BodyDigest,
  Errors,
  Json,
  type Method,
  Receipt,
  type Store,
} from '@paywire/core'
import * as RpcError from './RpcError.js'
import * as Wire from './Wire.js'

/**
 * A paying MCP client.
 *
 * @example
 * ```ts
 * import { Payer } from '@paywire/mcp'
 * declare const payer: Payer.Payer
 * const { result, receipt } = await payer.callTool({ name: 'forecast', arguments: { city: 'Paris' } })
 * ```
 */
export type Payer = {
  /**
   * Calls a tool; answers a payment challenge at most once.
   *
   * @throws {Policy.RefusedError} when a challenge is offered but the policy refuses it.
   */
  callTool(params: CallToolParams, options?: unknown): Promise<Result>
  /** The ledger of payments (shared with a fetch client using the same store and prefix). */
  ledger: Ledger.Ledger
  /** Where the budgets of `currency` stand for this server's origin. */
  standings(currency: string): Promise<Policy.Standing[]>
}

/**
 * What `tools/call` takes.
 * @example
 * ```ts
 * import type { Payer } from '@paywire/mcp'
 * const params: Payer.CallToolParams = { name: 'forecast', arguments: { city: 'Oslo' } }
 * ```
 */
export type CallToolParams = {
  name: string
  arguments?: Record<string, unknown> | undefined
  _meta?: Record<string, unknown> | undefined
  [member: string]: unknown
}

/**
 * The part of an MCP SDK `Client` the payer uses.
 * @example
 * ```ts
 * import { Client } from '@modelcontextprotocol/sdk/client/index.js'
 * import type { Payer } from '@paywire/mcp'
 * const client: Payer.McpClient = new Client({ name: 'agent', version: '1.0.0' })
 * ```
 */
export type McpClient = {
  callTool(
    params: CallToolParams,
    resultSchema?: undefined,
    options?: never,
  ): Promise<Record<string, unknown>>
}

/**
 * What {@link Payer.callTool} resolves.
 * @example
 * ```ts
 * import type { Payer } from '@paywire/mcp'
 * declare const outcome: Payer.Result
 * if (outcome.receipt) console.log(outcome.receipt.reference, outcome.payment?.amount)
 * ```
 */
export type Result = {
  /** The tool's result (`content`, `structuredContent`, `isError`, `_meta`). */
  result: Record<string, unknown>
  /** The receipt, when the call was paid and the server returned a valid one. */
  receipt: Wire.JsonReceipt | undefined
  /** The payment this call made (its ledger entry), if any. */
  payment: Ledger.Entry | undefined
}

/**
 * Creates a paying wrapper around an MCP client. Budgets are per currency and per
 * `url` origin, in `store`; the same store and prefix as a fetch client share budgets.
 *
 * @throws {Policy.InvalidPolicyError | InvalidOptionsError}
 * @example
 * ```ts
 * import { Client } from '@modelcontextprotocol/sdk/client/index.js'
 * import { Payer } from '@paywire/mcp'
 * import { MemoryStore } from '@paywire/store-memory'
 * import { TestMethod } from '@paywire/testkit'
 *
 * const client = new Client({ name: 'agent', version: '1.0.0' })
 * const payer = Payer.create({
 *   client,
 *   url: 'https://tools.example.com/mcp',
 *   methods: [TestMethod.client({ key: 'shared-test-key' })],
 *   policy: {
 *     currencies: { usd: { maxAmount: '100' } },
 *     budgets: [{ currency: 'usd', amount: '1000', window: 'day', scope: 'total' }],
 *   },
 *   store: MemoryStore.create(),
 * })
 * ```
 */
export function create(options: create.Options): Payer {
  const policy = Policy.from(options.policy)
  const { client, methods, store } = options
  if (methods.length === 0) throw new InvalidOptionsError('at least one method is required')
  const url = checkUrl(options.url, options.insecureOrigins ?? [])
  const accept = options.accept ?? Challenges.defaultAccept(methods)
  const now = options.now ?? Date.now
  const prefix = options.prefix ?? Budget.defaultPrefix
  const ledger = Ledger.from(store, { prefix })
  const warnUnpinned = unpinned(policy, options.onWarning)

  /** Picks the first offered challenge the policy accepts and reserves its amount. */
  async function choose(offered: RpcError.challenges.Offered[], params: CallToolParams) {
    const candidates = Challenges.rank(
      offered.map((item) => item.challenge),
      methods,
      accept,
    )
    if (candidates.length === 0)
      throw new Policy.RefusedError(
        'unsupported',
        `no usable challenge; the client pays with ${AcceptPayment.serialize(accept)}`,
      )
    let first: Policy.RefusedError | undefined
    for (const candidate of candidates) {
      try {
        const { request, quote } = Challenges.read(candidate, url)
        Policy.check(policy, quote, now())
        checkOperation(candidate.challenge.digest, params, quote)
        warnUnpinned(quote)
        const id = crypto.randomUUID()
        const budgets = { budgets: policy.budgets, quote, now: now(), prefix, id }
        const { reservation, budgets: standing } = await Budget.reserve(store, budgets)
        const json = offered.find((item) => item.challenge === candidate.challenge)?.json
        return { candidate, request, quote, id, reservation, standing, json }
      } catch (error) {
        if (!(error instanceof Policy.RefusedError)) throw error
        first ??= error
      }
    }
    throw first
  }

  /** Asks approval, builds the credential, commits the budget and records the payment. */
  async function pay(chosen: Awaited<ReturnType<typeof choose>>) {
    const { candidate, request, quote, id, reservation, standing, json } = chosen
    let credential: Wire.JsonCredential
    try {
      if (policy.approve !== undefined) {
        let approved: boolean
        try {
          approved = await policy.approve({ quote, budgets: standing })
        } catch (cause) {
          throw new Policy.RefusedError('approval', 'the approval hook failed', { quote, cause })
        }
        if (approved !== true)
          throw new Policy.RefusedError('approval', 'the approval hook declined', { quote })
      }
      const created = await candidate.method.createCredential({
        challenge: candidate.challenge,
        request,
      })
      // The challenge goes back exactly as the server sent it.
      credential = {
        challenge: json as Wire.JsonChallenge,
        payload: created.payload,
        ...(created.source === undefined ? {} : { source: created.source }),
      }
    } catch (error) {
      if (reservation !== undefined) await Budget.release(store, reservation)
      throw error
    }
    // A credential exists: the amount counts as spent, whatever the server answers.
    if (reservation !== undefined) await Budget.commit(store, reservation)
    const entry: Ledger.Entry = {
      id,
      at: new Date(now()).toISOString(),
      url: quote.url,
      origin: quote.origin,
      challengeId: quote.challengeId,
      realm: quote.realm,
      method: quote.method,
      intent: quote.intent,
      amount: quote.amount,
      currency: quote.currency,
      ...(quote.recipient === undefined ? {} : { recipient: quote.recipient }),
      ...(quote.description === undefined ? {} : { description: quote.description }),
      status: 'sent',
    }
    await ledger.record(entry)
    return { entry, credential }
  }

  async function callTool(params: CallToolParams, requestOptions?: unknown): Promise<Result> {
    const call = (value: CallToolParams) =>
      client.callTool(value, undefined, requestOptions as never)
    let offered: RpcError.challenges.ReturnType | undefined
    try {
      return { result: await call(params), receipt: undefined, payment: undefined }
    } catch (error) {
      offered = RpcError.challenges(error)
      if (offered === undefined || offered.code !== RpcError.codes.paymentRequired) throw error
    }
    const { entry, credential } = await pay(await choose(offered.challenges, params))
    const meta = { ...(params._meta ?? {}), [Wire.credentialKey]: credential }
    let result: Record<string, unknown>
    try {
      result = await call({ ...params, _meta: meta })
    } catch (error) {
      const code = (error as { code?: unknown }).code
      await ledger.settle(entry.id, {
        status: 'unconfirmed',
        note: `server answered error ${typeof code === 'number' ? code : 'without a code'}`,
      })
      throw error
    }
    const receipt = readReceipt(result, entry)
    const outcome =
      typeof receipt === 'string'
        ? ({ status: 'unconfirmed', note: receipt } as const)
        : ({ status: 'settled', receipt } as const)
    const payment = await ledger.settle(entry.id, outcome)
    return { result, receipt: typeof receipt === 'string' ? undefined : receipt, payment }
  }

  return {
    callTool,
    ledger,
    standings: (currency) =>
      Budget.standings(store, {
        budgets: policy.budgets,
        currency,
        origin: url.origin,
        now: now(),
        prefix,
      }),
  }
}

export declare namespace create {
  type Options = {
    /** The MCP SDK client (connected or not: only `callTool` is used). */
    client: McpClient
    /**
     * The server's identity for the policy and the ledger: its Streamable HTTP endpoint,
     * or a name you give a stdio server (`https://weather.local/`). Its host is the realm
     * accepted by default, its origin the scope of per-origin budgets.
     */
    url: string | URL
    /** The client halves of the methods it pays with. */
    methods: readonly Method.Client[]
    /** The spending policy (the same shape as @paywire/client's). */
    policy: Policy.Policy
    /** Where budgets and the ledger live. */
    store: Store.Store
    /** Preferences used to rank challenges (default: every method, q=1). */
    accept?: readonly AcceptPayment.Range[] | undefined
    /** `http:` origins credentials may go to (local development); all others must be `https:`. */
    insecureOrigins?: readonly string[] | undefined
    /** Prefix of the store keys (default `paywire:client:`, the fetch client's). */
    prefix?: string | undefined
    /** Clock in milliseconds (default `Date.now`). */
    now?: (() => number) | undefined
    /**
     * Told what the payer will pay but cannot vouch for: without `policy.recipients`, each
     * recipient it has not paid before (a server may name a new one on every call). Pin
     * the recipients in the policy to refuse them instead.
     */
    onWarning?: ((warning: Warning) => void) | undefined
  }
}

/**
 * What {@link create.Options.onWarning} is told.
 * @example
 * ```ts
 * import type { Payer } from '@paywire/mcp'
 * const log = (warning: Payer.Warning) => console.warn(`${warning.code}: ${warning.message}`)
 * ```
 */
export type Warning = {
  code: 'recipient-not-pinned'
  message: string
  recipient: string
  realm: string
  origin: string
}

/** Warns once per recipient when the policy pins none. */
function unpinned(
  policy: Policy.Policy,
  onWarning: ((warning: Warning) => void) | undefined,
): (quote: NonNullable<Policy.RefusedError.Details['quote']>) => void {
  const seen = new Set<string>()
  return (quote) => {
    if (policy.recipients !== undefined || onWarning === undefined) return
    const recipient = quote.recipient
    if (recipient === undefined || seen.has(recipient)) return
    seen.add(recipient)
    onWarning({
      code: 'recipient-not-pinned',
      message: `paying ${recipient}, a recipient no policy names (set policy.recipients to pin them)`,
      recipient,
      realm: quote.realm,
      origin: quote.origin,
    })
  }
}

/**
 * A challenge that carries a digest must be for this very call: the digest of the call's
 * params (without `_meta`), as a paywire server binds them.
 */
function checkOperation(
  digest: string | undefined,
  params: CallToolParams,
  quote: Policy.RefusedError.Details['quote'],
): void {
  if (digest === undefined) return
  const { _meta, ...operation } = params
  if (!BodyDigest.verify(digest, Json.canonicalize(operation)))
    throw new Policy.RefusedError('digest', 'the challenge was issued for another call', { quote })
}

/** The receipt of a paid result, or why there is none. */
function readReceipt(
  result: Record<string, unknown>,
  entry: Ledger.Entry,
): Wire.JsonReceipt | string {
  if (result.isError === true) return 'the tool answered an error result'
  const meta = result._meta as Record<string, unknown> | undefined
  const parsed = Wire.receiptSchema.safeParse(meta?.[Wire.receiptKey])
  if (!parsed.success) return 'no valid receipt in the result'
  if (parsed.data.method !== entry.method) return `receipt names method "${parsed.data.method}"`
  if (parsed.data.challengeId !== entry.challengeId) return 'receipt names another challenge'
  return Receipt.schema.parse(parsed.data) as Wire.JsonReceipt
}

function checkUrl(value: string | URL, insecureOrigins: readonly string[]): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch (cause) {
    throw new InvalidOptionsError(`url "${String(value)}" is not a URL`, { cause })
  }
  if (url.protocol === 'https:') return url
  if (url.protocol === 'http:' && insecureOrigins.includes(url.origin)) return url
  throw new InvalidOptionsError(
    `url must be https: (TLS), or an http: origin listed in insecureOrigins, found ${url.origin}`,
  )
}

/**
 * Raised when the payer's options are not valid.
 *
 * @example
 * ```ts
 * import { Payer } from '@paywire/mcp'
 * const error = new Payer.InvalidOptionsError('url must be https:')
 * error.code // 'ERR_MCP_PAYER_OPTIONS_INVALID'
 * ```
 */
export class InvalidOptionsError extends Errors.BaseError {
  override readonly name = 'Payer.InvalidOptionsError'
  readonly code = 'ERR_MCP_PAYER_OPTIONS_INVALID'
  readonly problem = undefined
}
