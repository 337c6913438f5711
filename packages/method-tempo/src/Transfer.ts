// TIP-20 transfers as the charge sees them (draft-tempo-charge-00 §"Transaction
// Verification", §"Hash Verification"): `transfer` / `transferWithMemo` calls encoded and
// decoded strictly, `Transfer` / `TransferWithMemo` logs read into token movements, and
// the order-independent match of what a request asks against what a transaction does.
import type { Hex } from 'viem'
import { decodeFunctionData, encodeFunctionData, parseAbi } from 'viem'
import type * as Chain from './Chain.js'
import type * as ChargeRequest from './ChargeRequest.js'

/**
 * The TIP-20 functions and events the charge uses.
 *
 * @example
 * ```ts
 * import { Transfer } from '@paywire/method-tempo'
 * import { encodeFunctionData } from 'viem'
 * encodeFunctionData({ abi: Transfer.abi, functionName: 'transfer', args: ['0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00', 1n] })
 * ```
 */
export const abi = parseAbi([
  'function transfer(address to, uint256 amount) returns (bool)',
  'function transferWithMemo(address to, uint256 amount, bytes32 memo)',
  'event Transfer(address indexed from, address indexed to, uint256 amount)',
  'event TransferWithMemo(address indexed from, address indexed to, uint256 amount, bytes32 indexed memo)',
])

/**
 * Topic of `Transfer(address,address,uint256)`.
 *
 * @example
 * ```ts
 * import { Transfer } from '@paywire/method-tempo'
 * declare const log: { topics: readonly string[] }
 * const isTransfer = log.topics[0] === Transfer.transferTopic
 * ```
 */
export const transferTopic: Hex =
  '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef'
/**
 * Topic of `TransferWithMemo(address,address,uint256,bytes32)`.
 *
 * @example
 * ```ts
 * import { Transfer } from '@paywire/method-tempo'
 * declare const log: { topics: readonly string[] }
 * const hasMemo = log.topics[0] === Transfer.transferWithMemoTopic
 * ```
 */
export const transferWithMemoTopic: Hex =
  '0x57bc7354aa85aed339e000bccffabbc529466af35f0772c8f8ee1145927de7f0'

/** A token movement: `amount` of `token` from `from` (when known) to `recipient`. */
export type Movement = {
  token: string
  from?: string | undefined
  recipient: string
  amount: bigint
  memo?: string | undefined
}

/**
 * The call data of one transfer: `transferWithMemo` when it carries a memo, else `transfer`.
 *
 * @example
 * ```ts
 * import { Transfer } from '@paywire/method-tempo'
 * const data = Transfer.encode({ recipient: '0x742d35Cc6634C0532925a3b844Bc9e7595f8fE00', amount: 1000n })
 * ```
 */
export function encode(transfer: ChargeRequest.Transfer): Hex {
  // Lower-cased: recipients are compared by value, and a mixed-case address need not be EIP-55.
  const to = transfer.recipient.toLowerCase() as Hex
  return transfer.memo === undefined
    ? encodeFunctionData({ abi, functionName: 'transfer', args: [to, transfer.amount] })
    : encodeFunctionData({
        abi,
        functionName: 'transferWithMemo',
        args: [to, transfer.amount, transfer.memo as Hex],
      })
}

/**
 * Reads a call as a transfer of `token`: `undefined` unless the data is exactly a
 * `transfer` or `transferWithMemo` call (no trailing bytes) and the call sends no value.
 *
 * @example
 * ```ts
 * import { Transfer } from '@paywire/method-tempo'
 * declare const call: { to?: string; data?: `0x${string}`; value?: bigint }
 * const movement = Transfer.decodeCall(call)
 * ```
 */
export function decodeCall(call: {
  to?: string | undefined
  data?: Hex | undefined
  value?: bigint | undefined
}): Movement | undefined {
  if (call.to === undefined || call.data === undefined || (call.value ?? 0n) !== 0n)
    return undefined
  let decoded: ReturnType<typeof decodeFunctionData<typeof abi>>
  try {
    decoded = decodeFunctionData({ abi, data: call.data })
  } catch {
    return undefined // not a TIP-20 transfer: the caller reports it as an unexpected call
  }
  // Strict length: selector + 2 or 3 words, nothing appended.
  const words = decoded.functionName === 'transfer' ? 2 : 3
  if (call.data.length !== 2 + 8 + 64 * words) return undefined
  if (decoded.functionName === 'transfer') {
    const [recipient, amount] = decoded.args
    return { token: call.to, recipient, amount }
  }
  if (decoded.functionName === 'transferWithMemo') {
    const [recipient, amount, memo] = decoded.args
    return { token: call.to, recipient, amount, memo }
  }
  return undefined
}

/**
 * The movements of `token` recorded in a receipt's logs. A `transferWithMemo` emits both a
 * `Transfer` and a `TransferWithMemo` log; they are read as one movement carrying the memo.
 *
 * @example
 * ```ts
 * import { Transfer } from '@paywire/method-tempo'
 * declare const receipt: import('@paywire/method-tempo').Chain.Receipt
 * const movements = Transfer.fromLogs(receipt.logs, '0x20c0000000000000000000000000000000000000')
 * ```
 */
export function fromLogs(logs: readonly Chain.Log[], token: string): Movement[] {
  const ofToken = logs.filter((log) => sameAddress(log.address, token))
  const movements: Movement[] = []
  const memos = ofToken.filter(
    (log) => log.topics[0] === transferWithMemoTopic && log.topics.length === 4,
  )
  const usedMemos = new Set<Chain.Log>()
  for (const log of ofToken) {
    if (log.topics[0] !== transferTopic || log.topics.length !== 3) continue
    const movement = {
      token,
      from: topicAddress(log.topics[1]),
      recipient: topicAddress(log.topics[2]),
      amount: BigInt(log.data),
    }
    const memo = memos.find(
      (candidate) =>
        !usedMemos.has(candidate) &&
        Math.abs(candidate.logIndex - log.logIndex) === 1 &&
        topicAddress(candidate.topics[1]) === movement.from &&
        topicAddress(candidate.topics[2]) === movement.recipient &&
        BigInt(candidate.data) === movement.amount,
    )
    if (memo !== undefined) usedMemos.add(memo)
    movements.push(memo === undefined ? movement : { ...movement, memo: memo.topics[3] })
  }
  return movements
}

/**
 * Matches the transfers a request asks for against actual movements, regardless of order.
 * Each expected transfer consumes one distinct movement with the same recipient (compared
 * as 20-byte values), amount and, when the request names one, memo. Returns the expected
 * transfers nothing paid, and the movements no expected transfer used.
 *
 * @example
 * ```ts
 * import { ChargeRequest, Transfer } from '@paywire/method-tempo'
 * declare const request: ChargeRequest.ChargeRequest
 * declare const movements: Transfer.Movement[]
 * const { missing } = Transfer.match(ChargeRequest.transfers(request), movements)
 * ```
 */
export function match(
  expected: readonly ChargeRequest.Transfer[],
  movements: readonly Movement[],
): match.ReturnType {
  const unused = [...movements]
  const missing: ChargeRequest.Transfer[] = []
  // Transfers that require a memo first, so they are not starved by memo-less ones.
  const ordered = [...expected].sort(
    (a, b) => Number(a.memo === undefined) - Number(b.memo === undefined),
  )
  for (const transfer of ordered) {
    const index = unused.findIndex(
      (movement) =>
        sameAddress(movement.recipient, transfer.recipient) &&
        movement.amount === transfer.amount &&
        (transfer.memo === undefined || sameHex(movement.memo, transfer.memo)),
    )
    if (index === -1) missing.push(transfer)
    else unused.splice(index, 1)
  }
  return { missing, unused }
}

export declare namespace match {
  type ReturnType = { missing: ChargeRequest.Transfer[]; unused: Movement[] }
}

/**
 * Whether two addresses are the same 20 bytes (letter case ignored).
 *
 * @example
 * ```ts
 * import { Transfer } from '@paywire/method-tempo'
 * Transfer.sameAddress('0xAB00000000000000000000000000000000000000', '0xab00000000000000000000000000000000000000') // true
 * ```
 */
export function sameAddress(a: string | undefined, b: string | undefined): boolean {
  return (
    a !== undefined && b !== undefined && a.length === 42 && a.toLowerCase() === b.toLowerCase()
  )
}

function sameHex(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase()
}

function topicAddress(topic: Hex | undefined): string {
  return `0x${(topic ?? '').slice(-40).toLowerCase()}`
}
