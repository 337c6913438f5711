// The Stripe API versions the local Stripe API accepts in `Stripe-Version`, from Stripe's
// public changelog (docs.stripe.com/changelog) and the versions the `stripe` SDK pinned
// (its CHANGELOG): the named monthly releases since Acacia, their `.preview` twins, and
// the dated versions before them. Any
// other string, a malformed or impossible date included, is refused as Stripe refuses it:
// a typo in a pinned version must fail every test, not pass it. Also: which shape a
// PaymentIntent takes the shared payment token in, per version.

/** The named releases, by name (Stripe's changelog). */
const releases: Readonly<Record<string, readonly string[]>> = {
  acacia: ['2024-09-30', '2024-10-28', '2024-11-20', '2024-12-18', '2025-01-27', '2025-02-24'],
  basil: ['2025-03-31', '2025-04-30', '2025-05-28', '2025-06-30', '2025-07-30', '2025-08-27'],
  clover: ['2025-09-30', '2025-10-29', '2025-11-17', '2025-12-15', '2026-01-28', '2026-02-25'],
  dahlia: ['2026-03-25', '2026-04-22', '2026-05-27', '2026-06-24', '2026-07-29', '2026-08-26'],
  endive: ['2026-09-30', '2026-10-28'],
}

/** Dated versions before the named scheme that the SDK pinned. */
const dated = [
  '2020-03-02',
  '2020-08-27',
  '2022-08-01',
  '2022-11-15',
  '2023-08-16',
  '2023-10-16',
  '2024-04-10',
  '2024-06-20',
]

/** From this release on, a PaymentIntent takes the token as `payment_method_data[...]`. */
export const nestedTokenSince = '2026-04-22'

/** @internal Whether `version` is one Stripe released (or one the caller added). */
export function isKnown(version: string, extra: readonly string[] = []): boolean {
  if (extra.includes(version)) return true
  const match = /^(\d{4}-\d{2}-\d{2})(?:\.([a-z]+))?$/.exec(version)
  if (match === null) return false
  const [, date, name] = match as unknown as [string, string, string | undefined]
  if (name === undefined) return dated.includes(date)
  if (name === 'preview') return Object.values(releases).some((dates) => dates.includes(date))
  return releases[name]?.includes(date) === true
}

/** @internal Whether shared payment tokens exist on `version` at all. */
export function hasTokens(version: string): boolean {
  return version.endsWith('.preview') || version.slice(0, 10) >= nestedTokenSince
}

/** @internal Whether `version` takes the token nested in `payment_method_data`. */
export function takesNestedToken(version: string): boolean {
  return version.slice(0, 10) >= nestedTokenSince
}
