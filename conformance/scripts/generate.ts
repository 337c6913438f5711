// Writes schemas/results.schema.json and schemas/matrix.schema.json from the zod schemas of
// the JSON reports (`pnpm --filter @paywire/conformance generate`); tests fail when they drift.
import { writeFileSync } from 'node:fs'
import { Matrix, Results } from '../src/index.js'

for (const [name, jsonSchema] of [
  ['results', Results.jsonSchema()],
  ['matrix', Matrix.jsonSchema()],
] as const) {
  const file = new URL(`../schemas/${name}.schema.json`, import.meta.url)
  writeFileSync(file, `${JSON.stringify(jsonSchema, null, 2)}\n`)
  console.log(`wrote ${file.pathname}`)
}
