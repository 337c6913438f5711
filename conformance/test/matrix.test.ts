// The client × server matrix on one local Tempo node (targets/matrix.ts): paywire's adapter
// and the mppx adapter (built commands, driven through http.payment_request) each pay
// paywire's reference server (Tempo charge) and the mppx server target once. Each cell's
// outcome is asserted: every client pays every server.
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
}, 180_000)

afterAll(() => started?.stop())

function cell(client: string, server: string): Matrix.Cell {
  const found = live.cells.find((c) => c.client === client && c.server === server)
  if (found === undefined) throw new Error(`no cell ${client} × ${server}`)
  return found
}

describe('the matrix on one Tempo node', () => {
  it('has one cell per client × server, clients first', () => {
    expect(live.cells.map((c) => `${c.client}×${c.server}`)).toEqual([
      'paywire×paywire',
      'paywire×mppx',
      'mppx×paywire',
      'mppx×mppx',
    ])
  })

  it("paywire's client pays paywire's reference server once: 200, a tempo receipt naming the transaction {tempo.charge.receipt.return}", () => {
    expect(cell('paywire', 'paywire')).toMatchObject({
      outcome: 'paid',
      status: 200,
      verdict: 'pass',
      payment: { method: 'tempo', intent: 'charge', amount: '1000' },
    })
    expect(cell('paywire', 'paywire').payment?.reference).toMatch(/^0x[0-9a-f]{64}$/)
  })

  it("paywire's client pays mppx's server once, its transfer bound by mppx's attribution memo (DEVIATIONS rows 6 and 25) {tempo.charge.binding.client-attribution}", () => {
    expect(cell('paywire', 'mppx')).toMatchObject({
      outcome: 'paid',
      status: 200,
      verdict: 'pass',
      payment: { method: 'tempo', intent: 'charge', amount: '1000' },
    })
  })

  it("mppx's client pays paywire's reference server once: 200, a tempo receipt", () => {
    expect(cell('mppx', 'paywire')).toMatchObject({
      outcome: 'paid',
      status: 200,
      verdict: 'pass',
      payment: { method: 'tempo', intent: 'charge', amount: '1000' },
    })
  })

  it("mppx's client pays mppx's server once: 200, a tempo receipt", () => {
    expect(cell('mppx', 'mppx')).toMatchObject({
      outcome: 'paid',
      status: 200,
      verdict: 'pass',
      payment: { method: 'tempo', intent: 'charge', amount: '1000' },
    })
  })

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
    expect(paid).toHaveLength(4)
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
