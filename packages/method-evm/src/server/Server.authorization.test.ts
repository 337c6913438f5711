// authorization (EIP-3009) credentials on a local EVM node with paywire's test token.
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  challengeFor,
  claims,
  clientFor,
  credentialFor,
  feeOf,
  newPayer,
  pay,
  refusedWithNothingBroadcast,
  startWorld,
  verify,
  type World,
} from '../../test/fixtures.js'
import * as ChallengeHash from '../ChallengeHash.js'
import type * as ChargePayload from '../ChargePayload.js'
import { charge } from './charge.js'

let world: World
beforeAll(async () => {
  world = await startWorld()
})
afterAll(() => world?.node.stop())

const authorizationOf = (payload: ChargePayload.ChargePayload) => {
  if (payload.type !== 'authorization')
    throw new Error(`expected authorization, got ${payload.type}`)
  return payload
}

describe('authorization credentials', () => {
  it('settles with exact balances, the nonce being the challenge hash; the sponsor pays the gas {evm.charge.verify.authorization.submit, evm.charge.authorization.nonce, evm.charge.authorization.to-value, evm.charge.source.did-pkh}', async () => {
    const payer = await newPayer(world, 2_000n, 0n)
    const sponsorBefore = await world.node.balance(world.sponsorAccount.address)
    const spent = world.sponsor.spent()
    const recipientBefore = await world.token.balanceOf(world.recipient)
    const paid = await pay(world, payer, { amount: '700' }, ['authorization'])
    const payload = authorizationOf(paid.answer.payload)
    expect(payload.nonce).toBe(ChallengeHash.from(paid.challenge))
    expect(paid.answer.source).toBe(`did:pkh:eip155:1337:${payer.address}`)
    const receipt = await verify(world, paid)
    expect(receipt).toMatchObject({ method: 'evm', challengeId: paid.challenge.id, chainId: 1337 })
    expect(await world.token.balanceOf(payer.address)).toBe(1_300n)
    expect(await world.token.balanceOf(world.recipient)).toBe(recipientBefore + 700n)
    const fee = await feeOf(world, receipt.reference as Hex)
    expect(await world.node.balance(world.sponsorAccount.address)).toBe(sponsorBefore - fee)
    expect(world.sponsor.spent()).toBe(spent + fee)
  })

  it('refuses an authorization whose nonce is not this challenge hash (unbound or for another challenge) {evm.charge.verify.authorization.terms}', async () => {
    const payer = await newPayer(world, 1_000n, 0n)
    const paid = await pay(world, payer, { amount: '100' }, ['authorization'])
    const other = challengeFor(paid.request)
    await refusedWithNothingBroadcast(
      world,
      () =>
        verify(world, {
          request: paid.request,
          challenge: other,
          credential: credentialFor(other, paid.answer),
        }),
      'ERR_EVM_BINDING_MISMATCH',
    )
    expect(await world.token.balanceOf(payer.address)).toBe(1_000n)
  })

  it('refuses tampered value, recipient and signer, with nothing broadcast {evm.charge.verify.authorization.signature, evm.charge.verify.authorization.terms}', async () => {
    const payer = await newPayer(world, 1_000n, 0n)
    const paid = await pay(world, payer, { amount: '100' }, ['authorization'])
    const base = authorizationOf(paid.answer.payload)
    const stranger = await world.node.newAccount(0n)
    const cases: [ChargePayload.ChargePayload, string][] = [
      [{ ...base, value: '99' }, 'ERR_EVM_TRANSFER_MISMATCH'],
      [{ ...base, to: stranger.address }, 'ERR_EVM_TRANSFER_MISMATCH'],
      [
        { ...base, validBefore: String(BigInt(base.validBefore) + 1n) },
        'ERR_EVM_SIGNATURE_INVALID',
      ],
      [{ ...base, from: stranger.address }, 'ERR_EVM_SIGNATURE_INVALID'],
    ]
    for (const [payload, code] of cases)
      await refusedWithNothingBroadcast(
        world,
        () => verify(world, { ...paid, credential: credentialFor(paid.challenge, { payload }) }),
        code,
      )
    // A source naming someone else than `from`.
    await refusedWithNothingBroadcast(
      world,
      () =>
        verify(world, {
          ...paid,
          credential: credentialFor(paid.challenge, {
            payload: base,
            source: `did:pkh:eip155:1337:${stranger.address}`,
          }),
        }),
      'ERR_EVM_SOURCE_MISMATCH',
    )
    expect(await world.token.balanceOf(payer.address)).toBe(1_000n)
  })

  it('refuses a replayed authorization: the claim, then the token state, each before broadcast {evm.charge.replay.consumed-set, evm.charge.replay.check-then-mark}', async () => {
    const payer = await newPayer(world, 1_000n, 0n)
    const paid = await pay(world, payer, { amount: '100' }, ['authorization'])
    const store = claims()
    await verify(world, paid, store.context)
    await refusedWithNothingBroadcast(
      world,
      () => verify(world, paid, store.context),
      'ERR_EVM_ALREADY_USED',
    )
    await refusedWithNothingBroadcast(world, () => verify(world, paid), 'ERR_EVM_ALREADY_USED')
    expect(await world.token.balanceOf(payer.address)).toBe(900n)
  })

  it('refuses an expired and an under-funded authorization, with nothing broadcast {evm.charge.verify.authorization.terms}', async () => {
    const poor = await newPayer(world, 10n, 0n)
    const underFunded = await pay(world, poor, { amount: '100' }, ['authorization'])
    await refusedWithNothingBroadcast(
      world,
      () => verify(world, underFunded),
      'ERR_EVM_INSUFFICIENT_FUNDS',
    )
    const payer = await newPayer(world, 1_000n, 0n)
    const paid = await pay(world, payer, { amount: '100' }, ['authorization'])
    const late = claims(() => Date.now() + 3_600_000)
    await refusedWithNothingBroadcast(
      world,
      () => verify(world, paid, late.context),
      'ERR_EVM_AUTHORIZATION_EXPIRED',
    )
    expect(await world.token.balanceOf(payer.address)).toBe(1_000n)
  })

  it('refuses authorization for a charge with splits {evm.charge.splits.permit2-only}', async () => {
    const payer = await newPayer(world, 1_000n, 0n)
    const request = await world.server.request({ amount: '100' })
    const challenge = challengeFor(request)
    const answer = await clientFor(world, payer, ['authorization']).createCredential({
      challenge,
      request,
    })
    const split = {
      ...request,
      methodDetails: {
        ...request.methodDetails,
        splits: [{ recipient: payer.address, amount: '1' }],
      },
    }
    await refusedWithNothingBroadcast(
      world,
      () =>
        world.server.verify({
          request: split,
          challenge,
          credential: credentialFor(challenge, answer),
          context: claims().context,
        }),
      'ERR_EVM_CREDENTIAL_TYPE_REFUSED',
    )
  })

  it('never offers authorization for a token not known to implement EIP-3009 {evm.charge.types.authorization-only-3009, evm.charge.verify.authorization.eip3009}', async () => {
    const plain = charge({
      chain: world.chain,
      recipient: world.recipient,
      currency: world.token.address,
      sponsor: world.sponsor,
    })
    const request = await plain.request({ amount: '100' })
    expect(request.methodDetails.credentialTypes).toEqual(['permit2', 'transaction', 'hash'])
    const other = await world.server.request({ amount: '100', currency: world.recipient })
    expect(other.methodDetails.credentialTypes).not.toContain('authorization')
    expect(() =>
      charge({
        chain: world.chain,
        recipient: world.recipient,
        currency: world.token.address,
        credentialTypes: ['authorization'],
      }),
    ).toThrow(/cannot settle authorization/)
    const payer = await newPayer(world, 1_000n, 0n)
    const paid = await pay(world, payer, { amount: '100' }, ['authorization'])
    await refusedWithNothingBroadcast(
      world,
      () => plain.verify({ ...paid, context: claims().context }),
      'ERR_EVM_CREDENTIAL_TYPE_REFUSED',
    )
  })
})
