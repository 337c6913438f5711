// paywire's binding of client-built ERC-20 transfers to a challenge (transaction and hash
// credentials; spec/DEVIATIONS.md): the calldata of `transfer(address,uint256)` carries
// the challenge hash as 32 trailing bytes. ERC-20 contracts ignore calldata past their
// arguments, so the transfer is unchanged on chain, and the draft's checks (selector,
// recipient, amount; §6.3, §6.4) still pass. A transfer without it pays no challenge.
import { decodeFunctionData, encodeFunctionData, type Hex, parseAbi } from 'viem'

/**
 * `transfer(address,uint256)`, the only call a transaction or hash credential may make.
 *
 * @example
 * ```ts
 * import { Binding } from '@paywire/method-evm'
 * Binding.erc20Abi[0].name // 'transfer'
 * ```
 */
export const erc20Abi = parseAbi([
  'function transfer(address to, uint256 amount) returns (bool)',
  'function balanceOf(address owner) view returns (uint256)',
  'function allowance(address owner, address spender) view returns (uint256)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
])

/** What the calldata of a transfer says. */
export type Transfer = { recipient: string; amount: bigint; challengeHash: Hex | undefined }

/**
 * The calldata of a transfer bound to a challenge hash.
 *
 * @example
 * ```ts
 * import { Binding, ChallengeHash } from '@paywire/method-evm'
 * Binding.encode({ recipient: '0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00', amount: 1000n, challengeHash: ChallengeHash.from({ id: 'x', realm: 'api.example.com' }) })
 * ```
 */
export function encode(parameters: { recipient: string; amount: bigint; challengeHash: Hex }): Hex {
  const call = encodeFunctionData({
    abi: erc20Abi,
    functionName: 'transfer',
    args: [parameters.recipient.toLowerCase() as Hex, parameters.amount],
  })
  return `${call}${parameters.challengeHash.slice(2).toLowerCase()}`
}

/**
 * Reads transfer calldata: `transfer(address,uint256)` with its two arguments and either
 * nothing or exactly one 32-byte challenge hash after them. Anything else is `undefined`.
 *
 * @example
 * ```ts
 * import { Binding } from '@paywire/method-evm'
 * Binding.decode('0x1234') // undefined
 * ```
 */
export function decode(data: Hex): Transfer | undefined {
  const hex = data.toLowerCase()
  if (!hex.startsWith('0xa9059cbb')) return undefined
  const length = (hex.length - 2) / 2
  if (length !== 68 && length !== 100) return undefined
  try {
    const { args } = decodeFunctionData({ abi: erc20Abi, data: hex.slice(0, 2 + 136) as Hex })
    const [recipient, amount] = args as readonly [string, bigint]
    // A canonical address argument: the 12 bytes above it are zero.
    if (!/^0{24}$/.test(hex.slice(10, 34))) return undefined
    return {
      recipient,
      amount,
      challengeHash: length === 100 ? (`0x${hex.slice(2 + 136)}` as Hex) : undefined,
    }
  } catch {
    return undefined
  }
}
