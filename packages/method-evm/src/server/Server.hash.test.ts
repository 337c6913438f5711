// hash credentials: transfers the client broadcast, counted only when bound to the challenge.
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  challengeFor,
  claims,
  credentialFor,
  newPayer,
  pay,
  startWorld,
  verify,
  type World,
} from '../../test/fixtures.js'
import { signed, unbound } from '../../test/transactions.js'
import * as Binding from '../Binding.js'
import * as ChallengeHash from '../ChallengeHash.js'
import { charge } from './charge.js'

let world: World
beforeAll(async () => {
  world = await startWorld()
})
afterAll(() => world?.node.stop())

/** Broadcasts a signed transaction and waits for it. */
async function broadcast(serialized: Hex): Promise<Hex> {
  const hash = await world.chain.sendRawTransaction(serialized)
  await world.node.client.waitForTransactionReceipt({ hash, pollingInterval: 50 })
  return hash
}

/** Expects a refusal with `code` and that no replay token was counted. */
async function refusedUncounted(
  action: (context: ReturnType<typeof claims>['context']) => Promise<unknown>,
  code: string,
) {
  const store = claims()
  await expect(action(store.context)).rejects.toMatchObject({ code })
  expect(store.keys.size).toBe(0)
}

describe('hash credentials', () => {
  it('counts a confirmed transfer bound to the challenge, once {evm.charge.verify.hash.receipt, evm.charge.verify.hash.not-consumed, evm.charge.verify.hash.mark-consumed}', async () => {
    const payer = await newPayer(world, 1_000n, 0n)
    const recipientBefore = await world.token.balanceOf(world.recipient)
    const paid = await pay(world, payer, { amount: '250' }, ['hash'])
    expect(paid.answer.payload.type).toBe('hash')
    const store = claims()
    const receipt = await verify(world, paid, store.context)
    expect(receipt).toMatchObject({ method: 'evm', challengeId: paid.challenge.id, chainId: 1337 })
    expect(receipt.reference).toBe((paid.answer.payload as { hash: string }).hash)
    expect(await world.token.balanceOf(world.recipient)).toBe(recipientBefore + 250n)
    expect(await world.token.balanceOf(payer.address)).toBe(750n)
    await expect(verify(world, paid, store.context)).rejects.toMatchObject({
      code: 'ERR_EVM_ALREADY_USED',
    })
  })

  it('counts nothing for an unbound matching transfer, another challenge’s transfer, or a stranger’s claim {evm.charge.hash.mitigations}', async () => {
    const payer = await newPayer(world, 1_000n, 0n)
    const request = await world.server.request({ amount: '100' })
    const victim = challengeFor(request)
    const thief = challengeFor(request)
    const plain = await broadcast(await signed(world, payer, unbound(world.recipient, 100n)))
    const victims = await broadcast(
      await signed(
        world,
        payer,
        Binding.encode({
          recipient: world.recipient,
          amount: 100n,
          challengeHash: ChallengeHash.from(victim),
        }),
      ),
    )
    for (const hash of [plain, victims])
      await refusedUncounted(
        (context) =>
          world.server.verify({
            request,
            challenge: thief,
            credential: credentialFor(thief, { payload: { type: 'hash', hash } }),
            context,
          }),
        'ERR_EVM_BINDING_MISMATCH',
      )
    // Naming the victim as source changes nothing: the binding is in the transaction.
    await refusedUncounted(
      (context) =>
        world.server.verify({
          request,
          challenge: thief,
          credential: credentialFor(thief, {
            payload: { type: 'hash', hash: victims },
            source: `did:pkh:eip155:1337:${payer.address}`,
          }),
          context,
        }),
      'ERR_EVM_BINDING_MISMATCH',
    )
    // The victim's own credential still pays its challenge.
    await world.server.verify({
      request,
      challenge: victim,
      credential: credentialFor(victim, { payload: { type: 'hash', hash: victims } }),
      context: claims().context,
    })
  })

  it('counts nothing for a reverted, unknown, wrong-amount or wrong-token transaction {evm.charge.verify.hash.receipt}', async () => {
    const poor = await newPayer(world, 10n, 0n)
    const request = await world.server.request({ amount: '100' })
    const challenge = challengeFor(request)
    const challengeHash = ChallengeHash.from(challenge)
    const reverted = await broadcast(
      await signed(
        world,
        poor,
        Binding.encode({ recipient: world.recipient, amount: 100n, challengeHash }),
      ),
    )
    const short = await broadcast(
      await signed(
        world,
        poor,
        Binding.encode({ recipient: world.recipient, amount: 5n, challengeHash }),
      ),
    )
    const cases: [Hex, string][] = [
      [reverted, 'ERR_EVM_NOT_SETTLED'],
      [`0x${'ab'.repeat(32)}`, 'ERR_EVM_NOT_SETTLED'],
      [short, 'ERR_EVM_TRANSFER_MISMATCH'],
    ]
    for (const [hash, code] of cases)
      await refusedUncounted(
        (context) =>
          world.server.verify({
            request,
            challenge,
            credential: credentialFor(challenge, { payload: { type: 'hash', hash } }),
            context,
          }),
        code,
      )
  })

  it('waits for the configured confirmations before counting {evm.charge.confirm.receipt-first, evm.charge.confirm.no-fixed-latency}', async () => {
    const deep = charge({
      chain: world.chain,
      recipient: world.recipient,
      currency: world.token.address,
      confirmations: 3,
      confirmationTimeoutMs: 0,
    })
    const payer = await newPayer(world, 1_000n, 0n)
    const request = await deep.request({ amount: '100' })
    const challenge = challengeFor(request)
    const hash = await broadcast(
      await signed(
        world,
        payer,
        Binding.encode({
          recipient: world.recipient,
          amount: 100n,
          challengeHash: ChallengeHash.from(challenge),
        }),
      ),
    )
    const credential = credentialFor(challenge, { payload: { type: 'hash', hash } })
    await refusedUncounted(
      (context) => deep.verify({ request, challenge, credential, context }),
      'ERR_EVM_NOT_SETTLED',
    )
    await world.node.mine(2)
    const receipt = await deep.verify({ request, challenge, credential, context: claims().context })
    expect(receipt.reference).toBe(hash)
  })
})
