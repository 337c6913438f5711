// The sponsor's budget, balance and fee caps, and its nonce order under concurrency.
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  feeOf,
  newPayer,
  pay,
  refusedWithNothingBroadcast,
  startWorld,
  verify,
  type World,
} from '../../test/fixtures.js'
import { charge } from './charge.js'
import * as Sponsor from './Sponsor.js'

let world: World
beforeAll(async () => {
  world = await startWorld()
})
afterAll(() => world?.node.stop())

function serverWith(sponsor: Sponsor.Sponsor) {
  return charge({
    chain: world.chain,
    recipient: world.recipient,
    currency: world.token.address,
    eip3009: { name: world.token.name, version: world.token.version },
    sponsor,
  })
}

describe('Sponsor', () => {
  it('settles concurrent payments with distinct nonces and counts exactly the fees of its receipts {evm.charge.fee-payer.monitor-balance}', async () => {
    const payers = await Promise.all(Array.from({ length: 5 }, () => newPayer(world, 1_000n)))
    const before = await world.node.balance(world.sponsorAccount.address)
    const spent = world.sponsor.spent()
    const paid = await Promise.all(
      payers.map((payer, index) =>
        pay(world, payer, { amount: '100' }, [index % 2 === 0 ? 'permit2' : 'authorization']),
      ),
    )
    const receipts = await Promise.all(paid.map((entry) => verify(world, entry)))
    const fees = await Promise.all(
      receipts.map((receipt) => feeOf(world, receipt.reference as Hex)),
    )
    const total = fees.reduce((sum, fee) => sum + fee, 0n)
    expect(world.sponsor.spent() - spent).toBe(total)
    expect(await world.node.balance(world.sponsorAccount.address)).toBe(before - total)
    for (const payer of payers) expect(await world.token.balanceOf(payer.address)).toBe(900n)
  })

  it('refuses, with nothing broadcast, once the budget cannot cover the worst-case fee {evm.charge.fee-payer.monitor-balance}', async () => {
    const key = await world.node.newAccount(10n ** 18n)
    const tight = Sponsor.from({
      privateKey: key.privateKey,
      maxFeePerPayment: 10n ** 16n,
      budget: 1n,
    })
    const server = serverWith(tight)
    const payer = await newPayer(world, 1_000n)
    const request = await server.request({ amount: '100' })
    const paid = await pay({ ...world, server }, payer, { amount: '100' })
    expect(paid.request).toEqual(request)
    const block = await world.node.client.getBlockNumber()
    await expect(verify({ ...world, server }, paid)).rejects.toMatchObject({
      code: 'ERR_EVM_SPONSOR_REFUSED',
      message: 'the server cannot pay the gas of this payment now',
    })
    expect(await world.node.client.getBlockNumber()).toBe(block)
    expect(tight.spent()).toBe(0n)
    expect(tight.reserved()).toBe(0n)
  })

  it('refuses when its native balance cannot cover the gas, or the fee exceeds the per-payment cap {evm.charge.gas.server-balance, evm.charge.fee-payer.monitor-balance}', async () => {
    const empty = await world.node.newAccount(1_000n)
    const broke = serverWith(
      Sponsor.from({
        privateKey: empty.privateKey,
        maxFeePerPayment: 10n ** 16n,
        budget: 10n ** 18n,
      }),
    )
    const payer = await newPayer(world, 1_000n)
    const first = await pay({ ...world, server: broke }, payer, { amount: '100' })
    await refusedWithNothingBroadcast(
      world,
      () => verify({ ...world, server: broke }, first),
      'ERR_EVM_SPONSOR_REFUSED',
    )
    expect(await world.node.balance(empty.address)).toBe(1_000n)
    const funded = await world.node.newAccount(10n ** 18n)
    const capped = serverWith(
      Sponsor.from({ privateKey: funded.privateKey, maxFeePerPayment: 1_000n, budget: 10n ** 18n }),
    )
    const second = await pay({ ...world, server: capped }, payer, { amount: '100' })
    await refusedWithNothingBroadcast(
      world,
      () => verify({ ...world, server: capped }, second),
      'ERR_EVM_SPONSOR_REFUSED',
    )
    expect(await world.token.balanceOf(payer.address)).toBe(1_000n)
  })
})
