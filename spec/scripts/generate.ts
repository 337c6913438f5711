// Writes spec/schemas and spec/vectors from @paywire/core. Run after changing a schema or
// a codec rule: `pnpm --filter @paywire/spec generate`, then review `git diff spec/`.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { artifacts, namedRequirements, render } from './artifacts.js'
import * as Requirements from './requirements.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const all = artifacts()
// A vector names only requirements of the catalog that bind an implementation.
const binding = new Set(
  Requirements.load(join(root, '..'))
    .filter((requirement) => requirement.binds.length > 0)
    .map((requirement) => requirement.id),
)
const wrong = all
  .filter((artifact) => artifact.path.startsWith('vectors/'))
  .flatMap(namedRequirements)
  .filter(({ id }) => !binding.has(id))
if (wrong.length > 0)
  throw new Error(
    `vectors name unknown requirements, or ones that bind no implementation:\n${wrong.map(({ at, id }) => `  ${at}: ${id}`).join('\n')}`,
  )
for (const artifact of all) {
  const path = join(root, artifact.path)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, render(artifact))
  console.log(`wrote spec/${artifact.path}`)
}
