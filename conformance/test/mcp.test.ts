// The MCP checks must never pass a broken MCP server: each fixture with one of the defects
// of issue 25 (findings 1-3) fails on the check naming it, while @paywire/mcp's gate
// passes every MCP check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as McpConfig from '../src/mcp/Config.js'
import * as McpSuite from '../src/mcp/Suite.js'
import type * as Results from '../src/Results.js'
import { type McpDefect, mcpDefects, mcpFixture, startMcp } from './fixtures/mcp-server.js'

/** Each defect and the check that must fail on it. */
const caughtBy: Record<McpDefect, string> = {
  'resource-raw-uri': 'mcp.resources.spelling',
  'template-unprotected': 'mcp.resources.template',
  'id-reuse-releases': 'mcp.ids.reused-in-flight',
  'cancel-releases': 'mcp.settle.cancelled',
  'close-releases': 'mcp.settle.disconnected',
}

const runs = new Map<string, Results.Results>()
const servers: Array<{ close(): Promise<void> }> = []

async function runAgainst(name: string, defect: McpDefect | undefined): Promise<void> {
  const server = await startMcp({ defect })
  servers.push(server)
  const config = McpConfig.from(mcpFixture.config)
  runs.set(name, await McpSuite.run({ url: server.url, config }))
}

beforeAll(async () => {
  await Promise.all([
    runAgainst('correct', undefined),
    ...mcpDefects.map((defect) => runAgainst(defect, defect)),
  ])
}, 120_000)

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()))
})

describe('the correct MCP fixture (@paywire/mcp)', () => {
  it('passes every MCP check', () => {
    const results = runs.get('correct') as Results.Results
    expect(results.mode).toBe('mcp')
    expect(results.results.map((r) => [r.id, r.verdict, r.message])).toEqual(
      results.results.map((r) => [r.id, 'pass', r.message]),
    )
    expect(results.results.length).toBeGreaterThanOrEqual(8)
  })
})

describe('each broken MCP fixture', () => {
  it.each(mcpDefects.map((defect) => [defect, caughtBy[defect]] as const))(
    'with %s fails on %s',
    (defect, id) => {
      const results = runs.get(defect) as Results.Results
      const failed = results.results.filter((r) => r.verdict === 'fail').map((r) => r.id)
      expect(failed).toContain(id)
      expect(results.results.filter((r) => r.verdict === 'error')).toEqual([])
    },
  )

  it('names every defect in the table', () => {
    expect(Object.keys(caughtBy).sort()).toEqual([...mcpDefects].sort())
  })
})
