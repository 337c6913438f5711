// `paywire dev`, `account fund`, `serve --tempo` and paying with a keystore account, end
// to end on a real local Tempo node, through the built binary.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { command, daemon, home, paywire } from './test/run.js'

const pathUsd = '0x20c0000000000000000000000000000000000000'
const env = { PAYWIRE_PASSPHRASE: 'correct horse battery staple' }
const dir = home()
let dev: Awaited<ReturnType<typeof daemon>>
let serve: Awaited<ReturnType<typeof daemon>>
let description: { rpcUrl: string; chainId: number; accounts: Array<{ address: string }> }

beforeAll(async () => {
  dev = await daemon(command('dev', '--json', '--home', dir), /^(\{.*\})\n/)
  description = JSON.parse(dev.match[1] as string)
  serve = await daemon(
    command('serve', '--port', '0', '--tempo', '--home', dir),
    /listening on (http:\/\/127\.0\.0\.1:\d+)\ntempo: /,
  )
})
afterAll(async () => {
  await serve?.stop()
  await dev?.stop()
})

describe('paywire dev', () => {
  it('prints the node and its funded dev accounts, and records it for other commands', () => {
    expect(description).toMatchObject({
      rpcUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      chainId: 31337,
      pathUsd,
      stripe: { url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) },
    })
    expect(description.accounts).toHaveLength(10)
    expect(existsSync(join(dir, 'dev.json'))).toBe(true)
  })

  it('funds a keystore account, pays the demo API with it, and refuses a wrong passphrase', async () => {
    expect((await paywire(['account', 'create', 'alice', '--home', dir], { env })).code).toBe(0)
    const funded = await paywire(['account', 'fund', 'alice', '--home', dir, '--json'])
    expect(funded.code).toBe(0)
    expect(JSON.parse(funded.stdout)).toMatchObject({ balance: '100000000' })
    const url = `${serve.match[1]}/paid`
    const policy = ['--account', 'alice', '--max-amount', `1000:${pathUsd}`, '--yes', '--json']
    const wrong = await paywire([url, '--home', dir, ...policy], {
      env: { PAYWIRE_PASSPHRASE: 'not the passphrase' },
    })
    expect(wrong.code).toBe(6)
    expect(JSON.parse(wrong.stdout)).toMatchObject({ error: { code: 'ERR_KEYSTORE_PASSPHRASE' } })
    const paid = await paywire([url, '--home', dir, ...policy], { env })
    expect(paid.code).toBe(0)
    const result = JSON.parse(paid.stdout)
    expect(result).toMatchObject({
      status: 200,
      payment: { method: 'tempo', amount: '1000', currency: pathUsd, status: 'settled' },
      receipt: { method: 'tempo', reference: expect.stringMatching(/^0x[0-9a-f]{64}$/) },
    })
    // Without --json, the payment line and the ledger speak pathUSD, not base units.
    const human = await paywire(
      [
        url,
        '--home',
        dir,
        ...policy.filter((arg) => arg !== '--json'),
        '--max-amount',
        '1000:pathUSD',
      ],
      { env },
    )
    expect(human.code).toBe(0)
    expect(human.stderr).toMatch(
      /^paid 0\.001 pathUSD to 0x[0-9a-fA-F]{40} with tempo\/charge \(settled\)$/m,
    )
    const ledger = await paywire(['ledger', '--home', dir])
    expect(ledger.stdout).toContain('total: 0.002 pathUSD')
    const shown = await paywire(['account', 'show', 'alice', '--home', dir, '--json'])
    // The payer's balance drops by the amount and the transaction fee (paid in pathUSD).
    expect(BigInt(JSON.parse(shown.stdout).balance)).toBeLessThanOrEqual(100_000_000n - 2000n)
  })

  it('serves the demo API to the test method, with its host as realm', async () => {
    const run = await paywire([
      `${serve.match[1]}/paid?tier=pro`,
      '--home',
      home(),
      '--test-key',
      'paywire-reference-test-method-key',
      '--max-amount',
      '5000:usd',
      '--yes',
    ])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ paid: true, tier: 'pro' })
    expect(run.stderr).toContain('paid 50.00 USD to demo with test/charge (settled)')
  })

  it('stops on SIGTERM and forgets the node', async () => {
    const run = await dev.stop()
    expect(run.code).toBe(0)
    expect(existsSync(join(dir, 'dev.json'))).toBe(false)
  })
})
