// The example end to end: the agent previews its purchases with a dry run, buys news
// and reports until a budget stops it, is refused the archive by its per-payment cap,
// and reports what it spent from its ledger.
import { Policy } from '@paywire/client'
import { MemoryStore } from '@paywire/store-memory'
import { create } from './agent.js'
import { start } from './api.js'

/** What happened, for the caller (and the test) to check. */
export type Outcome = {
  lines: string[]
  /** The receipts' references, in order. */
  paid: string[]
  /** The rule of each refusal, in order. */
  refusals: Policy.Rule[]
  /** The questions the approval hook asked. */
  asked: string[]
  spent: Record<string, string>
}

const testKey = 'agent-budget-example-key'

/** Runs the example; `log` receives each line as it happens. */
export async function run(log: (line: string) => void = () => undefined): Promise<Outcome> {
  const outcome: Outcome = { lines: [], paid: [], refusals: [], asked: [], spent: {} }
  const say = (line: string) => {
    outcome.lines.push(line)
    log(line)
  }
  const api = await start(testKey)
  try {
    const store = MemoryStore.create() // one store: the dry run sees the real budgets
    const options = {
      testKey,
      store,
      insecureOrigins: [api.url], // local demo: credentials otherwise go over https only
      confirm: async (question: string) => {
        outcome.asked.push(question)
        say(`  approval asked: ${question} -> yes`)
        return true
      },
    }
    const preview = create({ ...options, mode: 'dry-run' })
    for (const path of ['/news', '/archive']) {
      const { dryRun } = await preview.fetch(`${api.url}${path}`)
      say(
        `dry run ${path}: ${dryRun?.refusal ? `would refuse (${dryRun.refusal.rule})` : `would pay ${dryRun?.quote?.amount} ${dryRun?.quote?.currency}`}`,
      )
    }

    const agent = create(options)
    for (const path of ['/news', '/report', '/report', '/news', '/archive']) {
      try {
        const { response, receipt, payment } = await agent.fetch(`${api.url}${path}`)
        const body = (await response.json()) as { content: string }
        say(
          `GET ${path}: ${response.status} "${body.content}", paid ${payment?.amount} ${payment?.currency}`,
        )
        if (receipt) outcome.paid.push(receipt.reference)
      } catch (error) {
        if (!(error instanceof Policy.RefusedError)) throw error
        outcome.refusals.push(error.rule)
        say(`GET ${path}: refused by the policy (${error.rule}): ${error.message}`)
      }
    }
    outcome.spent = await agent.ledger.totals()
    const standings = await agent.standings({ currency: 'usd', origin: api.url })
    say(
      `spent ${JSON.stringify(outcome.spent)}; ${standings.map((standing) => `${standing.remaining} left of ${standing.budget.amount} per ${standing.budget.window} (${standing.budget.scope})`).join(', ')}`,
    )
    return outcome
  } finally {
    await api.close()
  }
}
