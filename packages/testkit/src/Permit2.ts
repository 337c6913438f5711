// Uniswap's Permit2 on a local EVM node, for the EVM charge's `permit2` credentials. The
// runtime bytecode is read at run time from the `@uniswap/v4-periphery` npm package (an
// optional peer dependency: install it next to the testkit), which ships it as the hex
// literal of its `DeployPermit2.sol` test helper, and etched at the canonical address.
// Nothing of Permit2 is copied into this repository.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Errors } from '@paywire/core'
import type { Address, Hex } from 'viem'
import type * as EvmNode from './EvmNode.js'

/**
 * The canonical Permit2 address (the same on every chain).
 *
 * @example
 * ```ts
 * import { Permit2 } from '@paywire/testkit'
 * Permit2.address // '0x000000000022D473030F116dDEE9F6B43aC78BA3'
 * ```
 */
export const address: Address = '0x000000000022D473030F116dDEE9F6B43aC78BA3'

/**
 * Permit2's runtime bytecode, from the installed `@uniswap/v4-periphery`.
 *
 * @throws {Permit2UnavailableError} when the package is not installed or the file changed.
 * @example
 * ```ts
 * import { Permit2 } from '@paywire/testkit'
 * Permit2.runtimeBytecode().length > 10_000 // true
 * ```
 */
export function runtimeBytecode(): Hex {
  let source: string
  try {
    const path = createRequire(import.meta.url).resolve(
      '@uniswap/v4-periphery/lib/permit2/test/utils/DeployPermit2.sol',
    )
    source = readFileSync(path, 'utf8')
  } catch (cause) {
    throw new Permit2UnavailableError(
      'Permit2 needs the @uniswap/v4-periphery package (1.0.3) installed next to @paywire/testkit',
      { cause },
    )
  }
  const match = /hex"([0-9a-fA-F]+)"/.exec(source)
  if (match?.[1] === undefined)
    throw new Permit2UnavailableError('DeployPermit2.sol carries no Permit2 bytecode literal')
  return `0x${match[1]}`
}

/**
 * Etches Permit2 at its canonical address on `node` (whose chain id must not be 31337:
 * the runtime caches that chain's domain separator for another address).
 *
 * @example
 * ```ts
 * import { EvmNode, Permit2 } from '@paywire/testkit'
 * const node = await EvmNode.start()
 * await Permit2.install(node)
 * ```
 */
export async function install(node: EvmNode.EvmNode): Promise<Address> {
  if (node.chainId === 31337)
    throw new Permit2UnavailableError('the Permit2 runtime does not work on chain 31337')
  await node.setCode(address, runtimeBytecode())
  return address
}

/** Permit2's bytecode cannot be had, or not on this node. */
export class Permit2UnavailableError extends Errors.BaseError {
  override readonly name = 'Permit2.Permit2UnavailableError'
  readonly code = 'ERR_PERMIT2_UNAVAILABLE'
  readonly problem = undefined
}
