// The base of this package's errors: a paywire error (stable `code`, kept `cause`) whose
// problem type comes from this package's own table (Problem.ts) rather than the Payment
// scheme's registry, which has no agent-identity entries.
import { Errors } from '@paywire/core'
import * as Problem from '../Problem.js'

/** @internal Base class of every agent-identity error; never thrown itself. */
export abstract class AgentError extends Errors.BaseError {
  /** Not a Payment-scheme problem: see the error's `slug`. */
  readonly problem = undefined
  /** The agent-identity problem type this failure maps to. */
  abstract readonly slug: Problem.Slug

  /** The problem type URI. */
  override get type(): string {
    return Problem.baseUri + this.slug
  }

  /** The HTTP status of the problem type. */
  override get status(): number {
    return Problem.types[this.slug].status
  }

  /** The verifier outcome this failure stands for (`invalid` or `unverified`). */
  get outcome(): 'invalid' | 'unverified' | 'unsigned' {
    return Problem.types[this.slug].outcome
  }

  /** The RFC 9457 body for this error; the message (never secret) is the `detail`. */
  override toProblem(extensions: Record<string, unknown> = {}): Problem.Problem {
    const { title, status } = Problem.types[this.slug]
    return { type: this.type, title, status, detail: this.message, code: this.code, ...extensions }
  }
}
