// `pnpm start`: runs the example and prints each step.
import { run } from './example.js'

await run((line) => console.log(line))
