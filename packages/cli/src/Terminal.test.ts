// The curl-style flags of `paywire <url>` (-L, -f, -i), `paywire completion` and
// `paywire discover`: the built binary against real HTTP servers (the reference server for
// payments, a local one for redirects, errors and a discovery document).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Cli from './Cli.js'
import * as Request from './Request.js'
import { binary, home, paywire, referenceServer } from './test/run.js'

const testKey = 'paywire-reference-test-method-key'
let reference: Awaited<ReturnType<typeof referenceServer>>
let local: Server
let origin = ''

const document = {
  openapi: '3.1.0',
  info: { title: 'Local paid API', version: '1.0.0' },
  paths: {
    '/paid': {
      get: {
        'x-payment-info': { intent: 'charge', method: 'test', amount: '1000', currency: 'usd' },
        responses: { '200': { description: 'ok' }, '402': { description: 'Payment Required' } },
      },
    },
    '/stream': {
      post: {
        'x-payment-info': {
          offers: [
            {
              intent: 'charge',
              method: 'tempo',
              amount: '10000',
              currency: '0x20c0000000000000000000000000000000000000',
            },
            { intent: 'session', method: 'tempo', amount: null },
          ],
        },
        responses: { '200': { description: 'ok' }, '402': { description: 'Payment Required' } },
      },
    },
    '/free': { get: { responses: { '200': { description: 'ok' } } } },
  },
}

beforeAll(async () => {
  reference = await referenceServer()
  local = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname
    if (path === '/moved') response.writeHead(302, { location: '/arrived' }).end('see /arrived')
    else if (path === '/arrived') response.writeHead(200).end('arrived')
    else if (path === '/gone')
      response
        .writeHead(404, { 'content-type': 'application/problem+json' })
        .end(JSON.stringify({ title: 'Not here', detail: 'no such forecast' }))
    else if (path === '/openapi.json')
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document))
    else response.writeHead(404).end()
  })
  await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve))
  const address = local.address()
  origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
})
afterAll(async () => {
  await new Promise((resolve) => local?.close(resolve))
  await reference?.stop()
})

describe.concurrent('paywire <url> -L', () => {
  it('prints a redirect as is without -L, as curl does', async () => {
    const run = await paywire([`${origin}/moved`, '--home', home(), '-i'])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^HTTP\/1\.1 302/)
    expect(run.stdout).toMatch(/location: \/arrived/i)
    expect(run.stdout).toContain('see /arrived')
    expect(run.stdout).not.toContain('\narrived')
  })

  it('follows a redirect with -L, with and without a payment method', async () => {
    const plain = await paywire([`${origin}/moved`, '--home', home(), '-L'])
    expect(plain).toMatchObject({ code: 0, stdout: 'arrived' })
    const paying = await paywire([
      `${origin}/moved`,
      '--home',
      home(),
      '--location',
      '--test-key',
      testKey,
      '--max-amount',
      '1000:usd',
      '--yes',
    ])
    expect(paying).toMatchObject({ code: 0, stdout: 'arrived' })
  })
})

describe.concurrent('paywire <url> -f', () => {
  it('exits 7 with the status and the problem on stderr and no body', async () => {
    const dir = home()
    const output = join(dir, 'body.txt')
    const run = await paywire([`${origin}/gone`, '--home', dir, '-f', '-o', output])
    expect(run.code).toBe(7)
    expect(run.stdout).toBe('')
    expect(run.stderr).toBe(
      `paywire: ${origin}/gone answered 404 Not Found: Not here: no such forecast (--fail: body not printed)\n`,
    )
    expect(existsSync(output)).toBe(false)
    const without = await paywire([`${origin}/gone`, '--home', dir])
    expect(without.code).toBe(0)
    expect(JSON.parse(without.stdout)).toEqual({ title: 'Not here', detail: 'no such forecast' })
  })

  it('leaves a paid success alone and fails an error status after payment handling', async () => {
    const dir = home()
    const paid = await paywire([
      `${reference.url}/paid`,
      '--home',
      dir,
      '--test-key',
      testKey,
      '--max-amount',
      '1000:usd',
      '--yes',
      '--fail',
    ])
    expect(paid.code).toBe(0)
    expect(JSON.parse(paid.stdout)).toMatchObject({ paid: true })
    const missing = await paywire([
      `${reference.url}/nothing-here`,
      '--home',
      dir,
      '--test-key',
      testKey,
      '--yes',
      '-f',
      '--json',
    ])
    expect(missing.code).toBe(7)
    expect(JSON.parse(missing.stdout)).toMatchObject({ status: 404, payment: null })
  })
})

describe.concurrent('paywire completion', () => {
  it('prints a bash script that completes the commands, their commands and flags', async () => {
    const run = await paywire(['completion', 'bash'])
    expect(run.code).toBe(0)
    const complete = (...words: string[]) => {
      const line = words.map((word) => `'${word}'`).join(' ')
      const shell = spawnSync(
        'bash',
        [
          '-c',
          `source <("${process.execPath}" "${binary}" completion bash); COMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _paywire; echo "\${COMPREPLY[@]}"`,
        ],
        { encoding: 'utf8' },
      )
      expect(shell.stderr).toBe('')
      return shell.stdout.trim().split(' ')
    }
    expect(complete('paywire', 'disc')).toEqual(['discover'])
    expect(complete('paywire', 'https://x', '--loc')).toEqual(['--location'])
    expect(complete('paywire', 'account', '')).toEqual(['create', 'list', 'show', 'fund'])
    expect(complete('paywire', 'ledger', '--s')).toEqual(['--since', '--status'])
    expect(complete('paywire', 'completion', '')).toEqual(['bash', 'zsh', 'fish'])
  })

  it('lists every command and request flag of the table for zsh and fish', async () => {
    for (const shell of ['zsh', 'fish']) {
      const run = await paywire(['completion', shell])
      expect(run.code).toBe(0)
      for (const name of Object.keys(Cli.commands)) expect(run.stdout).toContain(name)
      for (const flag of Object.keys(Request.flags))
        expect(run.stdout).toContain(shell === 'zsh' ? `--${flag}` : `-l ${flag}`)
    }
    const fish = await paywire(['completion', 'fish'])
    expect(fish.stdout).toContain(
      "complete -c paywire -n '__fish_seen_subcommand_from sessions' -f -a 'list show close'",
    )
  })

  it('refuses an unknown shell with a usage error', async () => {
    const run = await paywire(['completion', 'powershell'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('unknown shell "powershell", expected one of bash, zsh, fish')
  })
})

describe.concurrent('paywire discover', () => {
  it('prints each paid operation with its price in human units and its methods', async () => {
    const run = await paywire(['discover', `${origin}/anything?x=1`])
    expect(run.code).toBe(0)
    const lines = run.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe(`Local paid API 1.0.0 (${origin})`)
    expect(lines[1]).toBe('2 paid operations:')
    expect(lines.slice(2).map((line) => line.trim().split(/\s{2,}/))).toEqual([
      ['GET', '/paid', '10.00 USD', 'test/charge'],
      ['POST', '/stream', '0.01 pathUSD', 'tempo/charge'],
      ['POST', '/stream', 'price set per request', 'tempo/session'],
    ])
  })

  it('prints the document as JSON with --json', async () => {
    const run = await paywire(['discover', origin, '--json'])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual(document)
  })

  it('says when the origin serves no discovery document', async () => {
    const run = await paywire(['discover', reference.url])
    expect(run.code).toBe(4)
    expect(run.stderr).toContain('answered 404, expected 200')
    expect(run.stderr).toContain('no valid discovery document at /openapi.json')
  })

  it('refuses plain http to a host that is not loopback, before any request', async () => {
    const run = await paywire(['discover', 'http://example.com'])
    expect(run.code).toBe(4)
    expect(run.stderr).toMatch(/http/)
    expect(run.stderr).not.toContain('answered')
  })
})
