// The reference server with the Tempo charge, spawned as users start it (`--tempo-rpc`),
// paid over HTTP on a local Tempo node: pull and push on /paid, sponsorship on
// /paid-sponsored, the recipient and fee payer printed at start.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Challenge, Credential, Receipt } from '@paywire/core'
import { Chain, Client, Transfer } from '@paywire/method-tempo'
import { FreePort, TempoNode } from '@paywire/testkit'
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { prices } from './server.js'
import { type Description, devAccounts } from './tempo.js'

const main = fileURLToPath(new URL('./main.ts', import.meta.url))

let node: TempoNode.TempoNode
let chain: Chain.Chain
let child: ChildProcess
let url = ''
let output = ''
let tempo: Description

beforeAll(async () => {
  node = await TempoNode.start()
  chain = Chain.fromRpc({ rpcUrl: node.rpcUrl, chainId: node.chainId })
  const port = await FreePort.get()
  child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=@paywire/source',
      main,
      ...['--port', String(port), '--tempo-rpc', node.rpcUrl],
      ...['--secret', 'reference-tempo-secret-0123456789abcdefghij'],
    ],
    {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, PAYWIRE_SECRET_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  child.stderr?.on('data', (chunk) => {
    output += String(chunk)
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start: ${output}`)), 30_000)
    child.stdout?.on('data', (chunk) => {
      output += String(chunk)
      if (output.includes('listening on')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)))
  })
  url = `http://127.0.0.1:${port}`
  const line = output.split('\n').find((entry) => entry.startsWith('tempo: '))
  tempo = JSON.parse(line?.slice('tempo: '.length) ?? 'null') as Description
})
afterAll(async () => {
  child?.kill('SIGTERM')
  await node?.stop()
})

/** Answers the Tempo challenge of a 402 with a fresh funded payer; returns the header. */
async function pay(response: Response, mode: 'pull' | 'push') {
  expect(response.status).toBe(402)
  const challenge = Challenge.deserializeList(response.headers.get('www-authenticate') ?? '').find(
    (entry) => entry.method === 'tempo',
  )
  if (challenge === undefined) throw new Error('no tempo challenge')
  const payer = await node.newAccount(10_000_000n)
  const client = Client.client({ chain, privateKey: payer.privateKey, mode })
  const paid = await client.createCredential({
    challenge,
    request: client.requestSchema.parse(Challenge.decodeRequest(challenge)),
  })
  const authorization = Credential.toAuthorization(Credential.from({ challenge, ...paid }))
  return { payer, challenge, authorization, payload: paid.payload }
}

describe('reference server with tempo', () => {
  it('prints the chain, the recipient and the fee payer at start (dev accounts by default)', () => {
    expect(tempo).toMatchObject({
      rpcUrl: node.rpcUrl,
      chainId: node.chainId,
      currency: TempoNode.pathUsd,
      recipient: {
        address: node.accounts[devAccounts.recipient]?.address,
        privateKey: node.accounts[devAccounts.recipient]?.privateKey,
        from: `dev account ${devAccounts.recipient}`,
      },
      feePayer: {
        address: node.accounts[devAccounts.feePayer]?.address,
        from: `dev account ${devAccounts.feePayer}`,
      },
    })
  })

  it('offers tempo beside the test method on /paid and settles a pull payment {tempo.charge.modes.support-pull, tempo.charge.receipt.return}', async () => {
    const first = await fetch(`${url}/paid`)
    const methods = Challenge.deserializeList(first.headers.get('www-authenticate') ?? '').map(
      (challenge) => challenge.method,
    )
    expect(methods).toEqual(['test', 'tempo'])
    const recipientBefore = await node.balanceOf(tempo.recipient.address as Hex)
    const { authorization } = await pay(first, 'pull')
    const paid = await fetch(`${url}/paid`, { headers: { authorization } })
    expect(paid.status).toBe(200)
    const receipt = Receipt.deserialize(paid.headers.get('payment-receipt') ?? '')
    expect(receipt).toMatchObject({ method: 'tempo', status: 'success' })
    expect((await chain.getTransactionReceipt(receipt.reference as Hex))?.status).toBe('success')
    expect(await node.balanceOf(tempo.recipient.address as Hex)).toBe(
      recipientBefore + BigInt(prices.basic),
    )
  })

  it('settles a push payment on /paid?tier=pro and refuses its hash for a second challenge {tempo.charge.modes.support-push, charge.replay.protection}', async () => {
    const recipientBefore = await node.balanceOf(tempo.recipient.address as Hex)
    const { authorization, payload, payer } = await pay(await fetch(`${url}/paid?tier=pro`), 'push')
    const paid = await fetch(`${url}/paid?tier=pro`, { headers: { authorization } })
    expect(paid.status).toBe(200)
    const receipt = Receipt.deserialize(paid.headers.get('payment-receipt') ?? '')
    expect(receipt.reference).toBe((payload as { hash: string }).hash.toLowerCase())
    expect(await node.balanceOf(tempo.recipient.address as Hex)).toBe(
      recipientBefore + BigInt(prices.pro),
    )
    const fresh = await fetch(`${url}/paid?tier=pro`)
    const challenge = Challenge.deserializeList(fresh.headers.get('www-authenticate') ?? '').find(
      (entry) => entry.method === 'tempo',
    ) as Challenge.Challenge
    const source = `did:pkh:eip155:${node.chainId}:${payer.address}`
    const again = Credential.toAuthorization(Credential.from({ challenge, payload, source }))
    const replay = await fetch(`${url}/paid?tier=pro`, { headers: { authorization: again } })
    expect(replay.status).toBe(402)
    expect(replay.headers.get('payment-receipt')).toBeNull()
  })

  it('sponsors fees on /paid-sponsored: the payer pays exactly the price, the fee payer the fee {tempo.charge.fee.client-placeholder}', async () => {
    const first = await fetch(`${url}/paid-sponsored`)
    const challenges = Challenge.deserializeList(first.headers.get('www-authenticate') ?? '')
    expect(challenges.map((challenge) => challenge.method)).toEqual(['tempo'])
    expect(Challenge.decodeRequest(challenges[0] as Challenge.Challenge)).toMatchObject({
      amount: prices.sponsored,
      methodDetails: { feePayer: true, supportedModes: ['pull'] },
    })
    const sponsorBefore = await node.balanceOf(tempo.feePayer.address as Hex)
    const { authorization, payer } = await pay(first, 'push')
    const paid = await fetch(`${url}/paid-sponsored`, { headers: { authorization } })
    expect(paid.status).toBe(200)
    expect(await paid.json()).toMatchObject({ paid: true, sponsored: true })
    expect(await node.balanceOf(payer.address)).toBe(10_000_000n - BigInt(prices.sponsored))
    const receipt = Receipt.deserialize(paid.headers.get('payment-receipt') ?? '')
    const onChain = await chain.getTransactionReceipt(receipt.reference as Hex)
    const fee = sponsorBefore - (await node.balanceOf(tempo.feePayer.address as Hex))
    expect(fee).toBeGreaterThan(0n)
    const feeMovements = Transfer.fromLogs(onChain?.logs ?? [], TempoNode.pathUsd).filter(
      (movement) => Transfer.sameAddress(movement.from, tempo.feePayer.address),
    )
    expect(feeMovements.reduce((sum, movement) => sum + movement.amount, 0n)).toBe(fee)
  })

  it('refuses to start with a malformed fee payer key, without echoing it', async () => {
    const bad = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=@paywire/source',
        main,
        ...['--port', '0', '--tempo-rpc', node.rpcUrl, '--tempo-fee-payer-key', '0xnot-a-key'],
      ],
      {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        env: { ...process.env, PAYWIRE_SECRET_KEY: 'reference-tempo-secret-0123456789abcdefghij' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let text = ''
    bad.stderr?.on('data', (chunk) => {
      text += String(chunk)
    })
    const code = await new Promise((resolve) => bad.once('exit', resolve))
    expect(code).toBe(2)
    expect(text).toContain('--tempo-fee-payer-key must be')
    expect(text).not.toContain('0xnot-a-key')
  })
})
