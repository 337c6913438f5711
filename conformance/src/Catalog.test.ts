// The catalog is well-formed: stable, unique ids; every requirement id it names exists in
// spec/requirements and binds servers (server checks) or clients (client checks); each
// test's level is the strongest of its
// requirements; capabilities come from a known vocabulary; filters select as documented.
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import * as Catalog from './Catalog.js'

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
  /^(payment|transport:https?|expiry:wait|offers:several|route:(body|query|other|denied|sponsored|effects)|secret|log|(method|intent|extension|payment):[a-z0-9-]+|adapter:http\.payment_request)$/

describe('Catalog.tests', () => {
  it('has unique ids of the form server.<group>.<name> or client.<group>.<name>', () => {
    const ids = Catalog.tests.map((test) => test.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(id).toMatch(/^(server|client)\.[a-z0-9-]+(\.[a-z0-9-]+)+$/)
    expect(ids.filter((id) => id.startsWith('client.')).length).toBe(Catalog.clientChecks.length)
  })

  it('names only requirement ids that exist in spec/requirements', () => {
    const unknown = Catalog.tests.flatMap((test) =>
      test.requirements.filter((id) => !requirements.has(id)).map((id) => `${test.id}: ${id}`),
    )
    expect(requirements.size).toBeGreaterThan(100)
    expect(unknown).toEqual([])
  })

  it('names at least one requirement per test, each binding the side the test checks', () => {
    for (const test of Catalog.tests) {
      expect(test.requirements.length, test.id).toBeGreaterThan(0)
      const side = test.id.startsWith('client.') ? 'client' : 'server'
      for (const id of test.requirements)
        expect(requirements.get(id)?.binds, `${test.id}: ${id}`).toContain(side)
    }
  })

  it('marks every client check as needing the adapter flow operation', () => {
    for (const test of Catalog.tests.filter((entry) => entry.id.startsWith('client.')))
      expect(test.needs, test.id).toContain('adapter:http.payment_request')
  })

  it('gives each test the strongest level among its requirements', () => {
    for (const test of Catalog.tests) {
      const strongest = Math.max(
        ...test.requirements.map((id) => strength(requirements.get(id)?.level ?? '')),
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
  })

  it('formats one entry per test and a count', () => {
    const text = Catalog.format(Catalog.filter({ prefix: ['server.replay'] }))
    expect(text).toContain('server.replay.concurrent')
    expect(text).toContain('core.concurrency.single-settlement')
    expect(text.endsWith('2 test(s)')).toBe(true)
  })
})
