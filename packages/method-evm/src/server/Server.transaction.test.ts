// transaction credentials: signed EIP-1559 transfers the server broadcasts.
import type { Hex } from 'viem'
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
import { highS, signed, unbound } from '../../test/transactions.js'
import * as Binding from '../Binding.js'
import * as ChallengeHash from '../ChallengeHash.js'
import { charge } from './charge.js'

let world: World
beforeAll(async () => {
  world = await startWorld()
})
afterAll(() => world?.node.stop())

describe('transaction credentials', () => {
  it('broadcasts a bound transfer and settles with exact balances; the payer pays its gas, the sponsor nothing {evm.charge.verify.transaction.settle, evm.charge.transaction.transfer, evm.charge.transaction.client-gas}', async () => {
    const payer = await newPayer(world, 1_000n, 0n)
    const eth = await world.node.balance(payer.address)
    const sponsorEth = await world.node.balance(world.sponsorAccount.address)
    const recipientBefore = await world.token.balanceOf(world.recipient)
    const paid = await pay(world, payer, { amount: '400' }, ['transaction'])
    expect(paid.answer.payload.type).toBe('transaction')
    const store = claims()
    const receipt = await verify(world, paid, store.context)
    expect(receipt).toMatchObject({ method: 'evm', challengeId: paid.challenge.id, chainId: 1337 })
    expect(await world.token.balanceOf(payer.address)).toBe(600n)
    expect(await world.token.balanceOf(world.recipient)).toBe(recipientBefore + 400n)
    const fee = await feeOf(world, receipt.reference as Hex)
    expect(await world.node.balance(payer.address)).toBe(eth - fee)
    expect(await world.node.balance(world.sponsorAccount.address)).toBe(sponsorEth)
    expect(store.keys).toEqual(new Set([`evm:1337:tx:${receipt.reference}`]))
    const onChain = await world.chain.getTransaction(receipt.reference as Hex)
    expect(Binding.decode(onChain?.input ?? '0x')?.challengeHash).toBe(
      ChallengeHash.from(paid.challenge),
    )
  })

  it('refuses an unbound transfer and one bound to another challenge, with nothing broadcast {evm.charge.hash.mitigations}', async () => {
    const payer = await newPayer(world, 1_000n, 0n)
    const request = await world.server.request({ amount: '100' })
    const challenge = challengeFor(request)
    const other = challengeFor(request)
    const attempts = [
      await signed(world, payer, unbound(world.recipient, 100n)),
      await signed(
        world,
        payer,
        Binding.encode({
          recipient: world.recipient,
          amount: 100n,
          challengeHash: ChallengeHash.from(other),
        }),
      ),
    ]
    for (const signature of attempts)
      await refusedWithNothingBroadcast(
        world,
        () =>
          verify(world, {
            request,
            challenge,
            credential: credentialFor(challenge, { payload: { type: 'transaction', signature } }),
          }),
        'ERR_EVM_BINDING_MISMATCH',
      )
    expect(await world.token.balanceOf(payer.address)).toBe(1_000n)
  })

  it('refuses tampered transfers (amount, recipient, token, chain) and a high-s signature, with nothing broadcast {evm.charge.verify.transaction.checks}', async () => {
    const payer = await newPayer(world, 1_000n, 0n)
    const request = await world.server.request({ amount: '100' })
    const challenge = challengeFor(request)
    const challengeHash = ChallengeHash.from(challenge)
    const good = Binding.encode({ recipient: world.recipient, amount: 100n, challengeHash })
    const cases: [Hex, string][] = [
      [
        await signed(
          world,
          payer,
          Binding.encode({ recipient: world.recipient, amount: 99n, challengeHash }),
        ),
        'ERR_EVM_TRANSFER_MISMATCH',
      ],
      [
        await signed(
          world,
          payer,
          Binding.encode({ recipient: payer.address, amount: 100n, challengeHash }),
        ),
        'ERR_EVM_TRANSFER_MISMATCH',
      ],
      [await signed(world, payer, good, { to: world.recipient }), 'ERR_EVM_TRANSFER_MISMATCH'],
      [await signed(world, payer, good, { chainId: 1 }), 'ERR_EVM_TRANSFER_MISMATCH'],
      [highS(await signed(world, payer, good)), 'ERR_EVM_SIGNATURE_INVALID'],
    ]
    for (const [signature, code] of cases)
      await refusedWithNothingBroadcast(
        world,
        () =>
          verify(world, {
            request,
            challenge,
            credential: credentialFor(challenge, { payload: { type: 'transaction', signature } }),
          }),
        code,
      )
    expect(await world.token.balanceOf(payer.address)).toBe(1_000n)
  })

  it('refuses an under-funded transfer (simulated) and a sender without gas money, with nothing broadcast', async () => {
    const poor = await newPayer(world, 10n, 0n)
    const request = await world.server.request({ amount: '100' })
    const challenge = challengeFor(request)
    const data = Binding.encode({
      recipient: world.recipient,
      amount: 100n,
      challengeHash: ChallengeHash.from(challenge),
    })
    const payload = { type: 'transaction' as const, signature: await signed(world, poor, data) }
    await refusedWithNothingBroadcast(
      world,
      () =>
        verify(world, { request, challenge, credential: credentialFor(challenge, { payload }) }),
      'ERR_EVM_WOULD_REVERT',
    )
    const dry = await newPayer(world, 1_000n, 0n)
    await world.node.setBalance(dry.address, 0n)
    const noGas = { type: 'transaction' as const, signature: await signed(world, dry, data) }
    await refusedWithNothingBroadcast(
      world,
      () =>
        verify(world, {
          request,
          challenge,
          credential: credentialFor(challenge, { payload: noGas }),
        }),
      'ERR_EVM_INSUFFICIENT_FUNDS',
    )
  })

  it('refuses a replayed transaction for the same or another challenge {evm.charge.replay.consumed-set, evm.charge.replay.check-then-mark}', async () => {
    const payer = await newPayer(world, 1_000n, 0n)
    const paid = await pay(world, payer, { amount: '100' }, ['transaction'])
    const store = claims()
    await verify(world, paid, store.context)
    await refusedWithNothingBroadcast(
      world,
      () => verify(world, paid, store.context),
      'ERR_EVM_ALREADY_USED',
    )
    const other = challengeFor(paid.request)
    await refusedWithNothingBroadcast(
      world,
      () =>
        verify(
          world,
          {
            request: paid.request,
            challenge: other,
            credential: credentialFor(other, paid.answer),
          },
          store.context,
        ),
      'ERR_EVM_BINDING_MISMATCH',
    )
    expect(await world.token.balanceOf(payer.address)).toBe(900n)
  })

  it("with unboundTransactions 'fresh', accepts an unbound transfer only if the chain never saw it", async () => {
    const lenient = charge({
      chain: world.chain,
      recipient: world.recipient,
      currency: world.token.address,
      unboundTransactions: 'fresh',
    })
    const payer = await newPayer(world, 1_000n, 0n)
    const request = await lenient.request({ amount: '100' })
    const fresh = await signed(world, payer, unbound(world.recipient, 100n))
    const challenge = challengeFor(request)
    await lenient.verify({
      request,
      challenge,
      credential: credentialFor(challenge, { payload: { type: 'transaction', signature: fresh } }),
      context: claims().context,
    })
    expect(await world.token.balanceOf(payer.address)).toBe(900n)
    // The same signed bytes, lifted from the chain by someone else, pay nothing.
    const lifted = challengeFor(request)
    await expect(
      lenient.verify({
        request,
        challenge: lifted,
        credential: credentialFor(lifted, { payload: { type: 'transaction', signature: fresh } }),
        context: claims().context,
      }),
    ).rejects.toMatchObject({ code: 'ERR_EVM_BINDING_MISMATCH' })
  })

  it('compares addresses by value: a recipient in a wrong EIP-55 case is paid with permit2, authorization and transaction {evm.charge.request.address-compare}', async () => {
    // The draft's own example recipient fails its EIP-55 checksum.
    const recipient = '0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00'
    const server = charge({
      chain: world.chain,
      recipient,
      currency: world.token.address.toUpperCase().replace('0X', '0x'),
      eip3009: { name: world.token.name, version: world.token.version },
      sponsor: world.sponsor,
    })
    const lowered = recipient.toLowerCase() as Hex
    for (const type of ['permit2', 'authorization', 'transaction'] as const) {
      const payer = await newPayer(world, 1_000n)
      const before = await world.token.balanceOf(lowered)
      const paid = await pay({ ...world, server }, payer, { amount: '10' }, [type])
      await verify({ ...world, server }, paid)
      expect(await world.token.balanceOf(lowered)).toBe(before + 10n)
    }
  })
})
