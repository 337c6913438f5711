// Client-side transfers built by hand, for the cases a well-behaved client never sends:
// unbound calldata, another challenge's hash, another amount, a high-s signature.

import type { EvmNode } from '@paywire/testkit'
import {
  encodeFunctionData,
  type Hex,
  parseTransaction,
  serializeTransaction,
  type TransactionSerializedEIP1559,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import * as Binding from '../src/Binding.js'
import type { World } from './fixtures.js'

const order = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

/** A signed EIP-1559 transaction from `account` calling the token with `data`. */
export async function signed(
  world: World,
  account: EvmNode.Account,
  data: Hex,
  overrides: { chainId?: number; to?: Hex } = {},
): Promise<Hex> {
  const nonce = await world.node.client.getTransactionCount({
    address: account.address,
    blockTag: 'pending',
  })
  return privateKeyToAccount(account.privateKey).signTransaction({
    type: 'eip1559',
    chainId: overrides.chainId ?? world.node.chainId,
    nonce,
    to: overrides.to ?? world.token.address,
    data,
    value: 0n,
    gas: 120_000n,
    maxFeePerGas: 20_000_000_000n,
    maxPriorityFeePerGas: 1_000_000_000n,
  })
}

/** `transfer(recipient, amount)` calldata without any binding. */
export function unbound(recipient: Hex, amount: bigint): Hex {
  return encodeFunctionData({
    abi: Binding.erc20Abi,
    functionName: 'transfer',
    args: [recipient, amount],
  })
}

/** The same transaction with its signature's s flipped to the high half (still valid ECDSA). */
export function highS(serialized: Hex): Hex {
  const transaction = parseTransaction(serialized as TransactionSerializedEIP1559)
  const s = order - BigInt(transaction.s as Hex)
  return serializeTransaction({ ...transaction, type: 'eip1559' } as never, {
    r: transaction.r as Hex,
    s: `0x${s.toString(16).padStart(64, '0')}`,
    yParity: transaction.yParity === 0 ? 1 : 0,
  })
}
