// How server-supplied strings (realm, currency, recipient) appear in error messages:
// escaped and cut short, so a hostile value cannot forge log lines or flood a log.

/** Longest excerpt of a server-supplied string shown in a message, in characters. */
const maxLength = 64

/** @internal The value escaped (JSON rules) and cut to 64 characters, without quotes. */
export function excerpt(value: string): string {
  const short = value.length > maxLength ? `${value.slice(0, maxLength)}…` : value
  return JSON.stringify(short).slice(1, -1)
}

/** @internal The value as {@link excerpt} shows it, in double quotes. */
export function quoted(value: string): string {
  return `"${excerpt(value)}"`
}
