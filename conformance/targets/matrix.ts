// The client × server matrix on one local Tempo node: the mppx server target
// (targets/mppx-server.ts, which starts the node) and paywire's reference server with the
// Tempo charge only (`pnpm serve:reference --methods tempo --tempo-rpc <node>`), paid by
// paywire's adapter and the mppx adapter (their manifests in adapters/, built commands).
// Every cell pays `GET /paid` in pull mode from the target's funded payer account, under a
// policy capping pathUSD at 0.01 and allowing plain HTTP to the two loopback servers only
// (and, for the mppx target, its realm).
// The cells not expected paid name their row in spec/DEVIATIONS.md.
//
// Used by test/matrix.test.ts and scripts/results-matrix.ts; run `Matrix.run(Matrix.read(
// started.config, packageDir))` on what {@link start} gives.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { TempoNode } from '@paywire/testkit'
import type * as Matrix from '../src/Matrix.js'
import * as MppxServer from './mppx-server.js'

/** The package directory: the configuration's relative paths start there. */
export const packageDir = fileURLToPath(new URL('..', import.meta.url))

/**
 * The cells not expected to be paid, with why: none since paywire's client binds its
 * transfer with mppx's attribution memo where a challenge names no memo (spec/DEVIATIONS.md,
 * rows 6 and 25).
 */
export const expected: NonNullable<Matrix.Config['expected']> = []

/** The realm of the mppx server target (targets/mppx-server.ts). */
export const mppxRealm = 'mppx.conformance.test'

/** The running servers and the matrix configuration for them. */
export type Started = { config: Matrix.Config; stop(): Promise<void> }

/**
 * Starts the node and both servers.
 *
 * @example
 * ```ts
 * import * as MatrixTarget from './matrix.js'
 * const started = await MatrixTarget.start()
 * await started.stop()
 * ```
 */
export async function start(
  options: { mode?: 'pull' | 'push' | undefined } = {},
): Promise<Started> {
  // Challenges live 30 s: a pull transaction is signed valid until then (Tempo refuses 3 s or less).
  const mppx = await MppxServer.start({ expiresSeconds: 30, mode: options.mode })
  let reference: Awaited<ReturnType<typeof startReference>> | undefined
  try {
    const settings = mppx.config.methods?.tempo as { rpcUrl: string; privateKey: string }
    reference = await startReference(settings.rpcUrl)
    const payer = (url: string, realms?: string[]) => ({
      methods: {
        tempo: {
          rpcUrl: settings.rpcUrl,
          privateKey: settings.privateKey,
          mode: options.mode ?? 'pull',
        },
      },
      policy: {
        currencies: { [TempoNode.pathUsd]: { maxAmount: '10000' } },
        insecureOrigins: [new URL(url).origin],
        ...(realms === undefined ? {} : { realms }),
      },
    })
    const route = { path: '/paid', method: 'GET' as const }
    const config: Matrix.Config = {
      clients: [
        { name: 'paywire', adapter: 'adapters/paywire/adapter.json' },
        { name: 'mppx', adapter: 'adapters/mppx/adapter.json' },
      ],
      servers: [
        { name: 'paywire', url: reference.url, route, payer: payer(reference.url) },
        // The mppx target names its realm, not its host: paywire's client accepts only the host by default.
        { name: 'mppx', url: mppx.url, route, payer: payer(mppx.url, [mppxRealm]) },
      ],
      expected,
    }
    const stopReference = reference.stop
    return {
      config,
      stop: async () => {
        await stopReference()
        await mppx.stop()
      },
    }
  } catch (error) {
    await reference?.stop()
    await mppx.stop()
    throw error
  }
}

/** `pnpm serve:reference` with the Tempo charge only, in its own process group. */
function startReference(rpcUrl: string): Promise<{ url: string; stop(): Promise<void> }> {
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const args = ['serve:reference', '--port', '0', '--expires', '30', '--skew', '1']
  const child: ChildProcess = spawn(
    'pnpm',
    [...args, '--methods', 'tempo', '--tempo-rpc', rpcUrl],
    {
      cwd: root,
      detached: true,
      env: { ...process.env, PAYWIRE_SECRET_KEY: 'matrix-run-secret-of-at-least-32-bytes-long' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const stop = async () => {
    if (child.pid === undefined || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    process.kill(-child.pid, 'SIGTERM')
    await exited
  }
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => {
      void stop()
      reject(new Error(`reference server did not start:\n${output}`))
    }, 30_000)
    const read = (chunk: Buffer) => {
      output += chunk.toString()
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]
      if (url === undefined) return
      clearTimeout(timer)
      resolve({ url, stop })
    }
    child.stdout?.on('data', read)
    child.stderr?.on('data', read)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`reference server exited (${code}):\n${output}`))
    })
  })
}
