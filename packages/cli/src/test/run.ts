// Test helpers: run the built `paywire` binary as a user would, and start the reference
// server (packages/server) on a free port.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..')
export const binary = join(root, 'packages', 'cli', 'dist', 'main.js')

export type Run = { code: number | null; stdout: string; stderr: string }

/** A fresh home directory. */
export function home(): string {
  return mkdtempSync(join(tmpdir(), 'paywire-cli-'))
}

/** Runs `paywire ...args` to completion (stdin from `input`, or closed). */
export function paywire(
  args: readonly string[],
  options: { env?: Record<string, string>; input?: string } = {},
): Promise<Run> {
  const child = spawn(process.execPath, [binary, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  child.stdin.end(options.input ?? '')
  return collect(child)
}

/** Spawns `paywire ...args` and resolves once stdout has printed a line matching `ready`. */
export async function daemon(
  command: readonly string[],
  ready: RegExp,
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ child: ChildProcess; match: RegExpExecArray; stop(): Promise<Run> }> {
  const [file = '', ...args] = command
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const result = collect(child)
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    let seen = ''
    const timer = setTimeout(() => reject(new Error(`not ready in 30 s: ${seen}`)), 30_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8')
      const found = ready.exec(seen)
      if (found !== null) {
        clearTimeout(timer)
        resolve(found)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${code} before ready: ${seen}`))
    })
  })
  return {
    child,
    match,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      return result
    },
  }
}

/** Starts the reference server (`pnpm serve:reference`) on a free port, with `args`. */
export async function referenceServer(...args: string[]) {
  const server = await daemon(
    [
      join(root, 'node_modules', '.bin', 'tsx'),
      '--conditions=@paywire/source',
      'src/reference/main.ts',
      '--port',
      '0',
      ...args,
    ],
    /listening on (http:\/\/127\.0\.0\.1:\d+)/,
    { cwd: join(root, 'packages', 'server') },
  )
  return { url: server.match[1] as string, stop: server.stop }
}

/** The binary itself, for `daemon`. */
export function command(...args: string[]): string[] {
  return [process.execPath, binary, ...args]
}

function collect(child: ChildProcess): Promise<Run> {
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8')
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })))
}

/** Whether util-linux `script` is here to give the binary a terminal. */
export const hasScript =
  process.platform === 'linux' &&
  spawnSync('script', ['--version'], { encoding: 'utf8' }).stdout?.includes('util-linux') === true

/**
 * Runs `paywire ...args` on a pseudo-terminal (util-linux `script`), typing each answer
 * once its prompt has appeared. Everything the terminal shows comes back as `stdout`.
 */
export function onTerminal(
  args: readonly string[],
  answers: ReadonlyArray<readonly [RegExp, string]>,
  options: { env?: Record<string, string> } = {},
): Promise<Run> {
  const quoted = [process.execPath, binary, ...args].map(
    (arg) => `'${arg.replaceAll("'", `'\\''`)}'`,
  )
  const child = spawn('script', ['-qec', quoted.join(' '), '/dev/null'], {
    env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), TERM: 'dumb', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let seen = ''
  let next = 0
  child.stdout?.on('data', (chunk: Buffer) => {
    seen += chunk.toString('utf8')
    const answer = answers[next]
    if (answer?.[0].test(seen)) {
      next += 1
      seen = ''
      child.stdin?.write(answer[1])
    }
  })
  const result = collect(child)
  void result.then(() => child.stdin?.end())
  return result
}
