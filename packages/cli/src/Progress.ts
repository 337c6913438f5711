// Status on stderr for anything that takes more than a second: nothing for fast work, a
// line with the elapsed seconds (updated in place on a terminal) for slow work.

/**
 * Runs `work`; if it is still running after `delayMs` (default 1 s), writes `label` and
 * the elapsed time to `stream` until it settles. Resolves or rejects as `work` does.
 *
 * @example
 * ```ts
 * import { Progress } from '@paywire/cli'
 * const response = await Progress.during(process.stderr, 'waiting for api.example.com', fetch('https://api.example.com'))
 * ```
 */
export async function during<value>(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  label: string,
  work: Promise<value>,
  options: { delayMs?: number; quiet?: boolean } = {},
): Promise<value> {
  if (options.quiet === true) return work
  const started = Date.now()
  const tty = stream.isTTY === true
  let shown = false
  const show = () => {
    const seconds = Math.round((Date.now() - started) / 1000)
    if (tty) stream.write(`\r\u001b[2K${label}… ${seconds}s`)
    else if (!shown) stream.write(`${label}…\n`)
    shown = true
  }
  let ticker: NodeJS.Timeout | undefined
  const timer = setTimeout(() => {
    show()
    if (tty) ticker = setInterval(show, 1000)
  }, options.delayMs ?? 1000)
  try {
    return await work
  } finally {
    clearTimeout(timer)
    clearInterval(ticker)
    if (shown && tty) stream.write('\r\u001b[2K')
  }
}
