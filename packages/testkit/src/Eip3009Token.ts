// A test stablecoin on a local EVM node: contracts/Eip3009Token.sol (an OpenZeppelin
// ERC-20 with the EIP-3009 transfer/receive/cancel-with-authorization functions), compiled
// here. `deploy` puts one on a node with the name and version of its EIP-712 domain.
import { type Address, encodeAbiParameters, encodeFunctionData, getAddress, type Hex } from 'viem'
import type * as EvmNode from './EvmNode.js'
import * as artifacts from './internal/eip3009TokenArtifacts.js'

/**
 * The token's ABI (ERC-20, EIP-3009, `version()`, `mint`, `authorizationState`, errors).
 *
 * @example
 * ```ts
 * import { Eip3009Token } from '@paywire/testkit'
 * Eip3009Token.abi.some((item) => item.type === 'function' && item.name === 'transferWithAuthorization') // true
 * ```
 */
export const abi = artifacts.abi

/**
 * The token's creation bytecode (constructor: name, symbol, version, decimals, minter).
 *
 * @example
 * ```ts
 * import { Eip3009Token } from '@paywire/testkit'
 * Eip3009Token.bytecode.startsWith('0x') // true
 * ```
 */
export const bytecode: Hex = artifacts.bytecode

/** A deployed token. */
export type Token = {
  readonly address: Address
  /** `name()`: the EIP-712 domain name. */
  readonly name: string
  /** `version()`: the EIP-712 domain version. */
  readonly version: string
  readonly decimals: number
  /** The account allowed to mint. */
  readonly minter: EvmNode.Account
  /** Balance of `owner` in base units. */
  balanceOf(owner: Address): Promise<bigint>
  /** Mints `amount` base units to `to` and waits until it is mined. */
  mint(to: Address, amount: bigint): Promise<void>
  /** `owner` approves `spender` for `amount` (sent from `owner`, which pays the gas). */
  approve(owner: EvmNode.Account, spender: Address, amount: bigint): Promise<void>
}

/**
 * Deploys a token on `node` from its first dev account (also the minter).
 *
 * @example
 * ```ts
 * import { Eip3009Token, EvmNode } from '@paywire/testkit'
 * const node = await EvmNode.start()
 * const token = await Eip3009Token.deploy({ node })
 * await token.mint(node.accounts[1].address, 1_000_000n)
 * ```
 */
export async function deploy(parameters: deploy.Parameters): Promise<Token> {
  const { node } = parameters
  const name = parameters.name ?? 'Local USD'
  const symbol = parameters.symbol ?? 'LUSD'
  const version = parameters.version ?? '2'
  const decimals = parameters.decimals ?? 6
  const minter = parameters.minter ?? (node.accounts[0] as EvmNode.Account)
  const constructorArgs = encodeAbiParameters(
    [
      { type: 'string' },
      { type: 'string' },
      { type: 'string' },
      { type: 'uint8' },
      { type: 'address' },
    ],
    [name, symbol, version, decimals, minter.address],
  )
  const deployed = await node.deploy({
    from: minter,
    bytecode: `${bytecode}${constructorArgs.slice(2)}`,
  })
  const address = getAddress(deployed)
  const call = async (from: EvmNode.Account, data: Hex, what: string) => {
    const receipt = await node.send({ from, to: address, data })
    if (receipt.status !== 'success') throw new Error(`${what} reverted`)
  }
  return {
    address,
    name,
    version,
    decimals,
    minter,
    balanceOf: (owner) =>
      node.client.readContract({ address, abi, functionName: 'balanceOf', args: [owner] }),
    mint: (to, amount) =>
      call(minter, encodeFunctionData({ abi, functionName: 'mint', args: [to, amount] }), 'mint'),
    approve: (owner, spender, amount) =>
      call(
        owner,
        encodeFunctionData({ abi, functionName: 'approve', args: [spender, amount] }),
        'approve',
      ),
  }
}

export declare namespace deploy {
  type Parameters = {
    node: EvmNode.EvmNode
    /** Default `Local USD`. */
    name?: string | undefined
    /** Default `LUSD`. */
    symbol?: string | undefined
    /** EIP-712 domain version; default `2` (as USDC's). */
    version?: string | undefined
    /** Default 6. */
    decimals?: number | undefined
    /** Default the node's first dev account. */
    minter?: EvmNode.Account | undefined
  }
}
