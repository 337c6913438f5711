// The server half of the tempo session method for the HTTP binding (draft-tempo-session
// §"Per-Request Processing", §"Voucher Submission Transport", §"Receipt Generation"):
// a multi-use `Method.Server` whose `redeem` carries out each credential's action on a
// `Sessions` server and decides the request: `open` and `voucher` are served (charging
// `unitsPerRequest` units first, or refusing with 402 and `requiredTopUp`), a voucher on
// `HEAD`, a `topUp` and a `close` are answered at once without the route's handler.
// With a `feePayer`, challenges offer fee sponsorship of the client's open and top-up
// transactions (§"Fee Payment"), which the sponsor co-signs once they are checked.
import { Errors, Method, type Receipt, type SessionChannel } from '@paywire/core'
import type { Address, Hex } from 'viem'
import type * as ChannelSponsor from './ChannelSponsor.js'
import * as Payload from './Payload.js'
import * as SessionRequest from './SessionRequest.js'
import * as Sessions from './Sessions.js'

/** A route's price: the price of one unit, with the optional hints of the request. */
export type Price = {
  amount: string
  unitType?: string | undefined
  suggestedDeposit?: string
  /** Whether the server pays the fees of opens and top-ups; default: whether it has a `feePayer`. */
  feePayer?: boolean | undefined
}

/**
 * The session method for `Paywire.create({ methods })`. Challenges it issues pay for many
 * requests: the server redeems them on every request instead of claiming them once.
 * A served request's handler finds the channel in `payment.receipt.reference` and meters
 * further units with `Stream.meter` or `sessions.charge`.
 *
 * @example
 * ```ts
 * import { Server, type Sessions } from '@paywire/method-tempo-session'
 * declare const sessions: Sessions.Sessions
 * const method = Server.server({
 *   sessions,
 *   chainId: 4217,
 *   escrow: '0x9d136eEa063eDE5418A6BC7bEafF009bBb6CFa70',
 *   currency: '0x20c0000000000000000000000000000000000000',
 *   recipient: '0x742d35cc6634c0532925a3b844bc9e7595f8fe00',
 * })
 * ```
 */
export function server(
  options: server.Options,
): Method.Server<Price, SessionRequest.SessionRequest, Payload.Payload> {
  const { sessions } = options
  const unitsPerRequest = options.unitsPerRequest ?? 1n
  if (unitsPerRequest < 0n) throw new RangeError('unitsPerRequest must not be negative')
  return Method.defineServer({
    method: 'tempo',
    intent: 'session',
    requestSchema: SessionRequest.schema,
    payloadSchema: Payload.schema,
    request: (price: Price) => ({
      amount: price.amount,
      ...(price.unitType === undefined ? {} : { unitType: price.unitType }),
      ...(price.suggestedDeposit === undefined ? {} : { suggestedDeposit: price.suggestedDeposit }),
      currency: options.currency,
      recipient: options.recipient,
      methodDetails: {
        escrowContract: options.escrow,
        chainId: options.chainId,
        ...(sponsored(price, options) ? { feePayer: true } : {}),
        ...(options.minVoucherDelta === undefined
          ? {}
          : { minVoucherDelta: options.minVoucherDelta.toString() }),
      },
    }),
    async verify() {
      throw new Error('session credentials are redeemed on each request, never verified once')
    },
    refusal: ({ reason, payload }) => {
      const action = (payload as { action?: unknown } | null)?.action
      // A request for the resource itself (open, voucher) keeps the core refusal: 402 with
      // fresh challenges (§"Rejection and Error Responses", last paragraph). Management
      // actions get the draft's own answers: a malformed payload is 400, and a top-up on
      // a challenge this server does not know (or that expired) is challenge-not-found.
      if (action === 'open' || action === 'voucher') return undefined
      if (reason === 'payload-malformed') return { error: malformed(payload), status: 400 }
      if (action === 'topUp')
        return {
          error: new ChallengeNotFoundError(
            reason === 'challenge-expired'
              ? 'the top-up names an expired challenge'
              : 'the top-up names a challenge this server did not issue for this resource',
          ),
        }
      return undefined
    },
    async redeem({ credential, challenge, request, requestMethod }) {
      const payload = credential.payload as Payload.Payload
      // When the credential names its payer, it must be the channel's (Sessions.ts).
      const { source } = credential
      if (
        request.methodDetails.escrowContract.toLowerCase() !== options.escrow.toLowerCase() ||
        (request.methodDetails.chainId ?? 4217) !== options.chainId
      )
        throw new Method.VerificationFailedError('the challenge names another escrow or chain')
      const price = BigInt(request.amount)
      const receipt = (state: SessionChannel.State, extra: { units?: number; txHash?: Hex } = {}) =>
        Sessions.receipt({ state, challengeId: challenge.id, ...extra })
      switch (payload.action) {
        case 'topUp':
          return {
            kind: 'answer',
            receipt: receipt(
              await sessions.topUp({ ...payload, sponsor: sponsorOf(request, options), source }),
            ),
          }
        case 'close': {
          const { txHash, state } = await sessions.close({ ...payload, source })
          return { kind: 'answer', receipt: receipt(state, { txHash }) }
        }
        case 'open':
          await sessions.open({
            ...payload,
            price,
            sponsor: sponsorOf(request, options),
            challengeId: challenge.id,
            source,
          })
          break
        case 'voucher':
          await sessions.voucher({ ...payload, challengeId: challenge.id, source })
          break
      }
      if (requestMethod === 'HEAD')
        return { kind: 'answer', receipt: receipt(await sessions.read(payload.channelId)) }
      return serve(sessions, payload.channelId, unitsPerRequest, price, receipt, challenge.id)
    },
  })
}

export declare namespace server {
  type Options = {
    /** The session server (`Sessions.create`) holding the channels. */
    sessions: Sessions.Sessions
    chainId: number
    /** The v1 escrow contract (the challenge's `methodDetails.escrowContract`). */
    escrow: Address
    /** The TIP-20 token channels hold. */
    currency: Address
    /** The payee: this server's address. */
    recipient: Address
    /** Units charged before a served request's handler runs (default 1; 0 to meter only in the handler). */
    unitsPerRequest?: bigint | undefined
    /** Advertised in the challenge; give the same value to `Sessions.create`. */
    minVoucherDelta?: bigint | undefined
    /**
     * Pays the fees of the client's open and top-up transactions (`ChannelSponsor.from`):
     * challenges then carry `methodDetails.feePayer: true` (unless a price says `false`).
     */
    feePayer?: ChannelSponsor.ChannelSponsor | undefined
  }
}

/** Whether a price's challenge offers fee sponsorship; `true` needs a configured sponsor. */
function sponsored(price: Price, options: server.Options): boolean {
  const offered = price.feePayer ?? options.feePayer !== undefined
  if (offered && options.feePayer === undefined)
    throw new FeePayerMissingError('a feePayer price needs a server configured with a feePayer')
  return offered
}

/** The sponsor of a challenge's open or top-up transaction, when the challenge offered `feePayer`. */
function sponsorOf(
  request: SessionRequest.SessionRequest,
  options: server.Options,
): ChannelSponsor.ChannelSponsor | undefined {
  if (request.methodDetails.feePayer !== true) return undefined
  if (options.feePayer === undefined)
    throw new Method.VerificationFailedError('this server pays no fees of channel transactions')
  return options.feePayer
}

/** Charges a served request's units before its handler runs, or refuses with `requiredTopUp`. */
async function serve(
  sessions: Sessions.Sessions,
  channelId: Hex,
  units: bigint,
  price: bigint,
  receipt: (state: SessionChannel.State, extra?: { units?: number }) => Receipt.Receipt,
  challengeId: string,
): Promise<Method.Redemption> {
  const cost = units * price
  const before = await sessions.read(channelId)
  const available = before.acceptedCumulative - before.spent
  if (available < cost)
    throw new InsufficientBalanceError(
      `the channel's authorized balance ${available} is below the cost ${cost}`,
      { requiredTopUp: cost - available },
    )
  if (units === 0n) return { kind: 'serve', receipt: receipt(before, { units: 0 }) }
  // Charged (and persisted) before the handler runs; a concurrent request may have taken
  // the balance in between, and then this one is refused like the check above.
  const { allowed, state } = await sessions.charge({ channelId, units, price, challengeId })
  if (allowed < units)
    throw new InsufficientBalanceError(
      `the channel's authorized balance covers ${allowed} of ${units} units`,
      { requiredTopUp: (units - allowed) * price },
    )
  return { kind: 'serve', receipt: receipt(state, { units: Number(units) }) }
}

/**
 * The authorized balance does not cover a request (402): `requiredTopUp` (base units) goes
 * in the problem body, as draft-tempo-session §"Per-Request Processing" asks.
 */
export class InsufficientBalanceError extends Errors.BaseError {
  override readonly name = 'Server.InsufficientBalanceError'
  readonly code = 'ERR_SESSION_INSUFFICIENT_BALANCE'
  readonly problem = 'session/insufficient-balance' as const
  readonly requiredTopUp: bigint
  /** Extra members of the problem body. */
  readonly problemExtensions: { requiredTopUp: string }
  constructor(message: string, options: { requiredTopUp: bigint; cause?: unknown }) {
    super(message, options)
    this.requiredTopUp = options.requiredTopUp
    this.problemExtensions = { requiredTopUp: options.requiredTopUp.toString() }
  }
}

/** The typed refusal of a payload that is not a well-formed session action. */
function malformed(payload: unknown): Errors.BaseError {
  try {
    Payload.parse(payload)
  } catch (error) {
    if (error instanceof Errors.BaseError) return error
  }
  return new Payload.MalformedPayloadError('payload is not a well-formed session action')
}

/**
 * A `topUp` names a challenge this server does not know or that expired (402,
 * draft-tempo-session §"TopUp Payload": `challenge-not-found`).
 */
export class ChallengeNotFoundError extends Errors.BaseError {
  override readonly name = 'Server.ChallengeNotFoundError'
  readonly code = 'ERR_SESSION_CHALLENGE_NOT_FOUND'
  readonly problem = 'session/challenge-not-found' as const
}

/** A price asks for fee sponsorship (`feePayer: true`) from a server with no `feePayer`. */
export class FeePayerMissingError extends Errors.BaseError {
  override readonly name = 'Server.FeePayerMissingError'
  readonly code = 'ERR_SESSION_FEE_PAYER_MISSING'
  readonly problem = undefined
}
