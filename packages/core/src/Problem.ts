// RFC 9457 problem details for the Payment scheme: the one table of problem types
// defined by the core draft (draft-httpauth-payment §"Error Codes") and the
// method drafts (draft-tempo-session §"Problem Type Registration").
import { z } from 'zod'
import { BaseError } from './Errors.js'
import * as registry from './internal/problemTypes.js'

/** Base URI under which every Payment problem type lives. */
export const baseUri = registry.baseUri

/**
 * Every problem type the drafts define, keyed by its slug (the part after {@link baseUri}).
 * Titles follow the published problem registry; statuses follow the drafts.
 */
export const types = registry.types

/** A problem type slug, e.g. `invalid-challenge` or `session/channel-not-found`. */
export type Slug = keyof typeof types

/** The slugs of {@link types}, in table order. */
export const slugs = Object.keys(types) as readonly Slug[]

/**
 * The wire shape of a problem details object (RFC 9457). Unknown members are kept:
 * the RFC lets each problem type add its own (`challengeId`, `channelId`, ...).
 */
export const schema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int().min(100).max(599),
    detail: z.string().optional(),
    instance: z.string().optional(),
  })
  .catchall(z.unknown())

/** A problem details object. */
export type Problem = z.infer<typeof schema>

/**
 * Builds the problem details object of a Payment problem type.
 *
 * @example
 * ```ts
 * import { Problem } from '@paywire/core'
 * const body = Problem.from('invalid-challenge', { detail: 'challenge already used' })
 * // { type: 'https://paymentauth.org/problems/invalid-challenge', title: 'Invalid Challenge', status: 402, detail: ... }
 * ```
 */
export function from(slug: Slug, options: from.Options = {}): Problem {
  const entry = types[slug]
  const { detail, ...extensions } = options
  return {
    type: baseUri + slug,
    title: entry.title,
    status: entry.status,
    ...(detail === undefined ? {} : { detail }),
    ...extensions,
  }
}

export declare namespace from {
  /** `detail` and any extension members (`challengeId`, `channelId`, ...). */
  type Options = { detail?: string; [member: string]: unknown }
}

/**
 * The registry entry for a problem type URI, or `undefined` when the URI is not one of ours.
 *
 * @example
 * ```ts
 * import { Problem } from '@paywire/core'
 * Problem.lookup('https://paymentauth.org/problems/verification-failed')?.status // 402
 * ```
 */
export function lookup(type: string): lookup.ReturnType {
  if (!type.startsWith(baseUri)) return undefined
  const slug = type.slice(baseUri.length)
  if (!Object.hasOwn(types, slug)) return undefined
  const entry = types[slug as Slug]
  return { slug: slug as Slug, title: entry.title, status: entry.status }
}

export declare namespace lookup {
  type ReturnType = { slug: Slug; title: string; status: number } | undefined
}

/**
 * Parses a problem details body (a JSON string or an already parsed value). Tolerates
 * unknown members; refuses anything that is not an object with `type`, `title`, `status`.
 *
 * @example
 * ```ts
 * import { Problem } from '@paywire/core'
 * const problem = Problem.parse('{"type":"https://paymentauth.org/problems/payment-expired","title":"Payment Expired","status":402}')
 * ```
 */
export function parse(input: unknown): Problem {
  let value = input
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input)
    } catch (cause) {
      throw new InvalidProblemError('problem body is not JSON', { cause })
    }
  }
  const result = schema.safeParse(value)
  if (!result.success)
    throw new InvalidProblemError(
      'problem body lacks a string `type`, string `title` or numeric `status`',
      {
        cause: result.error,
      },
    )
  return result.data
}

/** Media type of a problem details body (RFC 9457 §3). */
export const contentType = 'application/problem+json'

/** Raised by {@link parse} when a body is not a problem details object. */
export class InvalidProblemError extends BaseError {
  override readonly name = 'Problem.InvalidProblemError'
  readonly code = 'ERR_PROBLEM_INVALID'
  readonly problem = undefined
}
