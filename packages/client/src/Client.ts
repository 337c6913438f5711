// The paying client (draft-httpauth-payment §"Request Flow", client side): a fetch that
// answers a 402 on its own. It picks one challenge it has a method for, checks it
// against the spending policy, reserves the amount in the budgets, builds the
// credential, retries once with it in the field the challenge selected (`Authorization`,
// or `Payment-Authorization` when the challenge's `header` names it, draft -01; the
// caller's own `Authorization` is then kept), and records the payment.
import type { Signer } from '@paywire/agent-identity'
import {
  AcceptPayment,
  Challenge,
  Credential,
  Errors,
  type Method,
  type Receipt,
  type Store,
} from '@paywire/core'
import * as Budget from './Budget.js'
import * as Challenges from './Challenges.js'
import * as Outgoing from './internal/Outgoing.js'
import * as Spending from './internal/Spending.js'
import * as Ledger from './Ledger.js'
import * as Policy from './Policy.js'
import type * as Quote from './Quote.js'

export { BodyTooLargeError, RedirectError } from './internal/Outgoing.js'

/**
 * A paying client.
 *
 * @example
 * ```ts
 * import { Client } from '@paywire/client'
 * declare const client: Client.Client
 * const { response } = await client.fetch('https://api.example.com/paid')
 * const spent = await client.ledger.totals()
 * ```
 */
export type Client = {
  /**
   * Sends a request like `fetch`; answers a 402 Payment challenge at most once per hop.
   *
   * @throws {Policy.RefusedError} when a challenge is offered but the client will not pay it.
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Result>
  /** The ledger of this client's payments. */
  ledger: Ledger.Ledger
  /** Where the budgets of `currency` stand for `origin`. */
  standings(options: { currency: string; origin: string }): Promise<Policy.Standing[]>
  /** The policy in force, with its defaults. */
  policy: Policy.from.ReturnType
}

/**
 * What {@link Client.fetch} resolves.
 *
 * @example
 * ```ts
 * import { Client } from '@paywire/client'
 * declare const client: Client.Client
 * const result: Client.Result = await client.fetch('https://api.example.com/paid')
 * if (result.receipt) console.log(result.receipt.reference, result.payment?.amount)
 * ```
 */
export type Result = {
  /** The final response (its body unread). */
  response: Response
  /** The receipt of the final response, when it answers a payment with a valid receipt. */
  receipt: Receipt.Receipt | undefined
  /** The last payment this call made (its ledger entry), if any. */
  payment: Ledger.Entry | undefined
  /** Every payment this call made, in order. */
  payments: Ledger.Entry[]
  /** In `dry-run` mode, when the final response is a 402: what would have been paid. */
  dryRun: DryRun | undefined
}

/**
 * A credential made and about to be sent, with its ledger entry, and, for a method that
 * allows it (a session voucher committing nothing), which refusals may be answered again.
 */
type Paying = {
  entry: Ledger.Entry
  /** The request field the credential goes in, as the challenge selected. */
  field: Challenge.CredentialField
  authorization: string
  retryable: ((problem: { type?: unknown }) => boolean) | undefined
}

/** How many times a refused credential that committed nothing is answered again per call. */
const maxFreeRetries = 8

/**
 * The verdict of a dry run: the quote the client would pay, or why it would not.
 *
 * @example
 * ```ts
 * import { Client } from '@paywire/client'
 * declare const client: Client.Client // created with mode: 'dry-run'
 * const { dryRun } = await client.fetch('https://api.example.com/paid')
 * if (dryRun) console.log(dryRun.refusal ? dryRun.refusal.rule : `would pay ${dryRun.quote?.amount}`)
 * ```
 */
export type DryRun = {
  quote: Quote.Quote | undefined
  /** Why the client would refuse; `undefined` when it would pay (approval aside). */
  refusal: Policy.RefusedError | undefined
  /** Where the budgets would stand after paying. */
  budgets: Policy.Standing[]
}

/**
 * Creates a paying client. Nothing global is touched (see `Fetch.install` for that).
 *
 * @throws {InvalidOptionsError | Policy.InvalidPolicyError}
 * @example
 * ```ts
 * import type { Store } from '@paywire/core'
 * import { TestMethod } from '@paywire/testkit'
 * import { Client } from '@paywire/client'
 * declare const store: Store.Store
 * const client = Client.create({
 *   methods: [TestMethod.client({ key: 'shared-test-key' })],
 *   policy: {
 *     currencies: { usd: { maxAmount: '100' } },
 *     budgets: [{ currency: 'usd', amount: '1000', window: 'day', scope: 'total' }],
 *   },
 *   store,
 * })
 * const { response, receipt } = await client.fetch('https://api.example.com/paid')
 * ```
 */
export function create(options: create.Options): Client {
  const policy = Policy.from(options.policy)
  const methods = checkMethods(options.methods)
  const accept = options.accept ?? Challenges.defaultAccept(methods)
  const acceptHeader = AcceptPayment.serialize(accept)
  const insecureOrigins = checkInsecureOrigins(options.insecureOrigins ?? [])
  const send = options.fetch ?? globalThis.fetch.bind(globalThis)
  const now = options.now ?? Date.now
  const prefix = options.prefix ?? Budget.defaultPrefix
  const { store } = options
  const ledger = Ledger.from(store, { prefix })
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576
  const maxRedirects = options.maxRedirects ?? 20
  const dryRun = options.mode === 'dry-run'
  // Methods that commit money on their own (session top-ups) spend under this client's
  // policy, budgets and ledger. A dry run pays nothing and lends nothing.
  if (!dryRun)
    for (const method of methods)
      method.attach?.(
        Spending.from({ method, policy, store, ledger, insecureOrigins, now, prefix }),
      )

  /**
   * Checks an offered 402 up to the budget (`origin`: where the call started) and reserves
   * the amount, or in a dry run only measures it.
   */
  async function choose(
    hop: Outgoing.Outgoing,
    response: Response,
    origin: string,
    paid: number,
    reserve: boolean,
  ) {
    // @enforces core.intermediary.client-prepared, core.cache.challenge-not-reused
    if (hop.url.origin !== origin)
      throw new Policy.RefusedError(
        'cross-origin',
        `challenge from ${hop.url.origin} after a redirect from ${origin}; credentials are not sent across origins`,
      )
    if (paid >= policy.maxPaymentsPerRequest)
      throw new Policy.RefusedError(
        'payments-per-request',
        `${paid} payment(s) already made for this request, the most allowed is ${policy.maxPaymentsPerRequest}`,
      )
    Outgoing.checkTransport(hop, response, insecureOrigins)
    const offered = Challenges.fromResponse(response)
    const candidates = Challenges.rank(offered.challenges, methods, accept)
    if (candidates.length === 0)
      throw new Policy.RefusedError(
        'unsupported',
        `no usable challenge among ${describeOffer(offered)}; the client pays with ${acceptHeader}`,
      )
    let first: Policy.RefusedError | undefined
    for (const candidate of candidates) {
      try {
        // Before anything is signed: the field this challenge selects must be one the
        // client can send the credential in, without replacing the caller's own.
        fieldFor(candidate.challenge, hop.headers)
        const { request, quote } = Challenges.read(
          candidate,
          hop.url,
          await commitmentOf(candidate),
        )
        Policy.check(policy, quote, now())
        Outgoing.checkDigest(candidate.challenge, hop.body, quote)
        const id = crypto.randomUUID()
        if (!reserve) {
          const budgets = await Budget.check(store, budgetOptions(quote))
          return { candidate, request, quote, id, reservation: undefined, budgets }
        }
        const { reservation, budgets } = await Budget.reserve(store, {
          ...budgetOptions(quote),
          id,
        })
        return { candidate, request, quote, id, reservation, budgets }
      } catch (error) {
        if (!(error instanceof Policy.RefusedError)) throw error
        first ??= error
      }
    }
    throw first
  }

  /**
   * What a credential of a method with `commitment` (a session) commits: its deposit when
   * it opens a channel, '0' for a voucher. `undefined` for other methods, or when the
   * request does not fit the method (`Challenges.read` then refuses it).
   */
  async function commitmentOf(candidate: Challenges.Candidate): Promise<string | undefined> {
    const { method, challenge } = candidate
    if (method.commitment === undefined) return undefined
    let decoded: unknown
    try {
      decoded = Challenge.decodeRequest(challenge)
    } catch {
      return undefined
    }
    const parsed = method.requestSchema.safeParse(decoded)
    if (!parsed.success) return undefined
    return method.commitment({ challenge, request: parsed.data })
  }

  function budgetOptions(quote: Quote.Quote) {
    return { budgets: policy.budgets, quote, now: now(), prefix }
  }

  /** Asks approval, builds the credential, and records the payment. */
  async function pay(
    hop: Outgoing.Outgoing,
    chosen: Awaited<ReturnType<typeof choose>>,
  ): Promise<Paying> {
    const { candidate, request, quote, id, reservation, budgets } = chosen
    let authorization: string
    let field: Challenge.CredentialField
    let source: string | undefined
    try {
      await Spending.approve(policy, quote, budgets)
      const created = await candidate.method.createCredential({
        challenge: candidate.challenge,
        request,
        signal: hop.signal,
      })
      source = created.source
      field = fieldFor(candidate.challenge, hop.headers)
      authorization = Credential.toAuthorization(
        // @enforces core.credential.echo, core.challenge.opaque.unchanged, charge.payload.proof, core.credential.echo-header, core.credential.no-header-echo
        Credential.from({ challenge: candidate.challenge, payload: created.payload, source }),
      )
    } catch (error) {
      // No credential exists: nothing was paid, the reservation goes back.
      if (reservation !== undefined) await Budget.release(store, reservation)
      throw error
    }
    // A credential exists: from here the amount counts as spent, whatever the server says.
    if (reservation !== undefined) await Budget.commit(store, reservation)
    const entry: Ledger.Entry = {
      id,
      at: new Date(now()).toISOString(),
      ...Spending.fields(quote),
      status: 'sent',
      ...(options.agent === undefined
        ? {}
        : { agent: { url: options.agent.agent, keyid: options.agent.keyid } }),
    }
    await ledger.record(entry)
    const retryable =
      quote.amount === '0' && candidate.method.retryable !== undefined
        ? candidate.method.retryable.bind(candidate.method)
        : undefined
    return { entry, field, authorization, retryable }
  }

  /** Sends one hop, with the credential when one is pending, and records the outcome. */
  async function sendHop(
    hop: Outgoing.Outgoing,
    paying: Paying | undefined,
    payments: Ledger.Entry[],
  ) {
    const extra =
      // @enforces core.client.single-authorization, core.credential.sensitive
      paying === undefined ? undefined : new Headers({ [paying.field]: paying.authorization })
    let response: Response
    try {
      response = await send(hop.url.href, Outgoing.toSignedInit(hop, extra, options.agent))
    } catch (error) {
      if (paying !== undefined)
        payments.push(
          await ledger.settle(paying.entry.id, {
            status: 'unconfirmed',
            note: 'no response to the paid request',
          }),
        )
      throw error
    }
    if (paying === undefined) return { response, receipt: undefined }
    const outcome = Ledger.outcome(paying.entry, response)
    payments.push(await ledger.settle(paying.entry.id, outcome))
    return { response, receipt: outcome.receipt }
  }

  /** The next hop of a redirect to follow, or `undefined` to return the response as is. */
  async function follow(hop: Outgoing.Outgoing, response: Response, redirects: number) {
    if (hop.redirect === 'manual') return undefined
    if (response.type === 'opaqueredirect')
      throw new Outgoing.RedirectError(
        'this runtime hides redirects from fetch (opaque redirect), so they cannot be followed safely',
      )
    if (hop.redirect === 'error' || redirects > maxRedirects) {
      await discard(response)
      throw new Outgoing.RedirectError(
        hop.redirect === 'error'
          ? 'redirected while the redirect mode is "error"'
          : `more than ${maxRedirects} redirects`,
      )
    }
    const next = Outgoing.redirect(hop, response)
    if (next !== undefined) await discard(response)
    return next
  }

  async function fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Result> {
    let hop = await Outgoing.from(input, init, maxBodyBytes)
    if (!hop.headers.has(AcceptPayment.headerName))
      hop.headers.set(AcceptPayment.headerName, acceptHeader)
    const origin = hop.url.origin
    const payments: Ledger.Entry[] = []
    let pending: Paying | undefined
    let retries = 0
    for (let redirects = 0; ; ) {
      const paying = pending
      pending = undefined
      const { response, receipt } = await sendHop(hop, paying, payments)
      const result = { response, receipt, payment: payments.at(-1), payments, dryRun: undefined }
      if (
        response.type === 'opaqueredirect' ||
        (Outgoing.redirectStatuses as readonly number[]).includes(response.status)
      ) {
        const next = await follow(hop, response, ++redirects)
        if (next === undefined) return result
        hop = next
        continue
      }
      // A 402 in answer to a credential is not paid again: one payment per challenge hop,
      // except a credential that committed nothing whose method allows another try.
      if (response.status !== 402) return result
      const retry = paying !== undefined && (await retryAllowed(paying, response, retries))
      if (paying !== undefined && !retry) return result
      if (retry) retries += 1
      const offered = Challenges.fromResponse(response)
      if (offered.challenges.length === 0 && offered.invalid === 0) return result
      if (dryRun)
        return { ...result, dryRun: await rehearse(hop, response, origin, payments.length) }
      try {
        const paid = payments.length - retries
        pending = await pay(hop, await choose(hop, response, origin, paid, true))
      } finally {
        await discard(response)
      }
    }
  }

  async function rehearse(
    hop: Outgoing.Outgoing,
    response: Response,
    origin: string,
    paid: number,
  ): Promise<DryRun> {
    try {
      const { quote, budgets } = await choose(hop, response, origin, paid, false)
      return { quote, refusal: undefined, budgets }
    } catch (error) {
      if (!(error instanceof Policy.RefusedError)) throw error
      return { quote: error.quote, refusal: error, budgets: error.budget ? [error.budget] : [] }
    }
  }

  return {
    fetch,
    ledger,
    policy,
    standings: ({ currency, origin }) =>
      Budget.standings(store, { budgets: policy.budgets, currency, origin, now: now(), prefix }),
  }
}

// @enforces core.client.single-authorization, core.header.only-selected-field, core.header.unsupported-client, core.header.other-value, core.client.single-credential, core.storage.credential-headers
/**
 * The field a challenge's credential goes in (draft-httpauth-payment-01 §"Credentials"),
 * or a refusal: a `header` naming anything but `Payment-Authorization` (an unrecognized
 * challenge: no credential is sent for it), or a selected field the caller already uses
 * (the credential would replace the caller's own `Authorization`).
 */
function fieldFor(challenge: Challenge.Challenge, headers: Headers): Challenge.CredentialField {
  const field = Challenge.credentialField(challenge)
  if (field === undefined)
    throw new Policy.RefusedError(
      'credential-header',
      `the challenge selects the field "${challenge.header}" for the credential; only Authorization and Payment-Authorization are defined`,
    )
  if (headers.has(field))
    throw new Policy.RefusedError(
      'authorization',
      field === 'Authorization'
        ? 'the request already carries an Authorization header, which the credential would replace (the challenge did not select Payment-Authorization)'
        : 'the request already carries a Payment-Authorization header, which the credential would replace',
    )
  return field
}

export declare namespace create {
  type Options = {
    /** The client halves of the methods it pays with (one per method and intent). */
    methods: readonly Method.Client[]
    /** The spending policy. */
    policy: Policy.Policy
    /** Where budgets and the ledger live (any implementation of the Store contract). */
    store: Store.Store
    /** `pay` (default) pays; `dry-run` reports what it would pay and pays nothing. */
    mode?: 'pay' | 'dry-run' | undefined
    /**
     * The `Accept-Payment` preferences sent and used to rank challenges (default: every
     * method, q=1). A caller's own `Accept-Payment` header is sent as it is; ranking always
     * uses these.
     */
    accept?: readonly AcceptPayment.Range[] | undefined
    /** The fetch used for every hop (default: `globalThis.fetch` at creation). */
    fetch?: ((input: string, init: RequestInit) => Promise<Response>) | undefined
    /**
     * Origins (`http://127.0.0.1:8787`) to which credentials may go over plain HTTP, for
     * local development and tests. Everything else must be `https:`.
     */
    insecureOrigins?: readonly string[] | undefined
    /** Largest request body buffered for the paid retry (default 1 MiB). */
    maxBodyBytes?: number | undefined
    /** Redirects followed per call (default 20). */
    maxRedirects?: number | undefined
    /** Prefix of the store keys (default `paywire:client:`). */
    prefix?: string | undefined
    /** Clock in milliseconds (default `Date.now`). */
    now?: (() => number) | undefined
    /**
     * Signs every request this client sends, the paid retry included, as this agent (Web
     * Bot Auth: `Signer.create` of `@paywire/agent-identity`). Its identity is recorded in
     * each ledger entry.
     */
    agent?: Signer.Signer | undefined
  }
}

function checkMethods(methods: readonly Method.Client[]): readonly Method.Client[] {
  if (methods.length === 0) throw new InvalidOptionsError('at least one method is required')
  const seen = new Set<string>()
  for (const method of methods) {
    const key = `${method.method}/${method.intent}`
    if (seen.has(key)) throw new InvalidOptionsError(`method ${key} is given twice`)
    seen.add(key)
  }
  return methods
}

function checkInsecureOrigins(origins: readonly string[]): readonly string[] {
  for (const origin of origins) {
    let url: URL | undefined
    try {
      url = new URL(origin)
    } catch {
      url = undefined
    }
    if (url === undefined || url.origin !== origin || url.protocol !== 'http:')
      throw new InvalidOptionsError(`insecure origin "${origin}" must be an http: origin`)
  }
  return origins
}

/** Whether a 402 answering `paying` may be answered again (its problem type allows it). */
async function retryAllowed(paying: Paying, response: Response, retries: number): Promise<boolean> {
  if (paying.retryable === undefined || retries >= maxFreeRetries) return false
  let problem: unknown
  try {
    problem = await response.clone().json()
  } catch {
    return false
  }
  if (problem === null || typeof problem !== 'object') return false
  return paying.retryable(problem as { type?: unknown })
}

function describeOffer(offered: Challenges.Offered): string {
  const pairs = offered.challenges.map((challenge) => `${challenge.method}/${challenge.intent}`)
  const invalid = offered.invalid === 0 ? '' : ` (+${offered.invalid} unreadable)`
  return `[${pairs.join(', ')}]${invalid}`
}

async function discard(response: Response): Promise<void> {
  // Frees the connection; a body that cannot be cancelled is already gone.
  await response.body?.cancel().catch(() => undefined)
}

/**
 * Raised when the client's options are not valid.
 *
 * @example
 * ```ts
 * import type { Store } from '@paywire/core'
 * import { Client } from '@paywire/client'
 * declare const store: Store.Store
 * try {
 *   Client.create({ methods: [], policy: { currencies: {} }, store })
 * } catch (error) {
 *   if (error instanceof Client.InvalidOptionsError) console.log(error.code) // 'ERR_CLIENT_OPTIONS_INVALID'
 * }
 * ```
 */
export class InvalidOptionsError extends Errors.BaseError {
  override readonly name = 'Client.InvalidOptionsError'
  readonly code = 'ERR_CLIENT_OPTIONS_INVALID'
  readonly problem = undefined
}
