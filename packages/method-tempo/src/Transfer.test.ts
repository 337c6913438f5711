import type { Hex } from 'viem'
import { describe, expect, it } from 'vitest'
import type * as Chain from './Chain.js'
import * as Transfer from './Transfer.js'

const token = '0x20c0000000000000000000000000000000000000'
const alice = '0x1111111111111111111111111111111111111111'
const bob = '0x2222222222222222222222222222222222222222'
const carol = '0x3333333333333333333333333333333333333333'
const memo = `0x${'ab'.repeat(32)}`
const word = (value: bigint | string) =>
  `0x${(typeof value === 'bigint' ? value.toString(16) : value.slice(2)).padStart(64, '0')}` as Hex

function transferLog(logIndex: number, from: string, to: string, amount: bigint): Chain.Log {
  return {
    address: token,
    topics: [Transfer.transferTopic, word(from), word(to)],
    data: word(amount),
    logIndex,
  }
}
function memoLog(
  logIndex: number,
  from: string,
  to: string,
  amount: bigint,
  value: string,
): Chain.Log {
  return {
    address: token,
    topics: [Transfer.transferWithMemoTopic, word(from), word(to), value as Hex],
    data: word(amount),
    logIndex,
  }
}

describe('Transfer.decodeCall', () => {
  it('reads transfer and transferWithMemo calls back', () => {
    const plain = Transfer.decodeCall({
      to: token,
      data: Transfer.encode({ recipient: bob, amount: 5n }),
    })
    expect(plain).toEqual({ token, recipient: bob, amount: 5n })
    const withMemo = Transfer.decodeCall({
      to: token,
      data: Transfer.encode({ recipient: bob, amount: 5n, memo }),
    })
    expect(withMemo?.memo).toBe(memo)
  })

  it('refuses call data with trailing bytes, a value, or another function', () => {
    const data = Transfer.encode({ recipient: bob, amount: 5n })
    expect(Transfer.decodeCall({ to: token, data: `${data}00` })).toBeUndefined()
    expect(Transfer.decodeCall({ to: token, data, value: 1n })).toBeUndefined()
    expect(Transfer.decodeCall({ to: token, data: '0x095ea7b3' })).toBeUndefined()
  })
})

describe('Transfer.fromLogs', () => {
  it('reads a transferWithMemo (Transfer + TransferWithMemo logs) as one movement with its memo', () => {
    const logs = [
      transferLog(0, alice, bob, 7n),
      memoLog(1, alice, bob, 7n, memo),
      transferLog(2, alice, carol, 1n),
    ]
    const movements = Transfer.fromLogs(logs, token)
    expect(movements).toHaveLength(2)
    expect(movements[0]).toMatchObject({ from: alice, recipient: bob, amount: 7n, memo })
    expect(movements[1]?.memo).toBeUndefined()
  })

  it('ignores logs of other tokens', () => {
    const foreign = {
      ...transferLog(0, alice, bob, 7n),
      address: '0x20c0000000000000000000000000000000000001',
    }
    expect(Transfer.fromLogs([foreign], token)).toEqual([])
  })
})

describe('Transfer.match', () => {
  it('matches expected transfers in any order, recipients compared by value {tempo.charge.splits.verify-any-order}', () => {
    const expected = [
      { recipient: bob.toUpperCase().replace('0X', '0x'), amount: 9n },
      { recipient: carol, amount: 1n },
    ]
    const movements = [
      { token, recipient: carol, amount: 1n },
      { token, recipient: bob, amount: 9n },
    ]
    expect(Transfer.match(expected, movements)).toEqual({ missing: [], unused: [] })
  })

  it('does not let one movement pay two expected transfers', () => {
    const expected = [
      { recipient: bob, amount: 1n, memo },
      { recipient: bob, amount: 1n },
    ]
    const { missing } = Transfer.match(expected, [{ token, recipient: bob, amount: 1n, memo }])
    expect(missing).toHaveLength(1)
  })

  it('requires the memo when one is asked', () => {
    const { missing } = Transfer.match(
      [{ recipient: bob, amount: 1n, memo }],
      [{ token, recipient: bob, amount: 1n }],
    )
    expect(missing).toHaveLength(1)
  })
})
