// Vectors mode: paywire's own vectors run through the adapter ABI, against paywire's
// adapter (everything applicable passes) and against a broken adapter (one defect each),
// which must fail on exactly the test ids naming its defect.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Results from '../src/Results.js'
import * as Vectors from '../src/Vectors.js'
import * as Processes from './fixtures/processes.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const bin = join(packageDir, 'dist/cli/main.js')
const paywireManifest = join(packageDir, 'adapters/paywire/adapter.json')
const broken = join(packageDir, 'test/fixtures/broken-adapter.mjs')
const specVectors = join(packageDir, '../spec/vectors')
const work = mkdtempSync(join(tmpdir(), 'paywire-vectors-'))

const cli = (args: readonly string[]) => Processes.run(bin, args)

/** Writes the manifest of the broken adapter with `defect`, claiming `capabilities`. */
function brokenManifest(defect: string, capabilities?: string[]): string {
  const paywire = JSON.parse(readFileSync(paywireManifest, 'utf8')) as { capabilities: string[] }
  const file = join(work, `${defect}.json`)
  writeFileSync(
    file,
    JSON.stringify({
      schema: 1,
      name: `broken-${defect}`,
      command: ['node', broken, defect],
      cwd: packageDir,
      capabilities: capabilities ?? paywire.capabilities,
    }),
  )
  return file
}

const failing = (results: Results.Results, verdict: Results.Verdict = 'fail') =>
  results.results.filter((result) => result.verdict === verdict).map((result) => result.id)

beforeAll(() => {
  if (!existsSync(bin))
    throw new Error(`${bin} is missing: run \`pnpm --filter @paywire/conformance build\` first`)
})

afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('the vector cases', () => {
  const requirementsDir = join(packageDir, '../spec/requirements')
  const known = new Set(
    readdirSync(requirementsDir).flatMap((name) =>
      (JSON.parse(readFileSync(join(requirementsDir, name), 'utf8')) as { id: string }[]).map(
        (requirement) => requirement.id,
      ),
    ),
  )
  const cases = Vectors.cases(Vectors.load(specVectors))

  it('have unique, id-safe ids and name existing requirements: those of their vector case', () => {
    const ids = cases.map((c) => c.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(id).toMatch(/^vectors\.[a-z0-9-]+\.([a-z]+\.)?[A-Za-z0-9_-]+$/)
    for (const c of cases)
      for (const requirement of c.requirements)
        expect(known.has(requirement), requirement).toBe(true)
    const www = JSON.parse(readFileSync(join(specVectors, 'www-authenticate.json'), 'utf8'))
    for (const entry of www.reject as { name: string; requirements: string[] }[])
      expect(
        cases.find((c) => c.id === `vectors.www-authenticate.reject.${Vectors.slug(entry.name)}`)
          ?.requirements,
      ).toEqual(entry.requirements)
    const byId = (id: string) => cases.find((c) => c.id === id)
    expect(byId('vectors.www-authenticate.format.one-challenge')?.requirements).toEqual(
      Vectors.formatRequirements['www-authenticate'],
    )
    expect(byId('vectors.challenge-id.with-opaque')).toMatchObject({
      level: 'SHOULD',
      requirements: ['core.binding.hmac', 'core.binding.all-params', 'core.binding.opaque'],
    })
    expect(byId('vectors.www-authenticate.reject.duplicate-parameter')).toMatchObject({
      level: 'MUST',
      requirements: [],
    })
    expect(ids).toContain('vectors.challenge-id.required-fields-only')
    expect(ids).toContain('vectors.challenge-id.required-fields-only-secret-2')
    expect(ids).toContain('vectors.base64url.reject.padding')
    expect(ids).toContain('vectors.www-authenticate.reject.empty-id')
  })

  it('ship in the built package, equal to spec/vectors', () => {
    const shipped = join(packageDir, 'dist/spec-vectors')
    expect(Vectors.defaultDirectory()).toBe(shipped)
    expect(Vectors.load(shipped)).toEqual(Vectors.load(specVectors))
    const files = (
      JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { files: string[] }
    ).files
    expect(files).toContain('dist')
  })
})

describe('paywire-conformance vectors', () => {
  it("passes paywire's own adapter, writing every report", async () => {
    const json = join(work, 'paywire.json')
    const junit = join(work, 'paywire.xml')
    const markdown = join(work, 'paywire.md')
    const { status, stderr } = await cli([
      'vectors',
      '--adapter',
      paywireManifest,
      '--json',
      json,
      '--junit',
      junit,
      '--markdown',
      markdown,
    ])
    expect(status, stderr).toBe(0)
    const results = Results.schema.parse(JSON.parse(readFileSync(json, 'utf8')))
    expect(results.mode).toBe('vectors')
    expect(failing(results)).toEqual([])
    expect(failing(results, 'error')).toEqual([])
    expect(results.summary.pass).toBeGreaterThan(60)
    // Each result names the requirement ids of its case.
    const display = results.results.find(
      (r) => r.id === 'vectors.www-authenticate.parse.unknown-method-with-exotic-methoddetails',
    )
    expect(display).toMatchObject({ verdict: 'pass', level: 'MUST' })
    expect(display?.requirements).toContain('charge.client.display-shared')
    const expected = Vectors.cases(Vectors.load(specVectors))
    expect(results.results.map((r) => [r.id, r.requirements])).toEqual(
      expected.map((c) => [c.id, c.requirements]),
    )
    // n/a only where the ABI has no operation: JCS, Accept-Payment, non-UTF-8 bytes, several challenges.
    for (const result of results.results.filter((r) => r.verdict === 'n/a'))
      expect(result.id).toMatch(
        /^vectors\.(jcs|accept-payment)\.|^vectors\.base64url\.(en|de)code\.(_w|-_-_)$|two-challenges/,
      )
    expect(readFileSync(junit, 'utf8')).toContain('testsuite name="vectors.challenge-id"')
    expect(readFileSync(markdown, 'utf8')).toContain('vectors mode')
  })

  it('fails an adapter that pads base64url on exactly the padded encodings', async () => {
    const json = join(work, 'padding.json')
    const { status } = await cli([
      'vectors',
      '--adapter',
      brokenManifest('padding'),
      '--only',
      'vectors.base64url.encode',
      '--json',
      json,
      '--quiet',
    ])
    expect(status).toBe(1)
    const results = Results.schema.parse(JSON.parse(readFileSync(json, 'utf8')))
    expect(failing(results).sort()).toEqual(
      [
        'vectors.base64url.encode.Zg',
        'vectors.base64url.encode.Zm8',
        'vectors.base64url.encode.Zm9vYg',
        'vectors.base64url.encode.Zm9vYmE',
        'vectors.base64url.encode.eyJhbW91bnQiOiIxMDAwIn0',
        'vectors.base64url.encode.4oKs8J-YgA',
        'vectors.base64url.encode.AAA',
        'vectors.base64url.encode.Pj8',
      ].sort(),
    )
  })

  it('fails an adapter that reads the request of known methods only on the shared-fields vector {charge.client.display-shared}', async () => {
    const results = await Vectors.run({
      manifest: Vectors.readManifest(brokenManifest('known-methods-only')),
      directory: specVectors,
      only: ['vectors.www-authenticate.parse'],
    })
    expect(failing(results)).toEqual([
      'vectors.www-authenticate.parse.unknown-method-with-exotic-methoddetails',
    ])
    expect(results.summary.pass).toBeGreaterThan(4)
  })

  it('fails an adapter that accepts must-reject headers on each of them, and reports a crash as error', async () => {
    const lenient = await Vectors.run({
      manifest: Vectors.readManifest(brokenManifest('lenient-header')),
      directory: specVectors,
      only: ['vectors.www-authenticate.reject'],
    })
    const rejects = JSON.parse(readFileSync(join(specVectors, 'www-authenticate.json'), 'utf8'))
      .reject as { name: string }[]
    expect(failing(lenient).sort()).toEqual(
      rejects.map((r) => `vectors.www-authenticate.reject.${Vectors.slug(r.name)}`).sort(),
    )
    expect(failing(lenient)).toContain('vectors.www-authenticate.reject.uppercase-method')
    expect(Results.failed(lenient)).toBe(true)

    const crash = await Vectors.run({
      manifest: Vectors.readManifest(brokenManifest('crash-on-receipt')),
      directory: specVectors,
      only: ['vectors.receipt.parse', 'vectors.receipt.format', 'vectors.credential.parse'],
    })
    expect(failing(crash, 'error').sort()).toEqual(
      crash.results
        .filter((r) => r.group === 'receipt')
        .map((r) => r.id)
        .sort(),
    )
    expect(crash.summary.pass).toBe(1)
  })

  it('marks operations the adapter does not claim n/a, and refuses a bad manifest', async () => {
    const results = await Vectors.run({
      manifest: Vectors.readManifest(brokenManifest('none', ['base64url.encode'])),
      directory: specVectors,
      only: ['vectors.challenge-id', 'vectors.base64url.encode.Zg'],
    })
    expect(results.summary.pass).toBe(1)
    expect(results.summary['n/a']).toBe(results.summary.total - 1)
    const bad = join(work, 'bad.json')
    writeFileSync(bad, JSON.stringify({ command: [], capabilities: [] }))
    const { status, stderr } = await cli(['vectors', '--adapter', bad])
    expect(status).toBe(2)
    expect(stderr).toContain('"command" must be a non-empty array')
  })
})
