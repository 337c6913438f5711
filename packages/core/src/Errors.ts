// The base of every paywire error: a stable `code` a program can branch on, the
// problem type (RFC 9457) the failure maps to when it happens while a server handles
// a request, and the underlying `cause`. Each module declares its own subclasses.
import * as registry from './internal/problemTypes.js'
import type * as Problem from './Problem.js'

/**
 * Base class of all paywire errors. Never thrown itself.
 *
 * @example
 * ```ts
 * import { Errors } from '@paywire/core'
 * try {
 *   // ...
 * } catch (error) {
 *   if (error instanceof Errors.BaseError && error.problem) console.log(error.code, error.status)
 * }
 * ```
 */
export abstract class BaseError extends Error {
  /** Stable machine-readable code, e.g. `ERR_CHALLENGE_INVALID`. */
  abstract readonly code: string
  /** The problem type this failure maps to when a server meets it in a request. */
  abstract readonly problem: Problem.Slug | undefined

  constructor(message: string, options: BaseError.Options = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
  }

  /** The problem type URI, when the error maps to one. */
  get type(): string | undefined {
    return this.problem === undefined ? undefined : registry.baseUri + this.problem
  }

  /** The HTTP status of the problem type, when the error maps to one. */
  get status(): number | undefined {
    return this.problem === undefined ? undefined : registry.types[this.problem].status
  }

  /**
   * The RFC 9457 body for this error. The message is used as `detail`: messages never
   * carry credentials or secrets.
   */
  toProblem(extensions: Record<string, unknown> = {}): Problem.Problem | undefined {
    if (this.problem === undefined) return undefined
    const entry = registry.types[this.problem]
    return {
      type: registry.baseUri + this.problem,
      title: entry.title,
      status: entry.status,
      detail: this.message,
      ...extensions,
    }
  }
}

export declare namespace BaseError {
  type Options = { cause?: unknown }
}

/**
 * Whether a value is a paywire error (an instance of {@link BaseError}).
 *
 * @example
 * ```ts
 * import { Errors } from '@paywire/core'
 * Errors.isPaywireError(new Error('x')) // false
 * ```
 */
export function isPaywireError(value: unknown): value is BaseError {
  return value instanceof BaseError
}
