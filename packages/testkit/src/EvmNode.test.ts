import {
  type Address,
  encodeAbiParameters,
  encodeFunctionData,
  type Hex,
  keccak256,
  parseSignature,
  toHex,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Eip3009Token from './Eip3009Token.js'
import * as EvmNode from './EvmNode.js'
import * as Permit2 from './Permit2.js'

describe('EvmNode', () => {
  let node: EvmNode.EvmNode
  let token: Eip3009Token.Token
  beforeAll(async () => {
    node = await EvmNode.start()
    token = await Eip3009Token.deploy({ node })
  })
  afterAll(() => node.stop())

  it('answers JSON-RPC on a loopback port with chain id 1337 and funded dev accounts', async () => {
    expect(node.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(node.chainId).toBe(1337)
    expect(node.accounts[0]?.address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266')
    expect(await node.balance(node.accounts[1]?.address as Address)).toBe(10_000n * 10n ** 18n)
    const fresh = await node.newAccount(5n)
    expect(await node.balance(fresh.address)).toBe(5n)
  })

  it('moves chain time forward', async () => {
    const before = await node.now()
    await node.increaseTime(3600)
    expect(await node.now()).toBeGreaterThanOrEqual(before + 3600n)
  })

  it('deploys an EIP-3009 token that mints and reports its EIP-712 domain', async () => {
    const holder = await node.newAccount()
    await token.mint(holder.address, 1_000n)
    expect(await token.balanceOf(holder.address)).toBe(1_000n)
    const read = (functionName: 'name' | 'version' | 'decimals') =>
      node.client.readContract({ address: token.address, abi: Eip3009Token.abi, functionName })
    expect([await read('name'), await read('version'), await read('decimals')]).toEqual([
      'Local USD',
      '2',
      6,
    ])
  })

  it('settles a signed transferWithAuthorization once and refuses its replay', async () => {
    const payer = await node.newAccount()
    const payee = await node.newAccount()
    const relayer = await node.newAccount()
    await token.mint(payer.address, 500n)
    const now = await node.now()
    const authorization = {
      from: payer.address,
      to: payee.address,
      value: 300n,
      validAfter: 0n,
      validBefore: now + 600n,
      nonce: keccak256(toHex('challenge')),
    }
    const signature = await privateKeyToAccount(payer.privateKey).signTypedData({
      domain: {
        name: token.name,
        version: token.version,
        chainId: node.chainId,
        verifyingContract: token.address,
      },
      types: {
        TransferWithAuthorization: [
          { name: 'from', type: 'address' },
          { name: 'to', type: 'address' },
          { name: 'value', type: 'uint256' },
          { name: 'validAfter', type: 'uint256' },
          { name: 'validBefore', type: 'uint256' },
          { name: 'nonce', type: 'bytes32' },
        ],
      },
      primaryType: 'TransferWithAuthorization',
      message: authorization,
    })
    const { r, s, yParity } = parseSignature(signature)
    const data = encodeFunctionData({
      abi: Eip3009Token.abi,
      functionName: 'transferWithAuthorization',
      args: [
        authorization.from,
        authorization.to,
        authorization.value,
        authorization.validAfter,
        authorization.validBefore,
        authorization.nonce,
        27 + yParity,
        r,
        s,
      ],
    })
    const settled = await node.send({ from: relayer, to: token.address, data })
    expect(settled.status).toBe('success')
    expect(await token.balanceOf(payee.address)).toBe(300n)
    expect(await token.balanceOf(payer.address)).toBe(200n)
    const replayed = await node.send({ from: relayer, to: token.address, data }).catch((e) => e)
    expect(String(replayed)).toMatch(/AuthorizationUsedOrCanceled|revert/)
    expect(await token.balanceOf(payee.address)).toBe(300n)
  })

  it('etches Permit2 at its canonical address with this chain in its domain', async () => {
    await Permit2.install(node)
    const separator = await node.client.readContract({
      address: Permit2.address,
      abi: [
        {
          type: 'function',
          name: 'DOMAIN_SEPARATOR',
          stateMutability: 'view',
          inputs: [],
          outputs: [{ type: 'bytes32' }],
        },
      ],
      functionName: 'DOMAIN_SEPARATOR',
    })
    const typeHash = keccak256(
      toHex('EIP712Domain(string name,uint256 chainId,address verifyingContract)'),
    )
    const expected = keccak256(
      encodeAbiParameters(
        [{ type: 'bytes32' }, { type: 'bytes32' }, { type: 'uint256' }, { type: 'address' }],
        [typeHash, keccak256(toHex('Permit2')), BigInt(node.chainId), Permit2.address],
      ),
    )
    expect(separator).toBe(expected as Hex)
  })

  it('stops the whole process group and leaves no process behind', async () => {
    const other = await EvmNode.start({ chainId: 4242 })
    expect(other.chainId).toBe(4242)
    await other.stop()
    expect(() => process.kill(-other.pid, 0)).toThrow()
    await other.stop()
  })
})
