// `paywire <url>`: a curl-like request that pays an HTTP 402 Payment challenge through
// @paywire/client, under the spending policy of the flags and config file, with the
// ledger and budgets kept in the home directory's SQLite store. The body goes to stdout
// (or `-o`), the payment and its decoded receipt to stderr, or everything as one JSON
// object with `--json`.
import { readFileSync } from 'node:fs'
import { Challenges, Client, Ledger, type Policy } from '@paywire/client'
import { Errors, type Receipt, type Store } from '@paywire/core'
import * as Agent from './Agent.js'
import * as AtomicFile from './AtomicFile.js'
import * as Channels from './Channels.js'
import * as Config from './Config.js'
import * as ExitCode from './ExitCode.js'
import * as Failure from './Failure.js'
import * as Home from './Home.js'
import * as Io from './Io.js'
import * as Methods from './Methods.js'
import * as Money from './Money.js'
import * as Progress from './Progress.js'
import * as Prompt from './Prompt.js'
import * as Spending from './Spending.js'
import * as Transcript from './Transcript.js'
import * as Usage from './Usage.js'

/**
 * The flags of `paywire <url>`.
 *
 * @example
 * ```ts
 * import { Request } from '@paywire/cli'
 * 'dry-run' in Request.flags // true
 * ```
 */
export const flags = {
  request: { type: 'string', short: 'X' },
  header: { type: 'string', short: 'H', multiple: true },
  data: { type: 'string', short: 'd' },
  output: { type: 'string', short: 'o' },
  include: { type: 'boolean', short: 'i' },
  location: { type: 'boolean', short: 'L' },
  fail: { type: 'boolean', short: 'f' },
  verbose: { type: 'boolean', short: 'v' },
  silent: { type: 'boolean', short: 's' },
  json: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  'sign-as-agent': { type: 'boolean' },
  config: { type: 'string' },
  home: { type: 'string' },
  ...Spending.flags,
  ...Methods.flags(),
} as const satisfies Usage.Options

/**
 * The help of `paywire <url>`.
 *
 * @example
 * ```ts
 * import { Request } from '@paywire/cli'
 * console.log(Request.help)
 * ```
 */
export const help = `Usage: paywire <url> [options]

Sends a request; when the server answers 402 with a Payment challenge, pays it under the
spending policy and retries once. The body goes to stdout, the payment and its receipt to
stderr. Plain http is allowed only to loopback (127.0.0.1, localhost, [::1]).

Request:
  -X, --request <method>  HTTP method (default GET, or POST with -d)
  -H, --header <h: v>     request header (repeatable)
  -d, --data <data>       request body; @file reads a file, @- reads stdin
  -o, --output <file>     write the body to a file
  -i, --include           print the response status and headers before the body
  -L, --location          follow redirects (default: print the 3xx answer, as curl does);
                          a payment is only ever made to the origin asked
  -f, --fail              on an HTTP error status (400 or more, after any payment) print
                          no body, say so on stderr and exit 7
  -v, --verbose           print each request and response's headers on stderr
                          (Authorization and cookies are always redacted)
  -s, --silent            no progress or payment summary on stderr
      --json              print one JSON object on stdout (see the README for its shape)
      --sign-as-agent     sign every request, the paid retry included, with the agent
                          key of \`paywire agent create\` (Web Bot Auth)

Paying:
      --dry-run           print what would be paid, and stop before paying
  -y, --yes               pay without asking (the policy still applies); without it, a
                          terminal is asked to confirm and a script is refused
${Spending.help}
      --config <file>     config file (default <home>/config.json)
      --home <dir>        home directory (default PAYWIRE_HOME or ~/.paywire)

Methods:
${Methods.registry.map((entry) => entry.help).join('\n')}

Example:
  paywire http://127.0.0.1:8402/paid --test-key paywire-reference-test-method-key \\
    --max-amount 1000:usd --budget 1500:usd/day --yes`

/**
 * Runs `paywire <url> ...args`.
 *
 * @throws the errors {@link Failure} describes; resolves the exit code otherwise.
 * @example
 * ```ts
 * import { Io, Request } from '@paywire/cli'
 * const code = await Request.run(['http://127.0.0.1:8402/free'], Io.fromProcess())
 * ```
 */
export async function run(args: readonly string[], io: Io.Io): Promise<ExitCode.ExitCode> {
  const { values, positionals } = Usage.parse(args, flags, 'paywire')
  const url = target(Usage.single(positionals, 'url', 'paywire'))
  const home = Home.from({ home: values.home, env: io.env })
  const config = Config.read({ path: values.config, fallback: home.config })
  const policy = Spending.from(values, config)
  const terminal = { input: io.stdin, output: io.stderr }
  let store: Store.Store | undefined
  const opened = () => {
    store ??= Home.store(home)
    return store
  }
  try {
    const methods = await Methods.create(
      {
        flags: values,
        home,
        terminal,
        env: io.env,
        url,
        store: opened,
        maxAmount: (currency) => {
          const cap = Object.hasOwn(policy.currencies, currency)
            ? policy.currencies[currency]
            : undefined
          return cap === undefined ? undefined : BigInt(cap.maxAmount)
        },
      },
      config.methods,
    )
    const init = requestInit(values, io)
    const quiet = values.silent === true
    const send = transport(io, values.verbose === true, quiet)
    const agent = values['sign-as-agent'] === true ? Agent.signer(home) : undefined
    if (methods.length === 0) {
      const headers = init.headers as Headers
      if (agent !== undefined)
        for (const [name, value] of agent.sign({ method: init.method ?? 'GET', url, headers }))
          headers.set(name, value)
      const response = await send(url.href, init)
      if (response.status === 402) unpayable(response)
      return write(io, values, { response, receipt: undefined, payment: undefined })
    }
    const client = Client.create({
      methods,
      policy: {
        ...policy,
        approve: (approval) => approve(approval, values.yes === true, terminal),
      },
      store: opened(),
      mode: values['dry-run'] === true ? 'dry-run' : 'pay',
      fetch: send,
      insecureOrigins: loopback(url) ? [url.origin] : [],
      agent,
    })
    const result = await client.fetch(url, init)
    if (result.dryRun !== undefined) return dryRun(io, values.json === true, result.dryRun)
    // Tempo in push mode broadcasts before the server answers: its refusals may have moved
    // money. Every other one-time payment moves money only when the server settles it.
    const tempoMode =
      (values as Record<string, unknown>)['tempo-mode'] ??
      (config.methods as { tempo?: { mode?: unknown } } | undefined)?.tempo?.mode
    const serverSettles = (payment: Ledger.Entry) =>
      payment.intent !== 'session' && !(payment.method === 'tempo' && tempoMode === 'push')
    return await write(io, values, result, opened(), serverSettles)
  } finally {
    await store?.close?.()
  }
}

type Values = ReturnType<typeof Usage.parse<typeof flags>>['values']
type Paid = Pick<Client.Result, 'response' | 'receipt' | 'payment'>

function target(text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch (cause) {
    throw new Usage.UsageError(`"${text}" is not a URL (give the scheme: https://...)`, {
      command: 'paywire',
      cause,
    })
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Usage.UsageError(`only http and https URLs can be fetched, found ${url.protocol}`, {
      command: 'paywire',
    })
  return url
}

function loopback(url: URL): boolean {
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
}

function requestInit(values: Values, io: Io.Io): RequestInit {
  const headers = new Headers()
  for (const header of values.header ?? []) {
    const colon = header.indexOf(':')
    if (colon <= 0)
      throw new Usage.UsageError(`-H takes "Name: value", found "${header}"`, {
        command: 'paywire',
      })
    headers.append(header.slice(0, colon).trim(), header.slice(colon + 1).trim())
  }
  const data = values.data
  const body = data === undefined ? undefined : bodyOf(data, io)
  if (body !== undefined && !headers.has('content-type'))
    headers.set('content-type', 'application/x-www-form-urlencoded')
  const method = values.request ?? (body === undefined ? 'GET' : 'POST')
  // curl's default: a redirect is the answer, followed only with -L.
  const redirect: RequestRedirect = values.location === true ? 'follow' : 'manual'
  return body === undefined ? { method, headers, redirect } : { method, headers, body, redirect }
}

function bodyOf(data: string, io: Io.Io): Uint8Array<ArrayBuffer> | string {
  if (!data.startsWith('@')) return data
  const path = data.slice(1)
  try {
    return new Uint8Array(
      readFileSync(path === '-' ? (io.stdin as unknown as { fd: number }).fd : path),
    )
  } catch (cause) {
    throw new Usage.UsageError(`-d ${data}: ${(cause as Error).message}`, {
      command: 'paywire',
      cause,
    })
  }
}

/** The fetch the client sends with: progress after a second, and the `-v` transcript. */
function transport(io: Io.Io, verbose: boolean, quiet: boolean) {
  return async (input: string, init: RequestInit): Promise<Response> => {
    const url = new URL(input)
    if (verbose)
      Io.lines(io.stderr, Transcript.request(init.method ?? 'GET', url, new Headers(init.headers)))
    const response = await Progress.during(
      io.stderr,
      `waiting for ${url.origin}`,
      fetch(input, init),
      {
        quiet,
      },
    )
    if (verbose) Io.lines(io.stderr, Transcript.response(response))
    return response
  }
}

async function approve(
  { quote, budgets }: Policy.Approval,
  yes: boolean,
  terminal: Prompt.Terminal,
): Promise<boolean> {
  if (yes) return true
  const left = budgets.map(
    (standing) =>
      `${Money.format(standing.remaining, standing.budget.currency, quote.method)} of ${Money.format(standing.budget.amount, standing.budget.currency, quote.method)} left this ${standing.budget.window} after it`,
  )
  const question = `Pay ${Spending.describe(quote)}?${left.length > 0 ? ` (${left.join('; ')})` : ''}`
  return Prompt.confirm(
    terminal,
    question,
    'pass --yes to pay without asking (the spending policy still applies)',
  )
}

function unpayable(response: Response): never {
  const offered = Challenges.fromResponse(response)
  const offers = offered.challenges.map((challenge) => `${challenge.method}/${challenge.intent}`)
  const hints = Methods.registry.map((entry) => entry.help.trim().split(/\s{2,}/)[0]).join(', ')
  throw new NoMethodError(
    `the server asks for payment (${offers.join(', ') || 'no readable challenge'}) and no payment method is configured; configure one: ${hints}`,
  )
}

async function write(
  io: Io.Io,
  values: Values,
  result: Paid,
  store?: Store.Store,
  serverSettles: (payment: Ledger.Entry) => boolean = () => false,
): Promise<ExitCode.ExitCode> {
  const { response, receipt } = result
  let payment = result.payment
  const body = Buffer.from(await response.arrayBuffer())
  const refusal =
    payment?.status === 'unconfirmed' && serverSettles(payment)
      ? refusalOf(response, body)
      : undefined
  if (payment !== undefined && refusal !== undefined && store !== undefined)
    payment = await Ledger.from(store).settle(payment.id, {
      status: 'refused',
      httpStatus: response.status,
      note: `refused by the server: ${refusal}`,
    })
  const output = values.output === '-' ? undefined : values.output
  // -f: an HTTP error status prints no body (and writes no -o file), as curl's --fail.
  const failed = values.fail === true && response.status >= 400
  if (output !== undefined && !failed) await AtomicFile.replace(output, body)
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify(toJson(response, body, output, payment, receipt))}\n`)
  } else {
    if (values.include === true) Io.lines(io.stdout, [...Transcript.statusAndHeaders(response), ''])
    if (output === undefined && !failed) io.stdout.write(body)
    if (payment !== undefined && refusal !== undefined)
      Io.lines(io.stderr, [
        `paywire: the server refused the payment of ${Money.format(payment.amount, payment.currency, payment.method)} (${response.status}): ${refusal}; nothing was paid`,
        `  next: ${payment.method === 'test' ? 'check --test-key: it must be the key the server was started with' : 'check the payment method and account the server accepts'}`,
      ])
    else if (payment !== undefined && values.silent !== true)
      Io.lines(io.stderr, [
        ...summary(payment, receipt),
        ...(await channelSummary(payment, receipt, store)),
      ])
  }
  if (payment?.status === 'refused') return ExitCode.refused
  if (payment?.status === 'unconfirmed') {
    if (values.json !== true)
      io.stderr.write(
        `paywire: paid, but no valid receipt came back (${payment.note ?? `status ${payment.httpStatus}`}); the payment is recorded as unconfirmed: see \`paywire ledger\`\n${
          payment.intent === 'session'
            ? '  next: `paywire sessions show <channel>` tells whether the channel is on chain; if it is not, `paywire sessions close <channel>` drops it (`paywire sessions list` for the id)\n'
            : ''
        }`,
      )
    return ExitCode.unconfirmed
  }
  if (failed) {
    if (values.json !== true) {
      const reason = problemOf(response, body)
      io.stderr.write(
        `paywire: ${response.url || 'the server'} answered ${response.status}${response.statusText === '' ? '' : ` ${response.statusText.replace(/\p{Cc}+/gu, ' ').slice(0, 100)}`}${reason === undefined ? '' : `: ${reason}`} (--fail: body not printed)\n`,
      )
    }
    return ExitCode.httpError
  }
  return ExitCode.ok
}

/**
 * The server's reason, when it refused the paid request with a problem (RFC 9457) before
 * settling: a 4xx answer other than 408 and 409 (which say nothing of the payment's fate).
 * `title: detail`, or `undefined` when the answer is not such a refusal.
 */
function refusalOf(response: Response, body: Buffer): string | undefined {
  const status = response.status
  if (status < 400 || status > 499 || status === 408 || status === 409) return undefined
  return problemOf(response, body)
}

/** `title: detail` of a problem (RFC 9457) body, or `undefined` when the body is not one. */
function problemOf(response: Response, body: Buffer): string | undefined {
  const status = response.status
  if (!(response.headers.get('content-type') ?? '').includes('application/problem+json'))
    return undefined
  let problem: { title?: unknown; detail?: unknown }
  try {
    problem = JSON.parse(body.toString('utf8')) as { title?: unknown; detail?: unknown }
  } catch {
    return undefined
  }
  const text = (value: unknown) =>
    typeof value === 'string' ? value.replace(/\p{Cc}+/gu, ' ').slice(0, 300) : undefined
  const parts = [text(problem.title), text(problem.detail)].filter((part) => part !== undefined)
  return parts.length === 0 ? `status ${status}` : parts.join(': ')
}

function summary(payment: Ledger.Entry, receipt: Receipt.Receipt | undefined): string[] {
  const to = payment.recipient === undefined ? '' : ` to ${payment.recipient}`
  const how = `with ${payment.method}/${payment.intent} (${payment.status})`
  const amount = Money.format(payment.amount, payment.currency, payment.method)
  const lines = [
    payment.intent !== 'session'
      ? `paid ${amount}${to} ${how}`
      : payment.amount === '0'
        ? `paid by a voucher on the open session channel${to} ${how}`
        : `${payment.status === 'unconfirmed' ? 'tried to open' : 'opened'} a session channel${to} with a deposit of ${amount} ${how}`,
  ]
  if (receipt !== undefined) {
    lines.push('receipt:')
    for (const [name, value] of Object.entries(receipt))
      lines.push(`  ${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
  }
  return lines
}

/** For a session payment: the channel it opened or paid on, and what is left of its deposit. */
async function channelSummary(
  payment: Ledger.Entry,
  receipt: Receipt.Receipt | undefined,
  store: Store.Store | undefined,
): Promise<string[]> {
  if (payment.intent !== 'session' || receipt === undefined || store === undefined) return []
  const channel = (await Channels.list(store)).find(
    (recorded) => recorded.channelId === receipt.reference.toLowerCase(),
  )
  if (channel === undefined) return []
  return [
    `channel ${channel.channelId}: deposit ${Money.format(channel.deposit, channel.currency, 'tempo')}, signed ${Money.format(channel.signed, channel.currency, 'tempo')}, remaining ${Money.format(channel.remaining, channel.currency, 'tempo')} (\`paywire sessions show ${channel.channelId.slice(0, 10)}\`)`,
  ]
}

function toJson(
  response: Response,
  body: Buffer,
  output: string | undefined,
  payment: Ledger.Entry | undefined,
  receipt: Receipt.Receipt | undefined,
) {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(body)
  const utf8 = Buffer.from(text, 'utf8').equals(body)
  return {
    url: response.url,
    status: response.status,
    headers: Object.fromEntries(
      [...response.headers].map(([name, value]) => [name, Transcript.redact(name, value)]),
    ),
    ...(output !== undefined
      ? { output }
      : utf8
        ? { body: text, bodyEncoding: 'utf8' }
        : { body: body.toString('base64'), bodyEncoding: 'base64' }),
    payment: payment ?? null,
    receipt: receipt ?? null,
  }
}

function dryRun(io: Io.Io, json: boolean, verdict: Client.DryRun): ExitCode.ExitCode {
  const { quote, refusal, budgets } = verdict
  if (json) {
    io.stdout.write(
      `${JSON.stringify({
        dryRun: {
          wouldPay: refusal === undefined,
          quote: quote ?? null,
          refusal: refusal === undefined ? null : { rule: refusal.rule, message: refusal.message },
          budgets,
        },
      })}\n`,
    )
  } else {
    const lines =
      refusal === undefined && quote !== undefined
        ? [`dry run: would pay ${Spending.describe(quote)}`]
        : [
            `dry run: would not pay: ${refusal === undefined ? '' : Failure.refusalMessage(refusal)}`,
          ]
    if (quote?.expires !== undefined)
      lines.push(`  challenge ${quote.challengeId}, expires ${quote.expires}`)
    for (const standing of budgets)
      lines.push(
        `  budget ${Money.format(standing.budget.amount, standing.budget.currency, quote?.method)}/${standing.budget.window} (${standing.budget.scope}): ${Money.format(standing.remaining, standing.budget.currency, quote?.method)} left after it`,
      )
    lines.push('nothing was paid')
    Io.lines(io.stdout, lines)
  }
  return refusal === undefined ? ExitCode.ok : ExitCode.refused
}

/**
 * Raised when the server asks for payment and no method is configured to pay it.
 *
 * @example
 * ```ts
 * import { Request } from '@paywire/cli'
 * const error = new Request.NoMethodError('configure --test-key')
 * error.code // 'ERR_CLI_NO_METHOD'
 * ```
 */
export class NoMethodError extends Errors.BaseError {
  override readonly name = 'Request.NoMethodError'
  readonly code = 'ERR_CLI_NO_METHOD'
  readonly problem = undefined
}
