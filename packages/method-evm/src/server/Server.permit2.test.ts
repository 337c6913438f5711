// permit2 credentials on a local EVM node with Permit2 etched at its canonical address.
import { type Hex, hashTypedData } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  challengeFor,
  claims,
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
import * as Permit2 from '../Permit2.js'
import { charge } from './charge.js'

let world: World
beforeAll(async () => {
  world = await startWorld()
})
afterAll(() => world?.node.stop())

const permit2Of = (payload: ChargePayload.ChargePayload) => {
  if (payload.type !== 'permit2') throw new Error(`expected permit2, got ${payload.type}`)
  return payload
}

describe('permit2 credentials', () => {
  it('offers permit2 first, names the canonical Permit2 and the spender {evm.charge.types.permit2-first, evm.charge.request.permit2-address, evm.charge.hash.prefer-others, evm.charge.types.may-advertise, evm.charge.request.eip55}', async () => {
    const request = await world.server.request({ amount: '1000' })
    expect(request.methodDetails.credentialTypes).toEqual([
      'permit2',
      'authorization',
      'transaction',
      'hash',
    ])
    expect(request.methodDetails.permit2Address).toBe('0x000000000022D473030F116dDEE9F6B43aC78BA3')
    expect(request.methodDetails.spender).toBe(world.sponsor.address)
    expect(request.methodDetails.chainId).toBe(1337)
    // Addresses configured in any case are written in EIP-55 form.
    const lower = charge({
      chain: world.chain,
      recipient: world.recipient.toLowerCase(),
      currency: world.token.address.toLowerCase(),
    })
    const written = await lower.request({ amount: '1' })
    expect([written.currency, written.recipient]).toEqual([world.token.address, world.recipient])
  })

  it('settles with exact balances; the sponsor pays the gas and counts exactly that fee {evm.charge.verify.permit2.submit, evm.charge.gas.server-balance, evm.charge.receipt.on-success, evm.charge.permit2.witness-external-id, evm.charge.types.client-first-supported, evm.charge.types.client-prefer-permit2}', async () => {
    const payer = await newPayer(world, 5_000n)
    const sponsorBefore = await world.node.balance(world.sponsorAccount.address)
    const spentBefore = world.sponsor.spent()
    const payerEth = await world.node.balance(payer.address)
    const recipientBefore = await world.token.balanceOf(world.recipient)
    const paid = await pay(world, payer, { amount: '1200', externalId: 'order-42' })
    expect(paid.answer.payload.type).toBe('permit2')
    const receipt = await verify(world, paid)
    expect(receipt).toMatchObject({
      method: 'evm',
      status: 'success',
      challengeId: paid.challenge.id,
      chainId: 1337,
      externalId: 'order-42',
    })
    expect(await world.token.balanceOf(payer.address)).toBe(3_800n)
    expect(await world.token.balanceOf(world.recipient)).toBe(recipientBefore + 1_200n)
    const fee = await feeOf(world, receipt.reference as Hex)
    expect(await world.node.balance(world.sponsorAccount.address)).toBe(sponsorBefore - fee)
    expect(world.sponsor.spent()).toBe(spentBefore + fee)
    expect(world.sponsor.reserved()).toBe(0n)
    expect(await world.node.balance(payer.address)).toBe(payerEth)
  })

  it('pays splits atomically in one batch transfer, in order {evm.charge.splits.order, evm.charge.splits.permit2-only}', async () => {
    const payer = await newPayer(world, 10_000n)
    const platform = (await world.node.newAccount(0n)).address
    const agent = (await world.node.newAccount(0n)).address
    const recipientBefore = await world.token.balanceOf(world.recipient)
    const paid = await pay(world, payer, {
      amount: '1000',
      splits: [
        { recipient: platform, amount: '50', memo: 'platform fee' },
        { recipient: agent, amount: '25' },
      ],
    })
    expect(paid.request.methodDetails.credentialTypes).toEqual(['permit2'])
    const payload = permit2Of(paid.answer.payload)
    expect(payload.transferDetails.map((detail) => detail.requestedAmount)).toEqual([
      '925',
      '50',
      '25',
    ])
    const receipt = await verify(world, paid)
    const onChain = await world.chain.getTransactionReceipt(receipt.reference as Hex)
    expect(onChain?.logs.length).toBe(3)
    expect(await world.token.balanceOf(world.recipient)).toBe(recipientBefore + 925n)
    expect(await world.token.balanceOf(platform)).toBe(50n)
    expect(await world.token.balanceOf(agent)).toBe(25n)
    expect(await world.token.balanceOf(payer.address)).toBe(9_000n)
  })

  it('accepts the witness layout without externalId (mpp-specs PR #313) when source names the payer {evm.charge.verify.permit2.signature}', async () => {
    const payer = await newPayer(world, 1_000n)
    const request = await world.server.request({ amount: '300' })
    const challenge = challengeFor(request)
    const permit: Permit2.Permit = {
      permitted: [{ token: world.token.address, amount: 300n }],
      spender: world.sponsor.address,
      nonce: 77n,
      deadline: BigInt(Math.floor(Date.now() / 1000) + 300),
      witness: { challengeHash: ChallengeHash.from(challenge), externalId: '' },
    }
    const typed = Permit2.typedData({
      chainId: 1337,
      permit2Address: Permit2Address,
      permit,
      layout: 'challenge-hash-only',
    })
    const signature = await privateKeyToAccount(payer.privateKey).signTypedData(typed as never)
    const payload: ChargePayload.ChargePayload = {
      type: 'permit2',
      permit: {
        permitted: [{ token: world.token.address, amount: '300' }],
        nonce: '77',
        deadline: String(permit.deadline),
      },
      transferDetails: [{ to: world.recipient, requestedAmount: '300' }],
      witness: { challengeHash: permit.witness.challengeHash },
      signature,
    }
    const source = `did:pkh:eip155:1337:${payer.address}`
    await verify(world, {
      request,
      challenge,
      credential: credentialFor(challenge, { payload, source }),
    })
    expect(await world.token.balanceOf(payer.address)).toBe(700n)
    // Without source only the draft's layout is read: that signature then names an account
    // that holds nothing, and nothing is sent.
    await refusedWithNothingBroadcast(
      world,
      () =>
        verify(world, { request, challenge, credential: credentialFor(challenge, { payload }) }),
      'ERR_EVM_INSUFFICIENT_FUNDS',
    )
  })

  it('refuses a credential signed for another challenge, with nothing broadcast {evm.charge.permit2.witness-verify, evm.charge.verify.common, evm.charge.verify.permit2.legs}', async () => {
    const payer = await newPayer(world, 1_000n)
    const paid = await pay(world, payer, { amount: '100' })
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
    // A witness rewritten to the other challenge no longer matches the signature.
    const payload = {
      ...permit2Of(paid.answer.payload),
      witness: { challengeHash: ChallengeHash.from(other) },
    }
    await refusedWithNothingBroadcast(
      world,
      () =>
        verify(world, {
          request: paid.request,
          challenge: other,
          credential: credentialFor(other, { payload, source: paid.answer.source }),
        }),
      'ERR_EVM_SIGNATURE_INVALID',
    )
    expect(await world.token.balanceOf(payer.address)).toBe(1_000n)
  })

  it('refuses tampered transfer details, tokens and lengths, with nothing broadcast {evm.charge.permit2.lengths-equal, evm.charge.permit2.permitted-array, evm.charge.splits.same-currency, evm.charge.verify.permit2.legs}', async () => {
    const payer = await newPayer(world, 1_000n)
    const paid = await pay(world, payer, { amount: '100' })
    const base = permit2Of(paid.answer.payload)
    const attacker = (await world.node.newAccount(0n)).address
    const cases: [ChargePayload.Permit2Payload, string][] = [
      [
        { ...base, transferDetails: [{ to: attacker, requestedAmount: '100' }] },
        'ERR_EVM_TRANSFER_MISMATCH',
      ],
      [
        { ...base, transferDetails: [{ to: world.recipient, requestedAmount: '99' }] },
        'ERR_EVM_TRANSFER_MISMATCH',
      ],
      [
        { ...base, permit: { ...base.permit, permitted: [{ token: attacker, amount: '100' }] } },
        'ERR_EVM_TRANSFER_MISMATCH',
      ],
      [
        {
          ...base,
          transferDetails: [...base.transferDetails, { to: attacker, requestedAmount: '1' }],
        },
        'ERR_EVM_TRANSFER_MISMATCH',
      ],
      [{ ...base, permit: { ...base.permit, nonce: '12345' } }, 'ERR_EVM_SIGNATURE_INVALID'],
    ]
    for (const [payload, code] of cases)
      await refusedWithNothingBroadcast(
        world,
        () =>
          verify(world, {
            ...paid,
            credential: credentialFor(paid.challenge, { payload, source: paid.answer.source }),
          }),
        code,
      )
    expect(await world.token.balanceOf(payer.address)).toBe(1_000n)
  })

  it('refuses a replayed permit (same signer and nonce), with nothing broadcast {evm.charge.replay.consumed-set, evm.charge.replay.check-then-mark, evm.charge.permit2.nonce-conflicts}', async () => {
    const payer = await newPayer(world, 1_000n)
    const paid = await pay(world, payer, { amount: '100' })
    const store = claims()
    await verify(world, paid, store.context)
    expect([...store.keys].some((key) => key.startsWith('evm:1337:permit2:'))).toBe(true)
    await refusedWithNothingBroadcast(
      world,
      () => verify(world, paid, store.context),
      'ERR_EVM_ALREADY_USED',
    )
    // Another server instance without the claim: the chain's nonce bitmap refuses it.
    await refusedWithNothingBroadcast(world, () => verify(world, paid), 'ERR_EVM_ALREADY_USED')
    expect(await world.token.balanceOf(payer.address)).toBe(900n)
  })

  it('refuses an expired permit, an under-funded payer and a missing Permit2 allowance, with nothing broadcast {evm.charge.verify.permit2.deadline, evm.charge.verify.permit2.funds}', async () => {
    const poor = await newPayer(world, 50n)
    const paid = await pay(world, poor, { amount: '100' }, ['permit2'])
    await refusedWithNothingBroadcast(
      world,
      () => verify(world, paid),
      'ERR_EVM_INSUFFICIENT_FUNDS',
    )
    const unapproved = await newPayer(world, 1_000n, 0n)
    await world.token.approve(unapproved, Permit2Address, 10n)
    const request = await world.server.request({ amount: '100' })
    // The client sees the missing allowance and signs the next type instead.
    const chosen = await pay(world, unapproved, { amount: '100' })
    expect(chosen.answer.payload.type).toBe('authorization')
    const rich = await newPayer(world, 1_000n)
    const signed = await pay(world, rich, { amount: '100' })
    await world.token.approve(rich, Permit2Address, 0n)
    await refusedWithNothingBroadcast(
      world,
      () => verify(world, signed),
      'ERR_EVM_INSUFFICIENT_FUNDS',
    )
    const late = claims(() => Date.now() + 3_600_000)
    const fresh = await newPayer(world, 1_000n)
    const expired = await pay(world, fresh, { amount: '100' })
    await refusedWithNothingBroadcast(
      world,
      () => verify(world, expired, late.context),
      'ERR_EVM_AUTHORIZATION_EXPIRED',
    )
    expect(request.amount).toBe('100')
  })

  it('refuses a permit signed for another spender {evm.charge.verify.permit2.signature}', async () => {
    const payer = await newPayer(world, 1_000n)
    const request = await world.server.request({ amount: '100' })
    const forged = {
      ...request,
      methodDetails: { ...request.methodDetails, spender: payer.address },
    }
    const challenge = challengeFor(request)
    const answer = await (await import('../client/index.js'))
      .charge({ chain: world.chain, privateKey: payer.privateKey })
      .createCredential({ challenge, request: forged })
    await refusedWithNothingBroadcast(
      world,
      () => verify(world, { request, challenge, credential: credentialFor(challenge, answer) }),
      'ERR_EVM_SIGNATURE_INVALID',
    )
  })

  it('uses the canonical witness type string: the draft literal (with a space) hashes differently {evm.charge.permit2.type-string}', () => {
    expect(Permit2.witnessTypeString['draft-00']).toBe(
      'PaymentWitness witness)PaymentWitness(bytes32 challengeHash,string externalId)TokenPermissions(address token,uint256 amount)',
    )
    expect(Permit2.draftLiteralTypeString).not.toBe(Permit2.witnessTypeString['draft-00'])
    const witness = { challengeHash: `0x${'11'.repeat(32)}` as Hex, externalId: 'x' }
    const typed = Permit2.typedData({
      chainId: 1,
      permit2Address: Permit2Address,
      permit: {
        permitted: [{ token: Permit2Address, amount: 1n }],
        spender: Permit2Address,
        nonce: 1n,
        deadline: 1n,
        witness,
      },
      layout: 'draft-00',
    })
    expect(hashTypedData(typed)).toMatch(/^0x[0-9a-f]{64}$/)
  })

  it('settles one of ten concurrent copies of a credential; the others are refused before broadcast {evm.charge.replay.check-then-mark}', async () => {
    const payer = await newPayer(world, 1_000n)
    const paid = await pay(world, payer, { amount: '100' })
    const store = claims()
    const spent = world.sponsor.spent()
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, () => verify(world, paid, store.context)),
    )
    const settled = outcomes.filter((outcome) => outcome.status === 'fulfilled')
    expect(settled).toHaveLength(1)
    for (const outcome of outcomes)
      if (outcome.status === 'rejected')
        expect(outcome.reason).toMatchObject({ code: 'ERR_EVM_ALREADY_USED' })
    const reference = (settled[0] as PromiseFulfilledResult<{ reference: string }>).value.reference
    expect(world.sponsor.spent() - spent).toBe(await feeOf(world, reference as Hex))
    expect(world.sponsor.reserved()).toBe(0n)
    expect(await world.token.balanceOf(payer.address)).toBe(900n)
  })
})

const Permit2Address = '0x000000000022D473030F116dDEE9F6B43aC78BA3'
