// The HTTP authentication framework's field syntax (RFC 9110 §11): lists of challenges
// or credentials, each a scheme followed by a token68 or by comma-separated auth-params.
//
// The parser is a single left-to-right scan with no backtracking (runs of one character
// class are crossed by sticky regular expressions, which cannot backtrack): every character
// is looked at a bounded number of times, so its time is linear in the input by
// construction, and the input itself is bounded by `maxLength`.
import { BaseError } from './Errors.js'

/** One challenge or credential: a scheme and either auth-params or a token68. */
export type Entry = Entry.Params | Entry.Token68

export declare namespace Entry {
  type Params = {
    /** The auth-scheme as written (compare case-insensitively). */
    scheme: string
    /** Parameters by lower-cased name; values with quoted-string escapes removed. */
    params: Record<string, string>
  }
  type Token68 = {
    scheme: string
    token68: string
  }
}

// @enforces core.size.challenge-4kb, core.size.credential-4kb
/** Default upper bound on the characters read from all field lines together. */
export const defaultMaxLength = 65_536

/**
 * Parses `WWW-Authenticate` field values: one string, or one string per field line
 * (equivalent to the lines joined with `, `). Schemes other than Payment are returned
 * too, so callers can skip them.
 *
 * Parameter names are lower-cased; a parameter given twice in one challenge, a missing
 * value, an unterminated quoted-string and any character HTTP does not allow are errors.
 *
 * @throws {InvalidHeaderError}
 * @example
 * ```ts
 * import { AuthParams } from '@paywire/core'
 * AuthParams.parseChallenges('Bearer realm="x", Payment id="a", realm="api"')
 * // [{ scheme: 'Bearer', params: { realm: 'x' } }, { scheme: 'Payment', params: { id: 'a', realm: 'api' } }]
 * ```
 */
export function parseChallenges(
  header: string | readonly string[],
  options: parseChallenges.Options = {},
): Entry[] {
  const lines = typeof header === 'string' ? [header] : header
  const maxLength = options.maxLength ?? defaultMaxLength
  const limits = {
    maxEntries: options.maxEntries ?? 64,
    maxParams: options.maxParams ?? 64,
  }
  let total = 0
  const entries: Entry[] = []
  for (const line of lines) {
    total += line.length
    if (total > maxLength) throw new InvalidHeaderError(`header exceeds ${maxLength} characters`)
    scan(line, entries, limits)
  }
  return entries
}

export declare namespace parseChallenges {
  type Options = {
    /** Upper bound on the total length of the field lines (default 65,536). */
    maxLength?: number | undefined
    /** Upper bound on the number of challenges (default 64). */
    maxEntries?: number | undefined
    /** Upper bound on the parameters of one challenge (default 64). */
    maxParams?: number | undefined
  }
}

/**
 * Parses `Authorization` field values into credentials. The syntax of one credential is
 * that of one challenge; several `Authorization` lines (which a fetch `Headers` joins
 * with `, `) come back as several entries, so a caller can refuse ambiguity.
 *
 * @throws {InvalidHeaderError}
 * @example
 * ```ts
 * import { AuthParams } from '@paywire/core'
 * AuthParams.parseCredentials('Payment eyJjaGFsbGVuZ2UiOnt9fQ')
 * // [{ scheme: 'Payment', token68: 'eyJjaGFsbGVuZ2UiOnt9fQ' }]
 * ```
 */
export function parseCredentials(
  header: string | readonly string[],
  options: parseChallenges.Options = {},
): Entry[] {
  return parseChallenges(header, options)
}

/**
 * Formats one challenge: the scheme, then each parameter as a quoted-string, in the
 * order given. Refuses what cannot travel safely in a header: a scheme or name that is
 * not a token, a repeated name, and values with control characters (CR, LF, NUL, ...)
 * or characters outside printable ASCII.
 *
 * @throws {InvalidValueError}
 * @example
 * ```ts
 * import { AuthParams } from '@paywire/core'
 * AuthParams.format('Payment', [['id', 'a'], ['realm', 'say "hi"']])
 * // 'Payment id="a", realm="say \\"hi\\""'
 * ```
 */
export function format(scheme: string, params: Iterable<readonly [string, string]>): string {
  if (!isToken(scheme)) throw new InvalidValueError('auth-scheme must be a token')
  const seen = new Set<string>()
  const parts: string[] = []
  for (const [name, value] of params) {
    if (!isToken(name)) throw new InvalidValueError('auth-param name must be a token')
    const key = name.toLowerCase()
    if (seen.has(key)) throw new InvalidValueError(`auth-param "${key}" given twice`)
    seen.add(key)
    parts.push(`${name}=${quote(name, value)}`)
  }
  return parts.length === 0 ? scheme : `${scheme} ${parts.join(', ')}`
}

/**
 * Formats a quoted-string, escaping `"` and `\`.
 *
 * @throws {InvalidValueError} on control or non-ASCII characters.
 * @example
 * ```ts
 * import { AuthParams } from '@paywire/core'
 * AuthParams.quote('realm', 'a"b') // '"a\\"b"'
 * ```
 */
export function quote(name: string, value: string): string {
  // Most values need no escape: one native scan instead of a loop that builds the string
  // a character at a time (a sixth of issuing a challenge; see bench/README.md).
  if (plainQuotable.test(value)) return `"${value}"`
  let out = '"'
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index)
    if (code < 0x20 || code > 0x7e)
      throw new InvalidValueError(
        `auth-param "${name}" holds a ${code < 0x20 || code === 0x7f ? 'control' : 'non-ASCII'} character at offset ${index}`,
      )
    if (code === 0x22 || code === 0x5c) out += '\\'
    out += value[index]
  }
  return `${out}"`
}

/** Visible ASCII and space, except `"` and `\`: what a quoted-string holds unescaped. */
const plainQuotable = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/

/**
 * Whether a string is an RFC 9110 token (`1*tchar`).
 *
 * @example
 * ```ts
 * import { AuthParams } from '@paywire/core'
 * AuthParams.isToken('Payment') // true
 * AuthParams.isToken('a b') // false
 * ```
 */
export function isToken(value: string): boolean {
  if (value.length === 0) return false
  for (let index = 0; index < value.length; index++)
    if (!isTchar(value.charCodeAt(index))) return false
  return true
}

/** Raised when a field value does not follow the auth syntax or exceeds a limit. */
export class InvalidHeaderError extends BaseError {
  override readonly name = 'AuthParams.InvalidHeaderError'
  readonly code = 'ERR_AUTH_HEADER_INVALID'
  readonly problem = 'malformed-credential' as const
}

/** Raised when a value cannot be written into an auth header. */
export class InvalidValueError extends BaseError {
  override readonly name = 'AuthParams.InvalidValueError'
  readonly code = 'ERR_AUTH_VALUE_INVALID'
  readonly problem = undefined
}

// --- scanner -------------------------------------------------------------------------

const SP = 0x20
const HTAB = 0x09
const COMMA = 0x2c
const EQUALS = 0x3d
const DQUOTE = 0x22
const BACKSLASH = 0x5c

/** `tchar` of RFC 9110 §5.6.2, as a regular-expression class: the one definition. */
const tcharClass = "0-9A-Za-z!#$%&'*+\\-.^_`|~"

/** `tchar` as a lookup table over ASCII, built from {@link tcharClass}. */
const tchar = (() => {
  const table = new Uint8Array(128)
  const single = new RegExp(`^[${tcharClass}]$`)
  for (let code = 0; code < 128; code++)
    table[code] = single.test(String.fromCharCode(code)) ? 1 : 0
  return table
})()

function isTchar(code: number): boolean {
  return code < 128 && tchar[code] === 1
}

/**
 * Runs of token68 characters, of qdtext (RFC 9110 §5.6.4: HTAB, SP, visible ASCII but
 * `"` and `\`, obs-text) and of tchar, matched where a scan stands: the scanner's longest
 * inputs (a credential, a challenge's `request`) cross them in one native step instead of
 * a call per character (see bench/README.md).
 */
const token68Run = /[0-9A-Za-z\-._~+/]*/y
const tokenRun = new RegExp(`[${tcharClass}]*`, 'y')
const sharedRun = /[0-9A-Za-z+\-._~]*/y
const qdtextRun = /[\t\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff]*/y

/** Where a run of `pattern` that starts at `from` ends. */
function skipRun(pattern: RegExp, text: string, from: number): number {
  pattern.lastIndex = from
  pattern.test(text)
  return pattern.lastIndex
}

function isWhitespace(code: number): boolean {
  return code === SP || code === HTAB
}

type Limits = { maxEntries: number; maxParams: number }

function scan(text: string, entries: Entry[], limits: Limits): void {
  const end = text.length
  let pos = 0

  const skipWhitespace = () => {
    while (pos < end && isWhitespace(text.charCodeAt(pos))) pos++
  }
  /** Skips OWS, commas and OWS: the empty list elements `#rule` allows. */
  const skipSeparators = () => {
    while (pos < end) {
      const code = text.charCodeAt(pos)
      if (isWhitespace(code) || code === COMMA) pos++
      else break
    }
  }
  const readToken = (): string => {
    const start = pos
    pos = skipRun(tokenRun, text, pos)
    return text.slice(start, pos)
  }
  const fail = (what: string): never => {
    throw new InvalidHeaderError(`${what} at offset ${pos}`)
  }

  skipSeparators()
  while (pos < end) {
    const scheme = readToken()
    if (scheme === '') fail('expected an auth-scheme')
    if (entries.length >= limits.maxEntries) fail(`more than ${limits.maxEntries} challenges`)

    // A scheme alone: end of input or a list separator.
    const afterScheme = pos
    skipWhitespace()
    if (pos >= end || text.charCodeAt(pos) === COMMA) {
      entries.push({ scheme, params: Object.create(null) as Record<string, string> })
      skipSeparators()
      continue
    }
    if (pos === afterScheme) fail('expected a space after the auth-scheme')

    // token68 or the first auth-param. An auth-param is a token, BWS, "=", BWS, and a
    // value; a token68 ends with optional "=" padding followed by the end or a comma.
    const start = pos
    // Letters, digits and "+-._~" are both tchar and token68: crossed once, they are the
    // start of the name and of the token68 alike (a credential's token68 is all of these).
    const shared = skipRun(sharedRun, text, start)
    pos = shared
    readToken()
    const nameEnd = pos
    skipWhitespace()
    let isParam = false
    if (pos < end && text.charCodeAt(pos) === EQUALS && nameEnd > start) {
      let look = pos + 1
      while (look < end && isWhitespace(text.charCodeAt(look))) look++
      const next = look < end ? text.charCodeAt(look) : -1
      isParam = next !== -1 && next !== COMMA && next !== EQUALS
    }

    if (!isParam) {
      pos = skipRun(token68Run, text, shared)
      while (pos < end && text.charCodeAt(pos) === EQUALS) pos++
      const token68 = text.slice(start, pos)
      if (token68 === '') fail('expected a token68 or an auth-param')
      skipWhitespace()
      if (pos < end && text.charCodeAt(pos) !== COMMA) fail('unexpected character after token68')
      entries.push({ scheme, token68 })
      skipSeparators()
      continue
    }

    pos = start
    const params = Object.create(null) as Record<string, string>
    let count = 0
    // Parameters until the input ends or a token that is not followed by "=" starts the
    // next challenge.
    for (;;) {
      const paramStart = pos
      const name = readToken().toLowerCase()
      skipWhitespace()
      if (name === '' || pos >= end || text.charCodeAt(pos) !== EQUALS) {
        if (count === 0) fail('expected an auth-param')
        pos = paramStart
        break
      }
      pos++ // "="
      skipWhitespace()
      let value: string
      if (pos < end && text.charCodeAt(pos) === DQUOTE) {
        value = readQuoted()
      } else {
        value = readToken()
        if (value === '') fail(`auth-param "${name}" has no value`)
      }
      if (name in params) fail(`auth-param "${name}" given twice`)
      if (++count > limits.maxParams) fail(`more than ${limits.maxParams} auth-params`)
      params[name] = value

      skipWhitespace()
      if (pos >= end) break
      if (text.charCodeAt(pos) !== COMMA) fail('expected "," between auth-params')
      skipSeparators()
      if (pos >= end) break
      // Decide without consuming: a token followed by BWS "=" is another parameter.
      let look = skipRun(tokenRun, text, pos)
      if (look === pos) fail('expected an auth-param or an auth-scheme')
      while (look < end && isWhitespace(text.charCodeAt(look))) look++
      if (look >= end || text.charCodeAt(look) !== EQUALS) break
    }
    entries.push({ scheme, params })
    skipSeparators()
  }

  /** Reads a quoted-string starting at the opening quote; returns it unescaped. */
  function readQuoted(): string {
    pos++ // opening quote
    let value = ''
    let chunk = pos
    while (pos < end) {
      // Runs of qdtext in one native step; the loop handles only quotes and escapes.
      pos = skipRun(qdtextRun, text, pos)
      if (pos >= end) break
      const code = text.charCodeAt(pos)
      if (code === DQUOTE) {
        value += text.slice(chunk, pos)
        pos++
        return value
      }
      if (code === BACKSLASH) {
        value += text.slice(chunk, pos)
        pos++
        if (pos >= end) break
        const escaped = text.charCodeAt(pos)
        if (!isQuotedPairChar(escaped)) fail('invalid character after "\\"')
        value += text[pos]
        pos++
        chunk = pos
        continue
      }
      if (!isQdtext(code)) fail('invalid character in quoted-string')
      pos++
    }
    return fail('unterminated quoted-string')
  }
}

/** qdtext of RFC 9110 §5.6.4: HTAB, SP, visible ASCII except `"` and `\`, obs-text. */
function isQdtext(code: number): boolean {
  return (
    code === HTAB ||
    code === SP ||
    code === 0x21 ||
    (code >= 0x23 && code <= 0x5b) ||
    (code >= 0x5d && code <= 0x7e) ||
    (code >= 0x80 && code <= 0xff)
  )
}

function isQuotedPairChar(code: number): boolean {
  return (
    code === HTAB || code === SP || (code >= 0x21 && code <= 0x7e) || (code >= 0x80 && code <= 0xff)
  )
}
