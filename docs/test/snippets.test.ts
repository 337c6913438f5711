// Every TypeScript block of the guides (docs/*.md) is compiled, and the blocks marked to
// run are run, so the guides cannot drift from the code. A block's info string says how:
//   ```ts          compiled against the workspace packages (through their sources)
//   ```ts run      compiled, then run as a program that must exit 0 within its timeout
//   ```ts nocheck  neither: an illustrative fragment (use sparingly; each is listed below)
import { execFile } from 'node:child_process'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { basename, dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const checkDir = join(root, '.snippets', 'check')
const runDir = join(root, '.snippets', 'run')
const require = createRequire(import.meta.url)
const tsc = require.resolve('typescript/bin/tsc')
const tsx = require.resolve('tsx/cli')
const runTimeoutMs = 45_000

/** One TypeScript block of a guide. */
type Snippet = { page: string; line: number; mode: 'check' | 'run' | 'nocheck'; code: string }

const snippets = await extractAll()
const checked = snippets.filter((snippet) => snippet.mode !== 'nocheck')
const fileOf = (snippet: Snippet) =>
  `${basename(snippet.page, '.md')}-${String(snippet.line).padStart(4, '0')}.ts`

// The compile and the runs are independent: they go side by side (see maxConcurrency).
describe.concurrent('docs snippets', () => {
  it('finds the guides and their TypeScript blocks', () => {
    expect(checked.length).toBeGreaterThan(20)
    expect(checked.filter((snippet) => snippet.mode === 'run').length).toBeGreaterThan(10)
    // Fragments that are neither compiled nor run stay rare and visible.
    const skipped = snippets.filter((snippet) => snippet.mode === 'nocheck')
    expect(skipped.map((snippet) => `${snippet.page}:${snippet.line}`)).toEqual([])
  })

  it('compiles every block that is not marked nocheck', async () => {
    await rm(checkDir, { recursive: true, force: true })
    await mkdir(checkDir, { recursive: true })
    for (const snippet of checked) await writeFile(join(checkDir, fileOf(snippet)), snippet.code)
    const tsconfig = {
      extends: '../../tsconfig.json',
      include: [],
      files: checked.map(fileOf),
    }
    await writeFile(join(checkDir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
    const result = await run(process.execPath, [tsc, '-p', join(checkDir, 'tsconfig.json')], {
      timeoutMs: 120_000,
    })
    // Point each diagnostic at the guide and line it comes from.
    const located = result.output.replace(
      /(?:\.snippets\/check\/)?([\w-]+)-(\d{4})\.ts\((\d+),(\d+)\)/g,
      (_, page: string, start: string, line: string, column: string) =>
        `docs/${page}.md:${Number(start) + Number(line)}:${column}`,
    )
    expect(located, 'TypeScript errors in the guides').toBe('')
    expect(result.code).toBe(0)
  }, 150_000)

  for (const snippet of checked.filter((item) => item.mode === 'run'))
    it(`runs the block at ${snippet.page}:${snippet.line}`, async () => {
      const file = join(runDir, fileOf(snippet))
      await mkdir(runDir, { recursive: true })
      await writeFile(file, snippet.code)
      const result = await run(
        process.execPath,
        [tsx, '--conditions=@paywire/source', relative(root, file)],
        { timeoutMs: runTimeoutMs },
      )
      expect(result.code, `${snippet.page}:${snippet.line} exited\n${result.output}`).toBe(0)
    }, 90_000)
})

/** Reads every guide in docs/ (not the generated API reference) and extracts its blocks. */
async function extractAll(): Promise<Snippet[]> {
  const pages = (await readdir(root)).filter((name) => name.endsWith('.md')).sort()
  const all: Snippet[] = []
  for (const page of pages) all.push(...extract(page, await readFile(join(root, page), 'utf8')))
  return all
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
      const markers = rest.split(/\s+/).filter(Boolean)
      const unknown = markers.filter((marker) => marker !== 'run' && marker !== 'nocheck')
      if (unknown.length > 0 || markers.length > 1)
        throw new Error(
          `${page}:${index + 1}: unknown block markers "${rest}" (use run or nocheck)`,
        )
      const body = lines.slice(index + 1, end).map((line) => line.slice(indent.length))
      found.push({
        page,
        // Lines of the block count from the fence, so a diagnostic's line adds to it.
        line: index + 1,
        mode: markers[0] === 'run' ? 'run' : markers[0] === 'nocheck' ? 'nocheck' : 'check',
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
  options: { timeoutMs: number },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: root, timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null
        resolve({ code, output: `${stdout}${stderr}`.trim() })
      },
    )
  })
}
