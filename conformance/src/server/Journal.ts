// Every exchange of one run, kept in memory for the checks that judge the run as a whole
// (draft-httpauth-payment §11.2.1 "Credential Handling", §11.2.2 "Challenge-Binding Secret
// Management", §11.8 "Credential Storage"): no response may repeat a credential or the
// binding secret, and no log may hold them. Also how to look for such material in a text.
import { Base64Url, Receipt } from '@paywire/core'
import type * as Exchange from './Exchange.js'

/** The exchanges of a run, in the order they completed. */
export type Journal = {
  readonly exchanges: readonly Exchange.Exchange[]
  record(exchange: Exchange.Exchange): void
}

/** Length of the slices of a credential looked for in a text (a truncated copy still leaks). */
export const sliceLength = 48

/**
 * An empty journal.
 *
 * @example
 * ```ts
 * import { Journal } from '@paywire/conformance'
 * const journal = Journal.create()
 * journal.exchanges.length // 0
 * ```
 */
export function create(): Journal {
  const exchanges: Exchange.Exchange[] = []
  return { exchanges, record: (exchange) => void exchanges.push(exchange) }
}

/**
 * The Payment credentials the run sent (the token after `Payment `), each once.
 *
 * @example
 * ```ts
 * import { Journal } from '@paywire/conformance'
 * declare const journal: Journal.Journal
 * Journal.credentials(journal).length
 * ```
 */
export function credentials(journal: Journal): string[] {
  const tokens = new Set<string>()
  for (const { request } of journal.exchanges) {
    const value = header(request.headers, 'authorization')
    for (const part of value?.split(',') ?? []) {
      const token = /^\s*Payment\s+(\S+)\s*$/i.exec(part)?.[1]
      if (token !== undefined && token.length >= sliceLength) tokens.add(token)
    }
  }
  return [...tokens]
}

/**
 * The `Payment-Receipt` values the run received, each once.
 *
 * @example
 * ```ts
 * import { Journal } from '@paywire/conformance'
 * declare const journal: Journal.Journal
 * Journal.receipts(journal)
 * ```
 */
export function receipts(journal: Journal): string[] {
  const values = new Set<string>()
  for (const exchange of journal.exchanges) {
    const value = exchange.headers.get(Receipt.headerName)
    if (value !== null && value.length > 0) values.add(value)
  }
  return [...values]
}

/**
 * The long string members (32 characters or more) of the payloads of the credentials
 * sent: proofs, signatures, signed transactions. Public identifiers are left out: 32-byte
 * hex values (transaction hashes, which the chain publishes) and values a receipt of the
 * run names.
 *
 * @example
 * ```ts
 * import { Journal } from '@paywire/conformance'
 * declare const journal: Journal.Journal
 * Journal.proofs(journal)
 * ```
 */
export function proofs(journal: Journal): string[] {
  const published = receipts(journal)
    .map((value) => {
      try {
        return JSON.stringify(Receipt.deserialize(value))
      } catch {
        return ''
      }
    })
    .join('\n')
    .toLowerCase()
  const found = new Set<string>()
  for (const token of credentials(journal)) {
    let payload: unknown
    try {
      payload = (JSON.parse(Base64Url.decodeString(token)) as { payload?: unknown }).payload
    } catch {
      continue
    }
    if (typeof payload !== 'object' || payload === null) continue
    for (const value of Object.values(payload))
      if (
        typeof value === 'string' &&
        value.length >= 32 &&
        !/^0x[0-9a-fA-F]{64}$/.test(value) &&
        !published.includes(value.toLowerCase())
      )
        found.add(value)
  }
  return [...found]
}

/**
 * Whether `text` holds `secret`, whole or as any of its aligned slices of
 * {@link sliceLength} characters (so a copy cut short is found too). A slice of fewer
 * than {@link minSliceCharacters} distinct characters is not looked for: it encodes a
 * run of one value (the zeros of a token address, in hex or base64), which unrelated
 * text such as a challenge's `request` holds too.
 *
 * @example
 * ```ts
 * import { Journal } from '@paywire/conformance'
 * Journal.leaks('auth=Payment eyJjaGFsbGVuZ2UiOnt9fQ', 'eyJjaGFsbGVuZ2UiOnt9fQ') // true
 * ```
 */
export function leaks(text: string, secret: string): boolean {
  if (text.includes(secret)) return true
  for (let start = 0; start + sliceLength <= secret.length; start += sliceLength) {
    const slice = secret.slice(start, start + sliceLength)
    if (new Set(slice).size >= minSliceCharacters && text.includes(slice)) return true
  }
  return false
}

/**
 * {@link leaks} for many secrets at once: their slices are indexed once, and each text is
 * read once, whatever the number of secrets (a run sends hundreds of credentials).
 *
 * @example
 * ```ts
 * import { Journal } from '@paywire/conformance'
 * declare const journal: Journal.Journal
 * const holdsCredential = Journal.leakFinder(Journal.credentials(journal))
 * holdsCredential('GET /paid 402 3ms') // false
 * ```
 */
export function leakFinder(secrets: readonly string[]): (text: string) => boolean {
  const slices = new Set<string>()
  const short: string[] = []
  for (const secret of secrets) {
    if (secret.length < sliceLength) short.push(secret)
    for (let start = 0; start + sliceLength <= secret.length; start += sliceLength) {
      const slice = secret.slice(start, start + sliceLength)
      if (new Set(slice).size >= minSliceCharacters) slices.add(slice)
    }
  }
  return (text) => {
    if (short.some((secret) => text.includes(secret))) return true
    for (let start = 0; start + sliceLength <= text.length; start++)
      if (slices.has(text.slice(start, start + sliceLength))) return true
    return false
  }
}

/**
 * Fewest distinct characters of a slice {@link leaks} looks for. A random slice of
 * {@link sliceLength} characters has about 15 distinct hex digits or 34 distinct base64url
 * characters; base64 of a run of zeros has 6.
 */
export const minSliceCharacters = 10

/**
 * The forms a secret string may be disclosed in: as is, and its UTF-8 bytes in base64,
 * base64url and hex (lower and upper case).
 *
 * @example
 * ```ts
 * import { Journal } from '@paywire/conformance'
 * Journal.encodings('k') // ['k', 'aw==', 'aw', '6b', '6B']
 * ```
 */
export function encodings(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8')
  const hex = bytes.toString('hex')
  return [
    ...new Set([
      secret,
      bytes.toString('base64'),
      bytes.toString('base64url'),
      hex,
      hex.toUpperCase(),
    ]),
  ]
}

/**
 * A response as one text: status line, headers (but those in `omit`, lower case), then body.
 *
 * @example
 * ```ts
 * import { Journal } from '@paywire/conformance'
 * declare const exchange: import('@paywire/conformance').Exchange.Exchange
 * Journal.responseText(exchange).includes('secret')
 * ```
 */
export function responseText(
  exchange: Exchange.Exchange,
  options: { omit?: readonly string[] } = {},
): string {
  if (exchange.response === undefined) return ''
  const headers = [...exchange.headers]
    .filter(([name]) => !options.omit?.includes(name))
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n')
  return `${exchange.response.status}\n${headers}\n\n${exchange.body}`
}

function header(headers: Record<string, string> | undefined, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {}))
    if (key.toLowerCase() === name) return value
  return undefined
}
