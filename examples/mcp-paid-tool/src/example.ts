// The example end to end: start the paid tool, let the agent ask for three forecasts
// under its budget, and report each step.
import { Policy } from '@paywire/client'
import type { Wire } from '@paywire/mcp'
import { connect } from './agent.js'
import { start } from './tool.js'

/** What happened, for the caller (and the test) to check. */
export type Outcome = {
  lines: string[]
  receipts: Wire.JsonReceipt[]
  refusedBy: string | undefined
  spent: Record<string, string>
}

/** Runs the example; `log` receives each line as it happens. */
export async function run(log: (line: string) => void = () => undefined): Promise<Outcome> {
  const lines: string[] = []
  const say = (line: string) => {
    lines.push(line)
    log(line)
  }
  const tool = await start()
  const { client, payer } = await connect(tool.url, tool.origin)
  const receipts: Wire.JsonReceipt[] = []
  let refusedBy: string | undefined
  try {
    const payment = client.getServerCapabilities()?.experimental?.payment
    say(`server ${tool.url} accepts ${JSON.stringify(payment)}`)
    for (const city of ['Paris', 'Oslo', 'Lima']) {
      try {
        const {
          result,
          receipt,
          payment: paid,
        } = await payer.callTool({
          name: 'forecast',
          arguments: { city },
        })
        const text = (result.content as Array<{ text?: string }>)[0]?.text
        say(`${text} (paid ${paid?.amount} ${paid?.currency}, receipt ${receipt?.reference})`)
        if (receipt) receipts.push(receipt)
      } catch (error) {
        if (!(error instanceof Policy.RefusedError)) throw error
        refusedBy = error.rule
        say(`refused by the agent's policy (${error.rule}): ${error.message}`)
      }
    }
    const spent = await payer.ledger.totals()
    say(`spent today: ${JSON.stringify(spent)}`)
    return { lines, receipts, refusedBy, spent }
  } finally {
    await client.close()
    await tool.close()
  }
}
