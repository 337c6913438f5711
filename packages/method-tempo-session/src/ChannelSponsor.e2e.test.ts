// Server-paid fees of channel transactions over real HTTP on a local Tempo node (one node
// for this file): a payer holding no fee token opens and tops up under sponsoring
// challenges, paying exactly its deposits while the sponsor pays the fees; a placeholder
// transaction that fails a check, a sponsor short of fee-token balance and a fee over the
// sponsor's cap are refused with nothing co-signed or broadcast; challenges without
// sponsorship keep refusing placeholder transactions.
import { Client as PayingClient } from '@paywire/client'
import { Challenge, Credential, Secret } from '@paywire/core'
import { Escrow } from '@paywire/escrow'
import { FeePayer, Chain as TempoChain } from '@paywire/method-tempo'
import { Paywire } from '@paywire/server'
import { listener } from '@paywire/server/node'
import { MemoryStore } from '@paywire/store-memory'
import { TempoNode } from '@paywire/testkit'
import { Secp256k1 } from 'ox'
import { TxEnvelopeTempo } from 'ox/tempo'
import {
  type Address,
  encodeAbiParameters,
  encodeFunctionData,
  type Hex,
  keccak256,
  parseAbi,
  toHex,
  zeroAddress,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Api from '../test/api.js'
import { type Fixture, setUp, token } from '../test/fixtures.js'
import * as ChannelSponsor from './ChannelSponsor.js'
import * as SessionClient from './Client.js'
import * as Server from './Server.js'
import type * as SessionRequest from './SessionRequest.js'

/** The sponsor's fee token: BetaUSD, neither the channel token nor pathUSD. */
const feeToken: Address = '0x20c0000000000000000000000000000000000002'

let fixture: Fixture
let api: { origin: string; url(path: string): string; close(): Promise<void> }
let sessions: ReturnType<Fixture['sessions']>
let chain: TempoChain.Chain
/** The sponsors of the routes, with how many transactions each has co-signed. */
const sponsors: Record<
  string,
  { address: Address; sponsor: ChannelSponsor.ChannelSponsor; readonly cosigned: number }
> = {}

/** A fee payer whose co-signatures are counted: a sponsor that refuses counts none. */
async function sponsorOf(path: string, options: { balance: bigint; maxFeePerPayment: bigint }) {
  const privateKey = generatePrivateKey()
  const address = privateKeyToAccount(privateKey).address
  if (options.balance > 0n)
    await fixture.node.fund({ to: address, amount: options.balance, token: feeToken })
  const feePayer = FeePayer.from({
    privateKey,
    feeToken,
    maxFeePerPayment: options.maxFeePerPayment,
    budget: 100_000_000n,
  })
  let cosigned = 0
  const sponsor = ChannelSponsor.from({
    feePayer: {
      ...feePayer,
      spent: feePayer.spent,
      async sponsor(parameters) {
        const sponsorship = await feePayer.sponsor(parameters)
        cosigned += 1
        return sponsorship
      },
    },
    chain,
  })
  sponsors[path] = {
    address,
    sponsor,
    get cosigned() {
      return cosigned
    },
  }
  return sponsor
}

beforeAll(async () => {
  fixture = await setUp()
  sessions = fixture.sessions()
  chain = TempoChain.fromRpc({ rpcUrl: fixture.node.rpcUrl, chainId: fixture.node.chainId })
  const methodWith = (feePayer: ChannelSponsor.ChannelSponsor | undefined) =>
    Server.server({
      sessions,
      chainId: fixture.node.chainId,
      escrow: fixture.escrow,
      currency: token,
      recipient: fixture.payee.account.address,
      feePayer,
    })
  const routes = {
    '/sponsored': methodWith(
      await sponsorOf('/sponsored', { balance: 10_000_000n, maxFeePerPayment: 1_000_000n }),
    ),
    // Holds 0.001 BetaUSD: less than the worst-case fee of an open (about 0.06).
    '/poor': methodWith(
      await sponsorOf('/poor', { balance: 1_000n, maxFeePerPayment: 1_000_000n }),
    ),
    // Pays at most 0.001 for one transaction.
    '/capped': methodWith(
      await sponsorOf('/capped', { balance: 10_000_000n, maxFeePerPayment: 1_000n }),
    ),
    '/plain': methodWith(undefined),
  }
  const server = await Api.listen()
  const { port, baseUrl: url, close } = server
  for (const [path, method] of Object.entries(routes))
    server.handlers[path] = listener(
      Paywire.create({
        realm: `127.0.0.1:${port}`,
        secret: Secret.generate(),
        methods: [method],
        store: MemoryStore.create(),
      }),
      { price: { amount: '10', suggestedDeposit: '3000' } },
      (_request, payment) => Response.json({ channelId: payment.receipt?.reference }),
    )
  api = { origin: `http://127.0.0.1:${port}`, url: (path) => `${url}${path}`, close }
}, 60_000)

afterAll(async () => {
  await api?.close()
  await fixture?.node.stop()
})

/** A payer holding the channel token only (no pathUSD, no BetaUSD), under a paying client. */
async function agent() {
  const privateKey = generatePrivateKey()
  const address = privateKeyToAccount(privateKey).address
  await fixture.node.fund({ to: address, amount: 100_000n, token })
  const session = SessionClient.client({
    privateKey,
    client: fixture.node.client,
    chainId: fixture.node.chainId,
    escrow: fixture.escrow,
    currency: token,
    store: MemoryStore.create(),
    maxDeposit: 20_000n,
  })
  const paying = PayingClient.create({
    methods: [session],
    policy: {
      currencies: { [token]: { maxAmount: '5000' } },
      budgets: [{ currency: token, amount: '10000', window: 'day', scope: 'total' }],
    },
    store: MemoryStore.create(),
    insecureOrigins: [api.origin],
  })
  const nonce = () => fixture.node.client.getTransactionCount({ address, blockTag: 'pending' })
  return { privateKey, address, session, paying, nonce }
}

/** What a sponsor holds and has done: its fee-token balance, nonce and co-signatures. */
async function sponsorState(path: string) {
  const { address, cosigned } = sponsors[path] as (typeof sponsors)[string]
  return {
    balance: await fixture.node.balanceOf(address, feeToken),
    nonce: await fixture.node.client.getTransactionCount({ address, blockTag: 'pending' }),
    cosigned,
  }
}

async function challengeOf(path: string) {
  const offered = await fetch(api.url(path))
  expect(offered.status).toBe(402)
  const challenge = Challenge.deserializeList(
    offered.headers.get('www-authenticate') as string,
  )[0] as Challenge.Challenge
  return { challenge, request: Challenge.decodeRequest(challenge) as SessionRequest.SessionRequest }
}

/** Sends a credential with `payload` for a fresh challenge of `path`. */
async function send(path: string, payload: Record<string, unknown>, method = 'GET') {
  const { challenge } = await challengeOf(path)
  return fetch(api.url(path), {
    method,
    headers: { authorization: Credential.toAuthorization(Credential.from({ challenge, payload })) },
  })
}

const erc20 = parseAbi(['function approve(address spender, uint256 amount) returns (bool)'])

/**
 * An open signed by `privateKey`, with the fee payer placeholder unless `ownFees`, and the
 * changes `tamper` asks for; with the payload that carries it.
 */
async function openPayload(
  privateKey: Hex,
  tamper: { payee?: Address; approve?: bigint; ownFees?: boolean; voucherBy?: Hex } = {},
) {
  const account = privateKeyToAccount(privateKey)
  const payee = tamper.payee ?? fixture.payee.account.address
  const deposit = 3_000n
  const salt = keccak256(toHex(`sponsored-${generatePrivateKey()}`))
  const block = await fixture.node.client.getBlock()
  const envelope = TxEnvelopeTempo.from({
    chainId: fixture.node.chainId,
    calls: [
      {
        to: token,
        data: encodeFunctionData({
          abi: erc20,
          functionName: 'approve',
          args: [fixture.escrow, tamper.approve ?? deposit],
        }),
      },
      {
        to: fixture.escrow,
        data: encodeFunctionData({
          abi: Escrow.abi,
          functionName: 'open',
          args: [payee, token, deposit, salt, zeroAddress],
        }),
      },
    ],
    nonce: BigInt(
      await fixture.node.client.getTransactionCount({
        address: account.address,
        blockTag: 'pending',
      }),
    ),
    nonceKey: 0n,
    gas: 3_000_000n,
    maxFeePerGas: (block.baseFeePerGas ?? 1n) * 2n,
    maxPriorityFeePerGas: 0n,
    ...(tamper.ownFees ? { feeToken: TempoNode.pathUsd } : { feePayerSignature: null }),
  })
  const signature = Secp256k1.sign({
    payload: TxEnvelopeTempo.getSignPayload(envelope),
    privateKey,
  })
  const transaction = TxEnvelopeTempo.serialize(envelope, { signature }) as Hex
  const channelId = keccak256(
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
        account.address,
        payee,
        token,
        salt,
        zeroAddress,
        fixture.escrow,
        BigInt(fixture.node.chainId),
      ],
    ),
  )
  const voucherSigner = privateKeyToAccount(tamper.voucherBy ?? privateKey)
  const voucher = await voucherSigner.signTypedData({
    domain: Escrow.domain({ chainId: fixture.node.chainId, verifyingContract: fixture.escrow }),
    types: Escrow.voucherTypes,
    primaryType: 'Voucher',
    message: { channelId, cumulativeAmount: 0n },
  })
  return {
    channelId,
    payload: {
      action: 'open',
      type: 'transaction',
      channelId,
      transaction,
      cumulativeAmount: '0',
      signature: voucher,
    },
  }
}

const onChain = (channelId: Hex) =>
  fixture.node.client.readContract({
    address: fixture.escrow,
    abi: Escrow.abi,
    functionName: 'getChannel',
    args: [channelId],
  })

describe('sponsored channel transactions', () => {
  it('offers fee sponsorship only with a feePayer, and refuses a sponsoring price without one', async () => {
    expect((await challengeOf('/sponsored')).request.methodDetails.feePayer).toBe(true)
    expect((await challengeOf('/plain')).request.methodDetails).not.toHaveProperty('feePayer')
    const options = {
      sessions,
      chainId: fixture.node.chainId,
      escrow: fixture.escrow,
      currency: token,
      recipient: fixture.payee.account.address,
    }
    const sponsoring = Server.server({ ...options, feePayer: sponsors['/sponsored']?.sponsor })
    const optedOut = (await sponsoring.request({
      amount: '10',
      feePayer: false,
    })) as SessionRequest.SessionRequest
    expect(optedOut.methodDetails).not.toHaveProperty('feePayer')
    expect(() => Server.server(options).request({ amount: '10', feePayer: true })).toThrow(
      Server.FeePayerMissingError,
    )
  })

  it('co-signs and broadcasts a checked open and top-up: the payer pays exactly its deposits, the sponsor the fees {tempo.session.open.transaction, tempo.session.topup.transaction, tempo.session.fees.any-usd-token}', async () => {
    const { address, session, paying, nonce } = await agent()
    const before = {
      payer: await fixture.node.balanceOf(address, token),
      sponsor: await sponsorState('/sponsored'),
    }
    const spentBefore = sponsors['/sponsored']?.sponsor.spent() ?? 0n

    const opened = await paying.fetch(api.url('/sponsored'))
    expect(opened.response.status).toBe(200)
    const { channelId } = (await opened.response.json()) as { channelId: Hex }
    const receipt = await session.topUp({ url: api.url('/sponsored'), channelId, amount: 1_500n })
    expect(receipt).toMatchObject({ reference: channelId, intent: 'session' })

    expect((await onChain(channelId)).deposit).toBe(4_500n)
    expect((await sessions.read(channelId)).deposit).toBe(4_500n)
    // The payer's two transactions were mined, and it paid the deposits and nothing else.
    expect(await nonce()).toBe(2)
    expect(before.payer - (await fixture.node.balanceOf(address, token))).toBe(4_500n)
    expect(await fixture.node.balanceOf(address, TempoNode.pathUsd)).toBe(0n)
    expect(await fixture.node.balanceOf(address, feeToken)).toBe(0n)
    // The sponsor co-signed both and paid their fees in BetaUSD, as counted from the receipts.
    const after = await sponsorState('/sponsored')
    expect(after.cosigned - before.sponsor.cosigned).toBe(2)
    const fees = before.sponsor.balance - after.balance
    expect(fees).toBeGreaterThan(0n)
    expect((sponsors['/sponsored']?.sponsor.spent() ?? 0n) - spentBefore).toBe(fees)
    expect(after.nonce).toBe(before.sponsor.nonce)

    // A top-up whose credential claims more than its transaction adds: refused, not co-signed.
    const topUp = await session.payer.topUp(channelId, 500n, { feePayer: true })
    const claimed = await send(
      '/sponsored',
      {
        action: 'topUp',
        type: 'transaction',
        channelId,
        transaction: topUp.transaction,
        additionalDeposit: '600',
      },
      'HEAD',
    )
    expect(claimed.status).toBe(402)
    expect(await nonce()).toBe(2)
    expect(await sponsorState('/sponsored')).toEqual(after)
    expect((await onChain(channelId)).deposit).toBe(4_500n)
  }, 120_000)

  it.each([
    ['an open paying another payee', { payee: '0x000000000000000000000000000000000000dEaD' }],
    ['an approval above the deposit', { approve: 10n ** 12n }],
    ['a transaction paying its own fees', { ownFees: true }],
    ['a voucher not signed by the payer', { voucherBy: generatePrivateKey() }],
  ] as const)(
    'refuses %s before co-signing: nothing broadcast, nothing paid {tempo.session.fees.validate-before-cosign}',
    async (_name, tamper) => {
      const { privateKey, address, nonce } = await agent()
      const before = await sponsorState('/sponsored')
      const { channelId, payload } = await openPayload(privateKey, tamper)
      const refused = await send('/sponsored', payload)
      expect(refused.status).toBe(402)
      expect(await nonce()).toBe(0)
      expect(await sponsorState('/sponsored')).toEqual(before)
      expect((await onChain(channelId)).payer).toBe(zeroAddress)
      expect(await fixture.node.balanceOf(address, token)).toBe(100_000n)
    },
    60_000,
  )

  it("refuses an open whose payer cannot fund the deposit, before co-signing: its transaction would revert at the sponsor's cost", async () => {
    const privateKey = generatePrivateKey()
    const address = privateKeyToAccount(privateKey).address
    await fixture.node.fund({ to: address, amount: 2_999n, token })
    const before = await sponsorState('/sponsored')
    const { channelId, payload } = await openPayload(privateKey)
    const refused = await send('/sponsored', payload)
    expect(refused.status).toBe(402)
    expect(await refused.json()).toMatchObject({
      detail: expect.stringContaining('less than the 3000 it deposits'),
    })
    expect(await fixture.node.client.getTransactionCount({ address })).toBe(0)
    expect(await sponsorState('/sponsored')).toEqual(before)
    expect((await onChain(channelId)).payer).toBe(zeroAddress)
  })

  it('keeps refusing a placeholder transaction under a challenge without sponsorship', async () => {
    const { privateKey, nonce } = await agent()
    const { channelId, payload } = await openPayload(privateKey)
    const refused = await send('/plain', payload)
    expect(refused.status).toBe(402)
    expect(await refused.json()).toMatchObject({
      type: 'https://paymentauth.org/problems/verification-failed',
      detail: expect.stringContaining('fee sponsorship was not offered'),
    })
    expect(await nonce()).toBe(0)
    expect((await onChain(channelId)).payer).toBe(zeroAddress)
  })

  it('refuses an open its sponsor cannot pay for from its fee-token balance, with nothing signed or broadcast {tempo.session.fees.sponsor-balance}', async () => {
    const { address, paying, nonce } = await agent()
    const before = await sponsorState('/poor')
    const refused = await paying.fetch(api.url('/poor'))
    expect(refused.response.status).toBe(402)
    expect(await refused.response.json()).toMatchObject({
      type: 'https://paymentauth.org/problems/verification-failed',
      detail: expect.stringContaining('fee sponsorship refused (balance)'),
    })
    expect(await nonce()).toBe(0)
    expect(await fixture.node.balanceOf(address, token)).toBe(100_000n)
    expect(await sponsorState('/poor')).toEqual({ ...before, cosigned: 0 })
  }, 60_000)

  it('refuses an open whose worst-case fee exceeds the sponsor cap, with nothing signed or broadcast', async () => {
    const { address, paying, nonce } = await agent()
    const before = await sponsorState('/capped')
    const refused = await paying.fetch(api.url('/capped'))
    expect(refused.response.status).toBe(402)
    expect(await refused.response.json()).toMatchObject({
      type: 'https://paymentauth.org/problems/verification-failed',
      detail: expect.stringContaining('fee sponsorship refused (max-fee)'),
    })
    expect(await nonce()).toBe(0)
    expect(await fixture.node.balanceOf(address, token)).toBe(100_000n)
    expect(await sponsorState('/capped')).toEqual({ ...before, cosigned: 0 })
  }, 60_000)
})
