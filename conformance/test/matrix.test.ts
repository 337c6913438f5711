// The client × server matrix on one local Tempo node (targets/matrix.ts): paywire's adapter
// and the mppx adapter (built commands, driven through http.payment_request) each pay a
// paywire server and the mppx server target, in pull, push and sponsored modes, with the
// credential in Authorization and in Payment-Authorization (the request also carrying the
// Bearer token the server checks). Each cell's outcome is asserted: every cell is paid but
// the fee-sponsored cells between paywire and mppx, expected failures naming their row of
// spec/DEVIATIONS.md and the draft section paywire follows.
// The checked-in results/matrix.json must fit the schema, give every cell the outcome and
// verdict found live, and results/matrix.md must be its rendering.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Chain } from '@paywire/method-tempo'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Matrix from '../src/Matrix.js'
import * as MatrixReport from '../src/MatrixReport.js'
import * as MatrixTarget from '../targets/matrix.js'

let started: MatrixTarget.Started | undefined
let live: Matrix.Matrix

beforeAll(async () => {
  started = await MatrixTarget.start()
  live = await Matrix.run(Matrix.read(started.config, MatrixTarget.packageDir))
}, 240_000)

afterAll(() => started?.stop())

const clients = ['paywire', 'mppx'] as const
const servers = (['paywire', 'mppx'] as const).flatMap((server) =>
  MatrixTarget.modes.flatMap((mode) =>
    MatrixTarget.fields.map((field) => ({
      server,
      mode,
      field,
      name: MatrixTarget.entry(server, mode, field),
    })),
  ),
)
const all = clients.flatMap((client) => servers.map((server) => ({ client, ...server })))
/** The fee-sponsored cells across implementations: the expected failures. */
const crossSponsored = (c: (typeof all)[number]) => c.mode === 'sponsored' && c.client !== c.server
const paying = all.filter((c) => !crossSponsored(c))
const expectedFailures = all.filter(crossSponsored)

function cell(client: string, server: string): Matrix.Cell {
  const found = live.cells.find((c) => c.client === client && c.server === server)
  if (found === undefined) throw new Error(`no cell ${client} × ${server}`)
  return found
}

describe('the matrix on one Tempo node', () => {
  it('has one cell per client × server × mode × credential field, clients first', () => {
    expect(live.cells).toHaveLength(24)
    expect(live.cells.map((c) => `${c.client}×${c.server}`)).toEqual(
      all.map((c) => `${c.client}×${c.name}`),
    )
  })

  it.each(paying)(
    '$client client pays the $server server, $mode, credential in $field: 200, one tempo receipt {tempo.charge.receipt.return}',
    ({ client, name }) => {
      expect(cell(client, name)).toMatchObject({
        outcome: 'paid',
        status: 200,
        verdict: 'pass',
        payment: { method: 'tempo', intent: 'charge', amount: '1000' },
      })
      expect(cell(client, name).payment?.reference).toMatch(/^0x[0-9a-f]{64}$/)
    },
  )

  it("paywire's client pays mppx's server in pull and push, in both fields, its transfer bound by mppx's attribution memo (DEVIATIONS rows 6 and 25) {tempo.charge.binding.client-attribution}", () => {
    const cells = paying.filter((c) => c.client === 'paywire' && c.server === 'mppx')
    expect(cells.map((c) => c.mode).sort()).toEqual(['pull', 'pull', 'push', 'push'])
    for (const { name } of cells)
      expect(cell('paywire', name), name).toMatchObject({ outcome: 'paid', verdict: 'pass' })
  })

  it.each(expectedFailures)(
    '$client client × $server server, sponsored, $field: refused by the server as expected, naming a DEVIATIONS row and the draft section',
    ({ client, name }) => {
      const found = cell(client, name)
      expect(found).toMatchObject({ outcome: 'refused', by: 'server', verdict: 'xfail' })
      expect(found.expected?.reason).toMatch(/spec\/DEVIATIONS\.md, row \d+/)
      expect(found.expected?.reason).toMatch(/tempo-charge §\d/)
    },
  )

  it('names in each expected failure a row that spec/DEVIATIONS.md holds, about the same side', () => {
    const deviations = readFileSync(join(MatrixTarget.packageDir, '../spec/DEVIATIONS.md'), 'utf8')
    for (const entry of MatrixTarget.expected) {
      const row = /row (\d+)\)/.exec(entry.reason)?.[1]
      const line = deviations.split('\n').find((l) => new RegExp(`^\\| ${row} +\\|`).test(l))
      expect(line, `row ${row}`).toBeDefined()
      expect(line).toContain(`mppx 0.11.0 ${entry.client === 'mppx' ? 'client' : 'server'}`)
    }
  })

  it.each(['paywire', 'mppx'] as const)(
    "the %s server's Payment-Authorization route selects that field and checks the Bearer token first (401 without it, nothing charged) {core.header.select}",
    async (server) => {
      const target = started?.config.servers.find(
        (s) => s.name === MatrixTarget.entry(server, 'pull', 'payment-authorization'),
      )
      const url = new URL(target?.route.path ?? '', target?.url).href
      expect((await fetch(url)).status).toBe(401)
      const challenged = await fetch(url, {
        headers: { authorization: `Bearer ${MatrixTarget.bearerToken}` },
      })
      expect(challenged.status).toBe(402)
      expect(challenged.headers.get('www-authenticate')).toMatch(/header="Payment-Authorization"/)
    },
  )

  it('names, in each paid cell, a transaction that succeeded on the node', async () => {
    const payer = started?.config.servers[0]?.payer as { methods: { tempo: { rpcUrl: string } } }
    const { rpcUrl } = payer.methods.tempo
    const response = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    })
    const chainId = Number(BigInt(((await response.json()) as { result: string }).result))
    const chain = Chain.fromRpc({ rpcUrl, chainId })
    const paid = live.cells.filter((c) => c.outcome === 'paid')
    expect(paid).toHaveLength(paying.length)
    const references = paid.map((c) => c.payment?.reference)
    expect(new Set(references).size, 'one transaction per paid cell').toBe(paid.length)
    for (const paidCell of paid) {
      const receipt = await chain.getTransactionReceipt(
        paidCell.payment?.reference as `0x${string}`,
      )
      expect(receipt?.status, `${paidCell.client} × ${paidCell.server}`).toBe('success')
    }
  })

  it('carries no payer key in any report', () => {
    const payer = started?.config.servers[0]?.payer as
      | { methods: { tempo: { privateKey: string } } }
      | undefined
    const key = payer?.methods.tempo.privateKey ?? ''
    expect(key).toMatch(/^0x[0-9a-fA-F]{64}$/)
    for (const text of [
      MatrixReport.json(live),
      MatrixReport.markdown(live),
      MatrixReport.text(live),
    ])
      expect(text.toLowerCase()).not.toContain(key.slice(2).toLowerCase())
  })
})

describe('the recorded results (results/matrix.{json,md})', () => {
  const recorded = JSON.parse(
    readFileSync(join(MatrixTarget.packageDir, 'results/matrix.json'), 'utf8'),
  ) as Matrix.Matrix

  it('fit the schema, and the Markdown is the rendering of the JSON', () => {
    expect(Matrix.schema.safeParse(recorded).success).toBe(true)
    const markdown = readFileSync(join(MatrixTarget.packageDir, 'results/matrix.md'), 'utf8')
    expect(markdown).toBe(MatrixReport.markdown(recorded))
  })

  it('are summed up in the matrix row of docs/conformance-results.md', () => {
    const page = readFileSync(
      join(MatrixTarget.packageDir, '../docs/conformance-results.md'),
      'utf8',
    )
    const { total, pass, fail, warn, xfail } = recorded.summary
    const counts = [total, pass, fail, warn, xfail, recorded.summary['n/a']].join(' *\\| *')
    expect(page, 'rerun results:matrix and update the row').toMatch(
      new RegExp(`\\| matrix +\\| *${counts} *\\|`),
    )
  })

  it('give every cell the outcome and verdict found live', () => {
    const shape = (matrix: Matrix.Matrix) =>
      matrix.cells.map(({ client, server, outcome, by, verdict }) => ({
        client,
        server,
        outcome,
        by,
        verdict,
      }))
    expect(shape(recorded)).toEqual(shape(live))
  })
})

describe('schemas/matrix.schema.json', () => {
  it('is generated from the zod schema', () => {
    const file = readFileSync(join(MatrixTarget.packageDir, 'schemas/matrix.schema.json'), 'utf8')
    expect(JSON.parse(file)).toEqual(Matrix.jsonSchema())
  })
})
