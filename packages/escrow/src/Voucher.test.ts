// Off-chain voucher checks, without a chain. The differential test against the contract
// itself (same signature, same verdict) is in Escrow.test.ts.
import fc from 'fast-check'
import {
  type Hex,
  hashTypedData,
  parseSignature,
  serializeCompactSignature,
  serializeSignature,
  signatureToCompactSignature,
  toHex,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import * as Escrow from './Escrow.js'
import * as Voucher from './Voucher.js'

const escrow: Hex = '0x9d136eEa063eDE5418A6BC7bEafF009bBb6CFa70'
const chainId = 42431
const channelId: Hex = `0x${'6d'.repeat(32)}`
const payer = privateKeyToAccount(
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
)
const other = privateKeyToAccount(
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
)
const order = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

const sign = (cumulativeAmount: bigint, account = payer, id: Hex = channelId) =>
  account.signTypedData({
    domain: Escrow.domain({ chainId, verifyingContract: escrow }),
    types: Escrow.voucherTypes,
    primaryType: 'Voucher',
    message: { channelId: id, cumulativeAmount },
  })

const highS = (signature: Hex): Hex => {
  const { r, s, yParity } = parseSignature(signature)
  return serializeSignature({
    r,
    s: toHex(order - BigInt(s), { size: 32 }),
    yParity: yParity === 0 ? 1 : 0,
  })
}

const base = { chainId, escrow, channelId }

describe('Voucher.digest', () => {
  it('is the EIP-712 hash of the draft domain and Voucher type {tempo.session.voucher.reconstruct, tempo.session.voucher.types, tempo.session.voucher.domain}', () => {
    expect(Voucher.digest({ ...base, cumulativeAmount: 250_000n })).toBe(
      hashTypedData({
        domain: { name: 'Tempo Stream Channel', version: '1', chainId, verifyingContract: escrow },
        types: {
          Voucher: [
            { name: 'channelId', type: 'bytes32' },
            { name: 'cumulativeAmount', type: 'uint128' },
          ],
        },
        primaryType: 'Voucher',
        message: { channelId, cumulativeAmount: 250_000n },
      }),
    )
  })

  it('refuses amounts outside uint128 and malformed channel ids', () => {
    expect(() => Voucher.digest({ ...base, cumulativeAmount: 2n ** 128n })).toThrow(
      Voucher.InvalidVoucherError,
    )
    expect(() => Voucher.digest({ ...base, channelId: '0x1234', cumulativeAmount: 1n })).toThrow(
      Voucher.InvalidVoucherError,
    )
  })
})

describe('Voucher.verify', () => {
  it('accepts the signer in 65-byte and 64-byte form, in any hex case {tempo.session.voucher.signature, tempo.session.encoding.accept-mixed-case}', async () => {
    const signature = await sign(250_000n)
    const compact = serializeCompactSignature(
      signatureToCompactSignature(parseSignature(signature)),
    )
    for (const form of [signature, compact, signature.toUpperCase().replace('0X', '0x') as Hex])
      await expect(
        Voucher.verify({
          ...base,
          cumulativeAmount: 250_000n,
          signature: form,
          signer: payer.address,
        }),
      ).resolves.toBeUndefined()
  })

  it('refuses a high-s signature before trusting what it recovers {tempo.session.signature.low-s}', async () => {
    const signature = highS(await sign(250_000n))
    await expect(
      Voucher.recover({ ...base, cumulativeAmount: 250_000n, signature }),
    ).rejects.toMatchObject({
      code: 'ERR_SESSION_INVALID_SIGNATURE',
      type: 'https://paymentauth.org/problems/session/invalid-signature',
      status: 402,
    })
  })

  it('refuses a voucher from anyone but the expected signer {tempo.session.voucher.expected-signer}', async () => {
    const signature = await sign(250_000n, other)
    await expect(
      Voucher.verify({ ...base, cumulativeAmount: 250_000n, signature, signer: payer.address }),
    ).rejects.toMatchObject({
      code: 'ERR_SESSION_SIGNER_MISMATCH',
      type: 'https://paymentauth.org/problems/session/signer-mismatch',
    })
  })

  it('refuses a signature over another amount or channel', async () => {
    const signature = await sign(250_000n)
    await expect(
      Voucher.verify({ ...base, cumulativeAmount: 250_001n, signature, signer: payer.address }),
    ).rejects.toBeInstanceOf(Voucher.SignerMismatchError)
    await expect(
      Voucher.verify({
        ...base,
        channelId: `0x${'6e'.repeat(32)}`,
        cumulativeAmount: 250_000n,
        signature,
        signer: payer.address,
      }),
    ).rejects.toBeInstanceOf(Voucher.SignerMismatchError)
  })

  it.each([
    ['too short', '0x1234'],
    ['66 bytes', `0x${'11'.repeat(66)}`],
    ['not hex', `0x${'zz'.repeat(65)}`],
    ['v = 29', `0x${'11'.repeat(32)}${'22'.repeat(32)}1d`],
    ['v = 0', `0x${'11'.repeat(32)}${'22'.repeat(32)}00`],
    ['r = 0', `0x${'00'.repeat(32)}${'22'.repeat(32)}1b`],
    ['s = 0', `0x${'11'.repeat(32)}${'00'.repeat(32)}1b`],
  ] as const)(
    'refuses a malformed signature (%s) without recovering {tempo.session.dos.format-first}',
    async (_, signature) => {
      await expect(
        Voucher.recover({ ...base, cumulativeAmount: 1n, signature: signature as Hex }),
      ).rejects.toBeInstanceOf(Voucher.InvalidSignatureError)
    },
  )

  it('names the expected signer: the authorized signer, else the payer', () => {
    const zero = '0x0000000000000000000000000000000000000000'
    expect(Voucher.expectedSigner({ payer: payer.address, authorizedSigner: zero })).toBe(
      payer.address,
    )
    expect(Voucher.expectedSigner({ payer: payer.address, authorizedSigner: other.address })).toBe(
      other.address,
    )
  })

  it('recovers the signer of any voucher, and refuses its high-s twin', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt({ min: 0n, max: Voucher.maxAmount }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        async (cumulativeAmount, idBytes) => {
          const id = toHex(idBytes)
          const signature = await sign(cumulativeAmount, payer, id)
          const parameters = { ...base, channelId: id, cumulativeAmount }
          expect(await Voucher.recover({ ...parameters, signature })).toBe(payer.address)
          await expect(
            Voucher.recover({ ...parameters, signature: highS(signature) }),
          ).rejects.toBeInstanceOf(Voucher.InvalidSignatureError)
        },
      ),
    )
  })
})
