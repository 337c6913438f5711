import { describe, expect, it } from 'vitest'
import { run } from './demo.js'

describe('demo', () => {
  it('pays three reports on chain, then the policy refuses the fourth; pays a forecast by card', async () => {
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
    // The forecast is paid by card: one PaymentIntent, referenced by the receipt.
    expect(outcome.card.paymentIntents).toBe(1)
    expect(outcome.card.receipt).toMatchObject({ status: 'success', method: 'stripe' })
    expect(outcome.card.receipt?.reference).toMatch(/^pi_/)
    const titles = outcome.steps.map((step) => step.title)
    expect(titles.filter((title) => title === '402 Payment Required')).toHaveLength(5)
    expect(titles.filter((title) => title === 'Agent pays and retries')).toHaveLength(4)
  }, 60_000)
})
