// The client half of the tempo session method for the HTTP binding (draft-tempo-session
// §"Session Flow", §"Insufficient Balance During Streaming", §"Voucher Submission
// Transport"): a `Method.Client` for `@paywire/client` that opens a channel on the first
// challenge of a payee (its deposit is the commitment the spending policy and budgets
// see), then pays each request with a voucher signed just in time within the deposit;
// plus `pay`, which answers a stream's `payment-need-voucher` on the same resource
// (topping up first when the deposit does not cover it), and `close`.
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
   * Answers a `payment-need-voucher` event of a stream from `url`: tops up by `topUp`
   * when the required amount exceeds the deposit, then sends a voucher for
   * `requiredCumulative` (plus `ahead`), each on a `HEAD` of the same resource.
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

  return {
    method: 'tempo',
    intent: 'session',
    requestSchema: SessionRequest.schema,
    payer,
    channelFor,

    async commitment({ request }) {
      check(request)
      if ((await channelFor(request)) !== undefined) return '0'
      return depositFor(request).toString()
    },

    retryable: (problem) =>
      typeof problem.type === 'string' &&
      /\/session\/(delta-too-small|insufficient-balance)$/.test(problem.type),

    createCredential: ({ challenge, request }) =>
      serially(keyOf(request), async () => {
        check(request)
        const price = BigInt(request.amount)
        const existing = await channelFor(request)
        if (existing === undefined) {
          const open = await payer.open({
            payee: request.recipient as Address,
            deposit: depositFor(request),
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

    async pay({ url, need, ahead = 0n }) {
      const channelId = need.channelId as Hex
      const target = BigInt(need.requiredCumulative) + ahead
      const channel = await payer.channel(channelId)
      if (channel === undefined)
        throw new Payer.UnknownChannelError(`no stored channel ${channelId}`)
      const deposit = BigInt(channel.deposit)
      if (target > deposit) {
        const needed = target - deposit
        const least = options.topUp ?? 0n
        const topUp = await payer.topUp(channelId, least > needed ? least : needed)
        await manage(
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
      }
      const signed = BigInt(channel.signed)
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
    },

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

/** The server did not answer a management request (top-up, voucher, close) with 200 and a receipt. */
export class ManagementRefusedError extends Errors.BaseError {
  override readonly name = 'Client.ManagementRefusedError'
  readonly code = 'ERR_SESSION_MANAGEMENT_REFUSED'
  readonly problem = undefined
}
