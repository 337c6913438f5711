// The reference server, spawned as users start it (tsx on the sources), probed over HTTP.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { BodyDigest, Challenge, Credential } from '@paywire/core'
import { FreePort, TestMethod } from '@paywire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultTestKey, prices } from './server.js'

const main = fileURLToPath(new URL('./main.ts', import.meta.url))
const args = ['--import', 'tsx', '--conditions=@paywire/source', main]

function run(extra: string[]): ChildProcess {
  return spawn(process.execPath, [...args, ...extra], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: { ...process.env, PAYWIRE_SECRET_KEY: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

async function pay(response: Response): Promise<string> {
  const challenge = Challenge.deserializeList(response.headers.get('www-authenticate') ?? '')[0]
  if (challenge === undefined) throw new Error('no challenge')
  const client = TestMethod.client({ key: defaultTestKey })
  const paid = await client.createCredential({
    challenge,
    request: client.requestSchema.parse(Challenge.decodeRequest(challenge)),
  })
  return Credential.toAuthorization(Credential.from({ challenge, ...paid }))
}

describe('reference server', () => {
  let child: ChildProcess
  let url = ''
  let output = ''
  const sent: string[] = []

  beforeAll(async () => {
    const port = await FreePort.get()
    child = run(['--port', String(port), '--secret', 'reference-test-secret-0123456789abcdefghij'])
    child.stderr?.on('data', (chunk) => {
      output += String(chunk)
    })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start: ${output}`)), 20_000)
      child.stdout?.on('data', (chunk) => {
        output += String(chunk)
        if (output.includes('listening on')) {
          clearTimeout(timer)
          resolve()
        }
      })
    })
    url = `http://127.0.0.1:${port}`
  })
  afterAll(() => {
    child.kill('SIGTERM')
  })

  it('prints its routes and options with --help', async () => {
    const help = run(['--help'])
    let text = ''
    help.stdout?.on('data', (chunk) => {
      text += String(chunk)
    })
    const code = await new Promise((resolve) => help.once('exit', resolve))
    expect(code).toBe(0)
    for (const expected of [
      'GET  /free',
      'GET  /paid',
      'POST /paid-body',
      '--port',
      '--secret',
      '--expires',
      '--store',
      '--methods',
      'GET  /paid-sponsored',
      '--tempo-rpc',
      '--tempo-recipient-key',
      '--tempo-fee-payer-key',
    ])
      expect(text).toContain(expected)
  })

  it('refuses to start with a short secret, without echoing it', async () => {
    const bad = run(['--port', '0', '--secret', 'too-short-secret'])
    let text = ''
    bad.stderr?.on('data', (chunk) => {
      text += String(chunk)
    })
    const code = await new Promise((resolve) => bad.once('exit', resolve))
    expect(code).toBe(2)
    expect(text).toContain('cannot start')
    expect(text).not.toContain('too-short-secret')
  })

  it('serves /free without payment', async () => {
    const response = await fetch(`${url}/free`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ free: true })
  })

  it('charges /paid and serves it with a receipt {core.status.payment-required, core.status.success}', async () => {
    const first = await fetch(`${url}/paid`)
    expect(first.status).toBe(402)
    expect(first.headers.get('cache-control')).toBe('no-store')
    const header = await pay(first)
    sent.push(header)
    const second = await fetch(`${url}/paid`, { headers: { authorization: header } })
    expect(second.status).toBe(200)
    expect(second.headers.get('payment-receipt')).toBeTruthy()
    expect(await second.json()).toMatchObject({ paid: true, amount: prices.basic })
  })

  it('binds /paid to its query: a basic credential is refused on ?tier=pro', async () => {
    const basic = await fetch(`${url}/paid?tier=basic`)
    const header = await pay(basic)
    sent.push(header)
    const pro = await fetch(`${url}/paid?tier=pro`, { headers: { authorization: header } })
    expect(pro.status).toBe(402)
    const proChallenge = Challenge.deserializeList(pro.headers.get('www-authenticate') ?? '')[0]
    expect(Challenge.decodeRequest(proChallenge as Challenge.Challenge).amount).toBe(prices.pro)
  })

  it('binds POST /paid-body to its body by digest', async () => {
    const body = JSON.stringify({ hello: 'world' })
    const first = await fetch(`${url}/paid-body`, { method: 'POST', body })
    const challenge = Challenge.deserializeList(first.headers.get('www-authenticate') ?? '')[0]
    expect(challenge?.digest).toBe(BodyDigest.compute(body))
    const header = await pay(first)
    sent.push(header)
    const other = await fetch(`${url}/paid-body`, {
      method: 'POST',
      body: '{}',
      headers: { authorization: header },
    })
    expect(other.status).toBe(402)
    const paid = await fetch(`${url}/paid-body`, {
      method: 'POST',
      body,
      headers: { authorization: header },
    })
    expect(paid.status).toBe(200)
    expect(await paid.json()).toEqual({ paid: true, received: body })
  })

  it('logs one line per request and never a credential {core.credential.no-log}', async () => {
    await new Promise((resolve) => setTimeout(resolve, 100))
    const lines = output.split('\n').filter((line) => / (GET|POST) \//.test(line))
    expect(lines.length).toBe(8)
    for (const header of sent) expect(output).not.toContain(header.slice('Payment '.length))
    expect(output).not.toContain('reference-test-secret')
  })
})
