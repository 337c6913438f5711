// The chain's clock is the last word: an authorization the server's clock still accepts but
// the chain's has passed (time travel on the node) is caught by simulation, before any
// transaction is signed. Own node: moving its time would break other files' deadlines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  newPayer,
  pay,
  refusedWithNothingBroadcast,
  startWorld,
  verify,
  type World,
} from '../../test/fixtures.js'

let world: World
beforeAll(async () => {
  world = await startWorld()
})
afterAll(() => world?.node.stop())

describe('chain time', () => {
  it('refuses permit2 and authorization credentials expired on chain, with nothing broadcast {evm.charge.verify.permit2.simulate, evm.charge.verify.authorization.simulate}', async () => {
    const payer = await newPayer(world, 1_000n)
    const permit = await pay(world, payer, { amount: '100' }, ['permit2'])
    const authorization = await pay(world, payer, { amount: '100' }, ['authorization'])
    await world.node.increaseTime(3_600)
    await refusedWithNothingBroadcast(world, () => verify(world, permit), 'ERR_EVM_WOULD_REVERT')
    await refusedWithNothingBroadcast(
      world,
      () => verify(world, authorization),
      'ERR_EVM_WOULD_REVERT',
    )
    expect(await world.token.balanceOf(payer.address)).toBe(1_000n)
  })
})
