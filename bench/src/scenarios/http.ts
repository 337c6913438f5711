// Scenario 5: HTTP over loopback. The same route, `GET /paid`, served unpaid (the floor),
// paid with paywire and paid with mppx (the same test method, defined with each SDK's own
// custom-method API: src/MppxTestMethod.ts), over the Node `http` binding and over Hono.
// Each server runs in its own process; autocannon drives it from this one. Every paid
// request carries a fresh credential for a challenge the server would have issued: binding
// check, expiry, price, single-use claim, the method's proof and claim, and a receipt.
// Unpaid, paywire and mppx runs alternate, `rounds` times each.
import * as Http from '../Http.js'
import * as Load from '../Load.js'
import * as MppxTestMethod from '../MppxTestMethod.js'
import { atLeast, type Row, type ScenarioResult } from '../Report.js'

/** Paid / unpaid rate targets of the issue, per binding. */
const targets = { node: 0.5, hono: 0.4 } as const

/** Timing of one HTTP run. */
export type Timing = { connections: number; duration: number; warmup: number; rounds: number }

/** The timing of scenario 5 (and the others driving HTTP). */
export function timing(quick: boolean): Timing {
  return quick
    ? { connections: 4, duration: 1, warmup: 0.5, rounds: 1 }
    : { connections: 10, duration: 3, warmup: 1, rounds: 2 }
}

/** Runs scenario 5. */
export async function run(quick: boolean): Promise<ScenarioResult> {
  const time = timing(quick)
  // Every server is started once; each round drives it with credentials of its own.
  const pools = {
    paywire: Load.slices(await Http.credentials(quick ? 10_000 : 90_000), time.rounds),
    mppx: Load.slices(await MppxTestMethod.credentials(quick ? 3_000 : 30_000), time.rounds),
  }
  const libraries = ['unpaid', 'paywire', 'mppx'] as const
  const rows: Row[] = []
  for (const binding of ['node', 'hono'] as const) {
    let wrapped = false
    const runs: Record<(typeof libraries)[number], Load.Run[]> = {
      unpaid: [],
      paywire: [],
      mppx: [],
    }
    await Load.withServers(
      libraries.map((library) => ({ binding, library })),
      async (servers) => {
        for (let round = 0; round < time.rounds; round++)
          for (const [index, library] of libraries.entries()) {
            const spend =
              library === 'unpaid' ? undefined : Load.spender(pools[library][round] as string[])
            runs[library].push(
              await Load.drive({
                ...time,
                port: (servers[index] as Load.Server).port,
                authorization: spend?.next,
              }),
            )
            wrapped ||= spend?.wrapped === true
          }
      },
    )
    const unpaid = Load.total(runs.unpaid)
    const pw = Load.total(runs.paywire)
    const mx = Load.total(runs.mppx)
    const notes = [
      ...Load.faults('unpaid route', unpaid),
      ...Load.faults('paywire paid route', pw),
      ...Load.faults('mppx paid route', mx),
      `${time.connections} connections, ${time.rounds} x ${time.duration} s per side after ${time.warmup} s of warm-up, the three servers started once and driven in turn; a fresh credential per paid request`,
    ]
    if (wrapped) notes.push('a credential pool wrapped: some paid requests were replays (402)')
    rows.push({
      scenario: 5,
      case:
        binding === 'node'
          ? 'Node http binding (paywall middleware; mppx: Mppx.toNodeListener)'
          : 'Hono binding (@hono/node-server; mppx: mppx/hono payment)',
      unit: 'req/s',
      measurements: [
        Load.measurement('floor', 'GET /paid, unpaid (same handler)', unpaid),
        Load.measurement('paywire', 'GET /paid, paid (credential per request)', pw),
        Load.measurement('mppx', 'GET /paid, paid (credential per request)', mx),
      ],
      ratios: [
        atLeast('paywire paid / unpaid req/s', pw.served / unpaid.served, targets[binding]),
        atLeast('paywire paid / mppx paid req/s', pw.served / mx.served, 3),
        { name: 'mppx paid / unpaid req/s (informative)', value: mx.served / unpaid.served },
        {
          name: 'paywire: added server time per paid request, µs (1/paid - 1/unpaid; informative)',
          value: 1e6 / pw.served - 1e6 / unpaid.served,
        },
        { name: 'paywire: added mean latency, ms (informative)', value: pw.mean - unpaid.mean },
      ],
      notes,
    })
  }
  return {
    scenario: 5,
    title: 'HTTP over loopback: paid route against the same route unpaid, paywire and mppx',
    rows,
    skipped: [],
  }
}
