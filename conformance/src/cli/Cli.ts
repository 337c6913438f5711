// `paywire-conformance`: lists the catalog, or runs the server suite against a target,
// the vectors against an adapter, the client suite against a client's adapter, or the MCP
// suite against an MCP server, and
// writes its reports. Exit status: 0 when nothing failed, 1 on any fail or error,
// 2 on a usage or configuration mistake.
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { Discovery } from '@paywire/discovery'
import * as Catalog from '../Catalog.js'
import * as Coverage from '../Coverage.js'
import * as ClientSuite from '../client/Suite.js'
import * as Matrix from '../Matrix.js'
import * as MatrixReport from '../MatrixReport.js'
import * as McpConfig from '../mcp/Config.js'
import * as McpSuite from '../mcp/Suite.js'
import * as Progress from '../Progress.js'
import * as Report from '../Report.js'
import * as Results from '../Results.js'
import * as Suite from '../Suite.js'
import type { Level } from '../server/Check.js'
import * as Config from '../server/Config.js'
import * as Discover from '../server/Discover.js'
import * as Payer from '../server/Payer.js'
import * as Vectors from '../Vectors.js'

const usage = `Usage:
  paywire-conformance list [--prefix <id>]... [--level MUST|SHOULD|MAY] [--tag <tag>] [--json]
                          [--coverage]
  paywire-conformance server <url> [--config <file>] [--discover] [--only <id prefix>]...
                             [--seed <n>] [--draft 00|01] [--json <file>] [--junit <file>]
                             [--markdown <file>] [--html <file>] [--quiet]
  paywire-conformance vectors --adapter <adapter.json> [--vectors <dir>] [--only <id prefix>]...
                             [--json <file>] [--junit <file>] [--markdown <file>]
                             [--html <file>] [--quiet]
  paywire-conformance client [--only <id prefix>]... [--timeout <ms>] [--json <file>]
                             [--junit <file>] [--markdown <file>] [--html <file>] [--quiet]
                             (--adapter <adapter.json> | -- <adapter command...>)
  paywire-conformance mcp <url> --config <file> [--only <id prefix>]... [--json <file>]
                             [--junit <file>] [--markdown <file>] [--html <file>] [--quiet]
  paywire-conformance adapter < request.json
  paywire-conformance matrix --config <matrix.json> [--json <file>] [--markdown <file>]
                             [--quiet]

list: prints the catalog (server checks, client checks, vector tests); --coverage prints
instead, per draft and level, how many requirements the listed tests check, and the MUST
requirements none checks.
server: runs the server checks against <url>, the target's base URL (or, without
--config, its paid GET route). The JSON config names the paid routes, the methods and
intents the target claims and how the suite pays them (see the package README).
--discover reads the routes the config does not name from the target's discovery
document (/openapi.json, or the config's "discovery" path). --draft judges the target by
the revision of draft-httpauth-payment it claims (default 01, the latest; or the
config's "draft").
vectors: runs the suite's vectors (paywire's spec/vectors) against an adapter of the
mpp-tools ABI, named by its manifest; its command runs once per request.
client: runs the client checks against the client behind an adapter of the mpp-tools
ABI, driven through its http.payment_request operation (see the package README).
mcp: runs the MCP checks against the MCP endpoint <url> (Streamable HTTP) of a server
speaking draft-payment-transport-mcp; the JSON config names its paid tools and resources
and how the suite pays them (see the package README).
matrix: each client of the config (an adapter) pays each server's paid route once through
http.payment_request; prints the client x server table (see the package README).
adapter: paywire's own adapter of the mpp-tools ABI: one JSON request on stdin, one
response line on stdout.
Reports go to the given files ("-" for stdout); progress goes to stderr.
Exit status: 0 all passed (warn, n/a, xfail allowed), 1 any fail or error, 2 usage.`

/** The flags of the commands that write reports. */
const reportFlags = {
  json: { type: 'string' },
  junit: { type: 'string' },
  markdown: { type: 'string' },
  html: { type: 'string' },
  quiet: { type: 'boolean', default: false },
} as const

/** Runs the command line `argv` (without node and the script); resolves with the exit status. */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  const [command, ...rest] = argv
  try {
    if (command === 'list') return list(rest, io)
    if (command === 'server') return await server(rest, io)
    if (command === 'vectors') return await vectors(rest, io)
    if (command === 'client') return await client(rest, io)
    if (command === 'matrix') return await matrix(rest, io)
    if (command === 'mcp') return await mcp(rest, io)
    if (command === undefined || command === '--help' || command === 'help') {
      io.out(`${usage}\n`)
      return command === undefined ? 2 : 0
    }
    throw new UsageError(`unknown command "${command}"`)
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof Config.InvalidConfigError ||
      error instanceof Discover.DiscoveryError ||
      error instanceof Payer.InvalidPayerSettingsError ||
      error instanceof Vectors.InvalidManifestError ||
      error instanceof Matrix.InvalidMatrixConfigError
    ) {
      io.err(`paywire-conformance: ${error.message}\n\n${usage}\n`)
      return 2
    }
    if (
      error instanceof Error &&
      'code' in error &&
      String(error.code).startsWith('ERR_PARSE_ARGS')
    ) {
      io.err(`paywire-conformance: ${error.message}\n\n${usage}\n`)
      return 2
    }
    throw error
  }
}

/** Where the command line writes. */
export type Io = {
  out(text: string): void
  err(text: string): void
  stderr: Progress.Output
}

const defaultIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  stderr: process.stderr,
}

function list(argv: readonly string[], io: Io): number {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      prefix: { type: 'string', multiple: true },
      level: { type: 'string' },
      tag: { type: 'string' },
      json: { type: 'boolean', default: false },
      coverage: { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (values.level !== undefined && !['MUST', 'SHOULD', 'MAY'].includes(values.level))
    throw new UsageError(`--level must be MUST, SHOULD or MAY, found "${values.level}"`)
  const tests = Catalog.filter({
    prefix: values.prefix,
    level: values.level as Level | undefined,
    tag: values.tag,
  })
  if (values.coverage) {
    const report = Coverage.compute(tests)
    io.out(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${Coverage.format(report)}\n`)
    return 0
  }
  io.out(values.json ? `${JSON.stringify(tests, null, 2)}\n` : `${Catalog.format(tests)}\n`)
  return 0
}

async function server(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      discover: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      seed: { type: 'string' },
      draft: { type: 'string' },
      ...reportFlags,
    },
    strict: true,
  })
  if (values.draft !== undefined && values.draft !== '00' && values.draft !== '01')
    throw new UsageError(`--draft must be 00 or 01, found "${values.draft}"`)
  const [url, ...extra] = positionals
  if (url === undefined || extra.length > 0) throw new UsageError('server takes exactly one <url>')
  if (!/^https?:\/\//.test(url))
    throw new UsageError(`<url> must be an http(s) URL, found "${url}"`)
  const seed = values.seed === undefined ? undefined : Number(values.seed)
  if (seed !== undefined && !Number.isInteger(seed))
    throw new UsageError('--seed must be an integer')
  const target = new URL(url)
  const written: unknown =
    values.config === undefined
      ? values.discover
        ? {}
        : { routes: { paid: `${target.pathname}${target.search}` } }
      : readJson(values.config)
  // --discover: the routes the configuration does not name come from /openapi.json.
  const discovered =
    values.discover && typeof written === 'object' && written !== null && !('discovery' in written)
      ? { ...written, discovery: Discovery.path }
      : written
  const config = await Discover.config(
    url,
    values.draft !== undefined && typeof discovered === 'object' && discovered !== null
      ? { ...discovered, draft: values.draft }
      : discovered,
  )
  const results = await Suite.run({
    url,
    config,
    seed,
    filter: { prefix: values.only },
    onProgress: values.quiet ? undefined : Progress.reporter(io.stderr),
  })
  return report(results, values, io)
}

async function vectors(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      adapter: { type: 'string' },
      vectors: { type: 'string' },
      only: { type: 'string', multiple: true },
      ...reportFlags,
    },
    strict: true,
  })
  if (positionals.length > 0) throw new UsageError('vectors takes no positional arguments')
  if (values.adapter === undefined) throw new UsageError('vectors needs --adapter <adapter.json>')
  const manifest = Vectors.readManifest(values.adapter)
  const results = await Vectors.run({
    manifest,
    directory: values.vectors,
    only: values.only,
    onProgress: values.quiet ? undefined : Progress.reporter(io.stderr),
  })
  return report(results, values, io)
}

async function client(argv: readonly string[], io: Io): Promise<number> {
  const separator = argv.indexOf('--')
  const command = separator === -1 ? [] : argv.slice(separator + 1)
  const { values, positionals } = parseArgs({
    args: separator === -1 ? [...argv] : argv.slice(0, separator),
    allowPositionals: true,
    options: {
      adapter: { type: 'string' },
      only: { type: 'string', multiple: true },
      timeout: { type: 'string' },
      ...reportFlags,
    },
    strict: true,
  })
  if (positionals.length > 0)
    throw new UsageError('client takes the adapter command after "--", or --adapter <adapter.json>')
  if (command.length > 0 === (values.adapter !== undefined))
    throw new UsageError(
      'client needs exactly one of --adapter <adapter.json> or -- <adapter command...>',
    )
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout)
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0))
    throw new UsageError('--timeout must be a positive integer (milliseconds)')
  const manifest = values.adapter === undefined ? undefined : Vectors.readManifest(values.adapter)
  if (manifest !== undefined && !manifest.capabilities.includes('http.payment_request'))
    throw new UsageError(`${values.adapter} does not claim http.payment_request`)
  const results = await ClientSuite.run({
    adapter: manifest ?? { command },
    target: manifest === undefined ? undefined : pathToFileURL(manifest.path).href,
    timeoutMs,
    filter: { prefix: values.only },
    onProgress: values.quiet ? undefined : Progress.reporter(io.stderr),
  })
  return report(results, values, io)
}

async function mcp(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      only: { type: 'string', multiple: true },
      ...reportFlags,
    },
    strict: true,
  })
  const [url, ...extra] = positionals
  if (url === undefined || extra.length > 0) throw new UsageError('mcp takes exactly one <url>')
  if (!/^https?:\/\//.test(url))
    throw new UsageError(`<url> must be an http(s) URL, found "${url}"`)
  if (values.config === undefined) throw new UsageError('mcp needs --config <file>')
  const results = await McpSuite.run({
    url,
    config: McpConfig.from(readJson(values.config)),
    filter: { prefix: values.only },
    onProgress: values.quiet ? undefined : Progress.reporter(io.stderr),
  })
  return report(results, values, io)
}

async function matrix(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      json: { type: 'string' },
      markdown: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (positionals.length > 0) throw new UsageError('matrix takes no positional arguments')
  if (values.config === undefined) throw new UsageError('matrix needs --config <matrix.json>')
  const config = Matrix.read(readJson(values.config), dirname(resolve(values.config)))
  const run = await Matrix.run(config, {
    onCell: values.quiet
      ? undefined
      : (cell) => io.err(`${cell.client} x ${cell.server}: ${cell.outcome} [${cell.verdict}]\n`),
  })
  for (const [file, render] of [
    [values.json, MatrixReport.json],
    [values.markdown, MatrixReport.markdown],
  ] as const)
    if (file !== undefined) file === '-' ? io.out(render(run)) : writeFileSync(file, render(run))
  // The table goes to stdout unless a report does.
  if (values.json !== '-' && values.markdown !== '-') io.out(MatrixReport.text(run))
  return Results.failed(run) ? 1 : 0
}

function report(
  results: Results.Results,
  files: { json?: string; junit?: string; markdown?: string; html?: string },
  io: Io,
): number {
  const outputs: Array<[string | undefined, (r: Results.Results) => string]> = [
    [files.json, Report.json],
    [files.junit, Report.junit],
    [files.markdown, Report.markdown],
    [files.html, Report.html],
  ]
  for (const [file, render] of outputs)
    if (file !== undefined)
      file === '-' ? io.out(render(results)) : writeFileSync(file, render(results))
  const { summary } = results
  io.err(
    `${summary.total} tests: ${summary.pass} pass, ${summary.fail} fail, ${summary.warn} warn, ${summary.xfail} xfail, ${summary['n/a']} n/a, ${summary.error} error (${results.mode === 'server' ? `seed ${results.seed}, ` : ''}${(results.durationMs / 1000).toFixed(1)} s)\n`,
  )
  io.err(skipped(results))
  return Results.failed(results) ? 1 : 0
}

/**
 * What a run did not check, said plainly: a run that skipped checks (`n/a`) is not a full
 * pass, and the reasons (grouped, most frequent first) say what to configure. Empty when
 * every check ran.
 */
function skipped(results: Results.Results): string {
  const { summary } = results
  const count = summary['n/a']
  if (count === 0) return ''
  const reasons = new Map<string, number>()
  for (const result of results.results)
    if (result.verdict === 'n/a') {
      const reason = result.message ?? 'no reason given'
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1)
    }
  const sorted = [...reasons].sort((a, b) => b[1] - a[1])
  const shown = sorted.slice(0, 8)
  const verdict =
    summary.fail + summary.error > 0
      ? 'and some that ran failed'
      : `only the ${summary.total - count} that ran passed: this is not a full pass`
  return [
    `SKIPPED ${count} of ${summary.total} checks (n/a), ${verdict}. Why they were skipped:`,
    ...shown.map(([reason, n]) => `  ${String(n).padStart(3)}  ${reason}`),
    ...(sorted.length > shown.length
      ? [`       and ${sorted.length - shown.length} other reasons (see --json or --markdown)`]
      : []),
    results.mode === 'server'
      ? '  To run them, give --config with the payers (methods) and routes of the server; see the README, "The configuration".'
      : '',
    '',
  ]
    .filter((line, index, all) => line !== '' || index === all.length - 1)
    .join('\n')
}

function readJson(file: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new UsageError(`${file} is not JSON`)
  }
}

/** A command-line mistake: exit status 2 with the usage. */
class UsageError extends Error {
  override readonly name = 'UsageError'
  readonly code = 'ERR_CONFORMANCE_USAGE'
}
