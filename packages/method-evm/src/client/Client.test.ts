// The client half's checks before it signs anything, on a local node (reads only).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { challengeFor, clientFor, newPayer, startWorld, type World } from '../../test/fixtures.js'
import * as ChargeRequest from '../ChargeRequest.js'
import { charge } from './charge.js'

let world: World
beforeAll(async () => {
  world = await startWorld()
})
afterAll(() => world?.node.stop())

describe('client charge', () => {
  it('refuses a challenge for another chain, and one whose splits reach amount {evm.charge.client.reject-unsupported-chain, evm.charge.splits.sum-lt-amount, evm.charge.client.verify-request}', async () => {
    const payer = await newPayer(world, 1_000n)
    const request = await world.server.request({ amount: '100' })
    const client = clientFor(world, payer)
    const elsewhere = { ...request, methodDetails: { ...request.methodDetails, chainId: 8453 } }
    await expect(
      client.createCredential({ challenge: challengeFor(elsewhere), request: elsewhere }),
    ).rejects.toMatchObject({
      code: 'ERR_EVM_REQUEST_REFUSED',
    })
    const greedy = {
      ...request,
      methodDetails: {
        ...request.methodDetails,
        splits: [{ recipient: payer.address, amount: '100' }],
      },
    }
    await expect(
      client.createCredential({ challenge: challengeFor(greedy), request: greedy }),
    ).rejects.toMatchObject({
      code: 'ERR_EVM_REQUEST_REFUSED',
    })
  })

  it('signs permit2 only for a trusted Permit2 address and a named spender, else the next type {evm.charge.permit2.client-check-address, evm.charge.types.client-first-supported}', async () => {
    const payer = await newPayer(world, 1_000n)
    const request = await world.server.request({ amount: '100' })
    const rogue = {
      ...request,
      methodDetails: { ...request.methodDetails, permit2Address: payer.address },
    }
    const answer = await clientFor(world, payer).createCredential({
      challenge: challengeFor(rogue),
      request: rogue,
    })
    expect(answer.payload.type).toBe('authorization')
    const { spender: _, ...withoutSpender } = request.methodDetails
    const anonymous = ChargeRequest.schema.parse({ ...request, methodDetails: withoutSpender })
    const second = await clientFor(world, payer).createCredential({
      challenge: challengeFor(anonymous),
      request: anonymous,
    })
    expect(second.payload.type).toBe('authorization')
    await world.token.approve(payer, payer.address, 1_000n)
    const trusting = charge({
      chain: world.chain,
      privateKey: payer.privateKey,
      permit2Addresses: [payer.address],
    })
    const third = await trusting.createCredential({
      challenge: challengeFor(rogue),
      request: rogue,
    })
    expect(third.payload.type).toBe('permit2')
  })

  it("signs an authorization valid until the challenge's expiry at the latest {evm.charge.authorization.valid-before}", async () => {
    const payer = await newPayer(world, 1_000n, 0n)
    const request = await world.server.request({ amount: '100' })
    const challenge = challengeFor(request, 60)
    const answer = await clientFor(world, payer, ['authorization']).createCredential({
      challenge,
      request,
    })
    const expires = Math.floor(Date.parse(challenge.expires as string) / 1000)
    expect(answer.payload.type === 'authorization' && Number(answer.payload.validBefore)).toBe(
      expires,
    )
  })

  it('refuses an expired challenge and one offering no type it may use, signing nothing', async () => {
    const payer = await newPayer(world, 1_000n)
    const request = await world.server.request({ amount: '100', credentialTypes: ['hash'] })
    await expect(
      clientFor(world, payer, ['permit2', 'authorization']).createCredential({
        challenge: challengeFor(request),
        request,
      }),
    ).rejects.toMatchObject({ code: 'ERR_EVM_REQUEST_REFUSED' })
    await expect(
      clientFor(world, payer).createCredential({ challenge: challengeFor(request, -10), request }),
    ).rejects.toMatchObject({ code: 'ERR_EVM_REQUEST_REFUSED' })
    expect(await world.node.client.getTransactionCount({ address: payer.address })).toBe(1)
  })
})
