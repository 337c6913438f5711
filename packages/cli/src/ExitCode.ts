// The exit codes of the `paywire` command, one per outcome a script may branch on. They
// are part of the CLI's public contract: a code keeps its meaning across releases.

/**
 * Exit codes of `paywire`.
 *
 * | code | name          | when                                                                    |
 * | ---- | ------------- | ----------------------------------------------------------------------- |
 * | 0    | `ok`          | the command did what it was asked (any HTTP status unless `-f`; a dry run that would pay) |
 * | 1    | `failed`      | an unexpected failure (a bug, or an error with no code of its own)      |
 * | 2    | `usage`       | invalid arguments, flags or config file                                 |
 * | 3    | `refused`     | the policy, the confirmation or the server (with a problem, before settling) refused the payment, or no method matches (nothing paid) |
 * | 4    | `unreachable` | the server, node or file could not be reached                          |
 * | 5    | `unconfirmed` | a payment was made but no valid receipt came back                      |
 * | 6    | `keystore`    | the keystore cannot be read, the passphrase is wrong, or no such account |
 * | 7    | `httpError`   | with `-f`/`--fail`: the final answer's HTTP status is 400 or more      |
 *
 * @example
 * ```ts
 * import { ExitCode } from '@paywire/cli'
 * if (process.exitCode === ExitCode.refused) console.error('over budget')
 * ```
 */
export const ok = 0
/** An unexpected failure. */
export const failed = 1
/** Invalid arguments, flags or config file. */
export const usage = 2
/**
 * The policy, the confirmation or the server (a problem answer before settling, for a
 * method that moves money only when the server settles) refused the payment, or no method
 * matches; nothing was paid.
 */
export const refused = 3
/** The server, the node or a file could not be reached. */
export const unreachable = 4
/** A payment was made but no valid receipt came back. */
export const unconfirmed = 5
/** The keystore cannot be read, the passphrase is wrong, or the account does not exist. */
export const keystore = 6
/** With `-f`/`--fail`: the final answer (after any payment) has an HTTP status of 400 or more. */
export const httpError = 7

/**
 * An exit code of `paywire`.
 *
 * @example
 * ```ts
 * import { ExitCode } from '@paywire/cli'
 * const code: ExitCode.ExitCode = ExitCode.usage
 * ```
 */
export type ExitCode = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7

/**
 * The help text's table of exit codes.
 *
 * @example
 * ```ts
 * import { ExitCode } from '@paywire/cli'
 * console.log(ExitCode.help)
 * ```
 */
export const help = `Exit codes:
  0  done (whatever the HTTP status unless -f; a dry run that would pay)
  1  unexpected failure
  2  invalid arguments, flags or config file
  3  payment refused by the spending policy or at confirmation, or no configured
     method for the server's challenge (nothing was paid)
  4  server, node or file unreachable
  5  paid, but no valid receipt came back (see \`paywire ledger\`)
  6  keystore: unreadable, wrong passphrase, or no such account
  7  with -f/--fail: an HTTP error status (400 or more) after any payment`
