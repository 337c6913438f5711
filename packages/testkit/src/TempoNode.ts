// A local Tempo node for tests: `anvil --network tempo --hardfork T4` from the
// `@foundry-rs/anvil` npm package, on a free loopback port, with its ten pre-funded dev
// accounts (each holds 2^64-1 base units of pathUSD and the other fee tokens). One node
// per test file: start it in `beforeAll`, stop it in `afterAll`.
import { type ChildProcess, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Errors } from '@paywire/core'
import {
  type Address,
  createPublicClient,
  encodeFunctionData,
  type Hex,
  http,
  type PublicClient,
  parseAbi,
} from 'viem'
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from 'viem/accounts'

/**
 * pathUSD, the TIP-20 token every Tempo node has at genesis (and the default fee token).
 *
 * @example
 * ```ts
 * import { TempoNode } from '@paywire/testkit'
 * const node = await TempoNode.start()
 * await node.balanceOf(node.accounts[0].address, TempoNode.pathUsd)
 * ```
 */
export const pathUsd: Address = '0x20c0000000000000000000000000000000000000'

/**
 * The hardfork the node runs: T4 has the account keychain's newer functions.
 *
 * @example
 * ```ts
 * import { TempoNode } from '@paywire/testkit'
 * console.log(`anvil --network tempo --hardfork ${TempoNode.hardfork}`)
 * ```
 */
export const hardfork = 'T4'

/**
 * The mnemonic of anvil's dev accounts (`test test ... junk`).
 *
 * @example
 * ```ts
 * import { TempoNode } from '@paywire/testkit'
 * import { mnemonicToAccount } from 'viem/accounts'
 * const first = mnemonicToAccount(TempoNode.mnemonic)
 * ```
 */
export const mnemonic = 'test test test test test test test test test test test junk'

/** A dev account: address and private key. */
export type Account = { address: Address; privateKey: Hex }

/** A running node. Plain object; `stop` is idempotent. */
export type TempoNode = {
  /** JSON-RPC URL, e.g. `http://127.0.0.1:41237`. */
  readonly rpcUrl: string
  /** The node's chain id (31337 for anvil). */
  readonly chainId: number
  /** The pre-funded dev accounts, in anvil's order. */
  readonly accounts: readonly Account[]
  /**
   * Id of the node's process group (its leader is a watchdog that runs anvil):
   * `process.kill(-pid, 0)` throws once every process of the node has exited.
   */
  readonly pid: number
  /** A viem public client on the node. */
  readonly client: PublicClient
  /** TIP-20 balance of `owner` in base units (`token` defaults to pathUSD). */
  balanceOf(owner: Address, token?: Address): Promise<bigint>
  /**
   * Transfers `amount` base units of `token` (default pathUSD) from a dev account (default
   * the last one, kept as the faucet) to `to`, and waits until it is mined.
   */
  fund(parameters: fund.Parameters): Promise<Hex>
  /** A fresh random account funded with `amount` base units of pathUSD (default 100 tokens). */
  newAccount(amount?: bigint): Promise<Account>
  /** Stops the node (SIGTERM to its process group, SIGKILL after 3 s). */
  stop(): Promise<void>
}

export declare namespace fund {
  type Parameters = { to: Address; amount: bigint; token?: Address; from?: Account }
}

/**
 * Starts a local Tempo node and waits until it answers JSON-RPC.
 *
 * @example
 * ```ts
 * import { TempoNode } from '@paywire/testkit'
 * import { afterAll, beforeAll } from 'vitest'
 * let node: TempoNode.TempoNode
 * beforeAll(async () => { node = await TempoNode.start() })
 * afterAll(() => node.stop())
 * ```
 */
export async function start(options: start.Options = {}): Promise<TempoNode> {
  const anvilArgs = [
    '--network',
    'tempo',
    '--hardfork',
    hardfork,
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--mnemonic',
    mnemonic,
    ...(options.args ?? []),
  ]
  // anvil runs under a small watchdog in its own process group: the watchdog kills anvil
  // when our end of its stdin closes, which happens however this process ends (even on
  // SIGKILL), so no node outlives the test run.
  const child = spawn(process.execPath, ['-e', watchdog, binaryPath(), ...anvilArgs], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const pid = child.pid
  if (pid === undefined) throw new NodeStartError('anvil could not be spawned')
  running.add(pid)
  registerExitCleanup()
  try {
    const port = await listeningPort(child, options.timeoutMs ?? 20_000)
    const rpcUrl = `http://127.0.0.1:${port}`
    const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) })
    const chainId = await client.getChainId()
    return node(child, pid, rpcUrl, chainId, client)
  } catch (error) {
    await stopProcess(child, pid)
    throw error
  }
}

export declare namespace start {
  type Options = {
    /** Extra anvil arguments (e.g. `['--block-time', '1']`). */
    args?: readonly string[] | undefined
    /** How long to wait for the node to answer; default 20 s. */
    timeoutMs?: number | undefined
  }
}

/**
 * The watchdog (run with `node -e`): starts anvil in its own process group, forwards
 * SIGINT/SIGTERM to it, kills it when stdin closes, and exits with it.
 */
const watchdog = `
const { spawn } = require('node:child_process')
const [binary, ...args] = process.argv.slice(1)
const anvil = spawn(binary, args, { stdio: ['ignore', 'inherit', 'inherit'] })
const stop = () => { anvil.kill('SIGTERM'); setTimeout(() => anvil.kill('SIGKILL'), 3000).unref() }
process.stdin.on('end', stop).on('close', stop).on('error', stop).resume()
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
anvil.on('exit', (code) => process.exit(code ?? 0))
`

/** The pids of nodes started by this process and not yet stopped. */
const running = new Set<number>()
let cleanupRegistered = false

function node(
  child: ChildProcess,
  pid: number,
  rpcUrl: string,
  chainId: number,
  client: PublicClient,
): TempoNode {
  const accounts = Array.from({ length: 10 }, (_, addressIndex) => {
    const account = mnemonicToAccount(mnemonic, { addressIndex })
    const privateKey = account.getHdKey().privateKey
    if (privateKey === null) throw new NodeStartError('dev account has no private key')
    return { address: account.address, privateKey: toHex(privateKey) }
  })
  const faucet = accounts[accounts.length - 1] as Account
  let stopped: Promise<void> | undefined
  const balanceOf = (owner: Address, token: Address = pathUsd) =>
    client.readContract({ address: token, abi, functionName: 'balanceOf', args: [owner] })
  // Funding transfers are sent one at a time: the node assigns nonces on send.
  let queue: Promise<unknown> = Promise.resolve()
  const fund = (parameters: fund.Parameters): Promise<Hex> => {
    const next = queue.then(() => send(parameters))
    queue = next.catch(() => undefined)
    return next
  }
  const send = async ({ to, amount, token = pathUsd, from = faucet }: fund.Parameters) => {
    const data = encodeFunctionData({ abi, functionName: 'transfer', args: [to, amount] })
    const hash = await client.request({
      // anvil's dev accounts are unlocked: the node signs.
      method: 'eth_sendTransaction' as 'eth_chainId',
      params: [{ from: from.address, to: token, data }] as never,
    })
    const receipt = await client.waitForTransactionReceipt({
      hash: hash as Hex,
      pollingInterval: 50,
    })
    if (receipt.status !== 'success') throw new NodeStartError(`funding ${to} reverted`)
    return hash as Hex
  }
  return {
    rpcUrl,
    chainId,
    accounts,
    pid,
    client,
    balanceOf,
    fund,
    async newAccount(amount = 100_000_000n) {
      const privateKey = generatePrivateKey()
      const { address } = privateKeyToAccount(privateKey)
      await fund({ to: address, amount })
      return { address, privateKey }
    },
    stop() {
      stopped ??= stopProcess(child, pid)
      return stopped
    },
  }
}

const abi = parseAbi([
  'function balanceOf(address owner) view returns (uint256)',
  'function transfer(address to, uint256 amount) returns (bool)',
])

/** Resolves the anvil binary shipped in the platform package, without the node wrapper. */
function binaryPath(): string {
  const require = createRequire(import.meta.url)
  const wrapper = require.resolve('@foundry-rs/anvil/package.json')
  const platform = { linux: 'linux', darwin: 'darwin', win32: 'win32' }[process.platform as string]
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch as string]
  if (platform === undefined || arch === undefined)
    throw new NodeStartError(`anvil has no binary for ${process.platform}/${process.arch}`)
  const name = process.platform === 'win32' ? 'anvil.exe' : 'anvil'
  const fromWrapper = createRequire(join(dirname(wrapper), 'bin.mjs'))
  return fromWrapper.resolve(`@foundry-rs/anvil-${platform}-${arch}/bin/${name}`)
}

/** Reads `Listening on 127.0.0.1:<port>` from anvil's output. */
function listeningPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(
      () => fail(new NodeStartError(`anvil did not listen within ${timeoutMs} ms`)),
      timeoutMs,
    )
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8')
      const match = /Listening on 127\.0\.0\.1:(\d+)/.exec(output)
      if (match?.[1] !== undefined) {
        cleanup()
        child.stdout?.resume()
        resolve(Number(match[1]))
      }
    }
    const onExit = (code: number | null) =>
      fail(
        new NodeStartError(`anvil exited (code ${code}) before listening: ${output.slice(-500)}`),
      )
    const fail = (error: Error) => {
      cleanup()
      reject(error)
    }
    const cleanup = () => {
      clearTimeout(timer)
      child.stdout?.off('data', onData)
      child.stderr?.off('data', onData)
      child.off('exit', onExit)
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.on('exit', onExit)
  })
}

async function stopProcess(child: ChildProcess, pid: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    running.delete(pid)
    return
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  killGroup(pid, 'SIGTERM')
  const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), 3000)
  await exited
  clearTimeout(timer)
  running.delete(pid)
  child.stdout?.destroy()
  child.stderr?.destroy()
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
}

/** Kills every node still running when this process exits or is told to stop. */
function registerExitCleanup(): void {
  if (cleanupRegistered) return
  cleanupRegistered = true
  const killAll = () => {
    for (const pid of running) killGroup(pid, 'SIGKILL')
    running.clear()
  }
  process.on('exit', killAll)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAll()
      process.off(signal, onSignal)
      // Keep the default behaviour (exit) unless someone else handles the signal.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
    }
    process.on(signal, onSignal)
  }
}

function toHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes).toString('hex')}`
}

/** Raised when the node cannot be started or a funding transfer fails. */
export class NodeStartError extends Errors.BaseError {
  override readonly name = 'TempoNode.NodeStartError'
  readonly code = 'ERR_TEMPO_NODE'
  readonly problem = undefined
}
