import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../..', import.meta.url))

/** Resolves the first stdout line of a child, failing if it exits first. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
      const end = output.indexOf('\n')
      if (end !== -1) resolve(output.slice(0, end))
    })
    child.once('exit', (code) => reject(new Error(`exited with ${code} before a line: ${output}`)))
  })
}

async function rpcAnswers(rpcUrl: string): Promise<boolean> {
  try {
    const response = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    })
    return response.ok
  } catch {
    return false
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0)
    return true
  } catch {
    return false
  }
}

/** Polls `condition` every 100 ms for up to 10 s. */
async function eventually(condition: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (await condition()) return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return condition()
}

describe('pnpm dev:chain', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'prints the node as its first stdout line and stops it on %s',
    async (signal) => {
      // Detached, so the signal goes to the whole process group, as a terminal's Ctrl-C does.
      const child = spawn('pnpm', ['dev:chain'], {
        cwd: root,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      try {
        const description = JSON.parse(await firstLine(child))
        expect(description.chainId).toBe(31337)
        expect(description.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
        expect(description.accounts).toHaveLength(10)
        expect(description.accounts[0]).toEqual({
          address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
          privateKey: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
        })
        expect(await rpcAnswers(description.rpcUrl)).toBe(true)
        const exited = once(child, 'exit')
        process.kill(-(child.pid as number), signal)
        await exited
        expect(await eventually(async () => !(await rpcAnswers(description.rpcUrl)))).toBe(true)
        expect(await eventually(async () => !groupAlive(child.pid as number))).toBe(true)
      } finally {
        if (groupAlive(child.pid as number)) process.kill(-(child.pid as number), 'SIGKILL')
      }
    },
  )
})

describe('TempoNode cleanup', () => {
  it('kills the node when the process that started it dies without stopping it', async () => {
    const script = [
      "import { TempoNode } from '@paywire/testkit'",
      'const node = await TempoNode.start()',
      'console.log(node.pid)',
      "process.kill(process.pid, 'SIGKILL')",
    ].join('\n')
    const child = spawn(
      'pnpm',
      ['exec', 'tsx', '--conditions=@paywire/source', '--input-type=module', '-e', script],
      { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] },
    )
    const pid = Number(await firstLine(child))
    await once(child, 'exit')
    expect(Number.isInteger(pid)).toBe(true)
    // The watchdog stops anvil and exits; allow the orphaned zombie a moment to be reaped.
    expect(await eventually(async () => !groupAlive(pid))).toBe(true)
  })
})
