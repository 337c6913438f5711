// Records the client × server matrix on one local Tempo node (targets/matrix.ts): paywire's
// adapter and the mppx adapter, each paying a paywire server (Tempo charge) and the mppx
// server target in pull, push and sponsored modes, with the credential in Authorization and
// in Payment-Authorization -> results/matrix.{json,md}.
// Usage: pnpm --filter @paywire/conformance results:matrix
// Needs a prior `pnpm --filter "@paywire/conformance..." build`: it runs the built command,
// as users do. Cells that fail are findings, not errors of this script: it exits non-zero
// only when the run could not be made (exit status 2, or no report).
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import * as MatrixTarget from '../targets/matrix.js'

const { packageDir } = MatrixTarget
const bin = join(packageDir, 'dist/cli/main.js')
const results = join(packageDir, 'results')

if (!existsSync(bin) || !existsSync(join(packageDir, 'dist/adapters/mppx/flow.js')))
  throw new Error(`${bin} is missing: run \`pnpm --filter "@paywire/conformance..." build\``)

const started = await MatrixTarget.start()
const work = mkdtempSync(join(tmpdir(), 'paywire-matrix-'))
try {
  const config = join(work, 'matrix.json')
  // The configuration is written elsewhere: its manifests' paths must not be relative.
  const clients = started.config.clients.map((client) =>
    'adapter' in client && !isAbsolute(client.adapter)
      ? { ...client, adapter: join(packageDir, client.adapter) }
      : client,
  )
  writeFileSync(config, JSON.stringify({ ...started.config, clients }))
  await cli([
    'matrix',
    '--config',
    config,
    '--json',
    join(results, 'matrix.json'),
    '--markdown',
    join(results, 'matrix.md'),
  ])
} finally {
  rmSync(work, { recursive: true, force: true })
  await started.stop()
}

/** Runs the built command; resolves when it wrote its reports (exit 0 or 1). */
function cli(args: readonly string[]): Promise<void> {
  console.error(`$ paywire-conformance ${args.join(' ')}`)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: 'inherit', cwd: packageDir })
    child.on('error', reject)
    child.on('close', (status) =>
      status === 0 || status === 1
        ? resolve()
        : reject(new Error(`paywire-conformance exited with status ${status}`)),
    )
  })
}
