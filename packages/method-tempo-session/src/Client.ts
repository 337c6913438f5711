// The client half of the tempo session method for the HTTP binding (draft-tempo-session
// §"Session Flow", §"Method Details", §"TopUp Payload", §"Insufficient Balance During
// Streaming", §"Voucher Submission Transport"): a `Method.Client` for `@paywire/client`
// that opens a channel on the first challenge of a payee (its deposit is the commitment
// the spending policy and budgets see), resumes a channel the server suggests only when
// the chain shows room for the request, then pays each request with a voucher signed just
// in time within the deposit; plus `topUp` and `pay` (which answers a stream's
// `payment-need-voucher`, topping up first when the deposit does not cover it), whose
// top-ups are spent under the paying client's policy, budgets and ledger, and `close`.
import { Challenge, Credential, Errors, type Method, Receipt } from '@paywire/core'
import type { Address, Hex } from 'viem'
import * as Payer from './Payer.js'
import * as SessionRequest from './SessionRequest.js'

/** The session client: a client method plus the management requests it sends itself. */
export type SessionClient = Method.Client<
  SessionRequest.SessionRequest,
  Record<string, unknown>
> & {
  readonly payer: Payer.Payer
  /** The channel this client uses for the payee, token and escrow of a request, if any. */
  channelFor(request: SessionRequest.SessionRequest): Promise<Hex | undefined>
  /**
   * Adds `amount` to a channel's deposit: signs a top-up transaction and sends it on a
   * `HEAD` of `url` (a resource of the channel's server), under the channel's last
   * challenge (or a fresh one from `url`). Attached to a paying client, the amount is
   * first checked against its policy and reserved in its budgets (`Policy.RefusedError`
   * when it may not be spent: nothing signed), and recorded in its ledger.
   */
  topUp(parameters: { url: string | URL; channelId: Hex; amount: bigint }): Promise<Receipt.Receipt>
  /**
   * Answers a `payment-need-voucher` event of a stream from `url`: tops up (as `topUp`
   * does, by at least the `topUp` option) when the required amount exceeds the deposit,
   * then sends a voucher for `requiredCumulative` (plus `ahead`), each on a `HEAD` of the
   * same resource.
   */
  pay(parameters: {
    url: string | URL
    need: { channelId: string; requiredCumulative: string; deposit: string }
    ahead?: bigint | undefined
  }): Promise<Receipt.Receipt>
  /** Closes a channel with a voucher for `cumulativeAmount` (what was served), on `GET url`. */
  close(parameters: {
    url: string | URL
    channelId: Hex
    cumulativeAmount: bigint
  }): Promise<Receipt.Receipt>
}

/**
 * Creates the session client method.
 *
 * @example
 * ```ts
 * import { Client as SessionClient } from '@paywire/method-tempo-session'
 * import { MemoryStore } from '@paywire/store-memory'
 * declare const publicClient: import('viem').PublicClient
 * const session = SessionClient.client({
 *   privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
 *   client: publicClient,
 *   chainId: 4217,
 *   escrow: '0x9d136eEa063eDE5418A6BC7bEafF009bBb6CFa70',
 *   currency: '0x20c0000000000000000000000000000000000000',
 *   store: MemoryStore.create(),
 *   maxDeposit: 10_000_000n,
 *   deposit: 1_000_000n,
 * })
 * ```
 */
export function client(options: client.Options): SessionClient {
  const payer = Payer.create(options)
  const { store } = options
  const send = options.fetch ?? globalThis.fetch.bind(globalThis)
  const challenges = new Map<string, Challenge.Challenge>()
  // What `commitment` told the paying client each challenge's credential commits: a
  // credential judged as a voucher (0) never opens a channel.
  const promised = new Map<string, 'open' | 'voucher'>()
  let spending: Method.Spending | undefined
  const locks = new Map<string, Promise<unknown>>()
  const serially = <value>(key: string, task: () => Promise<value>): Promise<value> => {
    const run = (locks.get(key) ?? Promise.resolve()).then(task, task)
    locks.set(
      key,
      run.catch(() => undefined),
    )
    return run
  }
  const keyOf = (request: SessionRequest.SessionRequest) =>
    `paywire:session-client:${options.chainId}:${request.methodDetails.escrowContract}:${request.currency}:${request.recipient}`.toLowerCase()
  const check = (request: SessionRequest.SessionRequest) => {
    if (
      request.currency.toLowerCase() !== options.currency.toLowerCase() ||
      request.methodDetails.escrowContract.toLowerCase() !== options.escrow.toLowerCase() ||
      (request.methodDetails.chainId ?? 4217) !== options.chainId
    )
      throw new Payer.PolicyError('the challenge asks for another token, escrow or chain')
  }
  const channelFor = async (request: SessionRequest.SessionRequest) => {
    const channelId = (await store.get(keyOf(request)))?.value as Hex | undefined
    if (channelId === undefined) return undefined
    return (await payer.channel(channelId)) === undefined ? undefined : channelId
  }
  /**
   * The channel the next credential for `request` pays from, `undefined` to open one. A
   * channel the server suggests (`methodDetails.channelId`) that this payer holds for the
   * same payee is resumed only when the chain shows room for the request (draft
   * §"Method Details": deposit minus settled, and minus what this payer already signed,
   * covers `amount`); otherwise a new channel is opened. Other suggestions are ignored.
   */
  const plan = async (request: SessionRequest.SessionRequest) => {
    const suggested = request.methodDetails.channelId as Hex | undefined
    const held = suggested === undefined ? undefined : await payer.channel(suggested)
    if (held === undefined || held.payee.toLowerCase() !== request.recipient.toLowerCase())
      return channelFor(request)
    return (await resumable(payer, held, BigInt(request.amount))) ? held.channelId : undefined
  }
  const promise = (challenge: Challenge.Challenge, kind: 'open' | 'voucher') => {
    promised.set(challenge.id, kind)
    for (const id of promised.keys()) {
      if (promised.size <= 1_024) break
      promised.delete(id)
    }
  }
  const depositFor = (request: SessionRequest.SessionRequest) =>
    typeof options.deposit === 'function'
      ? options.deposit(request)
      : (options.deposit ?? BigInt(request.suggestedDeposit ?? request.amount))

  /**
   * Sends one management credential on `HEAD` (or `GET` for a close) of the resource,
   * under the channel's last challenge; a 402 (the challenge expired, or was issued for
   * another resource) is answered once more under the fresh session challenge it offers.
   */
  const manage = async (
    url: string | URL,
    channelId: Hex,
    payload: Record<string, unknown>,
    method: 'HEAD' | 'GET',
  ) => {
    let challenge = challenges.get(channelId.toLowerCase())
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = {}
      if (challenge !== undefined)
        headers.authorization = Credential.toAuthorization(Credential.from({ challenge, payload }))
      const response = await send(String(url), { method, headers })
      await response.body?.cancel().catch(() => undefined)
      const header = response.headers.get(Receipt.headerName)
      if (response.status === 200 && header !== null) {
        if (challenge !== undefined) challenges.set(channelId.toLowerCase(), challenge)
        return Receipt.deserialize(header)
      }
      const fresh =
        response.status === 402 && attempt === 0 ? sessionChallenge(response) : undefined
      if (fresh === undefined)
        throw new ManagementRefusedError(
          `the server answered ${payload.action} with ${response.status}${header === null ? ' and no receipt' : ''}`,
        )
      challenge = fresh
    }
  }

  /**
   * The challenge a top-up of `channel` is sent (and judged) under: the channel's last
   * one, else the session challenge of a `HEAD` of `url`; it must name the channel's payee.
   */
  const challengeFor = async (url: string | URL, channel: Payer.Channel) => {
    let challenge = challenges.get(channel.channelId.toLowerCase())
    if (challenge === undefined) {
      const response = await send(String(url), { method: 'HEAD', headers: {} })
      await response.body?.cancel().catch(() => undefined)
      challenge = response.status === 402 ? sessionChallenge(response) : undefined
      if (challenge === undefined)
        throw new ManagementRefusedError(
          `${String(url)} answered ${response.status} without a session challenge`,
        )
    }
    const request = SessionRequest.schema.safeParse(Challenge.decodeRequest(challenge))
    if (!request.success) throw new Payer.PolicyError('the session challenge is not readable')
    check(request.data)
    if (request.data.recipient.toLowerCase() !== channel.payee.toLowerCase())
      throw new Payer.PolicyError("the challenge names another payee than the channel's")
    return { challenge, request: request.data }
  }

  /** Signs and sends a top-up of `amount`, spent under the attached client's policy. */
  const addDeposit = async (url: string | URL, channelId: Hex, amount: bigint) => {
    const channel = await payer.channel(channelId)
    if (channel === undefined) throw new Payer.UnknownChannelError(`no stored channel ${channelId}`)
    if (amount <= 0n) throw new Payer.PolicyError('a top-up adds a positive amount')
    const { challenge, request } = await challengeFor(url, channel)
    const feePayer = request.methodDetails.feePayer === true
    const steps = {
      sign: () => payer.topUp(channelId, amount, { feePayer }),
      async send(topUp: Awaited<ReturnType<Payer.Payer['topUp']>>) {
        const receipt = await manage(
          url,
          channelId,
          {
            action: 'topUp',
            type: 'transaction',
            channelId,
            transaction: topUp.transaction,
            additionalDeposit: topUp.additionalDeposit.toString(),
          },
          'HEAD',
        )
        await payer.deposited(channelId, BigInt(channel.deposit) + amount)
        return receipt
      },
    }
    if (spending === undefined) return steps.send(await steps.sign())
    return spending.spend({ challenge, url: String(url), amount: amount.toString() }, steps)
  }
  const channelKey = (channelId: Hex) => `paywire:session-client:channel:${channelId}`.toLowerCase()

  return {
    method: 'tempo',
    intent: 'session',
    requestSchema: SessionRequest.schema,
    payer,
    channelFor,

    attach(lent) {
      if (spending !== undefined && spending !== lent)
        throw new AttachedError('this session client already spends for another paying client')
      spending = lent
    },

    async commitment({ challenge, request }) {
      check(request)
      const channel = await plan(request)
      promise(challenge, channel === undefined ? 'open' : 'voucher')
      return channel === undefined ? depositFor(request).toString() : '0'
    },

    retryable: (problem) =>
      typeof problem.type === 'string' &&
      /\/session\/(delta-too-small|insufficient-balance)$/.test(problem.type),

    createCredential: ({ challenge, request }) =>
      serially(keyOf(request), async () => {
        check(request)
        const judged = promised.get(challenge.id)
        promised.delete(challenge.id)
        const price = BigInt(request.amount)
        const existing = await plan(request)
        if (existing === undefined) {
          if (judged === 'voucher')
            throw new ChannelChangedError(
              'the channel this challenge was judged to be paid from is gone; nothing was signed',
            )
          const open = await payer.open({
            payee: request.recipient as Address,
            deposit: depositFor(request),
            feePayer: request.methodDetails.feePayer === true,
          })
          await store.put(keyOf(request), open.channelId)
          challenges.set(open.channelId.toLowerCase(), challenge)
          // The first voucher already pays the request the open is sent with.
          const voucher = price === 0n ? open : await payer.voucher(open.channelId, price)
          return {
            payload: {
              action: 'open',
              type: 'transaction',
              channelId: open.channelId,
              transaction: open.transaction,
              cumulativeAmount: voucher.cumulativeAmount.toString(),
              signature: voucher.signature,
            },
          }
        }
        challenges.set(existing.toLowerCase(), challenge)
        const channel = (await payer.channel(existing)) as Payer.Channel
        const voucher = await payer.voucher(existing, BigInt(channel.signed) + price)
        return {
          payload: {
            action: 'voucher',
            channelId: existing,
            cumulativeAmount: voucher.cumulativeAmount.toString(),
            signature: voucher.signature,
          },
        }
      }),

    topUp: ({ url, channelId, amount }) =>
      serially(channelKey(channelId), () => addDeposit(url, channelId, amount)),

    pay: ({ url, need, ahead = 0n }) =>
      serially(channelKey(need.channelId as Hex), async () => {
        const channelId = need.channelId as Hex
        const target = BigInt(need.requiredCumulative) + ahead
        const channel = await payer.channel(channelId)
        if (channel === undefined)
          throw new Payer.UnknownChannelError(`no stored channel ${channelId}`)
        const deposit = BigInt(channel.deposit)
        if (target > deposit) {
          const needed = target - deposit
          const least = options.topUp ?? 0n
          await addDeposit(url, channelId, least > needed ? least : needed)
        }
        const signed = BigInt(((await payer.channel(channelId)) ?? channel).signed)
        const voucher = await payer.voucher(channelId, target > signed ? target : signed)
        return manage(
          url,
          channelId,
          {
            action: 'voucher',
            channelId,
            cumulativeAmount: voucher.cumulativeAmount.toString(),
            signature: voucher.signature,
          },
          'HEAD',
        )
      }),

    async close({ url, channelId, cumulativeAmount }) {
      const voucher = await payer.voucher(channelId, cumulativeAmount)
      const receipt = await manage(
        url,
        channelId,
        {
          action: 'close',
          channelId,
          cumulativeAmount: voucher.cumulativeAmount.toString(),
          signature: voucher.signature,
        },
        'GET',
      )
      await payer.forget(channelId)
      return receipt
    },
  }
}

export declare namespace client {
  type Options = Payer.create.Parameters & {
    /**
     * The deposit of a new channel (base units), or a function of the challenge's request;
     * default the request's `suggestedDeposit`, else one unit. Counted against the
     * paying client's budgets when the channel is opened.
     */
    deposit?: bigint | ((request: SessionRequest.SessionRequest) => bigint) | undefined
    /** The least added by a top-up (default: just what the voucher needs). */
    topUp?: bigint | undefined
    /** The fetch management requests go through (default `globalThis.fetch`). */
    fetch?: ((input: string, init: RequestInit) => Promise<Response>) | undefined
  }
}

/** The first tempo session challenge a 402 offers, if any. */
function sessionChallenge(response: Response): Challenge.Challenge | undefined {
  const header = response.headers.get('www-authenticate')
  if (header === null) return undefined
  try {
    return Challenge.deserializeList(header).find(
      (challenge) => challenge.method === 'tempo' && challenge.intent === 'session',
    )
  } catch (error) {
    if (error instanceof Errors.BaseError) return undefined
    throw error
  }
}

/**
 * Whether a held channel may be resumed for a request of `amount`: the escrow shows it
 * open, this payer's, and with room for `amount` above both what was settled and what
 * this payer signed (draft-tempo-session §"Method Details", channel reuse).
 */
async function resumable(payer: Payer.Payer, held: Payer.Channel, amount: bigint) {
  const onChain = await payer.onChain(held.channelId)
  if (
    onChain.finalized ||
    onChain.closeRequestedAt !== 0n ||
    onChain.payer.toLowerCase() !== payer.address.toLowerCase()
  )
    return false
  const used = onChain.settled > BigInt(held.signed) ? onChain.settled : BigInt(held.signed)
  return onChain.deposit - used >= amount
}

/** The server did not answer a management request (top-up, voucher, close) with 200 and a receipt. */
export class ManagementRefusedError extends Errors.BaseError {
  override readonly name = 'Client.ManagementRefusedError'
  readonly code = 'ERR_SESSION_MANAGEMENT_REFUSED'
  readonly problem = undefined
}

/** A credential judged to commit nothing (a voucher) would have had to open a channel. */
export class ChannelChangedError extends Errors.BaseError {
  override readonly name = 'Client.ChannelChangedError'
  readonly code = 'ERR_SESSION_CHANNEL_CHANGED'
  readonly problem = undefined
}

/** A session client spends for one paying client only. */
export class AttachedError extends Errors.BaseError {
  override readonly name = 'Client.AttachedError'
  readonly code = 'ERR_SESSION_CLIENT_ATTACHED'
  readonly problem = undefined
}
