// Off-chain voucher checks, without a chain. The differential test against the contract
// itself (same signature, same verdict) is in Escrow.test.ts.
import fc from 'fast-check'
import {
  type Hex,
  hashTypedData,
  parseSignature,
  recoverAddress,
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

// The reference: the check as it was written with viem alone (format checks, then viem's
// hashTypedData and recoverAddress, then the address comparison). Voucher.verify computes the
// digest and recovers with @noble directly, and checks later vouchers of a known signer
// against its cached public key: its verdict must be this one, on every input.
async function referenceVerdict(parameters: Voucher.verify.Parameters): Promise<string> {
  const { chainId, escrow, channelId, cumulativeAmount, signature, signer } = parameters
  if (!/^0x(?:[0-9a-fA-F]{128}|[0-9a-fA-F]{130})$/.test(signature)) return 'InvalidSignature'
  const r = BigInt(`0x${signature.slice(2, 66)}`)
  let s = BigInt(`0x${signature.slice(66, 130)}`)
  let yParity: number
  if (signature.length === 132) {
    const v = Number.parseInt(signature.slice(130, 132), 16)
    if (v !== 27 && v !== 28) return 'InvalidSignature'
    yParity = v - 27
  } else {
    yParity = Number(s >> 255n)
    s &= (1n << 255n) - 1n
  }
  if (s > Escrow.halfOrder || r === 0n || s === 0n || r >= order) return 'InvalidSignature'
  if (
    !/^0x[0-9a-fA-F]{64}$/.test(channelId) ||
    cumulativeAmount < 0n ||
    cumulativeAmount > Voucher.maxAmount
  )
    return 'InvalidVoucher'
  const hash = hashTypedData({
    domain: Escrow.domain({ chainId, verifyingContract: escrow }),
    types: Escrow.voucherTypes,
    primaryType: 'Voucher',
    message: { channelId: channelId.toLowerCase() as Hex, cumulativeAmount },
  })
  let recovered: string
  try {
    recovered = await recoverAddress({
      hash,
      signature: serializeSignature({
        r: toHex(r, { size: 32 }),
        s: toHex(s, { size: 32 }),
        yParity,
      }),
    })
  } catch {
    return 'InvalidSignature'
  }
  return recovered.toLowerCase() === signer.toLowerCase() ? 'ok' : 'SignerMismatch'
}

const verdict = (parameters: Voucher.verify.Parameters): Promise<string> =>
  Voucher.verify(parameters).then(
    () => 'ok',
    (error: unknown) => {
      if (error instanceof Voucher.InvalidSignatureError) return 'InvalidSignature'
      if (error instanceof Voucher.SignerMismatchError) return 'SignerMismatch'
      if (error instanceof Voucher.InvalidVoucherError) return 'InvalidVoucher'
      throw error
    },
  )

const third = privateKeyToAccount(
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
)
const accounts = [payer, other, third]

const mutations = [
  'none',
  'compact',
  'uppercase',
  'flip v',
  'flip compact parity',
  'high s',
  'high s compact',
  'v 0/1',
  'random v',
  'random byte',
  'random r',
  'random s',
  'truncate',
  'other amount',
  'other channel',
  'other signer',
] as const

const mutate = (
  signature: Hex,
  mutation: (typeof mutations)[number],
  random: Uint8Array,
): { signature: Hex; amountDelta: bigint; otherChannel: boolean; otherSigner: boolean } => {
  const same = { amountDelta: 0n, otherChannel: false, otherSigner: false }
  const bytes = signature.slice(2)
  const compact = (): Hex =>
    serializeCompactSignature(signatureToCompactSignature(parseSignature(signature)))
  const randomHex = bytesToHexString(random)
  switch (mutation) {
    case 'none':
      return { signature, ...same }
    case 'compact':
      return { signature: compact(), ...same }
    case 'uppercase':
      return { signature: `0x${bytes.toUpperCase()}`, ...same }
    case 'flip v':
      return { signature: `0x${bytes.slice(0, 128)}${bytes.endsWith('1b') ? '1c' : '1b'}`, ...same }
    case 'flip compact parity': {
      const c = compact().slice(2)
      const top = (Number.parseInt(c.slice(64, 66), 16) ^ 0x80).toString(16).padStart(2, '0')
      return { signature: `0x${c.slice(0, 64)}${top}${c.slice(66)}`, ...same }
    }
    case 'high s':
      return { signature: highS(signature), ...same }
    case 'high s compact': {
      const { r, s } = parseSignature(signature)
      const highSValue = order - BigInt(s)
      const parity = signature.endsWith('1b') ? 1n : 0n // the parity of the high-s twin
      return {
        signature: `0x${r.slice(2)}${toHex(highSValue | (parity << 255n), { size: 32 }).slice(2)}`,
        ...same,
      }
    }
    case 'v 0/1':
      return { signature: `0x${bytes.slice(0, 128)}${bytes.endsWith('1b') ? '00' : '01'}`, ...same }
    case 'random v':
      return { signature: `0x${bytes.slice(0, 128)}${randomHex.slice(0, 2)}`, ...same }
    case 'random byte': {
      const at = (random[0] ?? 0) % 65
      const flipped = (
        (Number.parseInt(bytes.slice(2 * at, 2 * at + 2), 16) ^ ((random[1] ?? 0) | 1)) &
        0xff
      )
        .toString(16)
        .padStart(2, '0')
      return {
        signature: `0x${bytes.slice(0, 2 * at)}${flipped}${bytes.slice(2 * at + 2)}`,
        ...same,
      }
    }
    case 'random r':
      return { signature: `0x${randomHex}${bytes.slice(64)}`, ...same }
    case 'random s':
      return { signature: `0x${bytes.slice(0, 64)}${randomHex}${bytes.slice(128)}`, ...same }
    case 'truncate':
      return { signature: `0x${bytes.slice(0, 2 * ((random[0] ?? 0) % 65))}`, ...same }
    case 'other amount':
      return { signature, ...same, amountDelta: 1n }
    case 'other channel':
      return { signature, ...same, otherChannel: true }
    case 'other signer':
      return { signature, ...same, otherSigner: true }
  }
}

const bytesToHexString = (bytes: Uint8Array): string =>
  Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')

describe('Voucher.verify against the viem reference', () => {
  it('gives the verdict of viem hashTypedData + recoverAddress on random vouchers and mutated signatures (known-key path included)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt({ min: 0n, max: Voucher.maxAmount }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.nat({ max: accounts.length - 1 }),
        fc.constantFrom(...mutations),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.constantFrom(chainId, 4217),
        async (cumulativeAmount, idBytes, signerIndex, mutation, random, voucherChainId) => {
          const account = accounts[signerIndex] as (typeof accounts)[number]
          const id = toHex(idBytes)
          const signed = await account.signTypedData({
            domain: Escrow.domain({ chainId: voucherChainId, verifyingContract: escrow }),
            types: Escrow.voucherTypes,
            primaryType: 'Voucher',
            message: { channelId: id, cumulativeAmount },
          })
          const mutated = mutate(signed, mutation, random)
          const signer = mutated.otherSigner
            ? (accounts[(signerIndex + 1) % accounts.length] as (typeof accounts)[number]).address
            : account.address
          const parameters: Voucher.verify.Parameters = {
            chainId: voucherChainId,
            escrow,
            channelId: mutated.otherChannel
              ? (`0x${id.slice(2, 65)}${id.endsWith('0') ? '1' : '0'}` as Hex)
              : id,
            cumulativeAmount: cumulativeAmount + mutated.amountDelta,
            signature: mutated.signature,
            signer,
          }
          const expected = await referenceVerdict(parameters)
          expect(await verdict(parameters)).toBe(expected)
          // Twice: the first valid voucher of a signer caches its key, the second uses it.
          expect(await verdict(parameters)).toBe(expected)
          if (mutation === 'none' && !mutated.otherSigner) expect(expected).toBe('ok')
        },
      ),
      { numRuns: 300 },
    )
  })
})
