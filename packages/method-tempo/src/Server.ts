// The server half of the Tempo charge (draft-tempo-charge-00): builds requests (chainId
// always emitted, a fresh challenge memo unless the operator names one, supportedModes
// whenever only one mode is offered), and verifies credentials: pull (internal/pull.ts:
// check, simulate, optionally co-sign as fee payer, claim, broadcast, confirm), push
// (internal/push.ts: confirm a bound transaction the client broadcast, claim), and
// zero-amount proofs. A transaction hash pays one challenge, the one it is bound to.
import { Charge, Expires, Method, Receipt } from '@paywire/core'
import type { Hex } from 'viem'
import * as Binding from './Binding.js'
import type * as Chain from './Chain.js'
import * as ChargePayload from './ChargePayload.js'
import * as ChargeRequest from './ChargeRequest.js'
import type * as FeePayer from './FeePayer.js'
import * as Pull from './internal/pull.js'
import * as Push from './internal/push.js'
import { ModeRefusedError } from './internal/verification.js'
import * as Proof from './Proof.js'
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
  /**
   * Modes offered for this charge; default the server's. On a route that settles after
   * its handler succeeded (`settle: 'after-success'`) the default is pull only: a pushed
   * transfer is made before the handler runs and cannot be given back when it fails.
   * Naming `push` here offers it there all the same (the route opts in).
   */
  modes?: ChargeRequest.Mode[] | undefined
}

/**
 * The server half of the Tempo charge. Every transfer it accepts is bound to the challenge
 * it pays (Binding.ts): by default each challenge carries a fresh `methodDetails.memo`;
 * with `binding: 'attribution'` it carries none and the transfer must carry mppx's
 * attribution memo for the challenge. `check` runs every check of `verify` that moves no
 * money (for routes that settle after the handler succeeded).
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
  return Method.defineServer({
    method,
    intent: Charge.intent,
    requestSchema: ChargeRequest.schema,
    payloadSchema: ChargePayload.schema,
    request: (price: Price, context) =>
      buildRequest(price, options, context?.settle ?? 'before-handler'),
    async verify(parameters) {
      const { request, context } = parameters
      const reference = await run(parameters, options, 'settle')
      return Receipt.from({
        method,
        reference,
        timestamp: context.now(),
        ...(request.externalId === undefined ? {} : { externalId: request.externalId }),
      })
    },
    async check(parameters) {
      await run(parameters, options, 'check')
    },
    lookup: (parameters) => lookup(parameters, options),
  })
}

/**
 * Reconciliation (`Payments.sweep`): what happened to a challenge's transfer, read from the
 * chain by the transaction hash the payment record names (the receipt's reference, or the
 * hash recorded before the broadcast or the push check). `paid` when that transaction
 * succeeded and its transfers pay the challenge, bound to it; `unpaid` when it reverted,
 * pays something else, or was never mined and can no longer be (a pull transaction is
 * valid only until the challenge expires); `unknown` otherwise (not mined yet, or no hash
 * recorded while a push payment was possible: the payer's transfer cannot be found).
 */
async function lookup(
  parameters: Method.SettlementParameters<ChargeRequest.ChargeRequest>,
  options: server.Options,
): Promise<Method.Lookup> {
  const { request } = parameters
  if (request.amount === '0') return { status: 'unpaid' }
  const expired =
    parameters.expires !== undefined && Expires.parse(parameters.expires) < parameters.now()
  const hash = (parameters.receipt?.reference ?? parameters.reference)?.toLowerCase() as
    | Hex
    | undefined
  if (hash === undefined || !/^0x[0-9a-f]{64}$/.test(hash))
    return expired && !ChargeRequest.modes(request).includes('push')
      ? { status: 'unpaid' }
      : { status: 'unknown' }
  const receipt = await options.chain.getTransactionReceipt(hash)
  if (receipt === undefined) return expired ? { status: 'unpaid' } : { status: 'unknown' }
  if (receipt.status !== 'success') return { status: 'unpaid' }
  const binding = Binding.of(request, { id: parameters.challengeId, realm: parameters.realm ?? '' })
  if (!binding.bound) return { status: 'unknown' }
  const { missing } = Binding.match(binding, Transfer.fromLogs(receipt.logs, request.currency))
  return missing.length === 0 ? { status: 'paid', reference: hash } : { status: 'unpaid' }
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
    /**
     * How a transfer is bound to its challenge when the price names no memo: `'memo'`
     * (default) issues a fresh `methodDetails.memo` per challenge (the attribution memo of
     * mppx 0.11 is accepted in its place); `'attribution'` issues none and requires that
     * attribution memo, as an mppx 0.11 server does.
     */
    binding?: 'memo' | 'attribution' | undefined
    /** How long a claimed transaction hash is remembered; 30 days. */
    claimTtlSeconds?: number | undefined
  }
}

/** The reference (transaction hash, or challenge id for a proof) of a verified credential. */
async function run(
  parameters: Method.VerifyParameters<ChargeRequest.ChargeRequest, ChargePayload.ChargePayload>,
  options: server.Options,
  step: 'check' | 'settle',
): Promise<string> {
  const { credential, challenge, request, context } = parameters
  const { payload } = credential
  const { chain } = options
  if (request.methodDetails.chainId !== chain.chainId)
    throw new ModeRefusedError(
      `the challenge is for chain ${request.methodDetails.chainId}, this server settles on ${chain.chainId}`,
    )
  if (request.amount === '0') {
    if (payload.type !== 'proof')
      throw new ModeRefusedError('a zero-amount charge is paid with a proof credential')
    await Proof.verify({
      signature: payload.signature as Hex,
      source: credential.source,
      challengeId: challenge.id,
      chainId: chain.chainId,
    })
    return challenge.id
  }
  const allowed = ChargeRequest.modes(request)
  if (payload.type === 'proof')
    throw new ModeRefusedError('a proof credential pays only a zero-amount charge')
  const verification = { request, challenge, context, options, source: credential.source }
  if (payload.type === 'hash') {
    if (request.methodDetails.feePayer === true)
      throw new ModeRefusedError('a hash credential cannot answer a fee-sponsored challenge')
    if (!allowed.includes('push'))
      throw new ModeRefusedError('this challenge does not accept push mode')
    const pushed = { ...verification, hash: payload.hash }
    return step === 'check' ? Push.inspect(pushed) : Push.settle(pushed)
  }
  if (!allowed.includes('pull'))
    throw new ModeRefusedError('this challenge does not accept pull mode')
  const expires =
    challenge.expires === undefined ? undefined : Expires.parse(challenge.expires) / 1000
  const prepared = await Pull.prepare({ ...verification, serialized: payload.signature, expires })
  if (step === 'check') {
    Pull.inspect(prepared, verification)
    return prepared.hash
  }
  return Pull.settle(prepared, { ...verification, ttlSeconds: options.claimTtlSeconds })
}

function buildRequest(
  price: Price,
  options: server.Options,
  settle: Method.RequestContext['settle'],
): ChargeRequest.ChargeRequest {
  const zero = price.amount === '0'
  const feePayer = !zero && (price.feePayer ?? options.feePayer !== undefined)
  if (feePayer && options.feePayer === undefined)
    throw new ModeRefusedError('feePayer charges need a server configured with a fee payer')
  const defaults = options.modes ?? ['pull', 'push']
  // After success, push only where the route's price names it (docs/security.md).
  const offered =
    price.modes ??
    (settle === 'after-success' ? defaults.filter((mode) => mode === 'pull') : defaults)
  // A memo the operator chose binds no challenge: a pushed transfer could then be anyone's.
  const pushable = !feePayer && price.memo === undefined
  const modes = pushable ? [...new Set(offered)] : offered.filter((mode) => mode === 'pull')
  if (modes.length === 0)
    throw new ModeRefusedError(
      settle === 'after-success' && price.modes === undefined
        ? 'no submission mode left to offer for this charge: an after-success route offers push only when its price names it in `modes`'
        : 'no submission mode left to offer for this charge',
    )
  const both = modes.includes('pull') && modes.includes('push')
  const memo =
    zero || (options.binding ?? 'memo') === 'attribution'
      ? price.memo
      : (price.memo ?? Binding.issue())
  return ChargeRequest.schema.parse({
    amount: price.amount,
    currency: price.currency ?? options.currency ?? pathUsd,
    recipient: price.recipient ?? options.recipient,
    ...(price.description === undefined ? {} : { description: price.description }),
    ...(price.externalId === undefined ? {} : { externalId: price.externalId }),
    methodDetails: {
      chainId: options.chain.chainId,
      ...(feePayer ? { feePayer: true } : {}),
      ...(memo === undefined ? {} : { memo }),
      ...(price.splits === undefined ? {} : { splits: price.splits }),
      ...(zero || both ? {} : { supportedModes: modes }),
    },
  })
}

export { ModeRefusedError }
