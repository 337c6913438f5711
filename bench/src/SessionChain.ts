// The chain side of the sessions scenario: a local Tempo node (anvil) with paywire's escrow,
// channels opened on it by a payer, and vouchers that payer signs ahead of the load (with
// @noble/curves on the EIP-712 digest, the signature viem's signTypedData makes).
import { secp256k1 } from '@noble/curves/secp256k1'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { Escrow, Voucher } from '@paywire/escrow'
import { TempoNode } from '@paywire/testkit'
import {
  type Address,
  createWalletClient,
  defineChain,
  erc20Abi,
  type Hex,
  http,
  keccak256,
  toHex,
  zeroAddress,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'

/** AlphaUSD: channels hold it, so fees (pathUSD) do not mix with channel funds. */
export const token: Address = '0x20c0000000000000000000000000000000000001'

/** A node with the escrow deployed and a payer allowed to fund channels from it. */
export type Chain = {
  node: TempoNode.TempoNode
  escrow: Address
  payerKey: Hex
  payeeKey: Hex
  payee: Address
  /** Opens a channel to the payee holding `deposit`; resolves to its id. */
  open(deposit: bigint): Promise<Hex>
  /** The payer's voucher for `cumulativeAmount` on `channelId`. */
  sign(channelId: Hex, cumulativeAmount: bigint): Hex
  stop(): void
}

/** Starts a node, deploys the escrow and lets the payer's AlphaUSD be pulled by it. */
export async function start(): Promise<Chain> {
  const node = await TempoNode.start()
  const chain = defineChain({
    id: node.chainId,
    name: 'Tempo (local)',
    nativeCurrency: { name: 'USD', symbol: 'USD', decimals: 18 },
    rpcUrls: { default: { http: [node.rpcUrl] } },
  })
  const [deployerAccount, payerAccount, payeeAccount] = node.accounts as [
    TempoNode.Account,
    TempoNode.Account,
    TempoNode.Account,
  ]
  const wallet = (key: Hex) =>
    createWalletClient({ account: privateKeyToAccount(key), chain, transport: http(node.rpcUrl) })
  const deployer = wallet(deployerAccount.privateKey)
  const payer = wallet(payerAccount.privateKey)
  const mined = async (hash: Promise<Hex>) => {
    const receipt = await node.client.waitForTransactionReceipt({
      hash: await hash,
      pollingInterval: 50,
    })
    if (receipt.status !== 'success') throw new Error('a setup transaction reverted')
    return receipt
  }
  const deployed = await mined(
    deployer.deployContract({ abi: Escrow.abi, bytecode: Escrow.bytecode }),
  )
  const escrow = deployed.contractAddress as Address
  await mined(
    payer.writeContract({
      address: token,
      abi: erc20Abi,
      functionName: 'approve',
      args: [escrow, 2n ** 128n - 1n],
    }),
  )
  const payerSecret = hexToBytes(payerAccount.privateKey.slice(2))
  let salts = 0
  return {
    node,
    escrow,
    payerKey: payerAccount.privateKey,
    payeeKey: payeeAccount.privateKey,
    payee: payeeAccount.address,
    async open(deposit) {
      salts += 1
      const salt = keccak256(toHex(`bench-session-${salts}`))
      await mined(
        payer.writeContract({
          address: escrow,
          abi: Escrow.abi,
          functionName: 'open',
          args: [payeeAccount.address, token, deposit, salt, zeroAddress],
        }),
      )
      return node.client.readContract({
        address: escrow,
        abi: Escrow.abi,
        functionName: 'computeChannelId',
        args: [payerAccount.address, payeeAccount.address, token, salt, zeroAddress],
      }) as Promise<Hex>
    },
    sign(channelId, cumulativeAmount) {
      const digest = Voucher.digest({ chainId: node.chainId, escrow, channelId, cumulativeAmount })
      const signature = secp256k1.sign(hexToBytes(digest.slice(2)), payerSecret)
      return `0x${bytesToHex(signature.toCompactRawBytes())}${(27 + signature.recovery).toString(16)}`
    },
    stop: () => node.stop(),
  }
}
