import { describe, expect, it } from 'vitest'
import { run } from './demo.js'

describe('demo', () => {
  it('pays three reports on chain, then the policy refuses the fourth', async () => {
    const outcome = await run()
    expect(outcome.receipts).toHaveLength(3)
    for (const receipt of outcome.receipts) {
      expect(receipt).toMatchObject({ status: 'success', method: 'tempo' })
      expect(receipt.reference).toMatch(/^0x[0-9a-f]{64}$/)
    }
    expect(new Set(outcome.receipts.map((receipt) => receipt.reference)).size).toBe(3)
    expect(outcome.refusedBy).toBe('budget')
    // Fees are sponsored: the agent pays exactly the price, the API receives exactly it.
    expect(outcome.paid).toBe(30_000n)
    expect(outcome.balances.agentBefore - outcome.balances.agentAfter).toBe(30_000n)
    const titles = outcome.steps.map((step) => step.title)
    expect(titles.filter((title) => title === '402 Payment Required')).toHaveLength(4)
    expect(titles.filter((title) => title === 'Agent pays and retries')).toHaveLength(3)
  }, 60_000)
})
