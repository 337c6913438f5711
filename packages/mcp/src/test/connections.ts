// Raw connections to the test server over every transport the tests cover: in-memory,
// Streamable HTTP with sessions (one gate per session), stateless Streamable HTTP (one
// gate per request) and stdio (a child process).
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type * as Effects from './effects.js'
import * as Fixture from './fixture.js'
import * as Raw from './raw.js'

export type Connection = {
  raw: Raw.Raw
  /** Another raw connection to the same server (same payments, same store). */
  another(): Promise<Raw.Raw>
  /** The server's counts, when it runs in this process. */
  effects: Effects.Effects | undefined
  close(): Promise<void>
}

export type Connect = (options?: Fixture.Options) => Promise<Connection>

const here = dirname(fileURLToPath(import.meta.url))
const tsx = join(here, '..', '..', '..', '..', 'node_modules', '.bin', 'tsx')

export const inMemory: Connect = async (options = {}) => {
  const fixture = await Fixture.inMemory(options)
  return connection(fixture, () => fixture.open())
}

export const sessions: Connect = async (options = {}) => {
  const fixture = await Fixture.streamableHttp({ ...options, sessions: true })
  return connection(fixture, () => fixture.open())
}

export const stateless: Connect = async (options = {}) => {
  const fixture = await Fixture.streamableHttp(options)
  return connection(fixture, () => fixture.open())
}

export const stdio: Connect = async (options = {}) => {
  const raw = await Raw.open(spawn(options))
  return {
    raw,
    another: () => Raw.open(spawn(options)),
    effects: undefined,
    close: () => raw.close(),
  }
}

function spawn(options: Fixture.Options): Transport {
  return new StdioClientTransport({
    command: tsx,
    args: [
      '--conditions=@paywire/source',
      join(here, 'stdio-server.ts'),
      ...(options.settle === undefined ? [] : [options.settle]),
    ],
    cwd: join(here, '..', '..'),
    stderr: 'inherit',
  }) as Transport
}

async function connection(
  fixture: { effects: Effects.Effects; close(): Promise<void> },
  open: () => Promise<Transport>,
): Promise<Connection> {
  const opened: Raw.Raw[] = []
  const another = async () => {
    const raw = await Raw.open(await open())
    opened.push(raw)
    return raw
  }
  const raw = await another()
  return {
    raw,
    another,
    effects: fixture.effects,
    async close() {
      await Promise.all(opened.map((each) => each.close().catch(() => undefined)))
      await fixture.close()
    },
  }
}

/** Every transport, for `describe.each`. */
export const all = [
  ['in-memory', inMemory],
  ['Streamable HTTP with sessions', sessions],
  ['stateless Streamable HTTP', stateless],
  ['stdio', stdio],
] as const
