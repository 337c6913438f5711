// The local chain of the example: a Tempo node from @paywire/testkit with paywire's escrow
// deployed, a seller (a dev account, which pays the gas of settle and close) and an agent
// holding AlphaUSD. Against a real network, use the escrow's published address and your keys.
import { Escrow } from '@paywire/escrow'
import { TempoNode } from '@paywire/testkit'
import {
  type Account,
  type Address,
  type Chain,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type Transport,
  type WalletClient,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'

/** AlphaUSD, a TIP-20 stablecoin of every Tempo node (fees stay in pathUSD). */
export const alphaUsd: Address = '0x20c0000000000000000000000000000000000001'

/** A viem wallet with its account and chain. */
export type Wallet = WalletClient<Transport, Chain, Account>

export type LocalChain = {
  node: TempoNode.TempoNode
  escrow: Address
  seller: TempoNode.Account
  /** A viem wallet on the node for `privateKey`. */
  wallet(privateKey: Hex): Wallet
  /** A fresh agent holding `amount` base units of AlphaUSD (and pathUSD for fees). */
  newAgent(amount: bigint): Promise<TempoNode.Account>
}

function walletFor(node: TempoNode.TempoNode, privateKey: Hex): Wallet {
  const chain = defineChain({
    id: node.chainId,
    name: 'Tempo (local)',
    nativeCurrency: { name: 'USD', symbol: 'USD', decimals: 18 },
    rpcUrls: { default: { http: [node.rpcUrl] } },
  })
  return createWalletClient({ account: privateKeyToAccount(privateKey), chain, transport: http() })
}

/** Starts a node and deploys the escrow. */
export async function start(): Promise<LocalChain> {
  const node = await TempoNode.start()
  try {
    const deployer = walletFor(node, (node.accounts[0] as TempoNode.Account).privateKey)
    const deployed = await node.client.waitForTransactionReceipt({
      hash: await deployer.deployContract({ abi: Escrow.abi, bytecode: Escrow.bytecode }),
      pollingInterval: 50,
    })
    if (deployed.contractAddress == null) throw new Error('the escrow was not deployed')
    return {
      node,
      escrow: deployed.contractAddress,
      seller: node.accounts[2] as TempoNode.Account,
      wallet: (privateKey) => walletFor(node, privateKey),
      async newAgent(amount) {
        const agent = await node.newAccount()
        await node.fund({ to: agent.address, amount, token: alphaUsd })
        return agent
      },
    }
  } catch (error) {
    await node.stop()
    throw error
  }
}
