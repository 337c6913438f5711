// Tempo sessions from the command line, end to end on a real local Tempo node: the built
// binary pays `GET /session` of `paywire serve --tempo-rpc` by opening a channel, later runs
// pay with vouchers on it, and `paywire sessions list|show|close` manage it; balances and
// the escrow's view are read on chain.
import { Escrow } from '@paywire/escrow'
import { TempoNode } from '@paywire/testkit'
import type { Address, Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { command, daemon, home, paywire } from './test/run.js'

const pathUsd = TempoNode.pathUsd
const env = { PAYWIRE_PASSPHRASE: 'correct horse battery staple' }
let node: TempoNode.TempoNode
let serve: Awaited<ReturnType<typeof daemon>>
let url: string
let escrow: Address
let payee: Address

beforeAll(async () => {
  node = await TempoNode.start()
  serve = await daemon(
    command('serve', '--port', '0', '--tempo-rpc', node.rpcUrl),
    /listening on (http:\/\/127\.0\.0\.1:\d+)\n[^\n]*\ntempo sessions: [^\n]*payee (0x[0-9a-fA-F]{40}), escrow (0x[0-9a-fA-F]{40})\n/,
  )
  url = `${serve.match[1]}/session`
  payee = serve.match[2] as Address
  escrow = serve.match[3] as Address
}, 60_000)
afterAll(async () => {
  await serve?.stop()
  await node?.stop()
})

/** A fresh home with one keystore account `alice` holding pathUSD on the node. */
async function payer() {
  const dir = home()
  const account = await node.newAccount(100_000_000n)
  const created = await paywire(['account', 'create', 'alice', '--import', '--home', dir], {
    env,
    input: account.privateKey,
  })
  expect(created.code).toBe(0)
  return { dir, address: account.address as Address }
}

/** `paywire <url> --account alice ...` in `dir`, as JSON. */
async function pay(dir: string, ...args: string[]) {
  const run = await paywire(
    [url, '--home', dir, '--account', 'alice', '--tempo-rpc', node.rpcUrl, '--yes', ...args],
    { env },
  )
  return { ...run, json: run.stdout === '' ? undefined : JSON.parse(run.stdout) }
}

async function sessions(dir: string, ...args: string[]) {
  const run = await paywire(['sessions', ...args, '--home', dir], { env })
  return { ...run, json: args.includes('--json') ? JSON.parse(run.stdout) : undefined }
}

function getChannel(channelId: Hex) {
  return node.client.readContract({
    address: escrow,
    abi: Escrow.abi,
    functionName: 'getChannel',
    args: [channelId],
  })
}

// Each test has its own home and account; only the closes below send payee transactions.
describe.concurrent('paywire <url> on a Tempo session', () => {
  it('opens a channel with a deposit lowered to --max-amount, counts it in the budget, and pays the next run with a voucher {tempo.session.request.deposit-choice}', async () => {
    const { dir, address } = await payer()
    const policy = ['--max-amount', `5000:${pathUsd}`, '--budget', `6000:${pathUsd}/day`]
    const first = await pay(dir, ...policy, '--json')
    expect(first.code).toBe(0)
    const channelId = first.json.receipt.reference as Hex
    expect(first.json).toMatchObject({
      status: 200,
      body: expect.stringContaining(`"channelId":"${channelId}"`),
      // The server suggests 10000; the policy allows 5000 in one payment.
      payment: { method: 'tempo', intent: 'session', amount: '5000', currency: pathUsd },
      receipt: { intent: 'session', spent: '10', acceptedCumulative: '10' },
    })
    expect(await getChannel(channelId)).toMatchObject({ deposit: 5000n, settled: 0n })
    expect(await node.balanceOf(escrow)).toBeGreaterThanOrEqual(5000n)

    const second = await pay(dir, ...policy)
    expect(second.code).toBe(0)
    expect(JSON.parse(second.stdout)).toMatchObject({ paid: true, channelId, spent: '20' })
    expect(second.stderr).toContain('paid by a voucher on the open session channel')
    expect(second.stderr).toContain(
      `channel ${channelId}: deposit 0.005 pathUSD, signed 0.00002 pathUSD, remaining 0.00498 pathUSD`,
    )
    // No second deposit: the channel still holds 5000, and the payer paid no more into it.
    expect(await getChannel(channelId)).toMatchObject({ deposit: 5000n })
    const ledger = JSON.parse((await paywire(['ledger', '--home', dir, '--json'])).stdout)
    expect(ledger.entries.map((entry: { amount: string }) => entry.amount)).toEqual(['5000', '0'])

    // The next request commits nothing new: a voucher within the deposit.
    const dry = await pay(dir, ...policy, '--dry-run', '--json')
    expect(dry.json).toMatchObject({ dryRun: { wouldPay: true, quote: { amount: '0' } } })
    expect(await node.balanceOf(address)).toBeLessThan(100_000_000n - 5000n)
  })

  it('refuses a deposit over the budget and opens nothing', async () => {
    const { dir } = await payer()
    const run = await pay(
      dir,
      '--max-amount',
      `10000:${pathUsd}`,
      '--budget',
      `4000:${pathUsd}/day`,
      '--json',
    )
    expect(run.code).toBe(3)
    expect(run.json).toMatchObject({
      error: { code: 'ERR_PAYMENT_REFUSED', rule: 'budget', quote: { amount: '10000' } },
    })
    expect((await sessions(dir, 'list', '--json')).json).toEqual({ channels: [] })
  })

  it('refuses a request the channel can no longer pay, and says to close it', async () => {
    const { dir } = await payer()
    const policy = ['--max-amount', `10000:${pathUsd}`, '--deposit', '20']
    expect((await pay(dir, ...policy)).code).toBe(0)
    expect((await pay(dir, ...policy)).code).toBe(0)
    const third = await pay(dir, ...policy, '--json')
    expect(third.code).toBe(3)
    expect(third.json).toMatchObject({
      error: {
        code: 'ERR_SESSION_PAYER_POLICY',
        message: expect.stringContaining('exceeds the deposit 20'),
        hint: expect.stringContaining('paywire sessions close'),
      },
    })
  })

  it('refuses a challenge whose escrow does not run paywire escrow code, and signs nothing', async () => {
    const other = await daemon(
      command('serve', '--port', '0', '--tempo-rpc', node.rpcUrl, '--tempo-escrow', pathUsd),
      /listening on (http:\/\/127\.0\.0\.1:\d+)\n[^\n]*\ntempo sessions: /,
    )
    try {
      const dir = home()
      expect((await paywire(['account', 'create', 'carol', '--home', dir], { env })).code).toBe(0)
      const run = await paywire(
        [
          `${other.match[1]}/session`,
          '--home',
          dir,
          '--account',
          'carol',
          '--tempo-rpc',
          node.rpcUrl,
          '--max-amount',
          `10000:${pathUsd}`,
          '--yes',
          '--json',
        ],
        { env },
      )
      expect(run.code).toBe(3)
      expect(JSON.parse(run.stdout)).toMatchObject({
        error: {
          code: 'ERR_CLI_UNTRUSTED_ESCROW',
          message: expect.stringContaining(`escrow ${pathUsd} does not run paywire's escrow`),
          hint: expect.stringContaining('--tempo-escrow'),
        },
      })
      expect((await sessions(dir, 'list', '--json')).json).toEqual({ channels: [] })
      const ledger = JSON.parse((await paywire(['ledger', '--home', dir, '--json'])).stdout)
      expect(ledger.entries).toEqual([])
    } finally {
      await other.stop()
    }
  })
})

describe('paywire sessions', () => {
  it('lists and shows the channels of a home, with the escrow view', async () => {
    const { dir, address } = await payer()
    const opened = await pay(dir, '--max-amount', `10000:${pathUsd}`, '--json')
    expect(opened.code).toBe(0)
    const channelId = opened.json.receipt.reference as Hex
    expect((await pay(dir, '--max-amount', `10000:${pathUsd}`)).code).toBe(0)

    const listed = await sessions(dir, 'list')
    expect(listed.code).toBe(0)
    const [header, row, ...rest] = listed.stdout.trimEnd().split('\n')
    expect(rest).toEqual([])
    expect(header?.split(/\s{2,}/)).toEqual([
      'CHANNEL',
      'SERVER',
      'PAYEE',
      'TOKEN',
      'DEPOSIT',
      'SIGNED',
      'REMAINING',
      'STATUS',
    ])
    expect(row?.split(/\s{2,}/)).toEqual([
      `${channelId.slice(0, 10)}…`,
      serve.match[1],
      `${payee.slice(0, 10)}…`,
      `${pathUsd.slice(0, 10)}…`,
      // In the token's units (6 decimals); --json keeps base units.
      '0.01 pathUSD',
      '0.00002 pathUSD',
      '0.00998 pathUSD',
      'open',
    ])
    const json = (await sessions(dir, 'list', '--json')).json
    expect(json.channels).toEqual([
      expect.objectContaining({
        channelId,
        url,
        origin: serve.match[1],
        realm: new URL(url).host,
        account: 'alice',
        payer: address.toLowerCase(),
        payee: payee.toLowerCase(),
        currency: pathUsd,
        escrow: escrow.toLowerCase(),
        chainId: node.chainId,
        deposit: '10000',
        signed: '20',
        remaining: '9980',
        status: 'open',
      }),
    ])

    const shown = await sessions(dir, 'show', channelId.slice(0, 12))
    expect(shown.code).toBe(0)
    expect(shown.stdout).toContain(`channel: ${channelId}\nstatus: open\n`)
    expect(shown.stdout).toContain(
      'deposit: 0.01 pathUSD\nsigned: 0.00002 pathUSD\nremaining: 0.00998 pathUSD\n',
    )
    // The server has not settled yet: the escrow holds the whole deposit.
    expect(shown.stdout).toContain(
      `on chain (${node.rpcUrl}): deposit 0.01 pathUSD, settled 0.00 pathUSD, close requested no, open`,
    )
    const shownJson = (await sessions(dir, 'show', channelId, '--json')).json
    expect(shownJson).toMatchObject({
      channel: { channelId, signed: '20' },
      onChain: {
        exists: true,
        deposit: '10000',
        settled: '0',
        closeRequestedAt: '0',
        finalized: false,
      },
    })
  })

  it('closes through the server: the payee gets what it served, the payer the rest; the next request opens a new channel {tempo.session.close.capture-spent}', async () => {
    const { dir, address } = await payer()
    const policy = ['--max-amount', `10000:${pathUsd}`]
    const opened = await pay(dir, ...policy, '--json')
    const channelId = opened.json.receipt.reference as Hex
    for (let request = 0; request < 2; request++) expect((await pay(dir, ...policy)).code).toBe(0)

    const refused = await sessions(dir, 'close', channelId)
    expect(refused.code).toBe(3)
    expect(refused.stderr).toContain('needs confirmation, and there is no terminal to ask')
    expect(refused.stderr).toContain('pass --yes')
    expect(await getChannel(channelId)).toMatchObject({ finalized: false })

    const before = await node.balanceOf(address)
    const closed = await sessions(dir, 'close', channelId.slice(0, 14), '--yes', '--json')
    expect(closed.code).toBe(0)
    expect(closed.json).toMatchObject({
      channel: { channelId, status: 'closed', closed: { captured: '30', refunded: '9970' } },
      receipt: { intent: 'session', reference: channelId, spent: '30' },
      onChain: { deposit: '10000', settled: '30', finalized: true },
    })
    expect(closed.json.receipt.txHash).toMatch(/^0x[0-9a-f]{64}$/)
    // The payer sends no transaction to close: its balance rises by exactly the refund.
    expect((await node.balanceOf(address)) - before).toBe(9970n)
    expect(await getChannel(channelId)).toMatchObject({ settled: 30n, finalized: true })

    const listed = (await sessions(dir, 'list', '--json')).json
    expect(listed.channels).toEqual([
      expect.objectContaining({ channelId, status: 'closed', remaining: '0' }),
    ])
    const shownClosed = await sessions(dir, 'show', channelId)
    expect(shownClosed.stdout).toMatch(
      /\nclosed: [^\n]*, paid 0\.00003 pathUSD, returned 0\.00997 pathUSD in 0x[0-9a-f]{64}\n/,
    )
    expect(shownClosed.stdout).toContain('remaining: 0.00 pathUSD\n')
    const again = await sessions(dir, 'close', channelId, '--yes')
    expect(again.code).toBe(2)
    expect(again.stderr).toContain(`channel ${channelId} is already closed`)

    const reopened = await pay(dir, ...policy, '--json')
    expect(reopened.code).toBe(0)
    expect(reopened.json.payment).toMatchObject({ amount: '10000' })
    expect(reopened.json.receipt.reference).not.toBe(channelId)
  })

  it('drops a channel whose open never reached the chain, once the server reports it gone', async () => {
    // An account with no pathUSD: the server cannot broadcast its open transaction.
    const dir = home()
    expect((await paywire(['account', 'create', 'bob', '--home', dir], { env })).code).toBe(0)
    const run = await paywire(
      [
        url,
        '--home',
        dir,
        '--account',
        'bob',
        '--tempo-rpc',
        node.rpcUrl,
        '--yes',
        '--max-amount',
        `10000:${pathUsd}`,
      ],
      { env },
    )
    expect(run.code).toBe(5)
    expect(run.stderr).toContain('tried to open a session channel')
    expect(run.stderr).toContain('`paywire sessions close <channel>` drops it')
    const [channel] = (await sessions(dir, 'list', '--json')).json.channels
    expect(channel).toMatchObject({ status: 'open', deposit: '10000' })
    const shown = await sessions(dir, 'show', channel.channelId)
    expect(shown.stdout).toContain(
      'deposit 0.00 pathUSD, settled 0.00 pathUSD, close requested no, not opened',
    )

    const closed = await sessions(dir, 'close', channel.channelId, '--yes')
    expect(closed.code).toBe(0)
    expect(closed.stdout).toContain(
      `the server reports channel ${channel.channelId} gone, and on chain it is not there (never opened)`,
    )
    expect((await sessions(dir, 'list', '--json')).json.channels).toEqual([
      expect.objectContaining({ channelId: channel.channelId, status: 'gone', deposit: '0' }),
    ])
  })

  it('refuses an unknown channel with a typed error and exit 2', async () => {
    const dir = home()
    const text = await sessions(dir, 'close', '0xdeadbeef', '--yes')
    expect(text.code).toBe(2)
    expect(text.stderr).toContain('paywire: no channel 0xdeadbeef in this home')
    expect(text.stderr).toContain('next: `paywire sessions list`')
    const json = await sessions(dir, 'show', 'not-hex', '--json')
    expect(json.code).toBe(2)
    expect(json.json).toMatchObject({
      error: {
        code: 'ERR_CLI_CHANNEL_NOT_FOUND',
        exitCode: 2,
        message: expect.stringContaining('not a channel id'),
      },
    })
    const usage = await sessions(dir, 'open')
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('unknown command "sessions open"')
  })
})
