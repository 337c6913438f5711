// `pnpm start`: prints the demo's steps.
import { run } from './demo.js'

for (const step of await run()) {
  console.log(`\n== ${step.title}`)
  for (const line of step.lines) console.log(`   ${line}`)
}
console.log('\nDone: one payment made, verified, receipted; the replay was refused.')
