// Throw-away repositories for the spec scripts' tests: files written under a fresh
// temporary folder (objects as pretty JSON), removed by `removeRepositories` after each test.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

const folders: string[] = []

/** A repository holding `files` (path → text, or a value written as JSON); returns its root. */
export function createRepository(files: Record<string, unknown>, prefix = 'paywire-spec-'): string {
  const root = mkdtempSync(join(tmpdir(), prefix))
  folders.push(root)
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(
      join(root, path),
      typeof content === 'string' ? content : JSON.stringify(content, null, 2),
    )
  }
  return root
}

/** Removes every repository created so far. */
export function removeRepositories(): void {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true })
}
