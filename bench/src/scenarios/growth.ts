// Scenario 9: how the cost of a paid request grows. (a) The paid route of scenario 5 (Node
// binding, memory store) under 10, 100 and 1,000 concurrent connections: req/s, p50, p99.
// (b) paywire with its Redis store, one server process, then two processes sharing the same
// Redis (each driven by its own load at once, with its own credentials): req/s per process.
// On this machine the processes, the load generator and Redis share two cores; the
// projection to N cores is in bench/README.md.
import * as Http from '../Http.js'
import * as Load from '../Load.js'
import type { Row, ScenarioResult } from '../Report.js'
import { timing } from './http.js'
import { services } from './stores.js'

/** Runs scenario 9. */
export async function run(quick: boolean): Promise<ScenarioResult> {
  const time = timing(quick)
  const once = { duration: time.duration, warmup: time.warmup }
  const levels = [10, 100, 1_000]
  const redis = (tag: string): Http.Server => ({
    binding: 'node',
    library: 'paywire',
    store: {
      kind: 'redis',
      url: services.redis,
      prefix: `paywire-bench:growth:${process.pid}:${tag}:`,
    },
  })
  // One credential slice per run: the level runs share one server, the Redis runs share Redis.
  // Each slice covers a run at ~10,000 req/s; one that runs out is reported, never hidden.
  const pool = Load.slices(await Http.credentials(quick ? 60_000 : 300_000), 6)
  const spenders = pool.map((credentials) => Load.spender(credentials))
  const slice = (index: number) => (spenders[index] as ReturnType<typeof Load.spender>).next
  const rows: Row[] = []
  const byLevel: Load.Run[] = []
  let single: Load.Run | undefined
  let pair: Load.Run[] = []
  await Load.withServers(
    [{ binding: 'node', library: 'paywire' }, redis('one'), redis('two'), redis('two')],
    async ([memory, one, first, second]) => {
      const port = (server: Load.Server | undefined) => (server as Load.Server).port
      for (const [index, connections] of levels.entries())
        byLevel.push(
          await Load.drive({
            ...once,
            port: port(memory),
            connections,
            authorization: slice(index),
            timeout: 30,
          }),
        )
      single = await Load.drive({
        ...once,
        port: port(one),
        connections: time.connections,
        authorization: slice(3),
      })
      // Two processes on one Redis, driven at once, each with credentials of its own.
      pair = await Promise.all(
        [first, second].map((server, index) =>
          Load.drive({
            ...once,
            port: port(server),
            connections: time.connections,
            authorization: slice(4 + index),
          }),
        ),
      )
    },
  )
  rows.push({
    scenario: 9,
    case: 'paid route (Node binding, memory store) by concurrent connections',
    unit: 'req/s',
    measurements: levels.map((connections, index) =>
      Load.measurement('paywire', `${connections} connections`, byLevel[index] as Load.Run),
    ),
    ratios: levels.map((connections, index) => ({
      name: `p99 / p50 latency at ${connections} connections (informative)`,
      value: (byLevel[index] as Load.Run).p99 / Math.max(1, (byLevel[index] as Load.Run).p50),
    })),
    notes: [
      ...levels.flatMap((connections, index) =>
        Load.faults(`${connections} connections`, byLevel[index] as Load.Run),
      ),
      `1 x ${once.duration} s per level after ${once.warmup} s of warm-up, one server throughout; p50/p99 in whole ms (autocannon)`,
    ],
  })
  const ranOut = (from: number, to: number) =>
    spenders.slice(from, to).some((spender) => spender.wrapped)
      ? ['a credential slice ran out: some paid requests were replays (402)']
      : []
  ;(rows[0] as Row).notes.push(...ranOut(0, 3))
  const [a, b] = pair as [Load.Run, Load.Run]
  const one = single as Load.Run
  rows.push({
    scenario: 9,
    case: 'paid route with the Redis store: one process, then two sharing Redis',
    unit: 'req/s',
    measurements: [
      Load.measurement('paywire', 'one process', one),
      Load.measurement('paywire', 'two processes: the first', a),
      Load.measurement('paywire', 'two processes: the second', b),
    ],
    ratios: [
      {
        name: 'two processes together / one process req/s',
        value: (a.served + b.served) / one.served,
      },
    ],
    notes: [
      ...Load.faults('one process', one),
      ...Load.faults('two processes, first', a),
      ...Load.faults('two processes, second', b),
      ...ranOut(3, 6),
      `${time.connections} connections per process; both processes, both load generators and Redis share this machine's cores`,
    ],
  })
  return { scenario: 9, title: 'How the cost of a paid request grows', rows, skipped: [] }
}
