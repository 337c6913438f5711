// `tsx src/profileServer.ts <dir> [seconds] [library] [binding] [connections]`: a CPU profile
// of one server process of the HTTP scenarios (default: paywire, Node binding, 10
// connections, 10 s) while autocannon drives its paid route, sampled every 100 µs; the
// profile is written under <dir>. No warm-up is left out: every request the server handled
// is counted, so `tsx src/profileSummary.ts <profile> 40 --requests <requests printed>`
// gives the CPU per request (add `--focus guard` to count only the paywall's work).
import * as Http from './Http.js'
import * as Load from './Load.js'
import * as MppxTestMethod from './MppxTestMethod.js'

const [dir, secondsText, libraryText, bindingText, connectionsText] = process.argv.slice(2)
if (dir === undefined)
  throw new Error('usage: profileServer.ts <dir> [seconds] [library] [binding] [connections]')
const library = (libraryText ?? 'paywire') as 'paywire' | 'mppx' | 'unpaid'
const binding = (bindingText ?? 'node') as 'node' | 'hono'
const duration = Number(secondsText ?? 10)
const connections = Number(connectionsText ?? 10)
process.env.BENCH_SERVER_CPU_PROF = dir
process.env.BENCH_SERVER_CPU_PROF_INTERVAL ??= '100'

const pool =
  library === 'paywire'
    ? await Http.credentials(60_000)
    : library === 'mppx'
      ? await MppxTestMethod.credentials(30_000)
      : undefined
const spend = pool === undefined ? undefined : Load.spender(pool)
const result = await Load.run(
  { binding, library },
  { connections, duration, warmup: 0, authorization: spend?.next },
)
console.log(JSON.stringify({ library, binding, connections, ...result, wrapped: spend?.wrapped }))
