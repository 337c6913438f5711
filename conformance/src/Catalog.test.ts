// The catalog is well-formed: stable, unique ids; every requirement id it names exists in
// spec/requirements and binds servers (server and MCP checks), clients (client checks) or some
// implementation (vector tests); each test's level is the strongest of its requirements;
// capabilities come from a known vocabulary; the vector tests are those of spec/vectors,
// with the ids their cases name; filters select as documented.
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import * as Catalog from './Catalog.js'
import * as Vectors from './Vectors.js'

type Requirement = { id: string; level: string; binds: string[] }

const requirementsDir = fileURLToPath(new URL('../../spec/requirements/', import.meta.url))
const requirements = new Map<string, Requirement>(
  readdirSync(requirementsDir)
    .filter((name) => name.endsWith('.json'))
    .flatMap((name) => JSON.parse(readFileSync(requirementsDir + name, 'utf8')) as Requirement[])
    .map((entry) => [entry.id, entry]),
)

const strength = (level: string) =>
  level.startsWith('MUST') ? 3 : level.startsWith('SHOULD') ? 2 : 1
const capability =
  /^(payment|mcp:(resource|template|after-success)|transport:https?|expiry:wait|offers:several|route:(body|query|other|denied|sponsored|effects|session)|secret|log|(method|intent|extension|payment):[a-z0-9-]+|adapter:http\.payment_request|adapter:(base64url|challenge|credential|receipt)\.[a-z]+)$/
const specVectors = fileURLToPath(new URL('../../spec/vectors/', import.meta.url))

describe('Catalog.tests', () => {
  it("has unique ids of the form <mode>.<group>.<name>, the mode being the entry's", () => {
    const ids = Catalog.tests.map((test) => test.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const test of Catalog.tests) {
      expect(test.id.split('.')[0]).toBe(test.mode)
      if (test.mode === 'vectors')
        expect(test.id).toMatch(/^vectors\.[a-z0-9-]+\.([a-z]+\.)?[A-Za-z0-9_-]+$/)
      else expect(test.id).toMatch(/^(server|client|mcp)\.[a-z0-9-]+(\.[a-z0-9-]+)+$/)
    }
    expect(ids.filter((id) => id.startsWith('mcp.')).length).toBe(Catalog.mcpChecks.length)
    expect(ids.filter((id) => id.startsWith('client.')).length).toBe(Catalog.clientChecks.length)
    expect(ids.filter((id) => id.startsWith('server.')).length).toBe(Catalog.serverChecks.length)
  })

  it('lists every vector test of spec/vectors, naming the requirements of its case', () => {
    const cases = Vectors.cases(Vectors.load(specVectors))
    const listed = Catalog.tests
      .filter((test) => test.mode === 'vectors')
      .map(({ id, requirements, level }) => ({ id, requirements, level }))
    expect(listed).toEqual(
      cases.map(({ id, requirements, level }) => ({ id, requirements, level })),
    )
    const shared = listed.find(
      (test) =>
        test.id === 'vectors.www-authenticate.parse.unknown-method-with-exotic-methoddetails',
    )
    expect(shared?.requirements).toContain('charge.client.display-shared')
    expect(listed.find((test) => test.id === 'vectors.base64url.reject.padding')).toEqual({
      id: 'vectors.base64url.reject.padding',
      requirements: ['core.challenge.request.no-padding'],
      level: 'MUST',
    })
  })

  it('names only requirement ids that exist in spec/requirements', () => {
    const unknown = Catalog.tests.flatMap((test) =>
      test.requirements.filter((id) => !requirements.has(id)).map((id) => `${test.id}: ${id}`),
    )
    expect(requirements.size).toBeGreaterThan(100)
    expect(unknown).toEqual([])
  })

  it('names at least one requirement per check, each binding the side the check checks', () => {
    for (const test of Catalog.tests.filter((entry) => entry.mode !== 'vectors')) {
      expect(test.requirements.length, test.id).toBeGreaterThan(0)
      // MCP checks check MCP servers.
      const side = test.mode === 'mcp' ? 'server' : test.mode
      for (const id of test.requirements)
        expect(requirements.get(id)?.binds, `${test.id}: ${id}`).toContain(side)
    }
  })

  it('names, per vector test, only requirements that bind an implementation', () => {
    const vectors = Catalog.tests.filter((entry) => entry.mode === 'vectors')
    expect(vectors.length).toBeGreaterThan(90)
    for (const test of vectors)
      for (const id of test.requirements)
        expect(requirements.get(id)?.binds.length, `${test.id}: ${id}`).toBeGreaterThan(0)
    // A case that checks only an RFC grammar the drafts cite without a keyword names none.
    expect(vectors.filter((test) => test.requirements.length > 0).length).toBeGreaterThan(
      vectors.length - 10,
    )
  })

  it('marks every client check as needing the adapter flow operation', () => {
    for (const test of Catalog.tests.filter((entry) => entry.id.startsWith('client.')))
      expect(test.needs, test.id).toContain('adapter:http.payment_request')
  })

  it('gives each test the strongest level among its requirements (MUST when it names none)', () => {
    for (const test of Catalog.tests) {
      const strongest = Math.max(
        ...test.requirements.map((id) => strength(requirements.get(id)?.level ?? '')),
        test.requirements.length === 0 ? 3 : 0,
      )
      expect({ id: test.id, level: strength(test.level) }).toEqual({
        id: test.id,
        level: strongest,
      })
    }
  })

  it('names capabilities from the documented vocabulary, and at least one tag', () => {
    for (const test of Catalog.tests) {
      for (const need of test.needs) expect(need, test.id).toMatch(capability)
      expect(test.tags.length, test.id).toBeGreaterThan(0)
      expect(test.group).toBe(test.id.split('.')[1])
    }
  })

  it('marks vector tests the ABI cannot run no-operation, and the others as needing their operation', () => {
    const vectors = Catalog.tests.filter((entry) => entry.mode === 'vectors')
    const none = vectors.filter((test) => test.tags.includes(Catalog.noOperation))
    expect(none.every((test) => test.needs.length === 0)).toBe(true)
    expect(none.map((test) => test.group)).toEqual(
      expect.arrayContaining(['jcs', 'accept-payment']),
    )
    for (const test of vectors.filter((entry) => !entry.tags.includes(Catalog.noOperation)))
      expect(test.needs, test.id).toEqual([expect.stringMatching(/^adapter:/)])
  })
})

describe('Catalog.filter', () => {
  it('selects by id prefix, level and tag together', () => {
    const cache = Catalog.filter({ prefix: ['server.cache'] })
    expect(cache.map((test) => test.id)).toEqual([
      'server.cache.no-store',
      'server.cache.private-receipt',
    ])
    expect(Catalog.filter({ level: 'SHOULD' }).every((test) => test.level === 'SHOULD')).toBe(true)
    const replay = Catalog.filter({ tag: 'replay', level: 'MUST' })
    expect(replay.length).toBeGreaterThan(1)
    expect(replay.every((test) => test.tags.includes('replay') && test.level === 'MUST')).toBe(true)
    expect(Catalog.filter({ prefix: ['server.nothing'] })).toEqual([])
    const vectorRejects = Catalog.filter({ prefix: ['vectors'], tag: 'reject', level: 'MUST' })
    expect(vectorRejects.length).toBeGreaterThan(10)
    expect(vectorRejects.every((test) => test.mode === 'vectors')).toBe(true)
  })

  it('formats one entry per test and a count', () => {
    const text = Catalog.format(Catalog.filter({ prefix: ['server.replay'] }))
    expect(text).toContain('server.replay.concurrent')
    expect(text).toContain('core.concurrency.single-settlement')
    expect(text).toContain('server.replay.byte-forms')
    expect(text.endsWith('4 test(s)')).toBe(true)
  })
})
