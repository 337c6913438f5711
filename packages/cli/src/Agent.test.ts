// `paywire agent` in-process: a key is created in the home directory, its directory and
// card are printed and served on loopback, and `--sign-as-agent` requests verify against
// the served directory.
import { mkdtempSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { Card, Directory, Jwk, Verifier } from '@paywire/agent-identity'
import { MemoryStore } from '@paywire/store-memory'
import { describe, expect, it } from 'vitest'
import { Agent, Cli, ExitCode, Home, type Io } from './index.js'

function io(env: Record<string, string>) {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8')
  })
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8')
  })
  const streams = {
    stdin: new PassThrough() as unknown as NodeJS.ReadStream,
    stdout,
    stderr: stderr as unknown as NodeJS.WriteStream,
    env,
  } satisfies Io.Io
  return { io: streams, out: () => out, err: () => err }
}

describe('paywire agent', () => {
  it('creates a key (0600) and prints its directory and card {webbotauth.directory.format, webbotauth.sign.keyid-thumbprint}', async () => {
    const home = mkdtempSync(join(tmpdir(), 'paywire-agent-'))
    const created = io({ PAYWIRE_HOME: home })
    expect(await Cli.run(['agent', 'create', '--name', 'Test Agent'], created.io)).toBe(ExitCode.ok)
    expect(statSync(Agent.path(Home.from({ home }))).mode & 0o777).toBe(0o600)
    expect(await Cli.run(['agent', 'create'], io({ PAYWIRE_HOME: home }).io)).toBe(ExitCode.usage)
    const shown = io({ PAYWIRE_HOME: home })
    expect(await Cli.run(['agent', 'show', '--json'], shown.io)).toBe(ExitCode.ok)
    const summary = JSON.parse(shown.out()) as {
      keyid: string
      directory: Directory.Directory
      card: unknown
    }
    expect(summary.directory.keys).toHaveLength(1)
    expect(summary.directory.keys[0]?.kid).toBe(summary.keyid)
    expect(Jwk.thumbprint(summary.directory.keys[0] as Jwk.Public)).toBe(summary.keyid)
    expect(summary.directory.keys[0]).not.toHaveProperty('d')
    expect(Card.parse(summary.card).client_name).toBe('Test Agent')
  })

  it('refuses a plain-http Signature-Agent URL outside loopback', async () => {
    const home = mkdtempSync(join(tmpdir(), 'paywire-agent-'))
    const run = io({ PAYWIRE_HOME: home })
    const code = await Cli.run(['agent', 'create', '--url', 'http://agent.example/keys'], run.io)
    expect(code).toBe(ExitCode.usage)
    expect(run.err()).toContain('https')
  })

  it('signs --sign-as-agent requests that verify against the directory it serves', async () => {
    const home = mkdtempSync(join(tmpdir(), 'paywire-agent-'))
    const env = { PAYWIRE_HOME: home }
    // The directory server: `paywire agent serve` on a free port, in-process.
    const served = io(env)
    const serving = Cli.run(['agent', 'create', '--url', 'http://127.0.0.1:1/x'], io(env).io).then(
      () => Cli.run(['agent', 'serve', '--port', '0'], served.io),
    )
    await expect.poll(() => served.out(), { timeout: 30_000 }).toContain('agent directory at')
    const origin = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(served.out())?.[1] as string
    // Re-create the key with the URL the server really answers on.
    await Cli.run(
      ['agent', 'create', '--force', '--url', `${origin}${Directory.wellKnownPath}`],
      io(env).io,
    )
    const verdicts: Verifier.Verification[] = []
    const verifier = Verifier.create({ store: MemoryStore.create(), allowLoopback: true })
    const api = createServer((request, response) => {
      const headers = new Headers()
      for (const [name, value] of Object.entries(request.headers))
        if (typeof value === 'string') headers.set(name, value)
      const url = `http://${request.headers.host}${request.url}`
      void verifier.verify({ method: request.method ?? 'GET', url, headers }).then((verdict) => {
        verdicts.push(verdict)
        response.end('ok')
      })
    })
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
    try {
      const port = (api.address() as AddressInfo).port
      const run = io(env)
      const code = await Cli.run([`http://127.0.0.1:${port}/free`, '--sign-as-agent', '-s'], run.io)
      expect(code).toBe(ExitCode.ok)
      expect(verdicts.map((verdict) => verdict.outcome)).toEqual(['verified'])
    } finally {
      api.close()
      process.emit('SIGINT')
      await serving
    }
  })
})
