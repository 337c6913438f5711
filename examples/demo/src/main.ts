// `pnpm start`: runs the demo and prints its steps as they happen.
import { run } from './demo.js'

const outcome = await run({
  log(step) {
    console.log(`\n== ${step.title}`)
    for (const line of step.lines) console.log(`   ${line}`)
  },
})
console.log(
  `\nDone: ${outcome.receipts.length} payments settled on chain, ${outcome.paid} base units received by the API; the next one was refused by the agent's policy (${outcome.refusedBy}); a forecast paid by card (${outcome.card.receipt?.reference}).`,
)
