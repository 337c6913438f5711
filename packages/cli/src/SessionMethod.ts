// How `paywire <url> --account` pays a Tempo `session` challenge (draft-tempo-session):
// @paywire/method-tempo-session's session client, signing with a keystore account, keeping
// its channels in the home's store so a later run pays with a voucher on the channel an
// earlier run opened. The challenge's chain must be the node's, and its escrow must run
// paywire's escrow code (or be allowed by name), since the deposit is approved to it.
import { Errors, Method, type Store } from '@paywire/core'
import type * as Session from '@paywire/method-tempo-session'
import type { Address, Hex, PublicClient } from 'viem'
import * as Channels from './Channels.js'
import type * as Keystore from './Keystore.js'
import * as Progress from './Progress.js'
import * as Rpc from './Rpc.js'

type Request = Session.SessionRequest.SessionRequest

/**
 * The `tempo`/`session` client method of a keystore account.
 *
 * @example
 * ```ts
 * import { SessionMethod } from '@paywire/cli'
 * declare const options: SessionMethod.create.Options
 * const method = await SessionMethod.create(options)
 * ```
 */
export async function create(options: create.Options): Promise<Method.Client<Request>> {
  const { account, rpcUrl, output, url } = options
  const { Client, SessionRequest } = await import('@paywire/method-tempo-session')
  const { Escrow } = await import('@paywire/escrow')
  const { createPublicClient, http } = await import('viem')
  const payer = account.address.toLowerCase() as Address
  const allowed = new Set(options.escrows.map((escrow) => escrow.toLowerCase()))
  const clients = new Map<string, Session.Client.SessionClient>()
  const trusted = new Map<string, Promise<void>>()
  /** What the policy was told each challenge's credential commits: a deposit, or a voucher. */
  const judged = new Map<string, 'open' | 'voucher'>()
  let node: Promise<{ chainId: number; client: PublicClient }> | undefined

  const connect = () => {
    node ??= Rpc.chainId(rpcUrl).then((chainId) => ({
      chainId,
      client: createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) }) as PublicClient,
    }))
    return node
  }
  /** The escrow the deposit is approved to: paywire's escrow code, or allowed by name. */
  const trust = (escrow: string, client: PublicClient) => {
    const key = escrow.toLowerCase()
    if (allowed.has(key)) return Promise.resolve()
    let checked = trusted.get(key)
    if (checked === undefined) {
      checked = Rpc.reached(rpcUrl, client.getCode({ address: escrow as Address })).then((code) => {
        if (code?.toLowerCase() !== Escrow.deployedBytecode.toLowerCase())
          throw new UntrustedEscrowError(
            `the challenge's escrow ${escrow} does not run paywire's escrow contract; the deposit would be approved to it`,
          )
      })
      trusted.set(key, checked)
    }
    return checked
  }
  const check = async (request: Request) => {
    const { chainId, client } = await connect()
    const asked = request.methodDetails.chainId ?? 4217
    if (asked !== chainId)
      throw new UntrustedEscrowError(
        `the challenge is for chain ${asked}, the node at ${rpcUrl} is chain ${chainId}`,
      )
    await trust(request.methodDetails.escrowContract, client)
    return { chainId, client }
  }
  const depositFor = (request: Request) => {
    if (options.deposit !== undefined) return options.deposit
    const price = BigInt(request.amount)
    const suggested = BigInt(request.suggestedDeposit ?? request.amount)
    const cap = options.maxAmount(request.currency)
    // The suggestion, lowered to what the policy allows in one payment (never below a unit).
    return cap !== undefined && suggested > cap && cap >= price ? cap : suggested
  }
  const channelKey = (request: Request, chainId: number) => ({
    payer,
    payee: request.recipient.toLowerCase(),
    currency: request.currency.toLowerCase(),
    escrow: request.methodDetails.escrowContract.toLowerCase(),
    chainId,
  })
  const sessionFor = async (request: Request, chainId: number, client: PublicClient) => {
    const key =
      `${chainId}:${request.methodDetails.escrowContract}:${request.currency}`.toLowerCase()
    let session = clients.get(key)
    if (session === undefined) {
      session = Client.client({
        privateKey: await options.unlock(),
        client,
        chainId,
        escrow: request.methodDetails.escrowContract as Address,
        currency: request.currency as Address,
        store: Channels.payerStore(options.store(), payer),
        deposit: depositFor,
      })
      clients.set(key, session)
    }
    return session
  }

  return Method.defineClient({
    method: 'tempo',
    intent: 'session',
    requestSchema: SessionRequest.schema,
    async commitment({ challenge, request }) {
      const { chainId } = await check(request)
      const open = await Channels.openFor(options.store(), channelKey(request, chainId))
      judged.set(challenge.id, open === undefined ? 'open' : 'voucher')
      return open === undefined ? depositFor(request).toString() : '0'
    },
    retryable: (problem) =>
      [...clients.values()].some((session) => session.retryable?.(problem) === true),
    async createCredential(parameters) {
      const { chainId, client } = await check(parameters.request)
      const session = await sessionFor(parameters.request, chainId, client)
      const credential = await Progress.during(
        output,
        `paying on a Tempo session from ${account.name}`,
        session.createCredential(parameters),
      )
      const payload = credential.payload as { action?: string; channelId?: string }
      const promised = judged.get(parameters.challenge.id)
      judged.delete(parameters.challenge.id)
      if (payload.action === 'open' && promised === 'voucher') {
        // Judged by the policy as a voucher (0), it would open a channel: it is never sent,
        // so its open transaction is never broadcast and nothing is deposited.
        await session.payer.forget(payload.channelId as Hex)
        throw new ChannelChangedError(
          'the open channel this request was judged to be paid from is gone; nothing was paid: run it again to open a new one',
        )
      }
      if (payload.action === 'open' && typeof payload.channelId === 'string')
        // Recorded before the open is sent: a channel the server may open is never out of view.
        await Channels.add(options.store(), {
          ...channelKey(parameters.request, chainId),
          channelId: payload.channelId.toLowerCase(),
          url: url.href,
          origin: url.origin,
          realm: parameters.challenge.realm,
          account: account.name,
          rpcUrl,
          openedAt: new Date().toISOString(),
          status: 'open',
        })
      return credential
    },
  }) as Method.Client<Request>
}

export declare namespace create {
  type Options = {
    account: Keystore.Account
    /** Unlocks the account's key (asked once, when a credential is about to be signed). */
    unlock: () => Promise<Hex>
    rpcUrl: string
    /** The home's store (opened on first use). */
    store: () => Store.Store
    /** The URL requested: management requests (close) go there later. */
    url: URL
    /** Where progress goes. */
    output: NodeJS.WriteStream
    /** The deposit of a new channel (`--deposit`); default: the server's suggestion within the cap. */
    deposit: bigint | undefined
    /** The largest single payment the policy allows in a currency. */
    maxAmount: (currency: string) => bigint | undefined
    /** Escrows trusted by address even when their code is not paywire's. */
    escrows: readonly string[]
  }
}

/**
 * Raised when a credential judged by the policy as a voucher on an open channel would have
 * opened a new one (the channel went away in between): nothing is sent.
 *
 * @example
 * ```ts
 * import { SessionMethod } from '@paywire/cli'
 * new SessionMethod.ChannelChangedError('gone').code // 'ERR_CLI_CHANNEL_CHANGED'
 * ```
 */
export class ChannelChangedError extends Errors.BaseError {
  override readonly name = 'SessionMethod.ChannelChangedError'
  readonly code = 'ERR_CLI_CHANNEL_CHANGED'
  readonly problem = undefined
}

/**
 * Raised when a session challenge names another chain than the node's, or an escrow that
 * is neither paywire's contract nor allowed with `--tempo-escrow`: nothing is signed.
 *
 * @example
 * ```ts
 * import { SessionMethod } from '@paywire/cli'
 * new SessionMethod.UntrustedEscrowError('unknown escrow').code // 'ERR_CLI_UNTRUSTED_ESCROW'
 * ```
 */
export class UntrustedEscrowError extends Errors.BaseError {
  override readonly name = 'SessionMethod.UntrustedEscrowError'
  readonly code = 'ERR_CLI_UNTRUSTED_ESCROW'
  readonly problem = undefined
}
