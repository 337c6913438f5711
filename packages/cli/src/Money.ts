// Amounts as people read them: base units turned into the currency's units with its symbol,
// from what the method says about its currency (ISO 4217 minor units for Stripe and the
// test method, 6 decimals for Tempo's TIP-20 tokens). Base units stay the truth: every
// decision and every record uses them; this is display and flag parsing only.
import * as Usage from './Usage.js'

/** What the CLI knows of a currency: its symbol and decimals, when it knows them. */
export type Unit = {
  /** How the currency is shown, e.g. `pathUSD`, `USD`, or an abbreviated token address. */
  symbol: string
  /** Decimal places of one unit, or `undefined` when unknown (amounts stay in base units). */
  decimals: number | undefined
}

/** Tokens the CLI knows by symbol: Tempo's TIP-20 stablecoins (6 decimals). */
const tokens: Record<string, { symbol: string; decimals: number }> = {
  '0x20c0000000000000000000000000000000000000': { symbol: 'pathUSD', decimals: 6 },
}

/** ISO 4217 currencies whose minor unit is not the cent (Stripe's list; the rest have 2). */
const zeroDecimal = new Set(
  'bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf'.split(' '),
)
const threeDecimal = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd'])

const address = /^0x[0-9a-fA-F]{40}$/
const iso = /^[A-Za-z]{3}$/

/**
 * The unit of a currency as a challenge names it: a known token by its symbol, a Tempo
 * (TIP-20) token with 6 decimals, an ISO 4217 code with its minor units, or an
 * abbreviated address with unknown decimals.
 *
 * @example
 * ```ts
 * import { Money } from '@paywire/cli'
 * Money.unit('0x20c0000000000000000000000000000000000000') // { symbol: 'pathUSD', decimals: 6 }
 * Money.unit('usd') // { symbol: 'USD', decimals: 2 }
 * ```
 */
export function unit(currency: string, method?: string): Unit {
  const token = tokens[currency.toLowerCase()]
  if (token !== undefined) return token
  if (address.test(currency)) {
    const short = `${currency.slice(0, 6)}…${currency.slice(-4)}`
    // TIP-20 tokens all have 6 decimals; an address on another chain says nothing.
    const tip20 = method === 'tempo' || currency.toLowerCase().startsWith('0x20c0')
    return { symbol: short, decimals: tip20 ? 6 : undefined }
  }
  if (iso.test(currency)) {
    const code = currency.toLowerCase()
    return {
      symbol: code.toUpperCase(),
      decimals: zeroDecimal.has(code) ? 0 : threeDecimal.has(code) ? 3 : 2,
    }
  }
  return { symbol: currency, decimals: undefined }
}

/**
 * An amount in base units as people read it: `0.01 pathUSD`, `10.00 USD`, or
 * `1000 base units of 0xabcd…1234` when the decimals are unknown. Never negative: a
 * negative amount (a budget lowered below what was spent) reads as zero.
 *
 * @example
 * ```ts
 * import { Money } from '@paywire/cli'
 * Money.format('10000', '0x20c0000000000000000000000000000000000000') // '0.01 pathUSD'
 * Money.format('1000', 'usd') // '10.00 USD'
 * ```
 */
export function format(amount: string | bigint, currency: string, method?: string): string {
  let value = typeof amount === 'bigint' ? amount : parseBase(amount)
  if (value === undefined) return `${amount} ${currency}`
  if (value < 0n) value = 0n
  const { symbol, decimals } = unit(currency, method)
  if (decimals === undefined) return `${value} base units of ${symbol}`
  if (decimals === 0) return `${value} ${symbol}`
  const scale = 10n ** BigInt(decimals)
  const whole = value / scale
  let fraction = (value % scale).toString().padStart(decimals, '0')
  // Trailing zeros past the cents go; currencies with cents keep two places.
  const keep = Math.min(decimals, 2)
  while (fraction.length > keep && fraction.endsWith('0')) fraction = fraction.slice(0, -1)
  return `${whole}${fraction === '' ? '' : `.${fraction}`} ${symbol}`
}

/**
 * The currency a `--max-amount` or `--budget` flag names, as challenges name it: a known
 * symbol becomes its token address (`pathUSD`); an ISO 4217 code (`usd`, as Stripe and the
 * test method write it) and an address are kept. Anything else could never match a
 * challenge, so it is refused.
 *
 * @throws {Usage.UsageError} for a currency no challenge can name.
 * @example
 * ```ts
 * import { Money } from '@paywire/cli'
 * Money.currencyOf('pathUSD', '--max-amount') // '0x20c0000000000000000000000000000000000000'
 * Money.currencyOf('usd', '--max-amount') // 'usd'
 * ```
 */
export function currencyOf(text: string, flag: string): string {
  if (address.test(text)) return text
  const bySymbol = Object.entries(tokens).filter(
    ([, token]) => token.symbol.toLowerCase() === text.toLowerCase(),
  )
  if (bySymbol.length === 1) return (bySymbol[0] as [string, unknown])[0]
  if (iso.test(text)) return text
  throw new Usage.UsageError(
    `${flag}: "${text}" is not a currency a challenge can name, so it would never match; use a token address (0x…), an ISO 4217 code (usd) or a known symbol (${Object.values(
      tokens,
    )
      .map((token) => token.symbol)
      .join(', ')})`,
    { command: 'paywire' },
  )
}

function parseBase(amount: string): bigint | undefined {
  return /^-?[0-9]+$/.test(amount) ? BigInt(amount) : undefined
}
