// A local Tempo node with paywire's escrow deployed, and the helpers the session tests
// share: channels opened on chain by the payer, vouchers it signs, balances on chain.
// Channels hold AlphaUSD, so fees (pathUSD) do not blur the balances.

import type { Store } from '@paywire/core'
import { Escrow } from '@paywire/escrow'
import { MemoryStore } from '@paywire/store-memory'
import { TempoNode } from '@paywire/testkit'
import {
  type Account,
  type Address,
  type Chain,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  keccak256,
  type TransactionReceipt,
  type Transport,
  toHex,
  type WalletClient,
  zeroAddress,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { expect } from 'vitest'
import * as EscrowChain from '../src/EscrowChain.js'
import * as Sessions from '../src/Sessions.js'

export const token: Address = '0x20c0000000000000000000000000000000000001'

export type Wallet = WalletClient<Transport, Chain, Account>

export type Fixture = {
  node: TempoNode.TempoNode
  escrow: Address
  payer: Wallet
  payee: Wallet
  stranger: Wallet
  chain: EscrowChain.EscrowChain
  mined(hash: Promise<Hex>): Promise<TransactionReceipt>
  sessions(
    store?: Store.Store,
    options?: Omit<Partial<Sessions.create.Parameters>, 'store'>,
  ): Sessions.Sessions
  openOnChain(deposit: bigint, to?: Address): Promise<Hex>
  sign(
    channelId: Hex,
    cumulativeAmount: bigint,
    signer?: Wallet,
  ): Promise<{ cumulativeAmount: bigint; signature: Hex }>
  balances(): Promise<{ payer: bigint; payee: bigint; escrow: bigint }>
}

/** Starts a node, deploys the escrow and lets the payer's AlphaUSD be pulled by it. */
export async function setUp(): Promise<Fixture> {
  const node = await TempoNode.start()
  const tempo = defineChain({
    id: node.chainId,
    name: 'Tempo (local)',
    nativeCurrency: { name: 'USD', symbol: 'USD', decimals: 18 },
    rpcUrls: { default: { http: [node.rpcUrl] } },
  })
  const wallets: Wallet[] = node.accounts.slice(0, 4).map((account) =>
    createWalletClient({
      account: privateKeyToAccount(account.privateKey),
      chain: tempo,
      transport: http(node.rpcUrl),
    }),
  )
  const [deployer, payer, payee, stranger] = wallets as [Wallet, Wallet, Wallet, Wallet]
  const mined = async (hash: Promise<Hex>) => {
    const receipt = await node.client.waitForTransactionReceipt({
      hash: await hash,
      pollingInterval: 50,
    })
    expect(receipt.status).toBe('success')
    return receipt
  }
  const deployed = await mined(
    deployer.deployContract({ abi: Escrow.abi, bytecode: Escrow.bytecode }),
  )
  const escrow = deployed.contractAddress
  if (escrow == null) throw new Error('escrow was not deployed')
  await mined(
    payer.writeContract({
      address: token,
      abi: approveAbi,
      functionName: 'approve',
      args: [escrow, 2n ** 128n - 1n],
    }),
  )
  const chain = EscrowChain.fromViem({
    publicClient: node.client,
    walletClient: payee,
    escrow,
    pollingInterval: 50,
  })
  let saltCounter = 0
  return {
    node,
    escrow,
    payer,
    payee,
    stranger,
    chain,
    mined,
    /** A session server over a fresh in-memory store (and `options` such as a schedule). */
    sessions: (store: Store.Store = MemoryStore.create(), options = {}) =>
      Sessions.create({ store, chain, payee: payee.account.address, currency: token, ...options }),
    /** Opens a channel on chain from the payer (to the payee unless told otherwise). */
    async openOnChain(deposit: bigint, to: Address = payee.account.address): Promise<Hex> {
      saltCounter += 1
      const salt = keccak256(toHex(`session-salt-${saltCounter}`))
      await mined(
        payer.writeContract({
          address: escrow,
          abi: Escrow.abi,
          functionName: 'open',
          args: [to, token, deposit, salt, zeroAddress],
        }),
      )
      return node.client.readContract({
        address: escrow,
        abi: Escrow.abi,
        functionName: 'computeChannelId',
        args: [payer.account.address, to, token, salt, zeroAddress],
      })
    },
    /** A voucher signed by the payer (or `signer`). */
    async sign(channelId: Hex, cumulativeAmount: bigint, signer: Wallet = payer) {
      const signature = await signer.account.signTypedData?.({
        domain: Escrow.domain({ chainId: node.chainId, verifyingContract: escrow }),
        types: Escrow.voucherTypes,
        primaryType: 'Voucher',
        message: { channelId, cumulativeAmount },
      })
      if (signature === undefined) throw new Error('the account cannot sign typed data')
      return { cumulativeAmount, signature }
    },
    /** AlphaUSD balances of the payer, the payee and the escrow. */
    async balances() {
      const [payerBalance, payeeBalance, escrowBalance] = await Promise.all([
        node.balanceOf(payer.account.address, token),
        node.balanceOf(payee.account.address, token),
        node.balanceOf(escrow, token),
      ])
      return { payer: payerBalance, payee: payeeBalance, escrow: escrowBalance }
    },
  }
}

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
