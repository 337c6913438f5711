// Differential tests against the mppx SDK's v1 ("legacy", contract-backed) session
// primitives, on a real local Tempo node with paywire's escrow (one node for this file):
// same inputs, same verdicts. mppx signs vouchers that paywire's server and escrow accept,
// and paywire's vouchers pass mppx's check; both derive the same channel id.
import { Voucher } from '@paywire/escrow'
import { SessionLegacy } from 'mppx/tempo'
import { type Hex, keccak256, parseSignature, serializeSignature, toHex, zeroAddress } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Fixture, setUp, token } from '../test/fixtures.js'

let fixture: Fixture

beforeAll(async () => {
  fixture = await setUp()
}, 60_000)

afterAll(() => fixture?.node.stop())

const { Channel, Voucher: MppxVoucher } = SessionLegacy.Session

describe('interop with mppx (v1 sessions)', () => {
  it('derives the same channel id as the escrow {tempo.session.channel-id.client-compute, tempo.session.escrow.channel-id}', async () => {
    const salt = keccak256(toHex('interop-salt'))
    const ours = await fixture.node.client.readContract({
      address: fixture.escrow,
      abi: (await import('@paywire/escrow')).Escrow.abi,
      functionName: 'computeChannelId',
      args: [
        fixture.payer.account.address,
        fixture.payee.account.address,
        token,
        salt,
        zeroAddress,
      ],
    })
    const theirs = Channel.computeId({
      payer: fixture.payer.account.address,
      payee: fixture.payee.account.address,
      token,
      salt,
      authorizedSigner: zeroAddress,
      escrowContract: fixture.escrow,
      chainId: fixture.node.chainId,
    })
    expect(theirs.toLowerCase()).toBe(ours.toLowerCase())
  })

  it('accepts vouchers mppx signs, on the server and in the escrow {tempo.session.voucher.types, tempo.session.voucher.domain, tempo.session.voucher.signing}', async () => {
    const sessions = fixture.sessions()
    const channelId = await fixture.openOnChain(10_000n)
    const mppxSign = (cumulativeAmount: bigint) =>
      MppxVoucher.signVoucher(
        fixture.payer,
        fixture.payer.account,
        { channelId, cumulativeAmount },
        fixture.escrow,
        fixture.node.chainId,
      )
    await sessions.open({
      channelId,
      cumulativeAmount: 0n,
      signature: await mppxSign(0n),
      price: 1n,
    })
    await sessions.voucher({ channelId, cumulativeAmount: 700n, signature: await mppxSign(700n) })
    await sessions.charge({ channelId, units: 700n, price: 1n })
    const before = await fixture.balances()
    await sessions.close({ channelId, cumulativeAmount: 700n, signature: await mppxSign(700n) })
    expect((await fixture.balances()).payee - before.payee).toBe(700n)
  })

  it('agrees with mppx on which signatures verify, except high-s ones (spec/DEVIATIONS.md #12) {tempo.session.signature.low-s, tempo.session.voucher.expected-signer}', async () => {
    const channelId = keccak256(toHex('interop-channel'))
    const { signature } = await fixture.sign(channelId, 500n)
    const { r, s, yParity } = parseSignature(signature)
    const highS = serializeSignature({
      r,
      s: toHex(0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n - BigInt(s), {
        size: 32,
      }),
      yParity: yParity === 0 ? 1 : 0,
    })
    const verdicts = async (candidate: Hex, signer: Hex) => {
      const ours = await Voucher.verify({
        chainId: fixture.node.chainId,
        escrow: fixture.escrow,
        channelId,
        cumulativeAmount: 500n,
        signature: candidate,
        signer,
      }).then(
        () => 'accepted',
        () => 'refused',
      )
      const theirs = await MppxVoucher.verifyVoucher(
        fixture.escrow,
        fixture.node.chainId,
        { channelId, cumulativeAmount: 500n, signature: candidate },
        signer,
      ).then(
        (valid) => (valid ? 'accepted' : 'refused'),
        () => 'refused',
      )
      return { ours, theirs }
    }
    const payer = fixture.payer.account.address
    expect(await verdicts(signature, payer)).toEqual({ ours: 'accepted', theirs: 'accepted' })
    expect(await verdicts(signature, fixture.stranger.account.address)).toEqual({
      ours: 'refused',
      theirs: 'refused',
    })
    // The draft requires refusing high-s signatures; mppx 0.11.0 accepts them.
    expect(await verdicts(highS, payer)).toEqual({ ours: 'refused', theirs: 'accepted' })
  })
})
