// Writes schemas/results.schema.json from the zod schema of the JSON report
// (`pnpm --filter @paywire/conformance generate`); a test fails when they drift.
import { writeFileSync } from 'node:fs'
import { Results } from '../src/index.js'

const file = new URL('../schemas/results.schema.json', import.meta.url)
writeFileSync(file, `${JSON.stringify(Results.jsonSchema(), null, 2)}\n`)
console.log(`wrote ${file.pathname}`)
