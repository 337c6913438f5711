// What a user who installs a package from npm gets, checked for every publishable package:
// engines every runtime dependency supports, metadata that leads back to the repository, a
// LICENSE and a README in the tarball, and READMEs that work outside this repository (no
// repo-only commands or relative links, ESM-only setup and minimum TypeScript stated, an
// install line naming every package its snippets import).
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import semver from 'semver'
import { describe, expect, it } from 'vitest'

const repository = dirname(dirname(dirname(fileURLToPath(import.meta.url))))
const repositoryUrl = 'https://github.com/paywire/paywire'

type Manifest = {
  name: string
  private?: boolean
  license?: string
  engines?: { node?: string }
  repository?: { type?: string; url?: string; directory?: string }
  homepage?: string
  bugs?: { url?: string } | string
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'))

/** Every package of the workspace that is published: its directory and manifest. */
const publishable = [
  ...readdirSync(join(repository, 'packages')).map((name) => `packages/${name}`),
  'conformance',
]
  .filter((directory) => existsSync(join(repository, directory, 'package.json')))
  .map((directory) => ({
    directory,
    manifest: readJson(join(repository, directory, 'package.json')) as Manifest,
  }))
  .filter(({ manifest }) => manifest.private !== true)

/**
 * The runtime dependencies a user installs with a package, transitively, as pnpm laid them
 * out: a package in the store sees its own dependencies as siblings of its directory.
 */
function runtimeDependencies(directory: string): Map<string, Manifest & { path: string }> {
  const found = new Map<string, Manifest & { path: string }>()
  const visit = (from: string, manifest: Manifest, first: boolean) => {
    const names = {
      ...manifest.dependencies,
      ...manifest.optionalDependencies,
      // A user installs the required peers too; the optional ones (a framework, a test
      // runner) are theirs to choose, with their own engines.
      ...(first
        ? Object.fromEntries(
            Object.entries(manifest.peerDependencies ?? {}).filter(
              ([name]) => manifest.peerDependenciesMeta?.[name]?.optional !== true,
            ),
          )
        : {}),
    }
    for (const name of Object.keys(names)) {
      const store = manifest.name.startsWith('@') ? dirname(dirname(from)) : dirname(from)
      const candidates = [join(from, 'node_modules', name), join(store, name)]
      const at = candidates.find((path) => existsSync(join(path, 'package.json')))
      if (at === undefined) {
        if (manifest.optionalDependencies?.[name] !== undefined) continue
        throw new Error(`${name} (needed by ${manifest.name}) is not installed`)
      }
      const path = realpathSync(at)
      if (found.has(path)) continue
      const dependency = readJson(join(path, 'package.json')) as Manifest
      found.set(path, { ...dependency, path })
      visit(path, dependency, false)
    }
  }
  const own = readJson(join(repository, directory, 'package.json')) as Manifest
  visit(join(repository, directory), own, true)
  return found
}

/** Whether a dependency, as installed for the package, ships its own type declarations. */
function hasOwnTypes(directory: string, name: string): boolean {
  const at = join(repository, directory, 'node_modules', name)
  if (!existsSync(join(at, 'package.json'))) return false
  const manifest = readJson(join(at, 'package.json')) as {
    types?: string
    typings?: string
    exports?: unknown
  }
  if (manifest.types !== undefined || manifest.typings !== undefined) return true
  if (JSON.stringify(manifest.exports ?? {}).includes('"types"')) return true
  // Or a declaration file beside the JavaScript the package exports.
  const targets = JSON.stringify(manifest.exports ?? {}).match(/"\.\/[^"]+\.m?js"/g) ?? []
  return ['"./index.js"', ...targets].some((target) =>
    existsSync(join(at, target.slice(1, -1).replace(/\.(m?)js$/, '.d.$1ts'))),
  )
}

describe('publishable packages', () => {
  it('finds them', () => {
    expect(publishable.map(({ manifest }) => manifest.name)).toEqual(
      expect.arrayContaining(['@paywire/core', '@paywire/server', '@paywire/conformance']),
    )
  })

  it.each(publishable)(
    '$manifest.name: every runtime dependency supports its declared Node versions',
    ({ directory, manifest }) => {
      const declared = manifest.engines?.node
      expect(declared, 'engines.node is declared').toBeDefined()
      const refused: string[] = []
      for (const dependency of runtimeDependencies(directory).values()) {
        const wanted = dependency.engines?.node
        if (wanted === undefined || dependency.name.startsWith('@paywire/')) continue
        if (!semver.subset(declared as string, wanted, { includePrerelease: false }))
          refused.push(
            `${dependency.name}@${(dependency as { version?: string }).version} needs node ${wanted}`,
          )
      }
      expect(refused, `all of them must admit node ${declared}`).toEqual([])
    },
  )

  it.each(publishable)(
    '$manifest.name: metadata leads back to the repository',
    ({ directory, manifest }) => {
      expect(manifest.license).toBe('MIT')
      expect(manifest.repository).toEqual({
        type: 'git',
        url: `git+${repositoryUrl}.git`,
        directory,
      })
      expect(manifest.homepage).toBe(`${repositoryUrl}/tree/main/${directory}#readme`)
      expect(manifest.bugs).toEqual({ url: `${repositoryUrl}/issues` })
    },
  )

  it.each(publishable)(
    '$manifest.name: every package its published types import is a dependency with types',
    ({ directory, manifest }) => {
      const dist = join(repository, directory, 'dist')
      expect(existsSync(dist), `${directory} is built`).toBe(true)
      const declared = { ...manifest.dependencies, ...manifest.peerDependencies }
      const problems = new Set<string>()
      for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
        if (!file.endsWith('.d.ts')) continue
        // Comments go first: TSDoc examples import packages the types do not.
        const text = readFileSync(join(dist, file), 'utf8')
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .replace(/^\s*\/\/.*$/gm, '')
        for (const match of text.matchAll(/(?:from\s+|import\(\s*)['"]([^'"./][^'"]*)['"]/g)) {
          const specifier = match[1] as string
          const parts = specifier.split('/')
          const name = specifier.startsWith('@')
            ? parts.slice(0, 2).join('/')
            : (parts[0] as string)
          if (specifier.startsWith('node:') || builtinModules.includes(name)) continue
          if (name === manifest.name) continue
          if (declared[name] === undefined) {
            problems.add(`${name} (in ${file}) is not a dependency`)
            continue
          }
          const typesPackage = `@types/${name.replace(/^@/, '').replace('/', '__')}`
          if (hasOwnTypes(directory, name) || declared[typesPackage] !== undefined) continue
          problems.add(`${name} (in ${file}) has no types: ${typesPackage} must be a dependency`)
        }
      }
      expect([...problems]).toEqual([])
    },
  )

  it.each(publishable)(
    '$manifest.name: the API reference documents every entry point',
    ({ directory }) => {
      const own = join(repository, directory, 'typedoc.json')
      const root = readJson(join(repository, 'typedoc.json')) as {
        entryPoints: string[]
        packageOptions: { entryPoints: string[] }
      }
      expect(root.entryPoints).toContain(directory)
      const documented: string[] = existsSync(own)
        ? readJson(own).entryPoints
        : root.packageOptions.entryPoints
      const exported = Object.entries(
        readJson(join(repository, directory, 'package.json')).exports as Record<
          string,
          string | Record<string, string>
        >,
      )
        .map(([, target]) => (typeof target === 'string' ? target : target['@paywire/source']))
        .filter((source): source is string => source?.endsWith('.ts') === true)
        .map((source) => source.replace(/^\.\//, ''))
      expect(documented.slice().sort()).toEqual(exported.sort())
    },
  )

  it.each(publishable)(
    '$manifest.name: the tarball holds a LICENSE and a README',
    async ({ directory }) => {
      const { stdout } = await promisify(execFile)(
        'npm',
        ['pack', '--dry-run', '--json', '--ignore-scripts'],
        { cwd: join(repository, directory) },
      )
      const [pack] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>
      const files = (pack?.files ?? []).map((file) => file.path)
      expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']))
      expect(readFileSync(join(repository, directory, 'LICENSE'), 'utf8')).toMatch(/^MIT License/)
    },
  )
})

/** The TypeScript blocks of a markdown page, and the packages they import. */
function importsOf(markdown: string): Set<string> {
  const imported = new Set<string>()
  for (const block of markdown.matchAll(/```(?:ts|typescript)[^\n]*\n([\s\S]*?)```/g))
    for (const match of (block[1] as string).matchAll(
      /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g,
    )) {
      const specifier = (match[1] ?? match[2]) as string
      if (specifier.startsWith('node:') || specifier.startsWith('.')) continue
      const parts = specifier.split('/')
      imported.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string))
    }
  return imported
}

/** The packages named by the page's install commands (`npm install`, `pnpm add`, …). */
function installedBy(markdown: string): Set<string> {
  const installed = new Set<string>()
  for (const line of markdown.matchAll(/(?:npm (?:install|i)|pnpm add|yarn add)\s+([^\n#]*)/g))
    for (const word of (line[1] as string).split(/\s+/))
      if (word !== '' && !word.startsWith('-'))
        installed.add(word.replace(/^(@?[^@]+)@.*$/, '$1').replace(/`$/, ''))
  return installed
}

const shipped = publishable.map(({ directory, manifest }) => ({
  name: manifest.name,
  directory,
  readme: existsSync(join(repository, directory, 'README.md'))
    ? readFileSync(join(repository, directory, 'README.md'), 'utf8')
    : '',
}))

describe('shipped READMEs', () => {
  it.each(shipped)('$name: works outside the repository', ({ readme }) => {
    expect(readme.length, 'a README exists').toBeGreaterThan(200)
    const relativeLinks = [...readme.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((match) => match[1] as string)
      .filter((target) => !/^(https?:|mailto:|#)/.test(target))
    expect(relativeLinks, 'links are absolute (the docs are not in the tarball)').toEqual([])
    const repoOnly = readme.match(
      /pnpm (?:--filter|-F|serve:reference|dev:chain|paywire|exec|run|test|build)\b|(?:conformance|packages|docs|spec|examples)\/(?:test|src|fixtures)\//g,
    )
    expect(repoOnly, 'no command or path that exists only in the repository').toBeNull()
  })

  it.each(shipped.filter(({ name }) => name !== '@paywire/cli'))(
    '$name: says it is ESM-only, with the two-line setup and the minimum TypeScript',
    ({ readme }) => {
      expect(readme).toMatch(/ESM[- ]only/)
      expect(readme).toContain('"type": "module"')
      expect(readme).toMatch(/"module": "nodenext"/)
      expect(readme).toMatch(/TypeScript 5\.7/)
    },
  )

  it.each(shipped)(
    '$name: the install line names every package its snippets import',
    ({ name, readme }) => {
      const missing = [...importsOf(readme)].filter((used) => !installedBy(readme).has(used))
      expect(missing, `install lines: ${[...installedBy(readme)].join(' ')}`).toEqual([])
      if (name !== '@paywire/cli') expect(installedBy(readme).has(name)).toBe(true)
    },
  )
})

describe('quickstarts', () => {
  it.each(['README.md', 'docs/quickstart-paid-api.md', 'docs/quickstart-agent.md'])(
    '%s: the install lines name every package the snippets import',
    (page) => {
      const markdown = readFileSync(join(repository, page), 'utf8')
      const installed = installedBy(markdown)
      const missing = [...importsOf(markdown)].filter((used) => !installed.has(used))
      expect(missing, `install lines: ${[...installed].join(' ')}`).toEqual([])
    },
  )

  it.each(['docs/quickstart-paid-api.md', 'docs/quickstart-agent.md'])(
    '%s: states the ESM-only setup',
    (page) => {
      const markdown = readFileSync(join(repository, page), 'utf8')
      expect(markdown).toMatch(/ESM[- ]only/)
      expect(markdown).toContain('"type": "module"')
      expect(markdown).toMatch(/"module": "nodenext"/)
    },
  )
})
