// RPC faults injected through the chain seam, around a real node: whatever fails, no
// payment is accepted without a settled transaction, nothing is claimed by a failed
// verification, and a retry once the fault is gone settles exactly once.
import type { Method } from '@paywire/core'
import type { TempoNode } from '@paywire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { challengeFor, claims, credentialFor, startChain } from '../test/fixtures.js'
import * as Chain from './Chain.js'
import * as Client from './Client.js'
import * as FeePayer from './FeePayer.js'
import * as Server from './Server.js'
import * as Settlement from './Settlement.js'

let node: TempoNode.TempoNode
let chain: Chain.Chain
beforeAll(async () => {
  ;({ node, chain } = await startChain())
})
afterAll(() => node.stop())

const timeout = () => new Chain.ChainUnavailableError('eth_call failed: request timed out')

/** Pays in `mode` through a server that reaches the node through `faulty`. */
async function setup(
  mode: 'pull' | 'push',
  faulty: (real: Chain.Chain) => Chain.Chain,
  feePayer?: FeePayer.FeePayer,
) {
  const payer = await node.newAccount(10_000_000n)
  const recipient = (await node.newAccount(0n)).address
  const server = Server.server({ chain: faulty(chain), recipient, feePayer })
  const client = Client.client({ chain, privateKey: payer.privateKey, mode })
  const request = await server.request({ amount: '5000' })
  const challenge = challengeFor(request)
  const credential = credentialFor(challenge, await client.createCredential({ challenge, request }))
  const verify = (context: Method.Context) =>
    server.verify({ credential, challenge, request, context })
  return { payer, recipient, server, request, challenge, credential, verify }
}

describe('pull mode under RPC faults', () => {
  it('refuses when the broadcast times out and the transaction never reached the node', async () => {
    const { payer, recipient, verify } = await setup('pull', (real) => ({
      ...real,
      sendRawTransactionSync: async () => {
        throw timeout()
      },
    }))
    const { context, keys } = claims()
    await expect(verify(context)).rejects.toBeInstanceOf(Settlement.PaymentNotSettledError)
    expect(keys.size).toBe(0)
    expect(await chain.getNonce(payer.address)).toBe(0n)
    expect(await node.balanceOf(recipient as `0x${string}`)).toBe(0n)
  })

  it('refuses a dropped transaction: accepted by the node but never mined', async () => {
    const { verify } = await setup('pull', (real) => ({
      ...real,
      sendRawTransactionSync: async () => {
        throw new Chain.ChainUnavailableError(
          'eth_sendRawTransactionSync failed: timed out waiting for receipt',
        )
      },
      getTransactionReceipt: async () => undefined,
    }))
    const { context, keys } = claims()
    await expect(verify(context)).rejects.toBeInstanceOf(Settlement.PaymentNotSettledError)
    expect(keys.size).toBe(0)
  })

  it('accepts once when the node mined the transaction but the answer was lost', async () => {
    const { recipient, verify } = await setup('pull', (real) => ({
      ...real,
      sendRawTransactionSync: async (serialized) => {
        await real.sendRawTransactionSync(serialized)
        throw timeout()
      },
    }))
    const { context, keys } = claims()
    await expect(verify(context)).resolves.toMatchObject({ status: 'success' })
    expect(keys.size).toBe(1)
    expect(await node.balanceOf(recipient as `0x${string}`)).toBe(5000n)
    await expect(verify(context)).rejects.toBeInstanceOf(Settlement.PaymentAlreadyUsedError)
  })

  it('refuses while the node is unreachable after broadcast, and settles once on retry', async () => {
    let down = false
    const { recipient, verify } = await setup('pull', (real) => ({
      ...real,
      sendRawTransactionSync: async (serialized) => {
        await real.sendRawTransactionSync(serialized)
        down = true
        throw timeout()
      },
      getTransactionReceipt: async (hash) => {
        if (down) throw timeout()
        return real.getTransactionReceipt(hash)
      },
    }))
    const { context, keys } = claims()
    await expect(verify(context)).rejects.toBeInstanceOf(Settlement.PaymentNotSettledError)
    expect(keys.size).toBe(0)
    // The payer's transaction did land; the same credential, retried, is accepted exactly
    // once: the transaction is found mined (bound to this challenge) and not sent again.
    down = false
    await expect(verify(context)).resolves.toMatchObject({ status: 'success' })
    await expect(verify(context)).rejects.toBeInstanceOf(Settlement.PaymentAlreadyUsedError)
    expect(keys.size).toBe(1)
    expect(await node.balanceOf(recipient as `0x${string}`)).toBe(5000n)
  })

  it('refuses a transaction whose receipt reports a revert', async () => {
    const { verify } = await setup('pull', (real) => ({
      ...real,
      sendRawTransactionSync: async (serialized) => ({
        ...(await real.sendRawTransactionSync(serialized)),
        status: 'reverted',
      }),
    }))
    const { context, keys } = claims()
    await expect(verify(context)).rejects.toBeInstanceOf(Settlement.PaymentRevertedError)
    expect(keys.size).toBe(0)
  })

  it('releases the sponsor reservation when the sponsored transaction is not mined', async () => {
    const sponsor = await node.newAccount(10_000_000n)
    const feePayer = FeePayer.from({
      privateKey: sponsor.privateKey,
      maxFeePerPayment: 10n ** 9n,
      budget: 10n ** 9n,
    })
    const { verify } = await setup(
      'pull',
      (real) => ({
        ...real,
        sendRawTransactionSync: async () => {
          throw timeout()
        },
      }),
      feePayer,
    )
    await expect(verify(claims().context)).rejects.toBeInstanceOf(Settlement.PaymentNotSettledError)
    expect(feePayer.spent()).toBe(0n)
    expect(await node.balanceOf(sponsor.address)).toBe(10_000_000n)
  })

  it('refuses when the claim store fails, and the settled payment is accepted once on retry', async () => {
    const { verify } = await setup('pull', (real) => real)
    const { context, keys } = claims()
    const failing = {
      ...context,
      claim: async () => Promise.reject(new Error('store unreachable')),
    }
    await expect(verify(failing)).rejects.toThrow('store unreachable')
    await expect(verify(context)).resolves.toMatchObject({ status: 'success' })
    expect(keys.size).toBe(1)
  })
})

describe('push mode under RPC faults', () => {
  it('refuses while the receipt cannot be fetched, and accepts once on retry', async () => {
    let down = true
    const { verify } = await setup('push', (real) => ({
      ...real,
      getTransactionReceipt: async (hash) => {
        if (down) throw timeout()
        return real.getTransactionReceipt(hash)
      },
    }))
    const { context, keys } = claims()
    await expect(verify(context)).rejects.toBeInstanceOf(Chain.ChainUnavailableError)
    await expect(verify(context)).rejects.toMatchObject({ problem: 'verification-failed' })
    expect(keys.size).toBe(0)
    down = false
    await expect(verify(context)).resolves.toMatchObject({ status: 'success' })
    expect(keys.size).toBe(1)
  })

  it('refuses when the block of the receipt cannot be read', async () => {
    const { verify } = await setup('push', (real) => ({
      ...real,
      getBlockTimestamp: async () => {
        throw timeout()
      },
    }))
    const { context, keys } = claims()
    await expect(verify(context)).rejects.toBeInstanceOf(Chain.ChainUnavailableError)
    expect(keys.size).toBe(0)
  })

  it('refuses a receipt that reports a revert {tempo.charge.hash.verify-success}', async () => {
    const { verify } = await setup('push', (real) => ({
      ...real,
      getTransactionReceipt: async (hash) => {
        const receipt = await real.getTransactionReceipt(hash)
        return receipt === undefined ? undefined : { ...receipt, status: 'reverted' }
      },
    }))
    const { context, keys } = claims()
    await expect(verify(context)).rejects.toBeInstanceOf(Settlement.PaymentRevertedError)
    expect(keys.size).toBe(0)
  })

  it('refuses a receipt for another transaction than the one asked', async () => {
    const other = await setup('push', (real) => real)
    const otherHash = (other.credential.payload as { hash: `0x${string}` }).hash
    const { verify } = await setup('push', (real) => ({
      ...real,
      getTransactionReceipt: async () => real.getTransactionReceipt(otherHash),
    }))
    await expect(verify(claims().context)).rejects.toBeInstanceOf(Settlement.PaymentNotSettledError)
  })
})

describe('Chain.fromRpc', () => {
  it('turns an unreachable endpoint into ChainUnavailableError', async () => {
    const dead = Chain.fromRpc({ rpcUrl: 'http://127.0.0.1:9', chainId: 31337, timeoutMs: 500 })
    await expect(dead.getTransactionReceipt(`0x${'00'.repeat(32)}`)).rejects.toBeInstanceOf(
      Chain.ChainUnavailableError,
    )
  })
})
