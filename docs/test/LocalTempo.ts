// The local Tempo node that the docs blocks marked `fixture=tempo-*` share: started once per
// test run by the snippet test (`start`), with paywire's escrow deployed and, for each block,
// a fresh payee and payer (`accounts`), handed to the block's process in one environment
// variable and read back there by its fixture (`fromEnv`). Chain id 4217, as Tempo's mainnet,
// so that blocks written for it run unchanged.
import { Escrow } from '@paywire/escrow'
import { TempoNode } from '@paywire/testkit'
import {
  type Account,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'

/** AlphaUSD, the TIP-20 stablecoin the guides' channels hold (fees stay in pathUSD). */
export const alphaUsd: Address = '0x20c0000000000000000000000000000000000001'
/** The chain id the node runs with. */
export const chainId = 4217
/** The environment variable that carries a block's `Env` to its process. */
export const variable = 'PAYWIRE_DOCS_TEMPO'

/** What a block's process gets: the node, the escrow and two accounts of its own. */
export type Env = {
  rpcUrl: string
  escrow: Address
  /** Holds pathUSD and the node's ETH for gas: it receives, settles and closes. */
  payee: TempoNode.Account
  /** Holds 1.00 AlphaUSD (and pathUSD for gas): it opens channels and pays. */
  payer: TempoNode.Account
  /** A dev account holding every fee token, for blocks that sponsor fees (it sends nothing). */
  sponsor: TempoNode.Account
}

export type Wallet = WalletClient<Transport, Chain, Account>

/** The shared node, started by the snippet test. */
export type LocalTempo = {
  node: TempoNode.TempoNode
  escrow: Address
  /** A fresh payee and payer for one block, as the value of `variable`. */
  accounts(): Promise<string>
}

/** Starts the node and deploys the escrow (as a user does once per chain). */
export async function start(): Promise<LocalTempo> {
  const node = await TempoNode.start({ args: ['--chain-id', String(chainId)] })
  try {
    const deployer = wallet(node.rpcUrl, (node.accounts[0] as TempoNode.Account).privateKey)
    const deployed = await node.client.waitForTransactionReceipt({
      hash: await deployer.deployContract({ abi: Escrow.abi, bytecode: Escrow.bytecode }),
      pollingInterval: 50,
    })
    const escrow = deployed.contractAddress
    if (escrow == null) throw new Error('the escrow was not deployed')
    return {
      node,
      escrow,
      async accounts() {
        const payee = await node.newAccount()
        // Like anvil's dev accounts, whose keys the node's own tests use as payees: the
        // node charges the gas of plain (not 0x76) transactions, such as settle, in ETH.
        await node.client.request({
          method: 'anvil_setBalance' as 'eth_chainId',
          params: [payee.address, '0x56bc75e2d63100000'] as never,
        })
        const payer = await node.newAccount()
        await node.fund({ to: payer.address, amount: 1_000_000n, token: alphaUsd })
        const sponsor = node.accounts[1] as TempoNode.Account
        const env: Env = { rpcUrl: node.rpcUrl, escrow, payee, payer, sponsor }
        return JSON.stringify(env)
      },
    }
  } catch (error) {
    await node.stop()
    throw error
  }
}

/** What a block's fixture builds on: the node, clients on it and the block's accounts. */
export type Local = Env & {
  chainId: number
  publicClient: PublicClient
  payeeWallet: Wallet
  payerWallet: Wallet
  /** The TIP-20 balance of `owner` in `token` (AlphaUSD unless told). */
  balanceOf(owner: Address, token?: Address): Promise<bigint>
}

/** In a block's process: the node, clients on it and the block's accounts. */
export function fromEnv(): Local {
  const value = process.env[variable]
  if (value === undefined)
    throw new Error(`${variable} is not set: run the block through the snippet test`)
  const env = JSON.parse(value) as Env
  const publicClient: PublicClient = createPublicClient({
    chain: chainOf(env.rpcUrl),
    transport: http(env.rpcUrl),
    pollingInterval: 50,
  })
  return {
    ...env,
    chainId,
    publicClient,
    payeeWallet: wallet(env.rpcUrl, env.payee.privateKey),
    payerWallet: wallet(env.rpcUrl, env.payer.privateKey),
    balanceOf: (owner: Address, token: Address = alphaUsd) =>
      publicClient.readContract({
        address: token,
        abi: balanceAbi,
        functionName: 'balanceOf',
        args: [owner],
      }),
  }
}

function chainOf(rpcUrl: string) {
  return defineChain({
    id: chainId,
    name: 'Tempo (local)',
    nativeCurrency: { name: 'USD', symbol: 'USD', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  })
}

function wallet(rpcUrl: string, privateKey: Hex): Wallet {
  return createWalletClient({
    account: privateKeyToAccount(privateKey),
    chain: chainOf(rpcUrl),
    transport: http(rpcUrl),
  })
}

const balanceAbi = [
  {
    type: 'function',
    name: 'balanceOf',
    stateMutability: 'view',
    inputs: [{ name: 'owner', type: 'address' }],
    outputs: [{ type: 'uint256' }],
  },
] as const
