// `paywire discover <url>`: the paid operations an origin lists in its discovery document
// (draft-payment-discovery: `/openapi.json` with `x-payment-info`), fetched within bounds by
// @paywire/discovery, with prices in the currency's units.
import { Discovery } from '@paywire/discovery'
import * as ExitCode from './ExitCode.js'
import * as Io from './Io.js'
import * as Money from './Money.js'
import * as Usage from './Usage.js'

/**
 * The flags of `paywire discover`.
 *
 * @example
 * ```ts
 * import { Discover } from '@paywire/cli'
 * 'json' in Discover.flags // true
 * ```
 */
export const flags = {
  json: { type: 'boolean' },
} as const satisfies Usage.Options

/**
 * The help of `paywire discover`.
 *
 * @example
 * ```ts
 * import { Discover } from '@paywire/cli'
 * console.log(Discover.help)
 * ```
 */
export const help = `Usage: paywire discover <url> [--json]

Fetches the discovery document of the URL's origin (GET <origin>/openapi.json, the OpenAPI
document with the x-payment-info extension) and prints each paid operation: method, path,
price in the currency's units, and the payment methods offered. Over https only (plain
http only to loopback), at most 1 MiB, within 10 s, redirects only within the origin.

Options:
  --json    print the document as fetched (validated) on stdout`

/**
 * Runs `paywire discover <url>`.
 *
 * @throws {Usage.UsageError} for a missing or invalid URL.
 * @throws {Discovery.InvalidDocumentError} when the origin serves no valid document.
 * @example
 * ```ts
 * import { Discover, Io } from '@paywire/cli'
 * await Discover.run(['https://api.example.com'], Io.fromProcess())
 * ```
 */
export async function run(args: readonly string[], io: Io.Io): Promise<ExitCode.ExitCode> {
  const { values, positionals } = Usage.parse(args, flags, 'discover')
  const text = Usage.single(positionals, 'url', 'discover')
  let url: URL
  try {
    url = new URL(text)
  } catch (cause) {
    throw new Usage.UsageError(`"${text}" is not a URL (give the scheme: https://...)`, {
      command: 'discover',
      cause,
    })
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Usage.UsageError(`only http and https origins can be asked, found ${url.protocol}`, {
      command: 'discover',
    })
  const document = await Discovery.fetch(url.origin)
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify(document)}\n`)
    return ExitCode.ok
  }
  Io.lines(io.stdout, lines(document, url.origin))
  return ExitCode.ok
}

/**
 * The lines `paywire discover` prints for a document: a title, then one line per offer of
 * each paid operation (`GET /paid  10.00 USD  test/charge`).
 *
 * @example
 * ```ts
 * import { Discover } from '@paywire/cli'
 * declare const document: Parameters<typeof Discover.lines>[0]
 * console.log(Discover.lines(document, 'https://api.example.com').join('\n'))
 * ```
 */
export function lines(document: Discovery.Document, origin: string): string[] {
  const paid = Discovery.payable(document)
  const rows = paid.flatMap((entry) =>
    entry.offers.map((offer) => [
      clean(entry.method),
      clean(entry.path),
      offer.amount === null
        ? 'price set per request'
        : offer.currency === undefined
          ? `${offer.amount} base units`
          : Money.format(offer.amount, clean(offer.currency), offer.method),
      `${clean(offer.method)}/${offer.intent}`,
      offer.description === undefined ? '' : clean(offer.description),
    ]),
  )
  const widths = [0, 1, 2, 3].map((column) =>
    Math.max(0, ...rows.map((row) => (row[column] as string).length)),
  )
  const title = `${clean(document.info.title)} ${clean(document.info.version)} (${origin})`
  if (rows.length === 0) return [title, 'no paid operations listed']
  return [
    title,
    `${paid.length} paid operation${paid.length === 1 ? '' : 's'}:`,
    ...rows.map((row) =>
      `  ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')}`.trimEnd(),
    ),
  ]
}

/** Server text as one safe terminal line: no control characters, at most 200 characters. */
function clean(text: string): string {
  return text.replace(/\p{Cc}+/gu, ' ').slice(0, 200)
}
