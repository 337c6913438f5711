// `paywire agent`: the CLI's Web Bot Auth identity (draft-ietf-webbotauth-httpsig-
// protocol-01). `create` makes an Ed25519 signing key in the home directory, `show`,
// `directory` and `card` print what the agent publishes (its key directory, a JWK Set,
// and its Signature Agent Card), `serve` serves them on loopback for local testing.
// `paywire <url> --sign-as-agent` signs requests with it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Card, Directory, Jwk, SignatureAgent, Signer } from '@paywire/agent-identity'
import { Errors } from '@paywire/core'
import { z } from 'zod'
import * as ExitCode from './ExitCode.js'
import * as Home from './Home.js'
import * as Io from './Io.js'
import * as Usage from './Usage.js'

/**
 * The commands of `paywire agent`, for the help and the shell completions.
 *
 * @example
 * ```ts
 * import { Agent } from '@paywire/cli'
 * Agent.subcommands.includes('list') // true
 * ```
 */
export const subcommands = ['create', 'show', 'directory', 'card', 'serve'] as const

/**
 * The help of `paywire agent`.
 *
 * @example
 * ```ts
 * import { Agent } from '@paywire/cli'
 * console.log(Agent.help)
 * ```
 */
export const help = `Usage: paywire agent <command> [options]

The agent identity requests are signed with (Web Bot Auth: HTTP Message Signatures with a
Signature-Agent URL where the agent's key directory is published).

Commands:
  create      make an Ed25519 signing key in the home directory
  show        the key's thumbprint, the Signature-Agent URL, the directory and the card
  directory   print the key directory (a JWK Set) to publish at the Signature-Agent URL
  card        print the Signature Agent Card
  serve       serve the directory and the card on loopback, for local testing

Options:
  --url <url>     (create) the https URL the directory will be published at; default
                  the loopback URL \`paywire agent serve\` answers on
  --name <name>   (create) the agent's name, for its card
  --force         (create) replace an existing key
  --port <port>   (serve) port on 127.0.0.1 (default 8403; 0 picks one)
  --home <dir>    home directory (default PAYWIRE_HOME or ~/.paywire)
  --json          (show) print one JSON object

Sign requests with it: paywire <url> --sign-as-agent`

/** The default port of `paywire agent serve`. */
export const defaultPort = 8403

/** The path the card is served at by `paywire agent serve`. */
export const cardPath = '/.well-known/signature-agent-card'

export const flags = {
  url: { type: 'string' },
  name: { type: 'string' },
  force: { type: 'boolean' },
  port: { type: 'string', default: String(defaultPort) },
  home: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies Usage.Options

/**
 * The agent file in the home directory (`agent.json`): the signing key (a private JWK),
 * the URL its key directory is published at, and an optional name.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * import { Agent } from '@paywire/cli'
 * const parsed = Agent.identitySchema.safeParse(JSON.parse(readFileSync('agent.json', 'utf8')))
 * if (parsed.success) console.log(parsed.data.url)
 * ```
 */
export const identitySchema = z.object({
  key: Jwk.privateSchema,
  url: z.string(),
  name: z.string().optional(),
})

/** The agent of a home directory. */
export type Identity = z.infer<typeof identitySchema>

/**
 * Runs `paywire agent <command>`.
 *
 * @example
 * ```ts
 * import { Agent, Io } from '@paywire/cli'
 * const code = await Agent.run(['show'], Io.fromProcess())
 * ```
 */
export async function run(args: readonly string[], io: Io.Io): Promise<ExitCode.ExitCode> {
  const { values, positionals } = Usage.parse(args, flags, 'agent')
  const [command, ...rest] = positionals
  if (rest.length > 0)
    throw new Usage.UsageError(`unexpected argument "${rest[0]}"`, { command: 'agent' })
  const home = Home.from({ home: values.home, env: io.env })
  switch (command) {
    case 'create':
      return create(home, values, io)
    case 'show':
      return show(load(home), values.json === true, io)
    case 'directory':
      io.stdout.write(`${JSON.stringify(Directory.from([load(home).key]), null, 2)}\n`)
      return ExitCode.ok
    case 'card':
      io.stdout.write(`${JSON.stringify(cardOf(load(home)), null, 2)}\n`)
      return ExitCode.ok
    case 'serve':
      return serve(home, port(values.port), io)
    default:
      throw new Usage.UsageError(
        command === undefined ? 'missing <command>' : `unknown command "${command}"`,
        { command: 'agent' },
      )
  }
}

/**
 * The signer of the home directory's agent, for `--sign-as-agent`.
 *
 * @throws {NoAgentError} when `paywire agent create` has not been run.
 * @example
 * ```ts
 * import { Agent, Home } from '@paywire/cli'
 * const signer = Agent.signer(Home.from())
 * ```
 */
export function signer(home: Home.Home): Signer.Signer {
  const identity = load(home)
  return Signer.create({ key: identity.key, agent: identity.url })
}

/** Where the agent file lives in a home directory. */
export function path(home: Home.Home): string {
  return join(home.dir, 'agent.json')
}

function create(home: Home.Home, values: Values, io: Io.Io): ExitCode.ExitCode {
  const file = path(home)
  if (existsSync(file) && values.force !== true)
    throw new Usage.UsageError(`an agent key already exists in ${file} (--force replaces it)`, {
      command: 'agent',
    })
  const url = values.url ?? `http://127.0.0.1:${defaultPort}${Directory.wellKnownPath}`
  // Refuses what a verifier would: anything but https, except on loopback.
  SignatureAgent.parse(SignatureAgent.serialize({ sig1: url }), { allowLoopback: true })
  const identity: Identity = {
    key: Jwk.generate(),
    url,
    ...(values.name === undefined ? {} : { name: values.name }),
  }
  Home.ensure(home)
  writeFileSync(file, `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600 })
  Io.lines(io.stdout, [
    `agent key ${Jwk.thumbprint(identity.key)} created in ${file}`,
    `Signature-Agent: ${url}`,
    url.startsWith('https:')
      ? `publish \`paywire agent directory\` at ${url}`
      : 'serve it locally with `paywire agent serve`',
  ])
  return ExitCode.ok
}

function show(identity: Identity, json: boolean, io: Io.Io): ExitCode.ExitCode {
  const summary = {
    keyid: Jwk.thumbprint(identity.key),
    signatureAgent: identity.url,
    directory: Directory.from([identity.key]),
    card: cardOf(identity),
  }
  if (json) io.stdout.write(`${JSON.stringify(summary)}\n`)
  else
    Io.lines(io.stdout, [
      `keyid            ${summary.keyid}`,
      `Signature-Agent  ${summary.signatureAgent}`,
      `directory        ${JSON.stringify(summary.directory)}`,
      `card             ${JSON.stringify(summary.card)}`,
    ])
  return ExitCode.ok
}

function cardOf(identity: Identity): Card.Card {
  const url = new URL(identity.url)
  return Card.from({
    clientId: `${url.origin}${cardPath}`.replace(/^http:/, 'https:'),
    name: identity.name ?? 'paywire agent',
    jwksUri: identity.url.replace(/^http:/, 'https:'),
    webBotAuth: { trigger: 'fetcher', purpose: 'paid API access (HTTP 402 Payment)' },
  })
}

/** Serves the agent file's directory and card, read again for each request (a key replaced with `create --force` is served at once). */
async function serve(home: Home.Home, port: number, io: Io.Io): Promise<ExitCode.ExitCode> {
  const directoryPath = new URL(load(home).url).pathname
  const server = createServer((request, response) => {
    const identity = load(home)
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname
    const body =
      path === directoryPath || path === Directory.wellKnownPath
        ? Directory.response(Directory.from([identity.key]), { maxAge: 300 })
        : path === cardPath
          ? Response.json(cardOf(identity))
          : new Response('not found\n', { status: 404 })
    response.writeHead(body.status, Object.fromEntries(body.headers))
    void body.text().then((text) => response.end(request.method === 'HEAD' ? undefined : text))
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  io.stdout.write(`agent directory at ${origin}${directoryPath}, card at ${origin}${cardPath}\n`)
  await Io.stopped()
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return ExitCode.ok
}

type Values = ReturnType<typeof Usage.parse<typeof flags>>['values']

function load(home: Home.Home): Identity {
  const file = path(home)
  if (!existsSync(file))
    throw new NoAgentError(`no agent key in ${home.dir}; run \`paywire agent create\` first`)
  const parsed = identitySchema.safeParse(JSON.parse(readFileSync(file, 'utf8')))
  if (!parsed.success) throw new NoAgentError(`${file} is not an agent file`)
  Jwk.parsePrivate(parsed.data.key)
  return parsed.data
}

function port(value: string | undefined): number {
  const number = Number(value)
  if (!Number.isInteger(number) || number < 0 || number > 65_535)
    throw new Usage.UsageError(`--port takes a port number, found "${value}"`, { command: 'agent' })
  return number
}

/**
 * Raised when a command needs the agent key and the home directory has none.
 *
 * @example
 * ```ts
 * import { Agent } from '@paywire/cli'
 * const error = new Agent.NoAgentError('no agent key')
 * error.code // 'ERR_CLI_NO_AGENT'
 * ```
 */
export class NoAgentError extends Errors.BaseError {
  override readonly name = 'Agent.NoAgentError'
  readonly code = 'ERR_CLI_NO_AGENT'
  readonly problem = undefined
}
