// EscrowChain.fromViem on a real local Tempo node (one node for this file): a payee holding
// only pathUSD settles and closes with its fees paid in pathUSD (`feeToken`), and finds the
// transaction that closed a channel.
import { MemoryStore } from '@paywire/store-memory'
import { TempoNode } from '@paywire/testkit'
import { type Address, createWalletClient, type Hex, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Fixture, setUp, token } from '../test/fixtures.js'
import * as EscrowChain from './EscrowChain.js'
import * as Sessions from './Sessions.js'

let fixture: Fixture

beforeAll(async () => {
  fixture = await setUp()
}, 60_000)

afterAll(() => fixture?.node.stop())

describe('EscrowChain.fromViem', () => {
  it('settles and closes from a payee holding only pathUSD, paying fees in its feeToken', async () => {
    // A payee with pathUSD only (its channels hold AlphaUSD).
    const payeeAccount = await fixture.node.newAccount(1_000_000n)
    expect(await fixture.node.balanceOf(payeeAccount.address, token)).toBe(0n)
    const walletClient = createWalletClient({
      account: privateKeyToAccount(payeeAccount.privateKey),
      chain: fixture.payee.chain,
      transport: http(fixture.node.rpcUrl),
    })
    const withFees = (feeToken?: Address) =>
      EscrowChain.fromViem({
        publicClient: fixture.node.client,
        walletClient,
        escrow: fixture.escrow,
        feeToken,
        pollingInterval: 50,
      })
    const chain = withFees(TempoNode.pathUsd)
    const store = MemoryStore.create()
    const sessionsWith = (escrowChain: EscrowChain.EscrowChain) =>
      Sessions.create({ store, chain: escrowChain, payee: payeeAccount.address, currency: token })
    const sessions = sessionsWith(chain)
    const channelId = await fixture.openOnChain(1_000n, payeeAccount.address)
    await sessions.open({ channelId, ...(await fixture.sign(channelId, 300n)), price: 100n })
    expect((await sessions.charge({ channelId, units: 3n, price: 100n })).allowed).toBe(3n)
    const pathUsdBefore = await fixture.node.balanceOf(payeeAccount.address)

    // Without a feeToken the node finds no fee balance: refused, nothing sent, nothing held.
    await expect(sessionsWith(withFees()).settle(channelId)).rejects.toBeInstanceOf(
      EscrowChain.TransactionRejectedError,
    )
    expect((await sessions.read(channelId)).settled).toBe(0n)
    const settled = await sessions.settle(channelId)
    // A Tempo transaction (0x76) whose fee token is pathUSD.
    const sent = (await fixture.node.client.request({
      method: 'eth_getTransactionByHash',
      params: [settled as Hex],
    })) as { type: string; feeToken?: string } | null
    expect(sent?.type).toBe('0x76')
    expect(sent?.feeToken?.toLowerCase()).toBe(TempoNode.pathUsd)
    const { txHash, capture } = await sessions.close({
      channelId,
      ...(await fixture.sign(channelId, 300n)),
    })
    expect(capture).toBe(300n)
    // The channel's token went to the payee; the fees were paid in pathUSD.
    expect(await fixture.node.balanceOf(payeeAccount.address, token)).toBe(300n)
    expect(await fixture.node.balanceOf(payeeAccount.address)).toBeLessThan(pathUsdBefore)
    expect(await chain.closeTransaction(channelId)).toEqual({
      txHash,
      sender: expect.stringMatching(new RegExp(`^${payeeAccount.address}$`, 'i')),
    })
  })

  it('finds no close transaction for a channel still open', async () => {
    const channelId = await fixture.openOnChain(10n)
    expect(await fixture.chain.closeTransaction(channelId)).toBeUndefined()
  })

  it('refuses a feeToken with an account that cannot sign locally', () => {
    const walletClient = createWalletClient({
      account: fixture.payee.account.address,
      chain: fixture.payee.chain,
      transport: http(fixture.node.rpcUrl),
    })
    expect(() =>
      EscrowChain.fromViem({
        publicClient: fixture.node.client,
        walletClient: walletClient as unknown as Parameters<
          typeof EscrowChain.fromViem
        >[0]['walletClient'],
        escrow: fixture.escrow,
        feeToken: TempoNode.pathUsd,
      }),
    ).toThrow(EscrowChain.FeeTokenAccountError)
  })
})
