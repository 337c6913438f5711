// The client's signed open transaction on a real local Tempo node (one node for this
// file): the server checks it, broadcasts it, and opens the session; every tampering is
// refused before anything is broadcast.
import { Escrow } from '@paywire/escrow'
import { MemoryStore } from '@paywire/store-memory'
import { Secp256k1 } from 'ox'
import { TxEnvelopeTempo } from 'ox/tempo'
import {
  type Address,
  encodeFunctionData,
  type Hex,
  keccak256,
  parseAbi,
  toHex,
  zeroAddress,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Fixture, setUp, token } from '../test/fixtures.js'
import * as ChannelTransaction from './ChannelTransaction.js'
import * as Payer from './Payer.js'

let fixture: Fixture
const erc20 = parseAbi(['function approve(address spender, uint256 amount) returns (bool)'])

beforeAll(async () => {
  fixture = await setUp()
}, 60_000)

afterAll(() => fixture?.node.stop())

/** A fresh payer holding AlphaUSD (channels) and pathUSD (fees). */
async function newPayer() {
  const account = await fixture.node.newAccount()
  await fixture.node.fund({ to: account.address, amount: 10_000_000n, token })
  return account
}

type Tamper = {
  payee?: Address
  token?: Address
  approve?: bigint
  extraCall?: boolean
  chainId?: number
  noApprove?: boolean
}

async function openTransaction(
  payer: { address: Address; privateKey: Hex },
  deposit: bigint,
  salt: Hex,
  tamper: Tamper = {},
) {
  const payee = tamper.payee ?? fixture.payee.account.address
  const calls = [
    ...(tamper.noApprove
      ? []
      : [
          {
            to: token,
            data: encodeFunctionData({
              abi: erc20,
              functionName: 'approve',
              args: [fixture.escrow, tamper.approve ?? deposit],
            }),
          },
        ]),
    {
      to: fixture.escrow,
      data: encodeFunctionData({
        abi: Escrow.abi,
        functionName: 'open',
        args: [payee, tamper.token ?? token, deposit, salt, zeroAddress],
      }),
    },
    ...(tamper.extraCall
      ? [
          {
            to: token,
            data: encodeFunctionData({
              abi: erc20,
              functionName: 'approve',
              args: [fixture.stranger.account.address, 1n],
            }),
          },
        ]
      : []),
  ]
  const [nonce, block] = await Promise.all([
    fixture.node.client.getTransactionCount({ address: payer.address, blockTag: 'pending' }),
    fixture.node.client.getBlock(),
  ])
  const envelope = TxEnvelopeTempo.from({
    chainId: tamper.chainId ?? fixture.node.chainId,
    calls,
    nonce: BigInt(nonce),
    nonceKey: 0n,
    gas: 5_000_000n,
    maxFeePerGas: (block.baseFeePerGas ?? 1n) * 2n,
    maxPriorityFeePerGas: 0n,
    feeToken: '0x20c0000000000000000000000000000000000000',
  })
  const signature = Secp256k1.sign({
    payload: TxEnvelopeTempo.getSignPayload(envelope),
    privateKey: payer.privateKey,
  })
  return TxEnvelopeTempo.serialize(envelope, { signature }) as Hex
}

async function channelIdOf(payer: Address, salt: Hex) {
  return fixture.node.client.readContract({
    address: fixture.escrow,
    abi: Escrow.abi,
    functionName: 'computeChannelId',
    args: [payer, fixture.payee.account.address, token, salt, zeroAddress],
  })
}

async function voucherBy(privateKey: Hex, channelId: Hex, cumulativeAmount: bigint) {
  const signature = await privateKeyToAccount(privateKey).signTypedData({
    domain: Escrow.domain({ chainId: fixture.node.chainId, verifyingContract: fixture.escrow }),
    types: Escrow.voucherTypes,
    primaryType: 'Voucher',
    message: { channelId, cumulativeAmount },
  })
  return { channelId, cumulativeAmount, signature }
}

describe('open with the client transaction', () => {
  it('checks, broadcasts and opens: the deposit leaves the payer, the session starts {tempo.session.open.transaction}', async () => {
    const payer = await newPayer()
    const salt = keccak256(toHex('open-tx-1'))
    const channelId = await channelIdOf(payer.address, salt)
    const transaction = await openTransaction(payer, 2_000_000n, salt)
    const opened = ChannelTransaction.verifyOpen(transaction, {
      chainId: fixture.node.chainId,
      escrow: fixture.escrow,
      recipient: fixture.payee.account.address,
      currency: token,
    })
    expect(opened).toMatchObject({
      channelId,
      payer: payer.address.toLowerCase(),
      deposit: 2_000_000n,
      salt,
      authorizedSigner: zeroAddress,
    })
    const before = await fixture.node.balanceOf(payer.address, token)
    const sessions = fixture.sessions()
    const state = await sessions.open({
      ...(await voucherBy(payer.privateKey, channelId, 0n)),
      transaction,
      price: 25n,
    })
    expect(state).toMatchObject({ status: 'open', deposit: 2_000_000n })
    expect(before - (await fixture.node.balanceOf(payer.address, token))).toBe(2_000_000n)
    // A retried open (same transaction) is not broadcast twice.
    await sessions.open({
      ...(await voucherBy(payer.privateKey, channelId, 0n)),
      transaction,
      price: 25n,
    })
  })

  it.each([
    ['another payee', { payee: '0x000000000000000000000000000000000000dEaD' }],
    ['another token', { token: '0x20c0000000000000000000000000000000000002' }],
    ['an approval above the deposit', { approve: 10n ** 12n }],
    ['an extra call', { extraCall: true }],
    ['another chain', { chainId: 4217 }],
  ] as const)(
    'refuses a transaction with %s before broadcasting it {tempo.session.open.transaction, tempo.session.fees.validate-before-cosign}',
    async (name, tamper) => {
      const payer = await newPayer()
      const salt = keccak256(toHex(`open-tx-${name}`))
      const channelId = await channelIdOf(payer.address, salt)
      const transaction = await openTransaction(payer, 1_000n, salt, tamper as Tamper)
      await expect(
        fixture.sessions().open({
          ...(await voucherBy(payer.privateKey, channelId, 0n)),
          transaction,
          price: 1n,
        }),
      ).rejects.toMatchObject({
        code: expect.stringMatching(/^ERR_SESSION_(CHANNEL_TRANSACTION|CHANNEL_MISMATCH)$/),
      })
      expect(await fixture.node.client.getTransactionCount({ address: payer.address })).toBe(0)
    },
  )

  it('refuses a payload whose channel id is not the one the transaction opens', async () => {
    const payer = await newPayer()
    const salt = keccak256(toHex('open-tx-other-id'))
    const transaction = await openTransaction(payer, 1_000n, salt, { noApprove: true })
    const other = keccak256(toHex('other'))
    await expect(
      fixture.sessions().open({
        ...(await voucherBy(payer.privateKey, other, 0n)),
        transaction,
        price: 1n,
      }),
    ).rejects.toMatchObject({ code: 'ERR_SESSION_CHANNEL_MISMATCH' })
  })
})

describe('top-up with the client transaction', () => {
  it('refuses a top-up for another channel, another amount, or from anyone but the payer, before broadcasting {tempo.session.topup.transaction, tempo.session.topup.channel-state}', async () => {
    const account = await newPayer()
    const payer = Payer.create({
      privateKey: account.privateKey,
      client: fixture.node.client,
      chainId: fixture.node.chainId,
      escrow: fixture.escrow,
      currency: token,
      store: MemoryStore.create(),
    })
    const sessions = fixture.sessions()
    const open = await payer.open({ payee: fixture.payee.account.address, deposit: 1_000n })
    await sessions.open({ ...open, price: 1n })
    const other = await payer.open({ payee: fixture.payee.account.address, deposit: 1_000n })
    const nonce = () => fixture.node.client.getTransactionCount({ address: account.address })
    const sent = await nonce()
    const wrongChannel = await payer.topUp(other.channelId, 500n)
    await expect(
      sessions.topUp({ ...wrongChannel, channelId: open.channelId }),
    ).rejects.toMatchObject({ code: 'ERR_SESSION_CHANNEL_TRANSACTION' })
    const topUp = await payer.topUp(open.channelId, 500n)
    await expect(sessions.topUp({ ...topUp, additionalDeposit: 600n })).rejects.toMatchObject({
      code: 'ERR_SESSION_CHANNEL_TRANSACTION',
    })
    // A stranger who signs a top-up of someone else's channel (its store told it of one).
    const stranger = await newPayer()
    const strangerStore = MemoryStore.create()
    await strangerStore.put(`paywire:session-payer:${open.channelId}`, {
      channelId: open.channelId,
      payee: fixture.payee.account.address,
      deposit: '1000',
      signed: '0',
    })
    const fromStranger = await Payer.create({
      privateKey: stranger.privateKey,
      client: fixture.node.client,
      chainId: fixture.node.chainId,
      escrow: fixture.escrow,
      currency: token,
      store: strangerStore,
    }).topUp(open.channelId, 500n)
    await expect(sessions.topUp(fromStranger)).rejects.toMatchObject({
      code: 'ERR_SESSION_CHANNEL_TRANSACTION',
    })
    expect(await fixture.node.client.getTransactionCount({ address: stranger.address })).toBe(0)
    expect(await nonce()).toBe(sent)
    // The genuine top-up goes through and raises the deposit.
    expect(await sessions.topUp(topUp)).toMatchObject({ deposit: 1_500n })
  })
})
