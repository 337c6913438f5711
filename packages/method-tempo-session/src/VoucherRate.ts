// The per-channel limit on voucher submissions (draft-tempo-session §"Denial of Service":
// servers MUST rate-limit voucher submissions, SHOULD at 10 per second per session): a
// token bucket per channel kept in the Store, so every server instance sharing the store
// draws on one budget, taken under compare-and-swap before any chain read or ECDSA work.
import { Errors, type Problem, Store } from '@paywire/core'
import type { Hex } from 'viem'
import { z } from 'zod'

/** Prefix of the store keys of voucher buckets. */
export const keyPrefix = 'paywire:session:voucher-rate:'

/**
 * How many voucher submissions a channel may make: `perSecond` sustained, and up to
 * `burst` at once (a client catching up, parallel requests). A submission is a voucher
 * whose acceptance needs signature verification: one above the accepted amount, or at
 * the accepted amount with other signature bytes. Re-presenting the accepted voucher
 * byte for byte, and a voucher below it, cost no ECDSA work and are never counted.
 */
export type Limit = {
  /** Submissions per second, sustained (> 0). */
  perSecond: number
  /** Submissions allowed at once after a quiet period (default `perSecond`, at least 1). */
  burst?: number | undefined
}

/**
 * The default limit: 100 per second, bursts of 1,000. The draft's 10 per second (a
 * SHOULD) is not the default because paywire's session client and mppx's pay every request
 * with a voucher advancing by its price, so a session's voucher rate is its request rate:
 * 10 per second would cap every session at 10 paid requests per second. The default
 * still bounds a flooded channel to 100 verifications per second. Servers that want the
 * draft's figure pass `voucherRate: { perSecond: 10 }`; their clients then authorize ahead
 * and re-present the accepted voucher, which is never limited.
 */
export const defaultLimit = { perSecond: 100, burst: 1_000 } as const satisfies Limit

/** The limiter: one bucket per channel in a store. */
export type VoucherRate = {
  /**
   * Takes one submission from the channel's bucket, or throws when it is empty.
   *
   * @throws {RateLimitedError} with the seconds until a submission is allowed again.
   */
  take(channelId: Hex): Promise<void>
}

/**
 * Creates the voucher limiter over a store (shared by every instance).
 *
 * @example
 * ```ts
 * import { VoucherRate } from '@paywire/method-tempo-session'
 * import { MemoryStore } from '@paywire/store-memory'
 * const limiter = VoucherRate.create({ store: MemoryStore.create(), limit: { perSecond: 10 } })
 * await limiter.take(`0x${'ab'.repeat(32)}`) // throws VoucherRate.RateLimitedError when spent
 * ```
 */
export function create(parameters: create.Parameters): VoucherRate {
  const { store } = parameters
  const limit = parameters.limit ?? defaultLimit
  const now = parameters.now ?? Date.now
  const perSecond = limit.perSecond
  const burst = limit.burst ?? Math.max(1, perSecond)
  if (!(Number.isFinite(perSecond) && perSecond > 0))
    throw new RangeError('voucherRate.perSecond must be a positive number')
  if (!(Number.isFinite(burst) && burst >= 1))
    throw new RangeError('voucherRate.burst must be at least 1')
  // A bucket left alone this long is full again, the same as no record.
  const ttlSeconds = Math.ceil(burst / perSecond) + 1
  return {
    async take(channelId) {
      let wait: number | undefined
      await Store.update(
        store,
        keyPrefix + channelId.toLowerCase(),
        (current) => {
          const at = now()
          const bucket = parseBucket(current)
          // Another instance's clock may be behind: time never runs backwards here.
          const elapsed = bucket === undefined ? 0 : Math.max(0, at - bucket.at)
          const tokens =
            bucket === undefined
              ? burst
              : Math.min(burst, bucket.tokens + (elapsed * perSecond) / 1000)
          if (tokens < 1) {
            wait = (1 - tokens) / perSecond
            return undefined
          }
          wait = undefined
          return { tokens: tokens - 1, at: Math.max(at, bucket?.at ?? 0) }
        },
        { ttlSeconds, maxAttempts: 1_000 },
      )
      if (wait !== undefined)
        throw new RateLimitedError(
          `channel ${channelId} submitted more than ${perSecond} vouchers per second (bursts of ${burst})`,
          { retryAfter: Math.max(1, Math.ceil(wait)) },
        )
    },
  }
}

export declare namespace create {
  type Parameters = {
    /** Where buckets live; share it between instances (the sessions' store). */
    store: Store.Store
    /** Default {@link defaultLimit}. */
    limit?: Limit | undefined
    /** The clock, in ms since the epoch (default `Date.now`). */
    now?: (() => number) | undefined
  }
}

const bucketSchema = z.strictObject({ tokens: z.number().min(0), at: z.number().min(0) })

/** A stored bucket, or `undefined` when absent or unreadable (then it starts full). */
function parseBucket(value: Store.Value | undefined) {
  const result = bucketSchema.safeParse(value)
  return result.success ? result.data : undefined
}

/**
 * A channel submitted vouchers faster than the limit: 429 Too Many Requests with
 * `Retry-After` (draft-tempo-session §"Denial of Service"). No problem type of the drafts
 * fits, so the body is `about:blank` with `retryAfter` (seconds) as a member, as
 * @paywire/server's own throttle answers. Nothing was verified or recorded.
 */
export class RateLimitedError extends Errors.BaseError {
  override readonly name = 'VoucherRate.RateLimitedError'
  readonly code = 'ERR_SESSION_VOUCHER_RATE_LIMITED'
  /**
   * Marks the error as a refusal for @paywire/server (a method error without a problem
   * slug is answered 500); the status, body and retry delay come from the members below.
   */
  readonly problem = 'verification-failed' as const
  /** Seconds until the channel may submit a voucher again. */
  readonly retryAfter: number
  /** Extra members of the problem body. */
  readonly problemExtensions: { retryAfter: number }
  constructor(message: string, options: { retryAfter: number; cause?: unknown }) {
    super(message, { cause: options.cause })
    this.retryAfter = options.retryAfter
    this.problemExtensions = { retryAfter: options.retryAfter }
  }
  override get status(): number {
    return 429
  }
  override get type(): string {
    return 'about:blank'
  }
  override toProblem(extensions: Record<string, unknown> = {}): Problem.Problem {
    return {
      type: 'about:blank',
      title: 'Too Many Requests',
      status: 429,
      detail: this.message,
      ...extensions,
    }
  }
}
