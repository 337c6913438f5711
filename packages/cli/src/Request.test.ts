// `paywire <url>` end to end: the built binary against the reference server (test method).
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { Challenge, Expires } from '@paywire/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { home, paywire, referenceServer } from './test/run.js'

const testKey = 'paywire-reference-test-method-key'
let server: Awaited<ReturnType<typeof referenceServer>>

beforeAll(async () => {
  // A realm other than the host, so the realm rule and --allow-realm are exercised.
  server = await referenceServer('--realm', 'paywire.reference')
})
afterAll(() => server?.stop())

/**
 * `paywire <url> --home <dir> --test-key ... ...args`, accepting the reference server's
 * realm (`paywire.reference`, not its host).
 */
function pay(dir: string, path: string, ...args: string[]) {
  const realm = ['--allow-realm', 'paywire.reference']
  return paywire([`${server.url}${path}`, '--home', dir, '--test-key', testKey, ...realm, ...args])
}

describe.concurrent('paywire <url>', () => {
  it('pays a 402 with the test method and prints the body and the decoded receipt', async () => {
    const dir = home()
    const run = await pay(dir, '/paid', '--max-amount', '1000:usd', '--yes')
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ paid: true, amount: '1000' })
    expect(run.stderr).toContain('paid 10.00 USD to reference with test/charge (settled)')
    expect(run.stderr).toMatch(/receipt:\n {2}status: success\n {2}method: test\n/)
    expect(run.stderr).toMatch(/ {2}reference: test_\S+/)
    const ledger = await paywire(['ledger', '--home', dir, '--json'])
    expect(JSON.parse(ledger.stdout)).toMatchObject({
      entries: [{ amount: '1000', currency: 'usd', status: 'settled' }],
      totals: { usd: '1000' },
    })
  })

  it('requests a free URL with no policy and no method', async () => {
    const run = await paywire([`${server.url}/free`, '--home', home()])
    expect(run).toMatchObject({ code: 0, stdout: '{"free":true}', stderr: '' })
  })

  it('prints what a dry run would pay, and pays nothing', async () => {
    const dir = home()
    const run = await pay(
      dir,
      '/paid?tier=pro',
      '--max-amount',
      '5000:usd',
      '--budget',
      '8000:usd/day',
      '--dry-run',
    )
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('dry run: would pay 50.00 USD to reference for')
    expect(run.stdout).toContain('budget 80.00 USD/day (total): 30.00 USD left after it')
    expect(run.stdout).toContain('nothing was paid')
    const ledger = await paywire(['ledger', '--home', dir, '--json'])
    expect(JSON.parse(ledger.stdout)).toEqual({ entries: [], totals: {} })
  })

  it('quotes the server refusing a wrong --test-key, says nothing was paid and counts nothing', async () => {
    const dir = home()
    const run = await paywire([
      `${server.url}/paid`,
      '--home',
      dir,
      '--test-key',
      'not-the-server-key',
      '--allow-realm',
      'paywire.reference',
      '--max-amount',
      '1000:usd',
      '--budget',
      '5000:usd/day',
      '--yes',
    ])
    expect(run.code).toBe(3)
    expect(run.stderr).toMatch(
      /paywire: the server refused the payment of 10\.00 USD \(402\): [^;]+: [^;]+; nothing was paid/,
    )
    expect(run.stderr).toContain('check --test-key')
    expect(run.stderr).not.toMatch(/^paid /m)
    expect(run.stderr).not.toContain('unconfirmed')
    const ledger = JSON.parse((await paywire(['ledger', '--home', dir, '--json'])).stdout)
    expect(ledger).toMatchObject({
      entries: [{ amount: '1000', currency: 'usd', status: 'refused', httpStatus: 402 }],
      totals: {},
    })
    expect(ledger.entries[0].note).toMatch(/^refused by the server: /)
    const text = await paywire(['ledger', '--home', dir])
    expect(text.stdout).toContain('10.00 USD  refused  test/charge')
    expect(text.stdout).toContain('total: nothing spent (refused by the server: not counted)')
  })

  it('never prints a negative amount left when a budget is lowered after spending', async () => {
    const dir = home()
    const paid = await pay(
      dir,
      '/paid',
      '--max-amount',
      '1000:usd',
      '--budget',
      '1500:usd/day',
      '--yes',
    )
    expect(paid.code).toBe(0)
    const lowered = await pay(
      dir,
      '/paid',
      '--max-amount',
      '1000:usd',
      '--budget',
      '500:usd/day',
      '--yes',
    )
    expect(lowered.code).toBe(3)
    expect(lowered.stderr).toContain(
      'payment refused (budget): 10.00 USD asked, 0.00 USD left of 5.00 USD in the total budget over the last day',
    )
    expect(lowered.stderr).toContain('0.00 USD left in that budget')
    expect(lowered.stderr).not.toMatch(/(^|\s)-\d/m)
    const dry = await pay(
      dir,
      '/paid',
      '--max-amount',
      '1000:usd',
      '--budget',
      '500:usd/day',
      '--dry-run',
    )
    expect(dry.stdout).toContain('budget 5.00 USD/day (total): 0.00 USD left after it')
    expect(dry.stdout).not.toMatch(/(^|\s)-\d/m)
    const ledger = await paywire(['ledger', '--home', dir])
    expect(ledger.stdout).toContain('10.00 USD  settled  test/charge')
    expect(ledger.stdout).toContain('total: 10.00 USD')
  })

  it('refuses a --max-amount or --budget currency that no challenge can name', async () => {
    const run = await pay(home(), '/paid', '--max-amount', '1000:dollars', '--yes')
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('"dollars" is not a currency a challenge can name')
    const budget = await pay(home(), '/paid', '--max-amount', '1000:usd', '--budget', '10:US-D/day')
    expect(budget.code).toBe(2)
  })

  it('says the max-amount refusal in the currency units', async () => {
    const run = await pay(home(), '/paid', '--max-amount', '999:usd', '--yes')
    expect(run.code).toBe(3)
    expect(run.stderr).toContain(
      'payment refused (max-amount): 10.00 USD asked, the largest single payment allowed is 9.99 USD',
    )
  })

  it('exits 3 from a dry run the policy would refuse', async () => {
    const run = await pay(home(), '/paid', '--max-amount', '999:usd', '--dry-run', '--json')
    expect(run.code).toBe(3)
    expect(JSON.parse(run.stdout)).toMatchObject({
      dryRun: { wouldPay: false, refusal: { rule: 'max-amount' }, quote: { amount: '1000' } },
    })
  })

  it('refuses the second payment once the budget is spent, across runs, with exit 3', async () => {
    const dir = home()
    const policy = ['--max-amount', '1000:usd', '--budget', '1500:usd/day', '--yes']
    expect((await pay(dir, '/paid', ...policy)).code).toBe(0)
    const second = await pay(dir, '/paid', ...policy)
    expect(second.code).toBe(3)
    expect(second.stdout).toBe('')
    expect(second.stderr).toContain(
      'payment refused (budget): 10.00 USD asked, 5.00 USD left of 15.00 USD in the total budget over the last day',
    )
    expect(second.stderr).toContain('raise --budget')
    const json = await pay(dir, '/paid', ...policy, '--json')
    expect(json.code).toBe(3)
    expect(JSON.parse(json.stdout)).toEqual({
      error: {
        code: 'ERR_PAYMENT_REFUSED',
        exitCode: 3,
        message: expect.stringContaining('payment refused (budget)'),
        hint: expect.any(String),
        rule: 'budget',
        quote: expect.objectContaining({ amount: '1000', currency: 'usd', method: 'test' }),
        remaining: '500',
      },
    })
  })

  it('refuses to pay from a script without --yes, and says so', async () => {
    const run = await pay(home(), '/paid', '--max-amount', '1000:usd')
    expect(run.code).toBe(3)
    expect(run.stderr).toContain('needs confirmation, and there is no terminal to ask')
    expect(run.stderr).toContain('pass --yes')
  })

  it('shows headers with -v but never the credential or other Authorization values', async () => {
    const run = await pay(home(), '/paid', '--max-amount', '1000:usd', '--yes', '-v')
    expect(run.code).toBe(0)
    expect(run.stderr).toContain('> authorization: Payment [redacted]')
    expect(run.stderr).toMatch(/< www-authenticate: Payment id=/)
    expect(run.stderr).not.toMatch(/Payment eyJ/)
    const free = await paywire([
      `${server.url}/free`,
      '--home',
      home(),
      '-v',
      '-H',
      'Authorization: Bearer s3cret-token',
      '-H',
      'Cookie: session=s3cret-cookie',
    ])
    expect(free.code).toBe(0)
    expect(free.stderr).toContain('> authorization: Bearer [redacted]')
    expect(free.stderr).toContain('> cookie: [redacted]')
    expect(free.stderr).not.toContain('s3cret')
  })

  it('prints one JSON object with --json', async () => {
    const run = await pay(home(), '/paid', '--max-amount', '1000:usd', '--yes', '--json')
    expect(run.code).toBe(0)
    expect(run.stderr).toBe('')
    const result = JSON.parse(run.stdout)
    expect(Object.keys(result)).toEqual([
      'url',
      'status',
      'headers',
      'body',
      'bodyEncoding',
      'payment',
      'receipt',
    ])
    expect(result).toMatchObject({
      status: 200,
      bodyEncoding: 'utf8',
      headers: { 'content-type': 'application/json' },
      payment: {
        amount: '1000',
        currency: 'usd',
        method: 'test',
        intent: 'charge',
        status: 'settled',
      },
      receipt: { status: 'success', method: 'test', reference: expect.stringMatching(/^test_/) },
    })
    expect(JSON.parse(result.body)).toMatchObject({ paid: true })
  })

  it('sends a body from a file with -d @file, writes -o, and pays the body-bound route', async () => {
    const dir = home()
    writeFileSync(join(dir, 'body.txt'), 'hello paid body')
    const out = join(dir, 'out.json')
    const run = await pay(
      dir,
      '/paid-body',
      '-d',
      `@${join(dir, 'body.txt')}`,
      '-o',
      out,
      '-i',
      '--max-amount',
      '2500:usd',
      '--yes',
    )
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^HTTP\/1\.1 200 OK\n/)
    expect(run.stdout).toContain('payment-receipt: ')
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({
      paid: true,
      received: 'hello paid body',
    })
  })

  it('says what to do when no method, no cap or no server', async () => {
    const noMethod = await paywire([`${server.url}/paid`, '--home', home()])
    expect(noMethod.code).toBe(3)
    expect(noMethod.stderr).toContain('no payment method is configured')
    expect(noMethod.stderr).toContain('--test-key <key>')
    const noCap = await pay(home(), '/paid', '--yes')
    expect(noCap.code).toBe(3)
    expect(noCap.stderr).toContain('--max-amount 1000:usd')
    const usage = await pay(home(), '/paid', '--max-amount', '1000')
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('--max-amount takes <amount>:<currency>')
    const down = await paywire(['http://127.0.0.1:9/free', '--home', home()])
    expect(down.code).toBe(4)
    expect(down.stderr).toContain('cannot reach the server')
  })

  it('refuses a realm other than the host unless allowed with --allow-realm', async () => {
    const args = ['--home', home(), '--test-key', testKey, '--max-amount', '1000:usd', '--yes']
    const refused = await paywire([`${server.url}/paid`, ...args])
    expect(refused.code).toBe(3)
    expect(refused.stderr).toContain('payment refused (realm)')
    expect(refused.stderr).toContain('--allow-realm paywire.reference')
  })

  it('reads the policy and the method from the config file', async () => {
    const dir = home()
    const config = join(dir, 'config.json')
    writeFileSync(
      config,
      JSON.stringify({
        policy: { currencies: { usd: { maxAmount: '1000' } }, realms: ['paywire.reference'] },
        methods: { test: { key: testKey } },
      }),
    )
    const run = await paywire([`${server.url}/paid`, '--home', dir, '--config', config, '--yes'])
    expect(run.stderr).toContain('paid 10.00 USD')
    expect(run.code).toBe(0)
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, JSON.stringify({ methods: { paypal: {} } }))
    const refused = await paywire([`${server.url}/paid`, '--home', dir, '--config', bad])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('unknown method "paypal"')
  })

  it('exits 5 and records the payment as unconfirmed when no receipt comes back', async () => {
    // A fault the reference server cannot produce: it takes the credential and answers
    // 200 without a Payment-Receipt.
    const faulty = createServer((request, response) => {
      if (request.headers.authorization === undefined) {
        const challenge = Challenge.from(
          {
            realm: '127.0.0.1',
            method: 'test',
            intent: 'charge',
            request: { amount: '1000', currency: 'usd' },
            expires: Expires.inSeconds(60),
          },
          { id: 'fault-without-receipt' },
        )
        response.writeHead(402, { 'www-authenticate': Challenge.serialize(challenge) }).end()
      } else response.writeHead(200).end('taken')
    })
    await new Promise<void>((resolve) => faulty.listen(0, '127.0.0.1', resolve))
    const address = faulty.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    try {
      const dir = home()
      const run = await paywire([
        `http://127.0.0.1:${port}/paid`,
        '--home',
        dir,
        '--test-key',
        testKey,
        '--max-amount',
        '1000:usd',
        '--yes',
      ])
      expect(run.code).toBe(5)
      expect(run.stdout).toBe('taken')
      expect(run.stderr).toContain('paid, but no valid receipt came back (no Payment-Receipt')
      const ledger = await paywire(['ledger', '--home', dir, '--status', 'unconfirmed', '--json'])
      expect(JSON.parse(ledger.stdout)).toMatchObject({ entries: [{ status: 'unconfirmed' }] })
    } finally {
      faulty.closeAllConnections()
      await new Promise((resolve) => faulty.close(resolve))
    }
  })
})
