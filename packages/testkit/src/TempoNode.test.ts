import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as TempoNode from './TempoNode.js'

describe('TempoNode', () => {
  let node: TempoNode.TempoNode
  beforeAll(async () => {
    node = await TempoNode.start()
  })
  afterAll(() => node.stop())

  it('answers JSON-RPC on a loopback port with the anvil chain id', async () => {
    expect(node.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(node.chainId).toBe(31337)
    expect(await node.client.getBlockNumber()).toBeGreaterThanOrEqual(0n)
  })

  it('exposes ten dev accounts that hold pathUSD', async () => {
    expect(node.accounts).toHaveLength(10)
    expect(node.accounts[0]?.address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266')
    expect(node.accounts[0]?.privateKey).toBe(
      '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
    )
    expect(await node.balanceOf(node.accounts[1]?.address ?? '0x')).toBe(2n ** 64n - 1n)
  })

  it('funds a fresh account with exactly the amount asked', async () => {
    const account = await node.newAccount(1_234_567n)
    expect(await node.balanceOf(account.address)).toBe(1_234_567n)
    await node.fund({ to: account.address, amount: 1n })
    expect(await node.balanceOf(account.address)).toBe(1_234_568n)
  })

  it('stops the whole process group and leaves no process behind', async () => {
    const other = await TempoNode.start()
    await other.stop()
    expect(() => process.kill(-other.pid, 0)).toThrow()
    await other.stop() // idempotent
  })
})
