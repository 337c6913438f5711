// The server half of the Tempo charge (draft-tempo-charge-00): builds requests (chainId
// always emitted, supportedModes whenever only one mode is offered), and verifies
// credentials: pull (check the signed transaction, optionally co-sign as fee payer,
// broadcast, confirm), push (confirm a transaction the client broadcast), and
// zero-amount proofs. A transaction hash is claimed once, after every check passed.
import { Charge, Errors, Expires, Method, Receipt } from '@paywire/core'
import { type Hex, keccak256 } from 'viem'
import type * as Chain from './Chain.js'
import * as ChargePayload from './ChargePayload.js'
import * as ChargeRequest from './ChargeRequest.js'
import type * as FeePayer from './FeePayer.js'
import * as Proof from './Proof.js'
import * as Settlement from './Settlement.js'
import * as Source from './Source.js'
import * as Transaction from './Transaction.js'
import * as Transfer from './Transfer.js'

/**
 * The method identifier.
 *
 * @example
 * ```ts
 * import { Server } from '@paywire/method-tempo'
 * declare const credential: { challenge: { method: string } }
 * credential.challenge.method === Server.method
 * ```
 */
export const method = 'tempo'

/**
 * pathUSD, the default currency.
 *
 * @example
 * ```ts
 * import { Server } from '@paywire/method-tempo'
 * declare const chain: import('@paywire/method-tempo').Chain.Chain
 * Server.server({ chain, recipient: '0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00', currency: Server.pathUsd })
 * ```
 */
export const pathUsd = '0x20c0000000000000000000000000000000000000'

/** What a route charges: a base-unit amount and the optional parts of the request. */
export type Price = {
  amount: string
  recipient?: string | undefined
  currency?: string | undefined
  description?: string | undefined
  externalId?: string | undefined
  memo?: string | undefined
  splits?: ChargeRequest.Split[] | undefined
  /** Whether the server pays fees; default: whether the server has a fee payer. */
  feePayer?: boolean | undefined
  /** Modes offered for this charge; default the server's. */
  modes?: ChargeRequest.Mode[] | undefined
}

/**
 * The server half of the Tempo charge.
 *
 * @example
 * ```ts
 * import { Chain, Server } from '@paywire/method-tempo'
 * const tempo = Server.server({
 *   chain: Chain.fromRpc({ rpcUrl: 'http://127.0.0.1:8545', chainId: 31337 }),
 *   recipient: '0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00',
 * })
 * const request = await tempo.request({ amount: '1000000' })
 * ```
 */
export function server(
  options: server.Options,
): Method.Server<Price, ChargeRequest.ChargeRequest, ChargePayload.ChargePayload> {
  const { chain } = options
  return Method.defineServer({
    method,
    intent: Charge.intent,
    requestSchema: ChargeRequest.schema,
    payloadSchema: ChargePayload.schema,
    request: (price: Price) => buildRequest(price, options),
    async verify({ credential, challenge, request, context }) {
      const { payload } = credential
      if (request.methodDetails.chainId !== chain.chainId)
        throw new ModeRefusedError(
          `the challenge is for chain ${request.methodDetails.chainId}, this server settles on ${chain.chainId}`,
        )
      const finish = (reference: string) =>
        Receipt.from({
          method,
          reference,
          timestamp: context.now(),
          ...(request.externalId === undefined ? {} : { externalId: request.externalId }),
        })
      if (request.amount === '0') {
        if (payload.type !== 'proof')
          throw new ModeRefusedError('a zero-amount charge is paid with a proof credential')
        await Proof.verify({
          signature: payload.signature as Hex,
          source: credential.source,
          challengeId: challenge.id,
          chainId: chain.chainId,
        })
        return finish(challenge.id)
      }
      const allowed = ChargeRequest.modes(request)
      if (payload.type === 'proof')
        throw new ModeRefusedError('a proof credential pays only a zero-amount charge')
      if (payload.type === 'hash') {
        if (request.methodDetails.feePayer === true)
          throw new ModeRefusedError('a hash credential cannot answer a fee-sponsored challenge')
        if (!allowed.includes('push'))
          throw new ModeRefusedError('this challenge does not accept push mode')
        return finish(
          await verifyPush({
            hash: payload.hash,
            source: credential.source,
            request,
            context,
            options,
          }),
        )
      }
      if (!allowed.includes('pull'))
        throw new ModeRefusedError('this challenge does not accept pull mode')
      const expires =
        challenge.expires === undefined ? undefined : Expires.parse(challenge.expires) / 1000
      return finish(
        await verifyPull({
          serialized: payload.signature,
          source: credential.source,
          expires,
          request,
          context,
          options,
        }),
      )
    },
  })
}

export declare namespace server {
  type Options = {
    /** The chain payments settle on. */
    chain: Chain.Chain
    /** Default recipient of charges. */
    recipient: string
    /** Default TIP-20 currency; pathUSD. */
    currency?: string | undefined
    /** Sponsor for `feePayer: true` charges. */
    feePayer?: FeePayer.FeePayer | undefined
    /** Modes offered by default; both. */
    modes?: ChargeRequest.Mode[] | undefined
    /** How long a claimed transaction hash is remembered; 30 days. */
    claimTtlSeconds?: number | undefined
  }
}

function buildRequest(price: Price, options: server.Options): ChargeRequest.ChargeRequest {
  const zero = price.amount === '0'
  const feePayer = !zero && (price.feePayer ?? options.feePayer !== undefined)
  if (feePayer && options.feePayer === undefined)
    throw new ModeRefusedError('feePayer charges need a server configured with a fee payer')
  const offered = price.modes ?? options.modes ?? ['pull', 'push']
  const modes = feePayer ? offered.filter((mode) => mode === 'pull') : [...new Set(offered)]
  if (modes.length === 0)
    throw new ModeRefusedError('no submission mode left to offer for this charge')
  const both = modes.includes('pull') && modes.includes('push')
  return ChargeRequest.schema.parse({
    amount: price.amount,
    currency: price.currency ?? options.currency ?? pathUsd,
    recipient: price.recipient ?? options.recipient,
    ...(price.description === undefined ? {} : { description: price.description }),
    ...(price.externalId === undefined ? {} : { externalId: price.externalId }),
    methodDetails: {
      chainId: options.chain.chainId,
      ...(feePayer ? { feePayer: true } : {}),
      ...(price.memo === undefined ? {} : { memo: price.memo }),
      ...(price.splits === undefined ? {} : { splits: price.splits }),
      ...(zero || both ? {} : { supportedModes: modes }),
    },
  })
}

type VerifyContext = {
  request: ChargeRequest.ChargeRequest
  context: Method.Context
  options: server.Options
  source: string | undefined
}

async function verifyPull(
  parameters: VerifyContext & { serialized: string; expires: number | undefined },
): Promise<string> {
  const { request, context, options, source } = parameters
  const { chain } = options
  const decoded = Transaction.deserialize(parameters.serialized)
  if (source !== undefined) assertSource(source, decoded.sender, chain.chainId)
  Transaction.verify(decoded, {
    request,
    expires: parameters.expires,
    now: Math.floor(context.now() / 1000),
  })
  let serialized = parameters.serialized as Hex
  let sponsorship: FeePayer.Sponsorship | undefined
  if (request.methodDetails.feePayer === true) {
    if (options.feePayer === undefined) throw new ModeRefusedError('this server has no fee payer')
    sponsorship = await options.feePayer.sponsor({
      envelope: decoded.envelope,
      sender: decoded.sender,
      chain,
    })
    serialized = sponsorship.serialized
  }
  const hash = keccak256(serialized)
  const receipt = await broadcast(chain, serialized, hash)
  if (receipt === undefined) {
    sponsorship?.release()
    throw new Settlement.PaymentNotSettledError(`transaction ${hash} was not confirmed on chain`)
  }
  sponsorship?.settle(receipt)
  Settlement.verifyReceipt({ receipt, request, payer: decoded.sender })
  await Settlement.claim({
    context,
    chainId: chain.chainId,
    hash,
    ttlSeconds: options.claimTtlSeconds,
  })
  return hash
}

/**
 * Broadcasts and waits for the receipt. When the send fails (timeout, dropped connection,
 * rejection), the node may still have mined it: the receipt is looked up once by hash.
 */
async function broadcast(
  chain: Chain.Chain,
  serialized: Hex,
  hash: Hex,
): Promise<Chain.Receipt | undefined> {
  let receipt: Chain.Receipt | undefined
  try {
    receipt = await chain.sendRawTransactionSync(serialized)
  } catch {
    // The send's failure is not the verdict: only a receipt for this exact hash is.
    receipt = await chain.getTransactionReceipt(hash).catch(() => undefined)
  }
  return receipt !== undefined && receipt.transactionHash.toLowerCase() === hash
    ? receipt
    : undefined
}

async function verifyPush(parameters: VerifyContext & { hash: string }): Promise<string> {
  const { request, context, options, source } = parameters
  const { chain } = options
  const hash = parameters.hash.toLowerCase() as Hex
  const receipt = await chain.getTransactionReceipt(hash)
  if (receipt === undefined || receipt.transactionHash.toLowerCase() !== hash)
    throw new Settlement.PaymentNotSettledError(
      `transaction ${hash} is not mined on chain ${chain.chainId}`,
    )
  let payer = receipt.from
  if (source !== undefined) {
    const parsed = Source.parse(source)
    assertSource(source, parsed.address, chain.chainId)
    payer = parsed.address
  }
  Settlement.verifyReceipt({ receipt, request, payer })
  const ttlSeconds = options.claimTtlSeconds ?? Settlement.defaultClaimTtlSeconds
  const minedAt = await chain.getBlockTimestamp(receipt.blockNumber)
  // A marker must outlive every transaction it could be replayed for: refuse older ones.
  if (BigInt(Math.floor(context.now() / 1000)) - minedAt > BigInt(Math.floor(ttlSeconds * 0.9)))
    throw new Settlement.PaymentNotSettledError(
      `transaction ${hash} is too old to pay a new challenge`,
    )
  await Settlement.claim({ context, chainId: chain.chainId, hash, ttlSeconds })
  return hash
}

function assertSource(source: string, sender: string, chainId: number): void {
  const parsed = Source.parse(source)
  if (parsed.chainId !== chainId)
    throw new Settlement.SenderMismatchError(
      `source is on chain ${parsed.chainId}, the challenge on ${chainId}`,
    )
  if (!Transfer.sameAddress(parsed.address, sender))
    throw new Settlement.SenderMismatchError('the transaction was not signed by the source account')
}

/** The credential uses a mode, or the server a configuration, the challenge does not allow. */
export class ModeRefusedError extends Errors.BaseError {
  override readonly name = 'Server.ModeRefusedError'
  readonly code = 'ERR_TEMPO_MODE_REFUSED'
  readonly problem = 'verification-failed' as const
}
