import type { TempoNode } from '@paywire/testkit'
import type { Hex } from 'viem'
import { privateKeyToAddress } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { challengeFor, claims, credentialFor, startChain } from '../test/fixtures.js'
import * as Binding from './Binding.js'
import type * as Chain from './Chain.js'
import * as ChargeRequest from './ChargeRequest.js'
import * as Client from './Client.js'
import * as Server from './Server.js'
import * as Settlement from './Settlement.js'
import * as Source from './Source.js'
import * as Transfer from './Transfer.js'

let node: TempoNode.TempoNode
let chain: Chain.Chain
beforeAll(async () => {
  ;({ node, chain } = await startChain())
})
afterAll(() => node.stop())

/** A fresh payer, a fresh recipient, and both halves of the method. */
async function parties(options: { mode?: ChargeRequest.Mode } = {}) {
  const payer = await node.newAccount(10_000_000n)
  const recipient = (await node.newAccount(0n)).address
  const server = Server.server({ chain, recipient })
  const client = Client.client({
    chain,
    privateKey: payer.privateKey,
    mode: options.mode ?? 'push',
  })
  return { payer, recipient, server, client }
}

/** Pays a challenge for `price` in push mode and returns what the server needs. */
async function pay(price: Server.Price) {
  const { payer, recipient, server, client } = await parties()
  const request = await server.request(price)
  const challenge = challengeFor(request)
  const answer = await client.createCredential({ challenge, request })
  return { payer, recipient, server, client, request, challenge, answer }
}

describe('push mode', () => {
  it('accepts a broadcast payment and the recipient receives exactly the amount {tempo.charge.hash.verify-success, tempo.charge.hash.verify-receipt}', async () => {
    const { recipient, server, request, challenge, answer } = await pay({ amount: '1500000' })
    expect(answer.payload.type).toBe('hash')
    const { context, keys } = claims()
    const receipt = await server.verify({
      credential: credentialFor(challenge, answer),
      challenge,
      request,
      context,
    })
    expect(receipt).toMatchObject({ method: 'tempo', status: 'success' })
    expect(receipt.reference).toBe((answer.payload as { hash: string }).hash)
    expect(await node.balanceOf(recipient as Hex)).toBe(1_500_000n)
    expect(keys.size).toBe(1)
  })

  it('echoes externalId in the receipt and uses the transaction hash as reference {tempo.charge.receipt.return}', async () => {
    const { server, request, challenge, answer } = await pay({
      amount: '1000',
      externalId: 'order-7',
    })
    const receipt = await server.verify({
      credential: credentialFor(challenge, answer),
      challenge,
      request,
      context: claims().context,
    })
    expect(receipt.externalId).toBe('order-7')
    expect(receipt.reference).toMatch(/^0x[0-9a-f]{64}$/)
  })

  it('issues a fresh memo per challenge and verifies it on the TransferWithMemo log {tempo.charge.hash.verify-receipt, tempo.charge.request.memo, tempo.charge.binding.issue-memo}', async () => {
    const { server, request, challenge, answer } = await pay({ amount: '2000' })
    const memo = request.methodDetails.memo
    expect(Binding.isIssued(memo)).toBe(true)
    expect((await server.request({ amount: '2000' })).methodDetails.memo).not.toBe(memo)
    const hash = (answer.payload as { hash: Hex }).hash
    const logs = (await chain.getTransactionReceipt(hash))?.logs ?? []
    expect(Transfer.fromLogs(logs, request.currency).map((movement) => movement.memo)).toContain(
      memo,
    )
    const receipt = await server.verify({
      credential: credentialFor(challenge, answer),
      challenge,
      request,
      context: claims().context,
    })
    expect(receipt.status).toBe('success')
  })

  it("accepts mppx's attribution memo of the challenge in place of the memo it issued {tempo.charge.hash.verify-receipt}", async () => {
    const { recipient, server, client } = await parties()
    const request = await server.request({ amount: '2500' })
    const challenge = challengeFor(request)
    const memo = Binding.attribution(challenge)
    const answer = await client.createCredential({
      challenge,
      request: { ...request, methodDetails: { ...request.methodDetails, memo } },
    })
    const hash = (answer.payload as { hash: Hex }).hash
    const logs = (await chain.getTransactionReceipt(hash))?.logs ?? []
    const paid = Transfer.fromLogs(logs, request.currency).filter((movement) =>
      Transfer.sameAddress(movement.recipient, recipient),
    )
    expect(paid.map((movement) => movement.memo)).toEqual([memo])
    const receipt = await server.verify({
      credential: credentialFor(challenge, answer),
      challenge,
      request,
      context: claims().context,
    })
    expect(receipt).toMatchObject({ status: 'success', reference: hash })
  })

  it('refuses a pushed transfer whose memo binds it to nothing, or to another challenge {tempo.charge.hash.verify-receipt, tempo.charge.binding.bound-transfer}', async () => {
    const { server, client } = await parties()
    const request = await server.request({ amount: '2500' })
    const challenge = challengeFor(request)
    for (const memo of [
      `0x${'5e'.repeat(32)}`,
      Binding.issue(),
      Binding.attribution({ ...challenge, id: 'other' }),
    ]) {
      const answer = await client.createCredential({
        challenge,
        request: { ...request, methodDetails: { ...request.methodDetails, memo } },
      })
      const { context, keys } = claims()
      await expect(
        server.verify({
          credential: credentialFor(challenge, answer),
          challenge,
          request,
          context,
        }),
      ).rejects.toBeInstanceOf(Settlement.UnboundPaymentError)
      expect(keys.size).toBe(0)
    }
  })

  it('never offers push for a charge whose memo the operator chose (it binds no challenge) {tempo.charge.modes.include-explicitly, tempo.charge.binding.issue-memo}', async () => {
    const { server } = await parties()
    const invoiced = await server.request({ amount: '2500', memo: `0x${'00'.repeat(28)}deadbeef` })
    expect(invoiced.methodDetails.supportedModes).toEqual(['pull'])
    expect(() =>
      server.request({ amount: '2500', memo: `0x${'00'.repeat(28)}deadbeef`, modes: ['push'] }),
    ).toThrow(Server.ModeRefusedError)
  })

  it('offers push on an after-success route only when the price names it (a pushed transfer cannot be given back when the handler fails) {tempo.charge.modes.include-explicitly}', async () => {
    const { server, recipient } = await parties()
    const afterSuccess = { settle: 'after-success' } as const
    const before = await server.request({ amount: '2500' }, { settle: 'before-handler' })
    expect(ChargeRequest.modes(before)).toEqual(['pull', 'push'])
    const after = await server.request({ amount: '2500' }, afterSuccess)
    expect(after.methodDetails.supportedModes).toEqual(['pull'])
    const optedIn = await server.request({ amount: '2500', modes: ['pull', 'push'] }, afterSuccess)
    expect(ChargeRequest.modes(optedIn)).toEqual(['pull', 'push'])
    const pushOnly = Server.server({ chain, recipient, modes: ['push'] })
    expect(() => pushOnly.request({ amount: '2500' }, afterSuccess)).toThrow(
      /after-success route offers push only when its price names it/,
    )
  })

  it('verifies every split and the primary remainder regardless of order {tempo.charge.splits.verify-any-order}', async () => {
    const platform = (await node.newAccount(0n)).address
    const affiliate = (await node.newAccount(0n)).address
    const memo = `0x${'00'.repeat(28)}deadbeef`
    const { recipient, server, request, challenge, answer } = await pay({
      amount: '1000000',
      splits: [
        { amount: '50000', recipient: platform },
        { amount: '10000', recipient: affiliate, memo },
      ],
    })
    await server.verify({
      credential: credentialFor(challenge, answer),
      challenge,
      request,
      context: claims().context,
    })
    expect(await node.balanceOf(recipient as Hex)).toBe(940_000n)
    expect(await node.balanceOf(platform)).toBe(50_000n)
    expect(await node.balanceOf(affiliate)).toBe(10_000n)
  })

  it('refuses a hash that already paid another challenge with the same terms {charge.replay.protection}', async () => {
    const { server, request, challenge, answer } = await pay({ amount: '3000' })
    const { context } = claims()
    await server.verify({
      credential: credentialFor(challenge, answer),
      challenge,
      request,
      context,
    })
    const second = challengeFor(request)
    const replay = server.verify({
      credential: credentialFor(second, answer),
      challenge: second,
      request,
      context,
    })
    await expect(replay).rejects.toBeInstanceOf(Settlement.PaymentAlreadyUsedError)
    await expect(replay).rejects.toMatchObject({ problem: 'verification-failed' })
  })

  it('refuses the same hash written in upper case as a second payment {charge.replay.protection}', async () => {
    const { server, request, challenge, answer } = await pay({ amount: '3000' })
    const { context } = claims()
    await server.verify({
      credential: credentialFor(challenge, answer),
      challenge,
      request,
      context,
    })
    const hash = (answer.payload as { hash: string }).hash
    const upper = {
      ...answer,
      payload: { type: 'hash' as const, hash: `0x${hash.slice(2).toUpperCase()}` },
    }
    const second = challengeFor(request)
    await expect(
      server.verify({
        credential: credentialFor(second, upper),
        challenge: second,
        request,
        context,
      }),
    ).rejects.toBeInstanceOf(Settlement.PaymentAlreadyUsedError)
  })

  it("refuses someone else's payment claimed as one's own", async () => {
    const { server, request, challenge, answer } = await pay({ amount: '4000' })
    const thief = await node.newAccount(0n)
    const claimed = {
      ...answer,
      source: Source.format({ chainId: chain.chainId, address: thief.address }),
    }
    const { context, keys } = claims()
    await expect(
      server.verify({ credential: credentialFor(challenge, claimed), challenge, request, context }),
    ).rejects.toBeInstanceOf(Settlement.SenderMismatchError)
    expect(keys.size).toBe(0)
    // The rightful payer can still use it: a failed verification claimed nothing.
    await expect(
      server.verify({ credential: credentialFor(challenge, answer), challenge, request, context }),
    ).resolves.toMatchObject({ status: 'success' })
  })

  it('refuses a transaction that pays less than the amount {tempo.charge.hash.verify-receipt, charge.verify.amount}', async () => {
    const { payer, server, client } = await parties()
    const cheap = await server.request({ amount: '999' })
    const paid = await client.createCredential({ challenge: challengeFor(cheap), request: cheap })
    const request = await server.request({ amount: '1000', recipient: cheap.recipient })
    const challenge = challengeFor(request)
    const { context, keys } = claims()
    const source = Source.format({ chainId: chain.chainId, address: payer.address })
    await expect(
      server.verify({
        credential: credentialFor(challenge, { ...paid, source }),
        challenge,
        request,
        context,
      }),
    ).rejects.toThrow(/pays 1000 to/)
    expect(keys.size).toBe(0)
  })

  it('refuses a transaction that pays the amount to another recipient {tempo.charge.hash.verify-receipt, charge.verify.recipient}', async () => {
    const { payer, server, client } = await parties()
    const elsewhere = await server.request({ amount: '1000' })
    const paid = await client.createCredential({
      challenge: challengeFor(elsewhere),
      request: elsewhere,
    })
    const other = (await node.newAccount(0n)).address
    const request = await server.request({ amount: '1000', recipient: other })
    const challenge = challengeFor(request)
    const { context, keys } = claims()
    const source = Source.format({ chainId: chain.chainId, address: payer.address })
    await expect(
      server.verify({
        credential: credentialFor(challenge, { ...paid, source }),
        challenge,
        request,
        context,
      }),
    ).rejects.toThrow(new RegExp(`pays 1000 to ${other}`, 'i'))
    expect(keys.size).toBe(0)
    expect(await node.balanceOf(other)).toBe(0n)
  })

  it('refuses a hash that is not on chain', async () => {
    const { server } = await parties()
    const request = await server.request({ amount: '1000' })
    const challenge = challengeFor(request)
    const answer = { payload: { type: 'hash' as const, hash: `0x${'12'.repeat(32)}` } }
    await expect(
      server.verify({
        credential: credentialFor(challenge, answer),
        challenge,
        request,
        context: claims().context,
      }),
    ).rejects.toBeInstanceOf(Settlement.PaymentNotSettledError)
  })

  it('refuses a hash credential for a challenge that offers only pull {tempo.charge.hash.reject-unadvertised, tempo.charge.hash.verify-push-mode}', async () => {
    const { server, client } = await parties()
    const open = await server.request({ amount: '1000' })
    const paid = await client.createCredential({ challenge: challengeFor(open), request: open })
    const request = await server.request({ amount: '1000', modes: ['pull'] })
    expect(request.methodDetails.supportedModes).toEqual(['pull'])
    const challenge = challengeFor(request)
    await expect(
      server.verify({
        credential: credentialFor(challenge, paid),
        challenge,
        request,
        context: claims().context,
      }),
    ).rejects.toBeInstanceOf(Server.ModeRefusedError)
  })

  it('refuses a hash credential for a fee-sponsored challenge {tempo.charge.hash.reject-fee-payer}', async () => {
    const { server, client } = await parties()
    const open = await server.request({ amount: '1000' })
    const paid = await client.createCredential({ challenge: challengeFor(open), request: open })
    const request = ChargeRequest.schema.parse({
      ...open,
      methodDetails: { ...open.methodDetails, feePayer: true },
    })
    const challenge = challengeFor(request)
    await expect(
      server.verify({
        credential: credentialFor(challenge, paid),
        challenge,
        request,
        context: claims().context,
      }),
    ).rejects.toThrow(/fee-sponsored/)
  })

  it('puts the payer DID on the challenge chain in source {tempo.charge.credential.source-did}', async () => {
    const { payer, answer } = await pay({ amount: '1000' })
    expect(answer.source).toBe(
      `did:pkh:eip155:${chain.chainId}:${privateKeyToAddress(payer.privateKey)}`,
    )
  })
})
