// The example on a local Tempo node: the agent streams answers paid per token through one
// session (opened by the first 402 within its policy, starved and resumed with vouchers,
// topped up), stops paying at its cap, closes for what was served; balances on chain.
import { Policy } from '@paywire/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Agent from './agent.js'
import * as Api from './api.js'
import { alphaUsd, type LocalChain, start } from './chain.js'

let local: LocalChain
let api: Awaited<ReturnType<typeof Api.serve>>

beforeAll(async () => {
  local = await start()
  api = await Api.serve({
    publicClient: local.node.client,
    seller: local.wallet(local.seller.privateKey),
    escrow: local.escrow,
    currency: alphaUsd,
  })
}, 60_000)
afterAll(async () => {
  await api?.close()
  await local?.node.stop()
})

const agentFor = (privateKey: `0x${string}`, maxOpen: bigint) =>
  Agent.create({
    privateKey,
    publicClient: local.node.client,
    chainId: local.node.chainId,
    escrow: local.escrow,
    currency: alphaUsd,
    pricePerToken: Api.pricePerToken,
    maxOpen,
    maxDeposit: 80_000n,
    topUp: 10_000n,
    ahead: 5_000n,
    insecureOrigins: [api.url],
  })
const ask = (prompt: string, max: number) =>
  `${api.url}/generate?prompt=${encodeURIComponent(prompt)}&max=${max}`

describe('pay-per-token streaming with a session', () => {
  it('answers 402 with a session challenge priced per token', async () => {
    const response = await fetch(ask('hi', 3))
    expect(response.status).toBe(402)
    const challenge = response.headers.get('www-authenticate') ?? ''
    expect(challenge).toContain('method="tempo"')
    expect(challenge).toContain('intent="session"')
  })

  it('streams answers paid per token, tops up, stops at the cap and closes for what was served', async () => {
    const wallet = await local.newAgent(1_000_000n)
    const agent = agentFor(wallet.privateKey, 50_000n)
    const balance = (address: `0x${string}`) => local.node.balanceOf(address, alphaUsd)
    const before = {
      agent: await balance(wallet.address),
      seller: await balance(local.seller.address),
    }

    // First answer: the 402 opens the channel with the suggested deposit (0.05), which the
    // policy counts; the stream starves and is resumed by vouchers paid 50 tokens ahead.
    const first = await agent.ask(ask('why is the sky blue', 300))
    expect(first).toMatchObject({ stopped: 'end', spent: 30_000n })
    expect(first.tokens).toHaveLength(300)
    expect(first.tokens[0]).toBe('why#0')
    expect(first.starvations).toBeGreaterThanOrEqual(2)
    expect(first.receipt).toMatchObject({ intent: 'session', units: 300, spent: '30000' })
    const [standing] = await agent.client.standings({ currency: alphaUsd, origin: api.url })
    expect(standing?.spent).toBe('50000')

    // Second answer: past the deposit, the session client tops up (by 0.01, paying 50
    // tokens ahead) within its maxDeposit; each top-up is spent through the policy and
    // its budget, and recorded in the ledger.
    const second = await agent.ask(ask('tell me a story', 400))
    expect(second).toMatchObject({ stopped: 'end', spent: 70_000n, channelId: first.channelId })
    expect((await agent.session.payer.channel(first.channelId))?.deposit).toBe('80000')
    const [afterTopUps] = await agent.client.standings({ currency: alphaUsd, origin: api.url })
    expect(afterTopUps?.spent).toBe('80000')
    // The ledger: the open, the voucher that started the second answer (0), three top-ups.
    const payments = await agent.client.ledger.list()
    expect(payments.map((payment) => payment.amount)).toEqual([
      '50000',
      '0',
      '10000',
      '10000',
      '10000',
    ])

    // Third: the agent's cap (0.08 locked in all) is reached after 100 tokens; it hangs up.
    const third = await agent.ask(ask('and another one', 200))
    expect(third).toMatchObject({ stopped: 'budget', spent: 80_000n })
    expect(third.tokens).toHaveLength(100)
    expect((await api.sessions.read(first.channelId)).spent).toBe(80_000n)

    // Close for exactly what was served: the seller captures it, the agent paid no more.
    const closed = await agent.finish(`${api.url}/generate`, first.channelId, third.spent)
    expect(closed.txHash).toMatch(/^0x[0-9a-f]{64}$/)
    expect((await balance(local.seller.address)) - before.seller).toBe(80_000n)
    expect(before.agent - (await balance(wallet.address))).toBe(80_000n)
  }, 60_000)

  it('reclaims the unspent deposit on close', async () => {
    const wallet = await local.newAgent(1_000_000n)
    const agent = agentFor(wallet.privateKey, 50_000n)
    const answer = await agent.ask(ask('short', 120))
    expect(answer).toMatchObject({ stopped: 'end', spent: 12_000n })
    const before = await local.node.balanceOf(wallet.address, alphaUsd)
    await agent.finish(`${api.url}/generate`, answer.channelId, answer.spent)
    expect((await local.node.balanceOf(wallet.address, alphaUsd)) - before).toBe(38_000n)
  }, 60_000)

  it('refuses to open a channel whose suggested deposit the policy does not allow', async () => {
    const wallet = await local.newAgent(1_000_000n)
    const agent = agentFor(wallet.privateKey, 10_000n)
    await expect(agent.ask(ask('hi', 3))).rejects.toBeInstanceOf(Policy.RefusedError)
    expect(await local.node.balanceOf(wallet.address, alphaUsd)).toBe(1_000_000n)
  })
})
