// Faults the real node cannot produce on demand, injected around the real chain seam: once
// a transaction may have been broadcast, a failing RPC makes the outcome unknown (no problem
// type: the server answers 500 and keeps the challenge claimed, so it cannot be paid twice);
// before any broadcast, the same failure refuses with nothing sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newPayer, pay, startWorld, verify, type World } from '../../test/fixtures.js'
import type * as Chain from '../Chain.js'
import * as Errors from '../Errors.js'
import { charge } from './charge.js'

let world: World
beforeAll(async () => {
  world = await startWorld()
})
afterAll(() => world?.node.stop())

/** The real chain with some calls failing. */
function faulty(failing: Partial<Record<keyof Chain.Chain, true>>): Chain.Chain {
  const fail = (name: string) => async () => {
    throw new Errors.ChainUnavailableError(`the chain could not be reached (${name})`)
  }
  return Object.fromEntries(
    Object.entries(world.chain).map(([name, value]) => [
      name,
      failing[name as keyof Chain.Chain] ? fail(name) : value,
    ]),
  ) as Chain.Chain
}

function serverOn(chain: Chain.Chain) {
  return charge({
    chain,
    recipient: world.recipient,
    currency: world.token.address,
    eip3009: { name: world.token.name, version: world.token.version },
    sponsor: world.sponsor,
    confirmationTimeoutMs: 0,
  })
}

describe('faults', () => {
  it('a sponsored broadcast whose receipt cannot be read is an unknown outcome; its fee stays reserved', async () => {
    const payer = await newPayer(world, 1_000n, 0n)
    const server = serverOn(faulty({ getTransactionReceipt: true }))
    const paid = await pay({ ...world, server }, payer, { amount: '100' }, ['authorization'])
    const error = await verify({ ...world, server }, paid).catch((caught) => caught)
    expect(error).toBeInstanceOf(Errors.SettlementUnknownError)
    expect(error.problem).toBeUndefined()
    // It was broadcast and mined: the payer paid once, and the sponsor counts the fee as reserved.
    expect(await world.token.balanceOf(payer.address)).toBe(900n)
    expect(world.sponsor.reserved()).toBeGreaterThan(0n)
  })

  it('a transaction credential whose send fails and whose lookup cannot tell is an unknown outcome', async () => {
    const payer = await newPayer(world, 1_000n, 0n)
    const server = serverOn(faulty({ sendRawTransaction: true, getTransaction: true }))
    const paid = await pay({ ...world, server }, payer, { amount: '100' }, ['transaction'])
    await expect(verify({ ...world, server }, paid)).rejects.toBeInstanceOf(
      Errors.SettlementUnknownError,
    )
  })

  it('an RPC failure before any broadcast refuses with a typed error and nothing sent', async () => {
    const payer = await newPayer(world, 1_000n, 0n)
    const server = serverOn(faulty({ simulate: true }))
    const paid = await pay({ ...world, server }, payer, { amount: '100' }, ['authorization'])
    const block = await world.node.client.getBlockNumber()
    await expect(verify({ ...world, server }, paid)).rejects.toMatchObject({
      code: 'ERR_EVM_CHAIN_UNAVAILABLE',
      problem: 'verification-failed',
    })
    expect(await world.node.client.getBlockNumber()).toBe(block)
    expect(await world.token.balanceOf(payer.address)).toBe(1_000n)
  })
})
