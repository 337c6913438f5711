// The Tempo charge end to end over HTTP: @paywire/server (Node binding) and @paywire/client
// on 127.0.0.1, settling on one local Tempo node. Balances are read from the chain.
import { Base64Url, Challenge, Credential, Json } from '@paywire/core'
import { Chain, FeePayer, Transfer } from '@paywire/method-tempo'
import { TempoNode } from '@paywire/testkit'
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearerToken, type PaidApi, pathUsd, payer, prices, type Sent, serve } from './PaidApi.js'

let node: TempoNode.TempoNode
let chain: Chain.Chain
let api: PaidApi
let recipient: Hex
let sponsor: TempoNode.Account
let feePayer: FeePayer.FeePayer

beforeAll(async () => {
  node = await TempoNode.start()
  chain = Chain.fromRpc({ rpcUrl: node.rpcUrl, chainId: node.chainId })
  recipient = (await node.newAccount(0n)).address
  sponsor = await node.newAccount(10_000_000n)
  feePayer = FeePayer.from({
    privateKey: sponsor.privateKey,
    maxFeePerPayment: 200_000n,
    budget: 5_000_000n,
  })
  api = await serve({ tempo: { chain, recipient, feePayer } })
})
afterAll(async () => {
  await api?.close()
  await node?.stop()
})

/** The pathUSD a settled transaction moved out of `payer`: the amount paid and the fee. */
async function outflows(hash: Hex, from: string) {
  const receipt = await chain.getTransactionReceipt(hash)
  expect(receipt?.status).toBe('success')
  const moved = Transfer.fromLogs(receipt?.logs ?? [], pathUsd).filter((movement) =>
    Transfer.sameAddress(movement.from, from),
  )
  const paid = moved.filter((movement) => Transfer.sameAddress(movement.recipient, recipient))
  const fees = moved.filter((movement) => !Transfer.sameAddress(movement.recipient, recipient))
  const sum = (list: typeof moved) => list.reduce((total, movement) => total + movement.amount, 0n)
  return { receipt, paid: sum(paid), fee: sum(fees) }
}

describe('tempo charge over HTTP', () => {
  it('pays a pull-mode charge: 200 with a receipt whose reference is the settled transaction {tempo.charge.receipt.return, tempo.charge.modes.support-pull, core.status.success, core.receipt.send}', async () => {
    const account = await node.newAccount(10_000_000n)
    const recipientBefore = await node.balanceOf(recipient)
    const client = payer({
      origin: api.origin,
      chain,
      privateKey: account.privateKey,
      mode: 'pull',
    })
    const { response, receipt, payment } = await client.fetch(api.url('/paid'))
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toContain('private')
    expect(await response.json()).toMatchObject({ paid: true, method: 'tempo' })
    expect(receipt).toMatchObject({ method: 'tempo', status: 'success' })
    expect(receipt?.reference).toMatch(/^0x[0-9a-f]{64}$/)
    expect(payment).toMatchObject({ method: 'tempo', amount: prices.paid, status: 'settled' })
    const { paid, fee } = await outflows(receipt?.reference as Hex, account.address)
    // Exactly the price reaches the recipient; the payer loses the price and its own fee.
    expect(paid).toBe(BigInt(prices.paid))
    expect(fee).toBeGreaterThan(0n)
    expect(await node.balanceOf(recipient)).toBe(recipientBefore + BigInt(prices.paid))
    expect(await node.balanceOf(account.address)).toBe(10_000_000n - paid - fee)
  })

  it.each(['pull', 'push'] as const)(
    'pays a %s charge on a route that also needs Authorization: Bearer, the credential in Payment-Authorization {core.header.payment-authorization-field, core.server.credential-field, core.cache.credential-elsewhere}',
    async (mode) => {
      const account = await node.newAccount(10_000_000n)
      const recipientBefore = await node.balanceOf(recipient)
      const client = payer({ origin: api.origin, chain, privateKey: account.privateKey, mode })
      const { response, receipt } = await client.fetch(api.url('/paid-bearer'), {
        headers: { authorization: `Bearer ${bearerToken}` },
      })
      expect(response.status).toBe(200)
      expect(await response.json()).toMatchObject({ paid: true, method: 'tempo' })
      expect(response.headers.get('cache-control')).toContain('private')
      expect(receipt).toMatchObject({ method: 'tempo', status: 'success' })
      expect(await node.balanceOf(recipient)).toBe(recipientBefore + BigInt(prices.paid))
    },
  )

  it('pays a push-mode charge: the server verifies the transaction the client broadcast {tempo.charge.modes.support-push, tempo.charge.hash.verify-success, tempo.charge.receipt.return}', async () => {
    const account = await node.newAccount(10_000_000n)
    const recipientBefore = await node.balanceOf(recipient)
    const sent: Sent = []
    const client = payer({
      origin: api.origin,
      chain,
      privateKey: account.privateKey,
      mode: 'push',
      sent,
    })
    const { response, receipt } = await client.fetch(api.url('/paid'))
    expect(response.status).toBe(200)
    const credential = Credential.fromAuthorization(sent[0] ?? null) as Credential.Credential
    expect(credential.payload).toMatchObject({ type: 'hash' })
    // The receipt names the very transaction the client broadcast.
    expect(receipt?.reference).toBe((credential.payload as { hash: string }).hash.toLowerCase())
    const {
      receipt: onChain,
      paid,
      fee,
    } = await outflows(receipt?.reference as Hex, account.address)
    expect(onChain?.from.toLowerCase()).toBe(account.address.toLowerCase())
    expect(paid).toBe(BigInt(prices.paid))
    expect(await node.balanceOf(recipient)).toBe(recipientBefore + BigInt(prices.paid))
    expect(await node.balanceOf(account.address)).toBe(10_000_000n - paid - fee)
  })

  it('sponsors fees on /paid-sponsored: the payer loses exactly the price, the sponsor exactly the fee {tempo.charge.fee.client-placeholder, tempo.charge.hash.client-no-fee-payer, tempo.charge.modes.include-explicitly}', async () => {
    const account = await node.newAccount(10_000_000n)
    const recipientBefore = await node.balanceOf(recipient)
    const sponsorBefore = await node.balanceOf(sponsor.address)
    const spentBefore = feePayer.spent()
    const sent: Sent = []
    // A client that prefers push still signs for the server to co-sign: the challenge offers pull only.
    const client = payer({
      origin: api.origin,
      chain,
      privateKey: account.privateKey,
      mode: 'push',
      sent,
    })
    const { response, receipt } = await client.fetch(api.url('/paid-sponsored'))
    expect(response.status).toBe(200)
    const credential = Credential.fromAuthorization(sent[0] ?? null)
    expect(Challenge.decodeRequest(credential?.challenge as Challenge.Challenge)).toMatchObject({
      methodDetails: { feePayer: true, supportedModes: ['pull'] },
    })
    expect(credential?.payload).toMatchObject({ type: 'transaction' })
    expect(await node.balanceOf(account.address)).toBe(10_000_000n - BigInt(prices.sponsored))
    expect(await node.balanceOf(recipient)).toBe(recipientBefore + BigInt(prices.sponsored))
    const fee = sponsorBefore - (await node.balanceOf(sponsor.address))
    expect(fee).toBeGreaterThan(0n)
    expect(feePayer.spent() - spentBefore).toBe(fee)
    const { fee: payerFee } = await outflows(receipt?.reference as Hex, account.address)
    expect(payerFee).toBe(0n)
  })

  it('puts a JCS-encoded tempo request on the wire and gets back the challenge, a payload and a did:pkh source {tempo.charge.request.jcs, tempo.charge.credential.fields, tempo.charge.credential.source-did}', async () => {
    const offered = await fetch(api.url('/paid'))
    const challenge = Challenge.deserializeList(offered.headers.get('www-authenticate') ?? '').find(
      (entry) => entry.method === 'tempo',
    ) as Challenge.Challenge
    const request = Challenge.decodeRequest(challenge)
    expect(challenge.request).toBe(Base64Url.encode(Json.canonicalize(request)))
    expect(request).toEqual({
      amount: prices.paid,
      currency: pathUsd,
      recipient,
      // A fresh memo binds the transfer to this challenge (spec/DEVIATIONS.md, row 25).
      methodDetails: { chainId: node.chainId, memo: expect.stringMatching(/^0x[0-9a-f]{64}$/) },
    })
    const account = await node.newAccount(10_000_000n)
    const sent: Sent = []
    const client = payer({ origin: api.origin, chain, privateKey: account.privateKey, sent })
    expect((await client.fetch(api.url('/paid'))).response.status).toBe(200)
    const credential = Credential.fromAuthorization(sent[0] ?? null) as Credential.Credential
    expect(Object.keys(credential).sort()).toEqual(['challenge', 'payload', 'source'])
    expect(credential.payload).toMatchObject({ type: 'transaction' })
    expect(credential.source).toBe(`did:pkh:eip155:${node.chainId}:${account.address}`)
  })

  it('refuses a replayed credential: 402 with a fresh challenge, no receipt, no money moved {core.replay.reject-reuse, core.status.invalid-challenge, tempo.charge.receipt.not-on-error, core.receipt.not-on-error}', async () => {
    const account = await node.newAccount(10_000_000n)
    const sent: Sent = []
    const client = payer({
      origin: api.origin,
      chain,
      privateKey: account.privateKey,
      mode: 'pull',
      sent,
    })
    expect((await client.fetch(api.url('/paid'))).response.status).toBe(200)
    const balances = [await node.balanceOf(account.address), await node.balanceOf(recipient)]
    const replay = await fetch(api.url('/paid'), { headers: { authorization: sent[0] ?? '' } })
    expect(replay.status).toBe(402)
    expect(replay.headers.get('payment-receipt')).toBeNull()
    expect(replay.headers.get('www-authenticate')).toContain('Payment ')
    expect(await replay.json()).toMatchObject({
      type: 'https://paymentauth.org/problems/invalid-challenge',
    })
    expect([await node.balanceOf(account.address), await node.balanceOf(recipient)]).toEqual(
      balances,
    )
  })

  it('refuses a push transaction hash presented again for a second challenge {charge.replay.protection, core.replay.single-use}', async () => {
    const account = await node.newAccount(10_000_000n)
    const sent: Sent = []
    const client = payer({
      origin: api.origin,
      chain,
      privateKey: account.privateKey,
      mode: 'push',
      sent,
    })
    expect((await client.fetch(api.url('/paid'))).response.status).toBe(200)
    const first = Credential.fromAuthorization(sent[0] ?? null) as Credential.Credential
    const fresh = await fetch(api.url('/paid'))
    const challenge = Challenge.deserializeList(fresh.headers.get('www-authenticate') ?? '').find(
      (entry) => entry.method === 'tempo',
    ) as Challenge.Challenge
    const again = Credential.toAuthorization(
      Credential.from({ challenge, payload: first.payload, source: first.source }),
    )
    const replay = await fetch(api.url('/paid'), { headers: { authorization: again } })
    expect(replay.status).toBe(402)
    expect(replay.headers.get('payment-receipt')).toBeNull()
    const problem = (await replay.json()) as { type: string; detail: string }
    expect(problem.type).toBe('https://paymentauth.org/problems/verification-failed')
    // The transfer carries the first challenge's memo: it pays that challenge and no other.
    expect(problem.detail).toMatch(/no memo binding it to this challenge/)
  })

  it('offers tempo and the test method side by side; the client pays with the one it prefers {core.challenge.multiple, core.client.select-one, core.accept-payment.order}', async () => {
    const offered = await fetch(api.url('/paid'))
    expect(offered.status).toBe(402)
    const challenges = Challenge.deserializeList(offered.headers.get('www-authenticate') ?? '')
    expect(challenges.map((challenge) => challenge.method)).toEqual(['tempo', 'test'])

    const account = await node.newAccount(10_000_000n)
    const recipientBefore = await node.balanceOf(recipient)
    const prefersTest = payer({
      origin: api.origin,
      chain,
      privateKey: account.privateKey,
      testMethod: true,
      accept: [
        { method: 'test', intent: 'charge', q: 1 },
        { method: 'tempo', intent: 'charge', q: 0.5 },
      ],
    })
    const byTest = await prefersTest.fetch(api.url('/paid'))
    expect(byTest.response.status).toBe(200)
    expect(byTest.receipt?.method).toBe('test')
    expect(await node.balanceOf(account.address)).toBe(10_000_000n)
    expect(await node.balanceOf(recipient)).toBe(recipientBefore)

    const prefersTempo = payer({
      origin: api.origin,
      chain,
      privateKey: account.privateKey,
      testMethod: true,
      accept: [
        { method: 'tempo', intent: 'charge', q: 1 },
        { method: 'test', intent: 'charge', q: 0.5 },
      ],
    })
    const byTempo = await prefersTempo.fetch(api.url('/paid'))
    expect(byTempo.response.status).toBe(200)
    expect(byTempo.receipt?.method).toBe('tempo')
    expect(byTempo.receipt?.reference).toMatch(/^0x[0-9a-f]{64}$/)
    expect(await node.balanceOf(recipient)).toBe(recipientBefore + BigInt(prices.paid))
  })
})
