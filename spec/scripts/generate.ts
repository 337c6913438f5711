// Writes spec/schemas and spec/vectors from @paywire/core. Run after changing a schema or
// a codec rule: `pnpm --filter @paywire/spec generate`, then review `git diff spec/`.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { artifacts, render } from './artifacts.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
for (const artifact of artifacts()) {
  const path = join(root, artifact.path)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, render(artifact))
  console.log(`wrote spec/${artifact.path}`)
}
