import { Expires } from '@paywire/core'
import { describe, expect, it } from 'vitest'
import { challengeFor, claims, credentialFor } from '../test/fixtures.js'
import type * as Chain from './Chain.js'
import * as Client from './Client.js'
import * as Proof from './Proof.js'
import * as Server from './Server.js'
import * as Source from './Source.js'

const chain = { chainId: 4217 } as Chain.Chain
const privateKey = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
const payer = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const server = Server.server({ chain, recipient: '0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00' })
const client = Client.client({ chain, privateKey })

async function zeroCharge() {
  const request = await server.request({ amount: '0' })
  const challenge = challengeFor(request)
  const answer = await client.createCredential({ challenge, request })
  return { request, challenge, answer }
}

describe('zero-amount proof', () => {
  it('answers a zero charge with a proof and source, and the receipt references the challenge {tempo.charge.proof.client-uses-proof, tempo.charge.proof.source-present, tempo.charge.proof.source-did-pkh}', async () => {
    const { request, challenge, answer } = await zeroCharge()
    expect(answer.payload.type).toBe('proof')
    expect(answer.source).toBe(`did:pkh:eip155:4217:${payer}`)
    const receipt = await server.verify({
      credential: credentialFor(challenge, answer),
      challenge,
      request,
      context: claims().context,
    })
    expect(receipt.reference).toBe(challenge.id)
  })

  it('refuses a proof without source {tempo.charge.proof.verify}', async () => {
    const { request, challenge, answer } = await zeroCharge()
    const credential = credentialFor(challenge, { payload: answer.payload })
    await expect(
      server.verify({ credential, challenge, request, context: claims().context }),
    ).rejects.toBeInstanceOf(Proof.ProofInvalidError)
  })

  it('refuses a proof whose source is on another chain {tempo.charge.proof.verify}', async () => {
    const { request, challenge, answer } = await zeroCharge()
    const credential = credentialFor(challenge, {
      ...answer,
      source: Source.format({ chainId: 1, address: payer }),
    })
    await expect(
      server.verify({ credential, challenge, request, context: claims().context }),
    ).rejects.toThrow(/chain 1/)
  })

  it('refuses a proof signed for another challenge {tempo.charge.proof.challenge-bound}', async () => {
    const { request, answer } = await zeroCharge()
    const other = challengeFor(request)
    const credential = credentialFor(other, answer)
    await expect(
      server.verify({ credential, challenge: other, request, context: claims().context }),
    ).rejects.toThrow(/not signed by the source/)
  })

  it('refuses a proof credential for a non-zero charge {tempo.charge.proof.only-zero}', async () => {
    const { answer } = await zeroCharge()
    const request = await server.request({ amount: '1' })
    const challenge = challengeFor(request)
    await expect(
      server.verify({
        credential: credentialFor(challenge, answer),
        challenge,
        request,
        context: claims().context,
      }),
    ).rejects.toBeInstanceOf(Server.ModeRefusedError)
  })

  it('refuses a hash credential for a zero charge {tempo.charge.proof.client-uses-proof}', async () => {
    const request = await server.request({ amount: '0' })
    const challenge = challengeFor(request)
    const credential = credentialFor(challenge, {
      payload: { type: 'hash', hash: `0x${'11'.repeat(32)}` },
    })
    await expect(
      server.verify({ credential, challenge, request, context: claims().context }),
    ).rejects.toBeInstanceOf(Server.ModeRefusedError)
  })
})

describe('client refusals', () => {
  it('refuses a request whose splits leave the primary recipient nothing {tempo.charge.splits.client-reject, tempo.charge.client.verify-request}', async () => {
    const request = {
      amount: '10',
      currency: '0x20c0000000000000000000000000000000000000',
      recipient: payer,
      methodDetails: { chainId: 4217, splits: [{ amount: '10', recipient: payer }] },
    }
    const challenge = challengeFor(request as never)
    await expect(
      client.createCredential({ challenge, request: request as never }),
    ).rejects.toBeInstanceOf(Client.RequestRefusedError)
  })

  it('refuses a challenge for another chain', async () => {
    const request = await Server.server({
      chain: { chainId: 1 } as Chain.Chain,
      recipient: payer,
    }).request({ amount: '1' })
    await expect(
      client.createCredential({ challenge: challengeFor(request), request }),
    ).rejects.toThrow(/chain 1/)
  })

  it('refuses an expired challenge', async () => {
    const request = await server.request({ amount: '1' })
    const challenge = { ...challengeFor(request), expires: Expires.format(Date.now() - 1000) }
    await expect(client.createCredential({ challenge, request })).rejects.toThrow(/expired/)
  })
})

describe('Source', () => {
  it('formats and parses did:pkh:eip155 {tempo.charge.credential.source-did}', () => {
    const did = Source.format({ chainId: 4217, address: payer })
    expect(Source.parse(did)).toEqual({ chainId: 4217, address: payer })
    expect(() => Source.parse('did:web:example.com')).toThrow(Source.InvalidSourceError)
  })
})
