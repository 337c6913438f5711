// Every TypeScript block of the guides (docs/*.md) and of the READMEs (the root's, each
// package's and example's, conformance/, spec/ and bench/) is compiled, and the blocks marked
// to run are run, so neither can drift from the code. A block's info string says how:
//   ```ts          compiled against the workspace packages (through their sources)
//   ```ts run      compiled, then run as a program that must exit 0 within its timeout
//   ```ts nocheck  neither: an illustrative fragment (use sparingly; each is listed below)
// A block that needs context it does not build (a configured server, a wallet) declares it
// with `declare const` lines, so that it still compiles. Marked `run fixture=<name>`, it is
// run with test/fixtures/<name>.ts giving each declared name a real value (see Fixture.ts);
// every guide's block runs, so a guide's block that uses `declare` names a fixture.
import { execFile } from 'node:child_process'
import { access, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import * as Fixture from './Fixture.js'
import * as LocalTempo from './LocalTempo.js'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const repository = dirname(root)
const checkDir = join(root, '.snippets', 'check')
const runDir = join(root, '.snippets', 'run')
const require = createRequire(import.meta.url)
const tsc = require.resolve('typescript/bin/tsc')
const tsx = require.resolve('tsx/cli')
const runTimeoutMs = 180_000

/** One TypeScript block of a page: a guide or a README, named by its path in the repository. */
type Snippet = {
  page: string
  line: number
  mode: 'check' | 'run' | 'nocheck'
  /** With `run fixture=<name>`: the module of test/fixtures/ that gives the declared values. */
  fixture?: string | undefined
  code: string
}

/** Pages that must be found: if one moves or the search breaks, the first test says so. */
const expectedPages = [
  'README.md',
  'docs/quickstart-paid-api.md',
  'packages/client/README.md',
  'packages/server/README.md',
  'packages/cli/README.md',
  'conformance/README.md',
  'spec/README.md',
  'examples/paid-api-hono/README.md',
]

const pages = await findPages()
const snippets = await extractAll(pages)
const checked = snippets.filter((snippet) => snippet.mode !== 'nocheck')
const isGuide = (snippet: Snippet) => snippet.page.startsWith('docs/')
const fileOf = (snippet: Snippet) => {
  const name = snippet.page.replace(/\.md$/, '').replace(/\W+/g, '-')
  return `${name}-${String(snippet.line).padStart(4, '0')}.ts`
}
const snippetOfFile = new Map(checked.map((snippet) => [fileOf(snippet), snippet]))

// One local Tempo node for every `fixture=tempo-*` block, started by the first that runs.
let localTempo: Promise<LocalTempo.LocalTempo> | undefined
afterAll(async () => {
  if (localTempo !== undefined) await (await localTempo).node.stop()
})

// The compile and the runs are independent: they go side by side (see maxConcurrency).
describe.concurrent('docs snippets', () => {
  it('finds the guides, the READMEs and their TypeScript blocks', async () => {
    // What was read and what each page contributes, so a page that drops out shows.
    const counts = pages.map((page) => {
      const own = snippets.filter((snippet) => snippet.page === page)
      const count = (mode: Snippet['mode']) => own.filter((item) => item.mode === mode).length
      return { page, check: count('check'), run: count('run'), nocheck: count('nocheck') }
    })
    console.table(counts.filter((row) => row.check + row.run + row.nocheck > 0))
    expect(pages).toEqual(expect.arrayContaining(expectedPages))
    const guides = checked.filter(isGuide)
    const readmes = checked.filter((snippet) => !isGuide(snippet))
    expect(guides.length).toBeGreaterThan(20)
    expect(guides.filter((snippet) => snippet.mode === 'run').length).toBeGreaterThan(10)
    expect(readmes.length).toBeGreaterThanOrEqual(17)
    expect(readmes.filter((snippet) => snippet.mode === 'run').length).toBeGreaterThanOrEqual(1)
    // Every block of a guide runs: context it declares comes from a fixture.
    const checkOnly = guides.filter((snippet) => snippet.mode === 'check')
    expect(checkOnly.map((snippet) => `${snippet.page}:${snippet.line}`)).toEqual([])
    // Each fixture named exists, and each fixture in test/fixtures/ is named by some block.
    const named = new Set(checked.flatMap((snippet) => snippet.fixture ?? []))
    const files = (await readdir(join(root, 'test', 'fixtures'))).map((file) =>
      file.replace(/\.ts$/, ''),
    )
    expect([...named].sort()).toEqual(files.sort())
    // Fragments that are neither compiled nor run stay rare and visible.
    const skipped = snippets.filter((snippet) => snippet.mode === 'nocheck')
    // (by page, not line: the one fragment is spec/README.md's example test titles)
    expect(skipped.map((snippet) => snippet.page)).toEqual(['spec/README.md'])
  })

  it('compiles every block that is not marked nocheck', async () => {
    await rm(checkDir, { recursive: true, force: true })
    await mkdir(checkDir, { recursive: true })
    for (const snippet of checked) await writeFile(join(checkDir, fileOf(snippet)), snippet.code)
    const tsconfig = {
      extends: '../../tsconfig.json',
      // A block's exports are there for its fixture's `verify`, not a library's API: their
      // types need not be nameable in a declaration file.
      compilerOptions: { declaration: false, declarationMap: false },
      include: [],
      files: checked.map(fileOf),
    }
    await writeFile(join(checkDir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
    const result = await run(process.execPath, [tsc, '-p', join(checkDir, 'tsconfig.json')], {
      timeoutMs: 300_000,
    })
    // Point each diagnostic at the page and line it comes from.
    const located = result.output.replace(
      /(?:\.snippets\/check\/)?([\w-]+\.ts)\((\d+),(\d+)\)/g,
      (match, file: string, line: string, column: string) => {
        const snippet = snippetOfFile.get(file)
        return snippet === undefined
          ? match
          : `${snippet.page}:${snippet.line + Number(line)}:${column}`
      },
    )
    expect(located, 'TypeScript errors in the guides and READMEs').toBe('')
    expect(result.code).toBe(0)
  }, 360_000)

  for (const snippet of checked.filter((item) => item.mode === 'run'))
    it(`runs the block at ${snippet.page}:${snippet.line}`, async () => {
      const file = join(runDir, fileOf(snippet))
      await mkdir(runDir, { recursive: true })
      let entry = file
      const env: Record<string, string> = {}
      if (snippet.fixture === undefined) await writeFile(file, snippet.code)
      else {
        const fixture = `../../test/fixtures/${snippet.fixture}.ts`
        const program = Fixture.apply(snippet.code, fixture)
        await writeFile(file, program.block)
        entry = file.replace(/\.ts$/, '.main.ts')
        await writeFile(entry, program.main(`./${fileOf(snippet)}`))
        if (snippet.fixture.startsWith('tempo-')) {
          localTempo ??= LocalTempo.start()
          env[LocalTempo.variable] = await (await localTempo).accounts()
        }
      }
      const result = await run(
        process.execPath,
        [tsx, '--conditions=@paywire/source', relative(root, entry)],
        { timeoutMs: runTimeoutMs, env },
      )
      expect(result.code, `${snippet.page}:${snippet.line} exited\n${result.output}`).toBe(0)
    }, 240_000)
})

/**
 * The pages whose blocks are checked, as paths in the repository: every guide in docs/ (not
 * the generated API reference), the root README, and the README of each package, example,
 * conformance/, spec/ and bench/ that has one.
 */
async function findPages(): Promise<string[]> {
  const guides = (await readdir(root)).filter((name) => name.endsWith('.md'))
  const folders = ['.', 'conformance', 'spec', 'bench']
  for (const parent of ['packages', 'examples'])
    for (const entry of await readdir(join(repository, parent), { withFileTypes: true }))
      if (entry.isDirectory()) folders.push(`${parent}/${entry.name}`)
  const readmes: string[] = []
  for (const folder of folders) {
    const readme = folder === '.' ? 'README.md' : `${folder}/README.md`
    if (await exists(join(repository, readme))) readmes.push(readme)
  }
  return [...guides.map((guide) => `docs/${guide}`), ...readmes].sort()
}

/** Reads each page and extracts its blocks. */
async function extractAll(pages: string[]): Promise<Snippet[]> {
  const all: Snippet[] = []
  for (const page of pages)
    all.push(...extract(page, await readFile(join(repository, page), 'utf8')))
  return all
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}

/**
 * The fenced TypeScript blocks of one page, with their info-string mode. A fence may be
 * indented (inside a list item); its lines lose that indentation. An unknown marker fails.
 */
export function extract(page: string, text: string): Snippet[] {
  const lines = text.split('\n')
  const found: Snippet[] = []
  for (let index = 0; index < lines.length; index++) {
    const open = /^(\s*)(`{3,})(\S*)\s*(.*)$/.exec(lines[index] as string)
    if (open === null) continue
    const [, indent = '', fence = '', language = '', rest = ''] = open
    let end = index + 1
    while (end < lines.length && (lines[end] as string).trim() !== fence) end++
    if (['ts', 'typescript'].includes(language)) {
      const [mode, ...options] = rest.split(/\s+/).filter(Boolean)
      const fixture = /^fixture=([a-z][\w-]*)$/.exec(options[0] ?? '')?.[1]
      const known =
        mode === undefined ||
        ((mode === 'run' || mode === 'nocheck') && options.length === 0) ||
        (mode === 'run' && options.length === 1 && fixture !== undefined)
      if (!known)
        throw new Error(
          `${page}:${index + 1}: unknown block markers "${rest}" (use run, run fixture=<name> or nocheck)`,
        )
      const body = lines.slice(index + 1, end).map((line) => line.slice(indent.length))
      found.push({
        page,
        // Lines of the block count from the fence, so a diagnostic's line adds to it.
        line: index + 1,
        mode: mode === 'run' ? 'run' : mode === 'nocheck' ? 'nocheck' : 'check',
        fixture,
        code: `${body.join('\n')}\n`,
      })
    }
    index = end
  }
  return found
}

function run(
  command: string,
  args: string[],
  options: { timeoutMs: number; env?: Record<string, string> },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        cwd: root,
        env: { ...process.env, ...options.env },
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 16 << 20,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null
        resolve({ code, output: `${stdout}${stderr}`.trim() })
      },
    )
  })
}
