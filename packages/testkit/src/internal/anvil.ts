// The anvil process behind every local node of the testkit (Tempo and plain EVM): the
// binary from the `@foundry-rs/anvil` npm package, run under a small watchdog in its own
// process group on a free loopback port, stopped with its whole group, and killed when
// this process exits however it ends.
import { type ChildProcess, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Errors } from '@paywire/core'
import type { Address, Hex } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'

/** @internal The mnemonic of anvil's dev accounts (`test test ... junk`). */
export const mnemonic = 'test test test test test test test test test test test junk'

/** @internal anvil's ten dev accounts (address and private key), in anvil's order. */
export function devAccounts(): { address: Address; privateKey: Hex }[] {
  return Array.from({ length: 10 }, (_, addressIndex) => {
    const account = mnemonicToAccount(mnemonic, { addressIndex })
    const privateKey = account.getHdKey().privateKey
    if (privateKey === null) throw new AnvilError('dev account has no private key')
    return { address: account.address, privateKey: `0x${Buffer.from(privateKey).toString('hex')}` }
  })
}

/** A running anvil process. */
export type Process = {
  /** JSON-RPC URL, e.g. `http://127.0.0.1:41237`. */
  readonly rpcUrl: string
  /** Id of the process group (its leader is the watchdog that runs anvil). */
  readonly pid: number
  /** Stops the process group (SIGTERM, SIGKILL after 3 s). Idempotent. */
  stop(): Promise<void>
}

/**
 * @internal Starts anvil with `args` (plus `--host 127.0.0.1 --port 0`) and resolves once it
 * listens. `name` names the node in errors.
 */
export async function start(parameters: {
  args: readonly string[]
  timeoutMs: number
  name: string
}): Promise<Process> {
  const anvilArgs = ['--host', '127.0.0.1', '--port', '0', ...parameters.args]
  // anvil runs under a small watchdog in its own process group: the watchdog kills anvil
  // when our end of its stdin closes, which happens however this process ends (even on
  // SIGKILL), so no node outlives the test run.
  const child = spawn(process.execPath, ['-e', watchdog, binaryPath(), ...anvilArgs], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const pid = child.pid
  if (pid === undefined) throw new AnvilError(`${parameters.name}: anvil could not be spawned`)
  running.add(pid)
  registerExitCleanup()
  let stopped: Promise<void> | undefined
  const stop = () => {
    stopped ??= stopProcess(child, pid)
    return stopped
  }
  try {
    const port = await listeningPort(child, parameters.timeoutMs)
    return { rpcUrl: `http://127.0.0.1:${port}`, pid, stop }
  } catch (error) {
    await stop()
    throw error
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

/** Resolves the anvil binary shipped in the platform package, without the node wrapper. */
function binaryPath(): string {
  const require = createRequire(import.meta.url)
  const wrapper = require.resolve('@foundry-rs/anvil/package.json')
  const platform = { linux: 'linux', darwin: 'darwin', win32: 'win32' }[process.platform as string]
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch as string]
  if (platform === undefined || arch === undefined)
    throw new AnvilError(`anvil has no binary for ${process.platform}/${process.arch}`)
  const name = process.platform === 'win32' ? 'anvil.exe' : 'anvil'
  const fromWrapper = createRequire(join(dirname(wrapper), 'bin.mjs'))
  return fromWrapper.resolve(`@foundry-rs/anvil-${platform}-${arch}/bin/${name}`)
}

/** Reads `Listening on 127.0.0.1:<port>` from anvil's output. */
function listeningPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(
      () => fail(new AnvilError(`anvil did not listen within ${timeoutMs} ms`)),
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
      fail(new AnvilError(`anvil exited (code ${code}) before listening: ${output.slice(-500)}`))
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

/** anvil could not be started. */
export class AnvilError extends Errors.BaseError {
  override readonly name = 'Anvil.AnvilError'
  readonly code = 'ERR_ANVIL'
  readonly problem = undefined
}
