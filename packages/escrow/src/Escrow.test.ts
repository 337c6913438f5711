// The escrow contract on a real local Tempo node (one node for this file): every function,
// event and revert of the draft-tempo-session v1 interface, with balances read on chain.
// Channels hold AlphaUSD (a TIP-20 token other than the fee token), so the balance deltas
// asserted below are the escrow's transfers alone.
import { TempoNode } from '@paywire/testkit'
import {
  type Address,
  BaseError,
  type Chain,
  ContractFunctionRevertedError,
  createWalletClient,
  defineChain,
  domainSeparator,
  encodeAbiParameters,
  getAddress,
  type Hex,
  hashTypedData,
  http,
  keccak256,
  parseEventLogs,
  parseSignature,
  serializeCompactSignature,
  serializeSignature,
  signatureToCompactSignature,
  type Transport,
  toHex,
  type WalletClient,
  zeroAddress,
} from 'viem'
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Escrow from './Escrow.js'
import * as Voucher from './Voucher.js'

const token: Address = '0x20c0000000000000000000000000000000000001' // AlphaUSD
const secp256k1Order = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

let node: TempoNode.TempoNode
let escrow: Address
let deployer: Wallet
let payer: Wallet
let payee: Wallet
let delegate: Wallet
let stranger: Wallet
let saltCounter = 0

type Wallet = WalletClient<Transport, Chain, PrivateKeyAccount>
type Write = 'open' | 'settle' | 'topUp' | 'close' | 'requestClose' | 'withdraw'

beforeAll(async () => {
  node = await TempoNode.start()
  const chain = defineChain({
    id: node.chainId,
    name: 'Tempo (local)',
    nativeCurrency: { name: 'USD', symbol: 'USD', decimals: 18 },
    rpcUrls: { default: { http: [node.rpcUrl] } },
  })
  const wallets = node.accounts.slice(0, 5).map(
    (account) =>
      createWalletClient({
        account: privateKeyToAccount(account.privateKey),
        chain,
        transport: http(node.rpcUrl),
      }) as Wallet,
  )
  ;[deployer, payer, payee, delegate, stranger] = wallets as [
    Wallet,
    Wallet,
    Wallet,
    Wallet,
    Wallet,
  ]
  const hash = await deployer.deployContract({ abi: Escrow.abi, bytecode: Escrow.bytecode })
  const receipt = await node.client.waitForTransactionReceipt({ hash, pollingInterval: 50 })
  if (receipt.contractAddress == null) throw new Error('escrow was not deployed')
  escrow = receipt.contractAddress
  await send(payer, token, approveAbi, 'approve', [escrow, 2n ** 128n - 1n])
}, 60_000)

afterAll(() => node?.stop())

describe('views', () => {
  it('uses the draft domain (name, version, chain, own address) and voucher type {tempo.session.voucher.domain, tempo.session.voucher.types, tempo.session.escrow.domain-binding}', async () => {
    const domain = Escrow.domain({ chainId: node.chainId, verifyingContract: escrow })
    expect(domain).toEqual({
      name: 'Tempo Stream Channel',
      version: '1',
      chainId: node.chainId,
      verifyingContract: escrow,
    })
    expect(await read('domainSeparator', [])).toBe(domainSeparator({ domain }))
    expect(await read('VOUCHER_TYPEHASH', [])).toBe(
      keccak256(toHex('Voucher(bytes32 channelId,uint128 cumulativeAmount)')),
    )
    expect(await read('CLOSE_REQUEST_TYPEHASH', [])).toBe(
      keccak256(toHex('CloseRequest(bytes32 channelId,uint64 requestedAt)')),
    )
    const channelId = keccak256(toHex('any channel'))
    expect(await read('getVoucherDigest', [channelId, 250_000n])).toBe(
      hashTypedData({
        domain,
        types: Escrow.voucherTypes,
        primaryType: 'Voucher',
        message: { channelId, cumulativeAmount: 250_000n },
      }),
    )
  })

  it('states its grace period: 15 minutes {tempo.session.escrow.grace-period}', async () => {
    expect(await read('CLOSE_GRACE_PERIOD', [])).toBe(900n)
    expect(Escrow.closeGracePeriod).toBe(900n)
  })

  it('computes the channel id over payer, payee, token, salt, signer, contract and chain {tempo.session.escrow.channel-id}', async () => {
    const salt = keccak256(toHex('salt'))
    const expected = keccak256(
      encodeAbiParameters(
        [
          { type: 'address' },
          { type: 'address' },
          { type: 'address' },
          { type: 'bytes32' },
          { type: 'address' },
          { type: 'address' },
          { type: 'uint256' },
        ],
        [
          payer.account.address,
          payee.account.address,
          token,
          salt,
          zeroAddress,
          escrow,
          BigInt(node.chainId),
        ],
      ),
    )
    expect(
      await read('computeChannelId', [
        payer.account.address,
        payee.account.address,
        token,
        salt,
        zeroAddress,
      ]),
    ).toBe(expected)
  })

  it('reads unknown channels as all zero, alone and in a batch', async () => {
    const { channelId } = await open(1_000n)
    const unknown = keccak256(toHex('never opened'))
    const zero = await read('getChannel', [unknown])
    expect(zero).toMatchObject({ payer: zeroAddress, deposit: 0n, finalized: false })
    const batch = await read('getChannelsBatch', [[channelId, unknown]])
    expect(batch.map((channel) => channel.deposit)).toEqual([1_000n, 0n])
  })
})

describe('open', () => {
  it('escrows the deposit, records the channel and emits ChannelOpened {tempo.session.escrow.functions, tempo.session.escrow.access-control}', async () => {
    const before = await balances()
    const { channelId, receipt, salt } = await open(5_000_000n)
    const after = await balances()
    expect(after.payer - before.payer).toBe(-5_000_000n)
    expect(after.escrow - before.escrow).toBe(5_000_000n)
    expect(channelId).toBe(
      await read('computeChannelId', [
        payer.account.address,
        payee.account.address,
        token,
        salt,
        zeroAddress,
      ]),
    )
    expect(await read('getChannel', [channelId])).toEqual({
      payer: payer.account.address,
      payee: payee.account.address,
      token: getAddress(token),
      authorizedSigner: zeroAddress,
      deposit: 5_000_000n,
      settled: 0n,
      closeRequestedAt: 0n,
      finalized: false,
    })
    const [event] = events(receipt, 'ChannelOpened')
    expect(event?.args).toMatchObject({
      channelId,
      payer: payer.account.address,
      payee: payee.account.address,
      authorizedSigner: zeroAddress,
      deposit: 5_000_000n,
    })
  })

  it('refuses a channel id that exists, even once finalized', async () => {
    const { channelId, salt } = await open(1_000n)
    await reverts(
      payer,
      'open',
      [payee.account.address, token, 1_000n, salt, zeroAddress],
      'ChannelAlreadyExists',
    )
    await write(payee, 'close', [channelId, 0n, '0x'])
    await reverts(
      payer,
      'open',
      [payee.account.address, token, 1_000n, salt, zeroAddress],
      'ChannelAlreadyExists',
    )
  })

  it('reverts with TransferFailed when the token cannot be pulled', async () => {
    const salt = nextSalt()
    const noAllowance = [payee.account.address, token, 1_000n, salt, zeroAddress] as const
    await reverts(stranger, 'open', noAllowance, 'TransferFailed')
    const noCode = [
      payee.account.address,
      stranger.account.address,
      1_000n,
      salt,
      zeroAddress,
    ] as const
    await reverts(payer, 'open', noCode, 'TransferFailed')
  })
})

describe('settle', () => {
  it('pays the payee the delta of each higher voucher {tempo.session.escrow.functions}', async () => {
    const { channelId } = await open(1_000_000n)
    const before = await balances()
    const first = await write(payee, 'settle', [
      channelId,
      100_000n,
      await voucher(channelId, 100_000n),
    ])
    const second = await write(payee, 'settle', [
      channelId,
      250_000n,
      await voucher(channelId, 250_000n),
    ])
    const after = await balances()
    expect(after.payee - before.payee).toBe(250_000n)
    expect(before.escrow - after.escrow).toBe(250_000n)
    expect(events(first, 'Settled')[0]?.args).toMatchObject({
      channelId,
      cumulativeAmount: 100_000n,
      deltaPaid: 100_000n,
      newSettled: 100_000n,
    })
    expect(events(second, 'Settled')[0]?.args).toMatchObject({
      cumulativeAmount: 250_000n,
      deltaPaid: 150_000n,
      newSettled: 250_000n,
    })
    expect((await read('getChannel', [channelId])).settled).toBe(250_000n)
  })

  it('accepts the 64-byte EIP-2098 form of a voucher signature', async () => {
    const { channelId } = await open(1_000n)
    const signature = await voucher(channelId, 600n)
    const compact = serializeCompactSignature(
      signatureToCompactSignature(parseSignature(signature)),
    )
    expect(compact.length).toBe(2 + 128)
    await write(payee, 'settle', [channelId, 600n, compact])
    expect((await read('getChannel', [channelId])).settled).toBe(600n)
  })

  it('refuses a high-s signature although it recovers the payer {tempo.session.escrow.low-s, tempo.session.signature.low-s}', async () => {
    const { channelId } = await open(1_000n)
    const { r, s, yParity } = parseSignature(await voucher(channelId, 500n))
    const highS = serializeSignature({
      r,
      s: toHex(secp256k1Order - BigInt(s), { size: 32 }),
      yParity: yParity === 0 ? 1 : 0,
    })
    await reverts(payee, 'settle', [channelId, 500n, highS], 'InvalidSignature')
    await write(payee, 'settle', [channelId, 500n, await voucher(channelId, 500n)])
  })

  it('refuses a voucher signed by anyone but the payer, or for another channel, contract or chain {tempo.session.escrow.authorized-signer, tempo.session.escrow.domain-binding}', async () => {
    const { channelId } = await open(1_000n)
    const other = await open(1_000n)
    const cases: Hex[] = [
      await voucher(channelId, 500n, stranger),
      await voucher(other.channelId, 500n),
      await voucher(channelId, 500n, payer, { verifyingContract: stranger.account.address }),
      await voucher(channelId, 500n, payer, { chainId: 4217 }),
      '0x1234',
      `${(await voucher(channelId, 500n)).slice(0, -2)}1d` as Hex, // v = 29
    ]
    for (const signature of cases)
      await reverts(payee, 'settle', [channelId, 500n, signature], 'InvalidSignature')
  })

  it('takes vouchers from the authorized signer only, when one is set {tempo.session.escrow.authorized-signer}', async () => {
    const { channelId } = await open(1_000n, delegate.account.address)
    expect((await read('getChannel', [channelId])).authorizedSigner).toBe(delegate.account.address)
    await reverts(
      payee,
      'settle',
      [channelId, 300n, await voucher(channelId, 300n)],
      'InvalidSignature',
    )
    await write(payee, 'settle', [channelId, 300n, await voucher(channelId, 300n, delegate)])
  })

  it('refuses amounts above the deposit and amounts not above what is settled {tempo.session.escrow.functions}', async () => {
    const { channelId } = await open(1_000n)
    await reverts(
      payee,
      'settle',
      [channelId, 1_001n, await voucher(channelId, 1_001n)],
      'AmountExceedsDeposit',
    )
    await write(payee, 'settle', [channelId, 400n, await voucher(channelId, 400n)])
    await reverts(
      payee,
      'settle',
      [channelId, 400n, await voucher(channelId, 400n)],
      'AmountNotIncreasing',
    )
    await reverts(
      payee,
      'settle',
      [channelId, 300n, await voucher(channelId, 300n)],
      'AmountNotIncreasing',
    )
  })

  it('is for the payee only {tempo.session.escrow.access-control}', async () => {
    const { channelId } = await open(1_000n)
    const signature = await voucher(channelId, 100n)
    await reverts(payer, 'settle', [channelId, 100n, signature], 'NotPayee')
    await reverts(stranger, 'settle', [channelId, 100n, signature], 'NotPayee')
  })

  it('refuses unknown channels', async () => {
    const unknown = keccak256(toHex('unknown'))
    await reverts(payee, 'settle', [unknown, 1n, await voucher(unknown, 1n)], 'ChannelNotFound')
    await reverts(payee, 'close', [unknown, 0n, '0x'], 'ChannelNotFound')
    await reverts(payer, 'topUp', [unknown, 1n], 'ChannelNotFound')
    await reverts(payer, 'requestClose', [unknown], 'ChannelNotFound')
    await reverts(payer, 'withdraw', [unknown], 'ChannelNotFound')
  })
})

describe('off-chain verification', () => {
  it('gives the same verdict as the contract for every signature form {tempo.session.voucher.signature, tempo.session.signature.low-s, tempo.session.voucher.expected-signer}', async () => {
    const { channelId } = await open(1_000n)
    const good = await voucher(channelId, 500n)
    const { r, s, yParity } = parseSignature(good)
    const cases: Record<string, Hex> = {
      valid: good,
      compact: serializeCompactSignature(signatureToCompactSignature(parseSignature(good))),
      'high s': serializeSignature({
        r,
        s: toHex(secp256k1Order - BigInt(s), { size: 32 }),
        yParity: yParity === 0 ? 1 : 0,
      }),
      'v = 29': `${good.slice(0, -2)}1d` as Hex,
      'v = 0': `${good.slice(0, -2)}00` as Hex,
      'wrong signer': await voucher(channelId, 500n, stranger),
      'other chain': await voucher(channelId, 500n, payer, { chainId: 4217 }),
      'other escrow': await voucher(channelId, 500n, payer, {
        verifyingContract: stranger.account.address,
      }),
      truncated: good.slice(0, 100) as Hex,
      'r = 0': `0x${'00'.repeat(32)}${good.slice(66)}` as Hex,
    }
    const channel = await read('getChannel', [channelId])
    const verdicts: Record<string, [string, string]> = {}
    for (const [name, signature] of Object.entries(cases)) {
      const offChain = await Voucher.verify({
        chainId: node.chainId,
        escrow,
        channelId,
        cumulativeAmount: 500n,
        signature,
        signer: Voucher.expectedSigner(channel),
      }).then(
        () => 'accepted',
        () => 'refused',
      )
      const onChain = await node.client
        .simulateContract({
          account: payee.account,
          address: escrow,
          abi: Escrow.abi,
          functionName: 'settle',
          args: [channelId, 500n, signature],
        })
        .then(
          () => 'accepted',
          () => 'refused',
        )
      verdicts[name] = [offChain, onChain]
    }
    for (const [name, [offChain, onChain]] of Object.entries(verdicts))
      expect(offChain, name).toBe(onChain)
    expect(verdicts.valid).toEqual(['accepted', 'accepted'])
    expect(verdicts.compact).toEqual(['accepted', 'accepted'])
    expect(verdicts['high s']).toEqual(['refused', 'refused'])
  })
})

describe('topUp', () => {
  it('adds to the deposit and emits TopUp {tempo.session.escrow.functions}', async () => {
    const { channelId } = await open(1_000n)
    const before = await balances()
    const receipt = await write(payer, 'topUp', [channelId, 4_000n])
    const after = await balances()
    expect(after.payer - before.payer).toBe(-4_000n)
    expect(after.escrow - before.escrow).toBe(4_000n)
    expect((await read('getChannel', [channelId])).deposit).toBe(5_000n)
    expect(events(receipt, 'TopUp')[0]?.args).toMatchObject({
      additionalDeposit: 4_000n,
      newDeposit: 5_000n,
    })
    expect(events(receipt, 'CloseRequestCancelled')).toEqual([])
    await write(payee, 'settle', [channelId, 4_500n, await voucher(channelId, 4_500n)])
  })

  it('cancels a pending close request {tempo.session.escrow.topup-cancels-close}', async () => {
    const { channelId } = await open(1_000n)
    await write(payer, 'requestClose', [channelId])
    expect((await read('getChannel', [channelId])).closeRequestedAt).toBeGreaterThan(0n)
    const receipt = await write(payer, 'topUp', [channelId, 1n])
    expect(events(receipt, 'CloseRequestCancelled')[0]?.args).toMatchObject({ channelId })
    expect((await read('getChannel', [channelId])).closeRequestedAt).toBe(0n)
    await timeTravel(Number(Escrow.closeGracePeriod) + 60)
    await reverts(payer, 'withdraw', [channelId], 'CloseNotReady')
  })

  it('is for the payer only {tempo.session.escrow.access-control}', async () => {
    const { channelId } = await open(1_000n)
    await reverts(payee, 'topUp', [channelId, 1n], 'NotPayer')
  })
})

describe('close', () => {
  it('pays the payee, refunds the payer and finalizes {tempo.session.escrow.functions}', async () => {
    const { channelId } = await open(1_000_000n)
    await write(payee, 'settle', [channelId, 100_000n, await voucher(channelId, 100_000n)])
    const before = await balances()
    const receipt = await write(payee, 'close', [
      channelId,
      300_000n,
      await voucher(channelId, 300_000n),
    ])
    const after = await balances()
    expect(after.payee - before.payee).toBe(200_000n)
    expect(after.payer - before.payer).toBe(700_000n)
    expect(before.escrow - after.escrow).toBe(900_000n)
    expect(events(receipt, 'ChannelClosed')[0]?.args).toMatchObject({
      channelId,
      settledToPayee: 300_000n,
      refundedToPayer: 700_000n,
    })
    expect(await read('getChannel', [channelId])).toMatchObject({
      settled: 300_000n,
      finalized: true,
    })
  })

  it('at the settled amount refunds the rest without needing a signature', async () => {
    const { channelId } = await open(1_000n)
    await write(payee, 'settle', [channelId, 400n, await voucher(channelId, 400n)])
    await reverts(
      payee,
      'close',
      [channelId, 399n, await voucher(channelId, 399n)],
      'AmountNotIncreasing',
    )
    const before = await balances()
    await write(payee, 'close', [channelId, 400n, '0x'])
    const after = await balances()
    expect(after.payee - before.payee).toBe(0n)
    expect(after.payer - before.payer).toBe(600n)
  })

  it('verifies the voucher like settle does {tempo.session.escrow.low-s, tempo.session.escrow.authorized-signer}', async () => {
    const { channelId } = await open(1_000n)
    await reverts(
      payee,
      'close',
      [channelId, 500n, await voucher(channelId, 500n, stranger)],
      'InvalidSignature',
    )
    await reverts(
      payee,
      'close',
      [channelId, 1_001n, await voucher(channelId, 1_001n)],
      'AmountExceedsDeposit',
    )
    await reverts(payer, 'close', [channelId, 500n, await voucher(channelId, 500n)], 'NotPayee')
  })

  it('leaves nothing callable on a finalized channel', async () => {
    const { channelId } = await open(1_000n)
    await write(payee, 'close', [channelId, 0n, '0x'])
    await reverts(
      payee,
      'settle',
      [channelId, 10n, await voucher(channelId, 10n)],
      'ChannelFinalized',
    )
    await reverts(
      payee,
      'close',
      [channelId, 10n, await voucher(channelId, 10n)],
      'ChannelFinalized',
    )
    await reverts(payer, 'topUp', [channelId, 10n], 'ChannelFinalized')
    await reverts(payer, 'requestClose', [channelId], 'ChannelFinalized')
    await reverts(payer, 'withdraw', [channelId], 'ChannelFinalized')
  })
})

describe('forced close', () => {
  it('lets the payer withdraw the unsettled rest once the grace period has passed {tempo.session.escrow.functions, tempo.session.escrow.access-control}', async () => {
    const { channelId } = await open(1_000_000n)
    const receipt = await write(payer, 'requestClose', [channelId])
    const { timestamp } = await node.client.getBlock({ blockNumber: receipt.blockNumber })
    expect((await read('getChannel', [channelId])).closeRequestedAt).toBe(timestamp)
    expect(events(receipt, 'CloseRequested')[0]?.args).toMatchObject({
      channelId,
      closeGraceEnd: timestamp + Escrow.closeGracePeriod,
    })
    await reverts(payer, 'withdraw', [channelId], 'CloseNotReady')
    // The payee may still settle during the grace period.
    await write(payee, 'settle', [channelId, 150_000n, await voucher(channelId, 150_000n)])
    await timeTravel(600)
    await reverts(payer, 'withdraw', [channelId], 'CloseNotReady')
    await timeTravel(300)
    const before = await balances()
    const closed = await write(payer, 'withdraw', [channelId])
    const after = await balances()
    expect(after.payer - before.payer).toBe(850_000n)
    expect(after.payee - before.payee).toBe(0n)
    expect(events(closed, 'ChannelClosed')[0]?.args).toMatchObject({
      settledToPayee: 150_000n,
      refundedToPayer: 850_000n,
    })
    expect((await read('getChannel', [channelId])).finalized).toBe(true)
  })

  it('keeps the first request time when the payer asks again', async () => {
    const { channelId } = await open(1_000n)
    await write(payer, 'requestClose', [channelId])
    const first = (await read('getChannel', [channelId])).closeRequestedAt
    await timeTravel(100)
    const again = await write(payer, 'requestClose', [channelId])
    expect(events(again, 'CloseRequested')).toEqual([])
    expect((await read('getChannel', [channelId])).closeRequestedAt).toBe(first)
  })

  it('lets the payee close during the grace period', async () => {
    const { channelId } = await open(1_000n)
    await write(payer, 'requestClose', [channelId])
    await write(payee, 'close', [channelId, 250n, await voucher(channelId, 250n)])
    expect((await read('getChannel', [channelId])).finalized).toBe(true)
  })

  it('refuses withdraw without a close request, and both steps to anyone but the payer {tempo.session.escrow.access-control}', async () => {
    const { channelId } = await open(1_000n)
    await reverts(payer, 'withdraw', [channelId], 'CloseNotReady')
    await reverts(payee, 'requestClose', [channelId], 'NotPayer')
    await write(payer, 'requestClose', [channelId])
    await timeTravel(Number(Escrow.closeGracePeriod))
    await reverts(payee, 'withdraw', [channelId], 'NotPayer')
    await reverts(stranger, 'withdraw', [channelId], 'NotPayer')
  })

  it('really reverts on chain (not only in simulation)', async () => {
    const { channelId } = await open(1_000n)
    const hash = await payer.writeContract({
      address: escrow,
      abi: Escrow.abi,
      functionName: 'withdraw',
      args: [channelId],
      gas: 200_000n,
    })
    const receipt = await node.client.waitForTransactionReceipt({ hash, pollingInterval: 50 })
    expect(receipt.status).toBe('reverted')
  })
})

// ---- helpers ----

const approveAbi = [
  {
    type: 'function',
    name: 'approve',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'spender', type: 'address' },
      { name: 'amount', type: 'uint256' },
    ],
    outputs: [{ name: '', type: 'bool' }],
  },
] as const

function nextSalt(): Hex {
  saltCounter += 1
  return keccak256(toHex(`salt-${saltCounter}`))
}

async function open(deposit: bigint, authorizedSigner: Address = zeroAddress) {
  const salt = nextSalt()
  const receipt = await write(payer, 'open', [
    payee.account.address,
    token,
    deposit,
    salt,
    authorizedSigner,
  ])
  const channelId = events(receipt, 'ChannelOpened')[0]?.args.channelId
  if (channelId === undefined) throw new Error('no ChannelOpened event')
  return { channelId, receipt, salt }
}

function voucher(
  channelId: Hex,
  cumulativeAmount: bigint,
  signer: Wallet = payer,
  domain: Partial<Escrow.domain.Parameters> = {},
): Promise<Hex> {
  return signer.account.signTypedData({
    domain: Escrow.domain({ chainId: node.chainId, verifyingContract: escrow, ...domain }),
    types: Escrow.voucherTypes,
    primaryType: 'Voucher',
    message: { channelId, cumulativeAmount },
  })
}

async function balances() {
  const [payerBalance, payeeBalance, escrowBalance] = await Promise.all([
    node.balanceOf(payer.account.address, token),
    node.balanceOf(payee.account.address, token),
    node.balanceOf(escrow, token),
  ])
  return { payer: payerBalance, payee: payeeBalance, escrow: escrowBalance }
}

function read<name extends ReadName>(functionName: name, args: ReadArgs<name>) {
  return node.client.readContract({
    address: escrow,
    abi: Escrow.abi,
    functionName,
    args,
  } as never) as Promise<ReadReturn<name>>
}

type ReadName = Extract<(typeof Escrow.abi)[number], { stateMutability: 'view' | 'pure' }>['name']
type ReadArgs<name extends ReadName> = import('viem').ContractFunctionArgs<
  typeof Escrow.abi,
  'view' | 'pure',
  name
>
type ReadReturn<name extends ReadName> = import('viem').ContractFunctionReturnType<
  typeof Escrow.abi,
  'view' | 'pure',
  name
>
type WriteArgs<name extends Write> = import('viem').ContractFunctionArgs<
  typeof Escrow.abi,
  'nonpayable',
  name
>

async function write<name extends Write>(
  wallet: Wallet,
  functionName: name,
  args: WriteArgs<name>,
) {
  return send(wallet, escrow, Escrow.abi, functionName, args as readonly unknown[])
}

async function send(
  wallet: Wallet,
  address: Address,
  abi: readonly unknown[],
  functionName: string,
  args: readonly unknown[],
) {
  const hash = await wallet.writeContract({
    address,
    abi,
    functionName,
    args,
    chain: wallet.chain,
    account: wallet.account,
  } as never)
  const receipt = await node.client.waitForTransactionReceipt({ hash, pollingInterval: 50 })
  expect(receipt.status).toBe('success')
  return receipt
}

/** Asserts that the call reverts with the custom error `errorName` (and changes nothing). */
async function reverts<name extends Write>(
  wallet: Wallet,
  functionName: name,
  args: WriteArgs<name>,
  errorName: string,
): Promise<void> {
  const outcome = await node.client
    .simulateContract({
      account: wallet.account,
      address: escrow,
      abi: Escrow.abi,
      functionName,
      args,
    } as never)
    .then(
      () => 'no revert',
      (error: unknown) => {
        const reverted =
          error instanceof BaseError
            ? error.walk((cause) => cause instanceof ContractFunctionRevertedError)
            : undefined
        return reverted instanceof ContractFunctionRevertedError
          ? (reverted.data?.errorName ?? 'revert without data')
          : String(error)
      },
    )
  expect(outcome).toBe(errorName)
}

function events<
  name extends
    | 'ChannelOpened'
    | 'Settled'
    | 'CloseRequested'
    | 'CloseRequestCancelled'
    | 'TopUp'
    | 'ChannelClosed',
>(receipt: { logs: import('viem').Log[] }, eventName: name) {
  return parseEventLogs({ abi: Escrow.abi, logs: receipt.logs, eventName })
}

async function timeTravel(seconds: number): Promise<void> {
  await node.client.request({ method: 'evm_increaseTime', params: [seconds] } as never)
  await node.client.request({ method: 'evm_mine', params: [] } as never)
}
