// The suite's payer of Tempo sessions (draft-tempo-session, v1 escrow): opens, top-ups and
// vouchers signed by @paywire/method-tempo-session's Payer for the escrow, chain and token a
// session challenge names, and what the session checks read on chain (the escrow's
// getChannel view, the transfers of a close). Configured as the `session` block:
// `{ rpcUrl, privateKey, deposit }`; the account must hold the channel token and pathUSD.
import { Challenge } from '@paywire/core'
import type { Payer as SessionClient } from '@paywire/method-tempo-session'
import type { Address, Hex, PublicClient } from 'viem'
import { z } from 'zod'
import { InvalidPayerSettingsError, type Payment, UnpayableChallengeError } from './Payer.js'

/** The settings of the `session` block of the configuration. */
export const settingsSchema = z.strictObject({
  /** JSON-RPC URL of a node of the chain the target's escrow is on. */
  rpcUrl: z
    .string()
    .regex(/^https?:\/\/[^\s/]+\S*$/, 'expected the http(s) URL of a Tempo JSON-RPC endpoint'),
  /** The paying account's key: it must hold the channel token and pathUSD for fees. */
  privateKey: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, "expected the payer's 0x-prefixed 32-byte hex private key"),
  /** The deposit of each channel the suite opens, in base units (default 100000). */
  deposit: z
    .string()
    .regex(/^[1-9][0-9]*$/, 'expected a positive whole number of base units')
    .default('100000'),
})

/** The `session` block as written. */
export type Settings = z.input<typeof settingsSchema>

/** The `session` block with defaults applied. */
export type Options = z.output<typeof settingsSchema>

/** A session challenge the payer can pay: its escrow, chain, token, payee and price. */
export type Terms = {
  escrow: Address
  chainId: number
  currency: Address
  recipient: Address
  /** Price of one request (`amount`), in base units. */
  price: bigint
}

/** One channel the payer opened, with the signer bound to its terms. */
export type Channel = {
  channelId: Hex
  terms: Terms
  /** The deposit in all, top-ups recorded so far included. */
  deposit: bigint
}

/** The session payer. */
export type SessionPayer = {
  /** The configured deposit of a new channel. */
  readonly deposit: bigint
  /** The terms of a session challenge. @throws {UnpayableChallengeError} when it is not one. */
  terms(challenge: Challenge.Challenge): Terms
  /** Signs an open transaction for a new channel, with a voucher paying one request. */
  open(challenge: Challenge.Challenge): Promise<{ channel: Channel; payment: Payment }>
  /** A voucher for `cumulativeAmount`, never above the recorded deposit. */
  voucher(channel: Channel, cumulativeAmount: bigint): Promise<Payment>
  /** A voucher signed for any amount, even above the deposit (the payer's policy bypassed). */
  forgeVoucher(channel: Channel, cumulativeAmount: bigint): Promise<Payment>
  /** A top-up transaction adding `amount`; {@link SessionPayer.deposited} records it once accepted. */
  topUp(channel: Channel, amount: bigint): Promise<Payment>
  /** Records a deposit accepted by the target. */
  deposited(channel: Channel, deposit: bigint): Promise<void>
  /** A close request for `cumulativeAmount` (a signed voucher). */
  close(channel: Channel, cumulativeAmount: bigint): Promise<Payment>
  /** The channel as the escrow holds it. */
  onChain(channel: Channel): Promise<SessionClient.OnChain>
  /** The token amount a transaction moved to `to`. */
  received(hash: Hex, token: Address, to: Address): Promise<bigint>
}

/**
 * Reads the `session` block of a configuration.
 *
 * @throws {InvalidPayerSettingsError} naming the first wrong field (never its value).
 * @example
 * ```ts
 * import { SessionPayer } from '@paywire/conformance'
 * SessionPayer.read({
 *   rpcUrl: 'http://127.0.0.1:8545',
 *   privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
 * }).deposit // '100000'
 * ```
 */
export function read(settings: unknown): Options {
  const result = settingsSchema.safeParse(settings)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const where = ['session', ...(issue?.path ?? [])].join('.')
  throw new InvalidPayerSettingsError(`${where}: ${issue?.message ?? 'invalid'}`)
}

/**
 * The session payer: one in-memory channel store, one signer per escrow and token.
 *
 * @example
 * ```ts
 * import { SessionPayer } from '@paywire/conformance'
 * const payer = SessionPayer.from({
 *   rpcUrl: 'http://127.0.0.1:8545',
 *   privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
 *   deposit: '50000',
 * })
 * ```
 */
export function from(settings: Settings): SessionPayer {
  const options = read(settings)
  const privateKey = options.privateKey as Hex
  let connection: Promise<Connection> | undefined
  const connect = () => {
    connection ??= open(options.rpcUrl).catch((error: unknown) => {
      connection = undefined
      throw error
    })
    return connection
  }
  const signers = new Map<string, Promise<SessionClient.Payer>>()
  const signer = (terms: Terms) => {
    const key = `${terms.chainId}:${terms.escrow}:${terms.currency}`.toLowerCase()
    let found = signers.get(key)
    if (found === undefined) {
      found = connect().then(({ modules, client }) =>
        modules.session.Payer.create({
          privateKey,
          client,
          chainId: terms.chainId,
          escrow: terms.escrow,
          currency: terms.currency,
          store: modules.memory.MemoryStore.create(),
        }),
      )
      signers.set(key, found)
    }
    return found
  }
  const deposit = BigInt(options.deposit)
  const voucherPayment = (channelId: Hex, cumulativeAmount: bigint, signature: Hex) => ({
    payload: {
      action: 'voucher',
      channelId,
      cumulativeAmount: cumulativeAmount.toString(),
      signature,
    },
  })
  return {
    deposit,
    terms,
    async open(challenge) {
      const channelTerms = terms(challenge)
      const client = await signer(channelTerms)
      const opened = await client.open({ payee: channelTerms.recipient, deposit })
      // The open's voucher already pays the request it is sent with.
      const voucher =
        channelTerms.price === 0n
          ? opened
          : await client.voucher(opened.channelId, channelTerms.price)
      return {
        channel: { channelId: opened.channelId, terms: channelTerms, deposit },
        payment: {
          payload: {
            action: 'open',
            type: 'transaction',
            channelId: opened.channelId,
            transaction: opened.transaction,
            cumulativeAmount: voucher.cumulativeAmount.toString(),
            signature: voucher.signature,
          },
        },
      }
    },
    async voucher(channel, cumulativeAmount) {
      const signed = await (await signer(channel.terms)).voucher(
        channel.channelId,
        cumulativeAmount,
      )
      return voucherPayment(channel.channelId, cumulativeAmount, signed.signature)
    },
    async forgeVoucher(channel, cumulativeAmount) {
      const { modules } = await connect()
      const account = modules.accounts.privateKeyToAccount(privateKey)
      const signature = await account.signTypedData({
        domain: modules.escrow.Escrow.domain({
          chainId: channel.terms.chainId,
          verifyingContract: channel.terms.escrow,
        }),
        types: modules.escrow.Escrow.voucherTypes,
        primaryType: 'Voucher',
        message: { channelId: channel.channelId, cumulativeAmount },
      })
      return voucherPayment(channel.channelId, cumulativeAmount, signature)
    },
    async topUp(channel, amount) {
      const signed = await (await signer(channel.terms)).topUp(channel.channelId, amount)
      return {
        payload: {
          action: 'topUp',
          type: 'transaction',
          channelId: channel.channelId,
          transaction: signed.transaction,
          additionalDeposit: amount.toString(),
        },
      }
    },
    async deposited(channel, total) {
      await (await signer(channel.terms)).deposited(channel.channelId, total)
      if (total > channel.deposit) channel.deposit = total
    },
    async close(channel, cumulativeAmount) {
      const signed = await (await signer(channel.terms)).voucher(
        channel.channelId,
        cumulativeAmount,
      )
      return {
        payload: {
          action: 'close',
          channelId: channel.channelId,
          cumulativeAmount: cumulativeAmount.toString(),
          signature: signed.signature,
        },
      }
    },
    onChain: async (channel) => (await signer(channel.terms)).onChain(channel.channelId),
    async received(hash, token, to) {
      const { client, modules } = await connect()
      const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 100 })
      const transfers = modules.viem.parseEventLogs({
        abi: transferAbi,
        eventName: 'Transfer',
        logs: receipt.logs.filter((log) => log.address.toLowerCase() === token.toLowerCase()),
      })
      return transfers
        .filter((log) => log.args.to.toLowerCase() === to.toLowerCase())
        .reduce((sum, log) => sum + log.args.amount, 0n)
    },
  }
}

/** Reads the terms of a session challenge. */
function terms(challenge: Challenge.Challenge): Terms {
  if (challenge.method !== 'tempo' || challenge.intent !== 'session')
    throw new UnpayableChallengeError(
      `expected a tempo/session challenge, got ${challenge.method}/${challenge.intent}`,
    )
  let request: Record<string, unknown>
  try {
    request = Challenge.decodeRequest(challenge)
  } catch (cause) {
    throw new UnpayableChallengeError("the challenge's request does not decode", { cause })
  }
  const parsed = termsSchema.safeParse(request)
  if (!parsed.success)
    throw new UnpayableChallengeError(
      `the challenge's request is not a v1 session request: ${parsed.error.issues[0]?.message}`,
    )
  const { amount, currency, recipient, methodDetails } = parsed.data
  return {
    escrow: methodDetails.escrowContract as Address,
    chainId: methodDetails.chainId ?? 4217,
    currency: currency as Address,
    recipient: recipient as Address,
    price: BigInt(amount),
  }
}

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/)
const termsSchema = z.object({
  amount: z.string().regex(/^[0-9]+$/),
  currency: address,
  recipient: address,
  methodDetails: z.object({ escrowContract: address, chainId: z.number().int().optional() }),
})

const transferAbi = [
  {
    type: 'event',
    name: 'Transfer',
    inputs: [
      { name: 'from', type: 'address', indexed: true },
      { name: 'to', type: 'address', indexed: true },
      { name: 'amount', type: 'uint256', indexed: false },
    ],
  },
] as const

/** The modules a session needs, loaded on first use: the rest of the suite does not need them. */
type Connection = {
  client: PublicClient
  modules: {
    session: typeof import('@paywire/method-tempo-session')
    memory: typeof import('@paywire/store-memory')
    escrow: typeof import('@paywire/escrow')
    accounts: typeof import('viem/accounts')
    viem: typeof import('viem')
  }
}

async function open(rpcUrl: string): Promise<Connection> {
  const [session, memory, escrow, accounts, viem] = await Promise.all([
    import('@paywire/method-tempo-session'),
    import('@paywire/store-memory'),
    import('@paywire/escrow'),
    import('viem/accounts'),
    import('viem'),
  ])
  const client = viem.createPublicClient({ transport: viem.http(rpcUrl, { retryCount: 0 }) })
  return { client: client as PublicClient, modules: { session, memory, escrow, accounts, viem } }
}
