// Records the suite's results against the mppx package in conformance/results/:
//   adapter: `paywire-conformance vectors` against adapters/mppx (mppx's codecs)
//            -> results/mppx-adapter.{json,md}
//   server:  `paywire-conformance server` against targets/mppx-server.ts (mppx's server
//            with its Tempo charge on a local Tempo node) -> results/mppx-server.{json,md}
//   client:  `paywire-conformance client` against adapters/mppx (mppx's paying client behind
//            its http.payment_request) -> results/mppx-client.{json,md}
// Usage: pnpm --filter @paywire/conformance results:mppx [adapter|server|client]...
// [--mode pull|push] (all three when none is named). Needs a prior `pnpm --filter "@paywire/conformance..." build`:
// it runs the built command, as users do. Failing tests are findings, not errors of this
// script: it exits non-zero only when a run could not be made (exit status 2, or no report).
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import * as MppxServer from '../targets/mppx-server.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const bin = join(packageDir, 'dist/cli/main.js')
const results = join(packageDir, 'results')

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { mode: { type: 'string', default: 'pull' } },
})
const runs = positionals.length === 0 ? ['adapter', 'server', 'client'] : positionals
for (const run of runs)
  if (run !== 'adapter' && run !== 'server' && run !== 'client')
    throw new Error(`unknown run "${run}"`)
if (values.mode !== 'pull' && values.mode !== 'push') throw new Error('--mode is pull or push')
if (!existsSync(bin) || !existsSync(join(packageDir, 'dist/adapters/mppx/main.js')))
  throw new Error(`${bin} is missing: run \`pnpm --filter "@paywire/conformance..." build\``)

if (runs.includes('adapter'))
  await cli([
    'vectors',
    '--adapter',
    join(packageDir, 'adapters/mppx/adapter.json'),
    ...reports('mppx-adapter'),
  ])

if (runs.includes('server')) {
  // The built suite reads the configuration: offer it only the fields its schema knows.
  const { schema } = await import(join(packageDir, 'dist/server/Config.js'))
  const { settingsSchema } = await import(join(packageDir, 'dist/server/TempoPayer.js'))
  const target = await MppxServer.start({
    mode: values.mode,
    schema,
    payerShape: settingsSchema?.shape,
  })
  const work = mkdtempSync(join(tmpdir(), 'paywire-mppx-'))
  try {
    const config = join(work, 'config.json')
    writeFileSync(config, JSON.stringify(target.config))
    await cli(['server', target.url, '--config', config, ...reports('mppx-server')])
  } finally {
    rmSync(work, { recursive: true, force: true })
    await target.stop()
  }
}

if (runs.includes('client'))
  await cli([
    'client',
    '--adapter',
    join(packageDir, 'adapters/mppx/adapter.json'),
    ...reports('mppx-client'),
  ])

function reports(name: string): string[] {
  return ['--json', join(results, `${name}.json`), '--markdown', join(results, `${name}.md`)]
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
