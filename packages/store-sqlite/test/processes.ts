// Runs test/worker.ts in several processes that start their operations together. They
// load @paywire/core from its build (turbo builds it before tests run), to start quickly.
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

/** Starts `processes` workers, releases them at once, and collects each one's results. */
export async function race(
  processes: number,
  args: readonly string[],
): Promise<Array<boolean | string>> {
  const workers = Array.from({ length: processes }, () =>
    spawn(process.execPath, ['--import', 'tsx', 'test/worker.ts', ...args], {
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  )
  const lines = workers.map((worker) => lineReader(worker))
  for (const next of lines) {
    const line = await next()
    if (line !== 'ready') throw new Error(`a worker said "${line}" instead of "ready"`)
  }
  for (const worker of workers) worker.stdin?.write('go\n')
  const results = await Promise.all(lines.map(async (next) => JSON.parse(await next())))
  return results.flat()
}

function lineReader(worker: ChildProcess): () => Promise<string> {
  const queue: string[] = []
  const waiting: Array<(line: string) => void> = []
  const reader = createInterface({ input: worker.stdout ?? process.stdin })
  reader.on('line', (line) => {
    const resolve = waiting.shift()
    if (resolve) resolve(line)
    else queue.push(line)
  })
  worker.once('exit', (code) => {
    for (const resolve of waiting.splice(0)) resolve(`worker exited with ${code}`)
  })
  return () => {
    const line = queue.shift()
    return line !== undefined
      ? Promise.resolve(line)
      : new Promise((resolve) => waiting.push(resolve))
  }
}
